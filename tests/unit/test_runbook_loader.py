"""Loading a runbook: bad files are refused with file and key path; ``runbook check`` exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from stratus_commander.cli import main
from stratus_commander.errors import RunbookError
from stratus_commander.resources import resource_path
from stratus_commander.runbook import CLOCK_ORDER, RunbookInvalid, check_templates, load_runbook

SEED = resource_path("runbooks", "stratusconnect.toml").read_text(encoding="utf-8")


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


TEMPLATE_CASES = ["bad template syntax", "unknown template variable"]


@pytest.mark.parametrize("case", TEMPLATE_CASES)
def test_templates_checked_later_are_refused_in_the_same_words(tmp_path: Path, case: str) -> None:
    # The cockpit loads the runbook without parsing its templates and parses them once its
    # first frame is up: the commander reads the same problem either way.
    edits, _ = MALFORMED[case]
    path = _edited(tmp_path, *edits)
    with pytest.raises(RunbookInvalid) as at_once:
        load_runbook(path)
    runbook = load_runbook(path, templates=False)  # all but the templates: accepted
    with pytest.raises(RunbookInvalid) as later:
        check_templates(runbook, path)
    assert later.value.problems == at_once.value.problems
    assert str(later.value) == str(at_once.value)


def test_sound_templates_pass_the_later_check() -> None:
    check_templates(load_runbook(templates=False))  # the bundled runbook: nothing raised


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
