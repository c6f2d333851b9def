"""The runbook as data: the bundled file carries the seed, bad files are refused with a key path."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from jinja2.sandbox import SandboxedEnvironment

from stratus_commander.cli import main
from stratus_commander.errors import RunbookError
from stratus_commander.resources import resource_path
from stratus_commander.runbook import (
    CLOCK_ORDER,
    TEMPLATE_VARIABLES,
    RunbookInvalid,
    load_runbook,
    parse_positive_duration,
    summary,
)
from stratus_commander.timefmt import duration_notation

BUNDLED = resource_path("runbooks", "stratusconnect.toml")
SEED = BUNDLED.read_text(encoding="utf-8")
RUNBOOK = load_runbook()


# ---------------------------------------------------------------- the bundled runbook


def test_phases_and_clocks_follow_the_design_table() -> None:
    assert [p.id for p in RUNBOOK.phases] == [
        "declare",
        "triage",
        "communicate",
        "mitigate",
        "close",
        "review",
    ]
    assert [(c.id, c.label, c.anchor) for c in RUNBOOK.clocks] == [
        ("declare", "DECLARE", "detected"),
        ("triage", "TRIAGE", "declared"),
        ("communicate", "COMMUNICATE", "declared"),
        ("next_update", "NEXT UPDATE", "last_update"),
        ("escalate", "ESCALATE", "declared"),
        ("pir", "POST-INCIDENT REVIEW", "resolved"),
    ]
    minutes = {c.id: c.due_after for c in RUNBOOK.clocks}
    assert minutes["declare"] == timedelta(minutes=5)
    assert minutes["triage"] == timedelta(minutes=10)
    assert minutes["communicate"] == timedelta(minutes=15)
    assert minutes["next_update"] == timedelta(minutes=30)
    assert minutes["escalate"] is None
    assert minutes["pir"] == timedelta(hours=48)
    assert RUNBOOK.clock("next_update").while_unresolved
    assert not RUNBOOK.clock("triage").while_unresolved
    assert RUNBOOK.clock("triage").due_after_for("Minor") == timedelta(minutes=10)


def test_escalation_times_and_people() -> None:
    escalate = RUNBOOK.clock("escalate")
    assert escalate.due_after_for("Critical") == timedelta(minutes=5)
    assert escalate.due_after_for("Major") == timedelta(minutes=15)
    assert escalate.due_after_for("Minor") == timedelta(hours=1)
    assert RUNBOOK.escalation_for("Critical").who == ["CTO", "Head of Engineering"]
    assert RUNBOOK.escalation_for("Major").who == ["Engineering Lead"]
    assert RUNBOOK.escalation_for("Minor").who == ["On-call Engineer"]
    with pytest.raises(ValueError, match="unknown impact 'Severe'"):
        escalate.due_after_for("Severe")
    with pytest.raises(KeyError):
        RUNBOOK.clock("lunch")


def test_declare_fields() -> None:
    fields = {f.id: f for f in RUNBOOK.declare.fields}
    assert list(fields) == ["title", "scope", "start_time", "impact", "affected_services"]
    assert fields["scope"].choices == ["API", "Web", "Webhooks", "Database"]
    assert fields["impact"].choices == ["Minor", "Major", "Critical"]
    assert RUNBOOK.declare.example is not None
    assert RUNBOOK.declare.example.title == "Payment Processing API Down"


def test_triage_groups_in_order_with_probe_and_manual_items() -> None:
    groups = RUNBOOK.triage.groups
    assert [g.id for g in groups] == ["api", "webhooks", "database", "external"]
    assert [g.title for g in groups] == [
        "API Health",
        "Webhook Status",
        "Database Connectivity",
        "External Dependencies",
    ]
    api = {i.text: i for i in groups[0].items}
    assert api["Check /api/health endpoint"].check == "api"
    assert api["Check API logs for errors"].manual
    assert api["Check API logs for errors"].check is None
    webhooks = {i.text: i for i in groups[1].items}
    assert webhooks["Verify Stripe webhook delivery"].check == "webhooks"
    assert webhooks["Test webhook endpoint manually"].manual
    assert [i.text for i in groups[2].items] == [
        "Check Supabase connection status",
        "Verify RLS policies are active",
        "Check for connection pool exhaustion",
    ]
    assert {i.check for i in groups[3].items} == {"external"}
    decisions = {d.id: d for d in RUNBOOK.triage.decisions}
    assert decisions["internal"].routes_to == "mitigate"
    assert decisions["external"].checklist == "external"
    assert decisions["external"].action == "Contact provider, implement workaround"
    assert decisions["unknown"].routes_to == "escalate"


def test_triage_check_groups_are_the_probe_contracts() -> None:
    from stratus_commander.probes.base import CHECK_ORDER

    assert tuple(g.id for g in RUNBOOK.triage.groups) == CHECK_ORDER


def test_comms_steps_audience_and_templates_render() -> None:
    comms = RUNBOOK.comms
    assert comms.update_every == timedelta(minutes=30)
    assert comms.status_page_steps[1].text == 'Update incident status to "Investigating"'
    assert comms.audience == {
        "Critical": "All users, brokers, operators",
        "Major": "Affected user groups",
        "Minor": "Internal team only",
    }
    env = SandboxedEnvironment()
    values = {name: f"<{name}>" for name in TEMPLATE_VARIABLES}
    investigating = env.from_string(comms.templates["investigating"]).render(values)
    assert "investigating an issue affecting <services>." in investigating
    assert "updates every 30 minutes" in investigating
    assert "Impact: <impact>" in investigating
    assert "Next update: <next_update>" in env.from_string(comms.templates["update"]).render(values)
    assert "<resolved_at>" in env.from_string(comms.templates["resolved"]).render(values)
    close = env.from_string(comms.templates["close"]).render(values)
    assert "Incident resolved at <resolved_at>." in close
    assert "Service Credits: <service_credits>" in close


def test_mitigation_playbooks_close_and_review() -> None:
    assert list(RUNBOOK.mitigation) == ["api", "webhooks", "database", "external", "rate_limiting"]
    assert "Check connection pool status" in [i.text for i in RUNBOOK.mitigation["database"]]
    assert RUNBOOK.mitigation["rate_limiting"][1].text == "Block suspicious traffic"
    assert [p.title for p in RUNBOOK.playbooks] == [
        "Payment Processing Down",
        "Database Connection Issues",
        "Webhook Processing Failed",
        "High Error Rates",
    ]
    assert RUNBOOK.playbooks[0].items[3].text == "Test payment intent creation manually"
    assert [s.id for s in RUNBOOK.close.sections] == [
        "root_cause_analysis",
        "fix_implementation",
        "service_credits",
        "lessons_learned",
    ]
    assert RUNBOOK.review.deadline == timedelta(hours=48)
    assert [s.title for s in RUNBOOK.review.sections] == [
        "Incident Timeline",
        "Impact Assessment",
        "Root Cause Analysis",
        "Action Items",
        "Follow-up",
    ]


def test_sla_ladder() -> None:
    sla = RUNBOOK.sla
    assert sla.target == Decimal("99.9")
    assert [(s.below, s.credit) for s in sla.ladder] == [
        (Decimal("99.9"), Decimal("10")),
        (Decimal("99.0"), Decimal("25")),
        (Decimal("95.0"), Decimal("100")),
    ]
    assert sla.credit_for(Decimal("99.95")) == 0
    assert sla.credit_for(Decimal("99.9")) == 0
    assert sla.credit_for(Decimal("99.89")) == 10
    assert sla.credit_for(Decimal("98.0")) == 25
    assert sla.credit_for(Decimal("94.99")) == 100


def test_contacts_dashboards_and_reminders() -> None:
    emergency = {c.role: c for c in RUNBOOK.emergency_contacts}
    assert emergency["24/7 On-Call"].phone == "+44 20 1234 5678"
    assert emergency["Emergency Email"].email == "emergency@stratusconnect.com"
    assert [c.role for c in RUNBOOK.contacts][:3] == ["Primary On-Call", "Secondary On-Call", "CTO"]
    assert [d.name for d in RUNBOOK.dashboards][-1] == "Status Page"
    assert RUNBOOK.reminders[0] == "Communicate early and often"
    assert RUNBOOK.motto.startswith("There can be no doubt")


def test_summary_lists_what_the_commander_relies_on() -> None:
    text = summary(RUNBOOK)
    assert "NEXT UPDATE           30m after the last status update (while unresolved)" in text
    assert "ESCALATE              Critical 5m, Major 15m, Minor 1h after declaration" in text
    assert "Check for connection pool exhaustion" in text and "probe: database" in text
    assert "Check API logs for errors" in text and "manual tick" in text
    assert "Critical  5m   CTO, Head of Engineering" in text
    assert "placeholders still to fill in: 15" in text
    triage = text.index("Triage (in this order)")
    order = [text.index(t, triage) for t in ("[api]", "[webhooks]", "[database]", "[external]")]
    assert order == sorted(order)


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("48h", timedelta(hours=48)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
    ],
)
def test_durations_parse_and_format_back(text: str, expected: timedelta) -> None:
    assert parse_positive_duration(text) == expected
    assert parse_positive_duration(duration_notation(expected)) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5m", "must be a positive duration"),
        ("0m", "must be a positive duration"),
        ("", "not a duration"),
        ("5", "not a duration"),
        ("5 m", "not a duration"),
        ("1.5h", "not a duration"),
        ("5M", "not a duration"),
        ("m", "not a duration"),
        (5, "must be a duration string"),
    ],
)
def test_durations_are_strict(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_positive_duration(value)


# ---------------------------------------------------------------- malformed files


def _edited(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The bundled runbook with each ``old`` (present exactly once) replaced by ``new``."""
    text = SEED
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "my.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [line.removeprefix(f"{path}: ") for line in lines]


MITIGATE_PHASE = """[[phases]]
id = "mitigate"
title = "Mitigate"
when = "Based on triage results"
"""
PIR_CLOCK = """[[clocks]]
id = "pir"
label = "POST-INCIDENT REVIEW"
anchor = "resolved"
due_after = "48h"
"""

MALFORMED = {
    "missing phase": ([(MITIGATE_PHASE, "")], "phases: missing phase 'mitigate'"),
    "phases out of order": (
        [
            ('id = "mitigate"\ntitle = "Mitigate"', 'id = "close"\ntitle = "Mitigate"'),
            ('id = "close"\ntitle = "Close"', 'id = "mitigate"\ntitle = "Close"'),
        ],
        "phases: phases must be in the order declare, triage, communicate, mitigate, close, review",
    ),
    "missing clock": ([(PIR_CLOCK, "")], "clocks: missing clock 'pir'"),
    "negative duration": (
        [('due_after = "10m"', 'due_after = "-10m"')],
        "clocks[1].due_after: must be a positive duration (got '-10m')",
    ),
    "zero duration": (
        [('update_every = "30m"', 'update_every = "0m"')],
        "comms.update_every: must be a positive duration (got '0m')",
    ),
    "loose duration": (
        [('due_after = "15m"', 'due_after = "15 minutes"')],
        "clocks[2].due_after: not a duration: '15 minutes'",
    ),
    "unknown key": (
        [('title = "Declare"', 'title = "Declare"\ncolour = "red"')],
        "phases[0].colour: unknown key",
    ),
    "wrong type": (
        [("while_unresolved = true", 'while_unresolved = "yes"')],
        "clocks[3].while_unresolved: Input should be a valid boolean",
    ),
    "wrong type list": (
        [('who = ["Engineering Lead"]', 'who = "Engineering Lead"')],
        "escalation[1].who: Input should be a valid list",
    ),
    "duplicate item id": (
        [
            (
                'id = "rls-policies", text = "Verify RLS policies" },\n    { id = "dead',
                'id = "pool-status", text = "Verify RLS policies" },\n    { id = "dead',
            )
        ],
        "mitigation.database: duplicate id 'pool-status' at [0] and [1]",
    ),
    "bad template syntax": (
        [("Incident resolved at {{ resolved_at }}.", "Incident resolved at {{ resolved_at }.")],
        "comms.templates.close: template syntax error at line 1:",
    ),
    "unknown template variable": (
        [("Root Cause: {{ root_cause }}", "Root Cause: {{ root_casue }}")],
        "comms.templates.close: unknown template variable(s) 'root_casue'",
    ),
    "unknown impact": (
        [('impact = "Major"\nresponse', 'impact = "Severe"\nresponse')],
        "escalation[1].impact: Input should be 'Minor', 'Major' or 'Critical'",
    ),
    "triage groups out of order": (
        [
            ('id = "webhooks"\ntitle = "Webhook Status"', 'id = "database"\ntitle = "Webhooks"'),
            ('id = "database"\ntitle = "Database Connectivity"', 'id = "webhooks"\ntitle = "DB"'),
        ],
        "triage.groups: triage groups must be in the order api, webhooks, database, external",
    ),
    "bad item id": (
        [('id = "api-logs", text = "Check API', 'id = "API logs", text = "Check API')],
        "triage.groups[0].items[2].id: ids use lowercase letters, digits, '-' and '_'",
    ),
    "unknown probe check group": (
        [
            (
                'check = "external" },\n    { id = "uptimerobot"',
                'check = "cdn" },\n    { id = "uptimerobot"',
            )
        ],
        "triage.groups[3].items[0].check: Input should be 'api', 'webhooks', 'database' or",
    ),
    "clock with no rule": (
        [('anchor = "detected"\ndue_after = "5m"\n', 'anchor = "detected"\n')],
        "clocks[0]: give exactly one of due_after and due_after_by_impact",
    ),
    "escalate clock missing an impact": (
        [(', Minor = "1h" }', " }")],
        "clocks[4].due_after_by_impact: missing impact 'Minor'",
    ),
    "escalation disagrees with its clock": (
        [('response = "5m"', 'response = "10m"')],
        "escalation[0].response: 10m disagrees with the escalate clock; make them equal",
    ),
    "missing escalation row": (
        [('[[escalation]]\nimpact = "Minor"\nresponse = "1h"\nwho = ["On-call Engineer"]\n', "")],
        "escalation: missing impact 'Minor'",
    ),
    "decision routes to no checklist": (
        [('checklist = "external"', 'checklist = "vendor"')],
        "triage.decisions[1].checklist: no mitigation checklist 'vendor'",
    ),
    "missing mitigation checklist": (
        [("rate_limiting = [", "throttling = [")],
        "mitigation: missing checklist 'rate_limiting'",
    ),
    "sla ladder upside down": (
        [('{ below = "95.0", credit = "100" }', '{ below = "99.5", credit = "100" }')],
        "sla: ladder: each step must have a lower 'below' and a higher 'credit'",
    ),
    "dashboard url": (
        [('name = "Status Page"\nurl = "[URL]"', 'name = "Status Page"\nurl = "status page"')],
        "dashboards[4].url: must be an http(s) URL or a [placeholder]",
    ),
    "unknown top-level key": (
        [("motto = ", "mottto = ")],
        "mottto: unknown key",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_runbook_is_refused_with_file_and_key_path(tmp_path: Path, case: str) -> None:
    edits, expected = MALFORMED[case]
    problems = _problems(_edited(tmp_path, *edits))
    assert any(p.startswith(expected) for p in problems), problems


def test_bad_toml_names_file_line_and_column(tmp_path: Path) -> None:
    path = _edited(tmp_path, ('name = "StratusConnect Incident Runbook"', 'name = "Stratus'))
    line = SEED[: SEED.index('name = "StratusConnect')].count("\n") + 1
    [problem] = _problems(path)
    assert problem.startswith("invalid TOML: ")
    assert f"line {line}, column" in problem


def test_key_written_below_a_table_header_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "my.toml"
    path.write_text(SEED + 'reminders = ["late"]\n', encoding="utf-8")
    assert _problems(path) == [
        "dashboards[4].reminders: unknown key"
        " (if it is the top-level 'reminders', move it above the first [table])"
    ]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        ('due_after = "10m"', 'due_after = "-10m"'),
        ('title = "Declare"', 'title = "Declare"\ncolour = "red"'),
        ("while_unresolved = true", 'while_unresolved = "yes"'),
    )
    with pytest.raises(RunbookInvalid) as caught:
        load_runbook(path)
    exc = caught.value
    assert exc.where == f"{path}: phases[0].colour"
    assert [p.split(": ")[1] for p in exc.problems] == [
        "phases[0].colour",
        "clocks[1].due_after",
        "clocks[3].while_unresolved",
    ]


def test_cross_checks_are_all_reported(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        ('update_every = "30m"', 'update_every = "20m"'),
        ('deadline = "48h"', 'deadline = "24h"'),
    )
    assert _problems(path) == [
        "comms.update_every: 20m disagrees with the next_update clock; make them equal",
        "review.deadline: 24h disagrees with the pir clock; make them equal",
    ]


def test_clocks_may_be_written_in_any_order(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        (PIR_CLOCK, ""),
        ('[[clocks]]\nid = "declare"', PIR_CLOCK + '\n[[clocks]]\nid = "declare"'),
    )
    assert [c.id for c in load_runbook(path).clocks] == list(CLOCK_ORDER)


def test_unreadable_files(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(b'name = "\xe9"')
    for path, message in [
        (tmp_path / "absent.toml", "no such file"),
        (tmp_path, "is a directory"),
        (latin1, "not UTF-8 text"),
    ]:
        with pytest.raises(RunbookError, match=message) as caught:
            load_runbook(path)
        assert caught.value.where == str(path)


# ---------------------------------------------------------------- runbook check


def test_check_bundled_runbook() -> None:
    result = CliRunner().invoke(main, ["runbook", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("StratusConnect Incident Runbook")
    assert "Check connection pool status" in result.stdout
    assert result.stderr == ""


def test_check_users_edited_copy_by_argument_and_by_global_option(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        ('title = "Payment Processing Down"', 'title = "Payments Down"'),
        ('Critical = "5m"', 'Critical = "3m"'),
        ('response = "5m"', 'response = "3m"'),
    )
    for args in (["runbook", "check", str(path)], ["--runbook", str(path), "runbook", "check"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "Payments Down (4 steps)" in result.stdout
        assert "Critical 3m, Major 15m, Minor 1h after declaration" in result.stdout


def test_check_bad_file_exits_2_naming_file_and_keys(tmp_path: Path) -> None:
    path = _edited(
        tmp_path,
        ('due_after = "10m"', 'due_after = "-10m"'),
        ('id = "api"\ntitle', 'id = "apis"\ntitle'),
    )
    result = CliRunner().invoke(main, ["runbook", "check", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}: clocks[1].due_after: must be a positive duration (got '-10m')",
        f"{path}: triage.groups[0].id: Input should be 'api', 'webhooks', 'database' or 'external'",
    ]


def test_check_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["runbook", "check", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.toml'}: no such file" in result.stderr
