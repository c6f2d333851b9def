from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stratus_commander.clock import FakeClock
from stratus_commander.errors import InputError
from stratus_commander.incident import Incident, Incidents, comms
from stratus_commander.runbook import TEMPLATE_NAMES, TEMPLATE_VARIABLES, load_runbook
from stratus_commander.secrets import register_secret
from stratus_commander.store import SqliteStore

T0 = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)
RUNBOOK = load_runbook()
PARIS = ZoneInfo("Europe/Paris")


def _incident(**kw: object) -> Incident:
    base = Incident(
        id=7,
        title="Payment Processing API Down",
        scope=("API", "Webhooks"),
        impact="Critical",
        affected_services=("Stripe Connect API", "Payment Intents", "Webhook Processing"),
        status="investigating",
        drill=False,
        detected_at=T0 - timedelta(minutes=4),
        declared_at=T0,
    )
    return replace(base, **kw)


def test_times_are_local_with_zone_and_utc() -> None:
    assert comms.format_time(T0, PARIS) == "27 Nov 2026 15:30 CET (14:30 UTC)"
    assert comms.format_time(T0, UTC) == "27 Nov 2026 14:30 UTC"
    late = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert comms.format_time(late, PARIS) == "28 Nov 2026 00:30 CET (27 Nov 2026 23:30 UTC)"
    assert comms.format_time(T0, PARIS, seconds=True, date=False) == "15:30:00 CET (14:30:00 UTC)"
    assert comms.format_time(T0, PARIS, date=False, utc=False, zone=False) == "15:30"
    assert comms.zone_name(T0, PARIS) == "CET"
    # A zone whose abbreviation is only an offset still says what it is.
    assert (
        comms.format_time(T0, ZoneInfo("Asia/Dubai"), date=False) == "18:30 UTC+04:00 (14:30 UTC)"
    )


def test_investigating_message_names_services_impact_start_and_cadence() -> None:
    text = comms.render(RUNBOOK, "investigating", _incident(), T0, PARIS)
    assert text.startswith("We are currently investigating an issue affecting API and Webhooks.")
    assert "Affected Services: Stripe Connect API, Payment Intents, Webhook Processing" in text
    assert "Impact: Critical" in text
    assert "Started: 27 Nov 2026 15:26 CET (14:26 UTC)" in text
    assert "{{" not in text and "[" not in text


def test_next_update_is_last_update_plus_cadence_or_now_plus_cadence() -> None:
    now = T0 + timedelta(minutes=20)
    before_first = _incident()
    assert comms.next_update_at(before_first, RUNBOOK, now) == now + timedelta(minutes=30)
    sent = _incident(
        first_update_at=T0 + timedelta(minutes=5), last_update_at=T0 + timedelta(minutes=5)
    )
    assert comms.next_update_at(sent, RUNBOOK, now) == T0 + timedelta(minutes=35)
    text = comms.render(RUNBOOK, "update", sent, now, PARIS)
    assert "Next update: 27 Nov 2026 16:05 CET (15:05 UTC)" in text
    resolved = replace(sent, status="resolved", resolved_at=now)
    assert comms.next_update_at(resolved, RUNBOOK, now) is None


def test_unknown_values_are_placeholders_until_given() -> None:
    incident = _incident(status="resolved", resolved_at=T0 + timedelta(hours=1))
    close = comms.render(RUNBOOK, "close", incident, T0 + timedelta(hours=2), UTC)
    assert "Incident resolved at 27 Nov 2026 15:30 UTC." in close
    assert "Root Cause: [Root cause]" in close
    filled = comms.render(
        RUNBOOK,
        "close",
        incident,
        T0,
        UTC,
        details={"root_cause": "Connection pool exhausted", "fix_applied": "Pool raised to 40"},
    )
    assert "Root Cause: Connection pool exhausted" in filled
    assert "Fix Applied: Pool raised to 40" in filled
    with pytest.raises(InputError) as err:
        comms.render(RUNBOOK, "close", incident, T0, details={"eta": "soon"})
    assert err.value.where == "eta"


def test_every_template_renders_for_every_state() -> None:
    states = [
        _incident(),
        _incident(scope=(), affected_services=()),
        _incident(status="resolved", resolved_at=T0 + timedelta(hours=1)),
    ]
    for incident in states:
        for name in TEMPLATE_NAMES:
            assert comms.render(RUNBOOK, name, incident, T0)


def test_default_template_follows_the_incident() -> None:
    assert comms.default_template(_incident()) == "investigating"
    assert comms.default_template(_incident(first_update_at=T0)) == "update"
    assert comms.default_template(_incident(status="resolved", resolved_at=T0)) == "resolved"
    assert comms.default_template(_incident(status="closed")) == "close"


def test_markdown_bolds_labels_as_list_and_escapes() -> None:
    text = (
        "Issue with *payments* <b>\n\nImpact: Critical\nAffected Services: a_b, c\n# not a heading"
    )
    md = comms.convert(text, "markdown")
    assert md.splitlines() == [
        r"Issue with \*payments\* \<b\>",
        "",
        "- **Impact:** Critical",
        r"- **Affected Services:** a\_b, c",
        r"\# not a heading",
    ]


def test_md_escape_keeps_every_line_literal() -> None:
    # "===" under a line would make it a heading; "1." and "+" would start lists.
    assert comms.md_escape("Pool\n===\n1. first\n + second\n<i>&amp;") == (
        "Pool\n\\===\n1\\. first\n \\+ second\n\\<i\\>&amp;amp;"
    )


def test_slack_bolds_with_single_stars_and_escapes_html_chars() -> None:
    text = "Payments & refunds <down>\nImpact: Major"
    assert comms.convert(text, "slack") == "Payments &amp; refunds &lt;down&gt;\n*Impact:* Major"
    assert "|" not in comms.convert(comms.render(RUNBOOK, "update", _incident(), T0), "slack")


def test_times_in_prose_are_not_mistaken_for_labels() -> None:
    assert comms.convert("Incident resolved at 27 Nov 2026 15:30 UTC.", "slack") == (
        "Incident resolved at 27 Nov 2026 15:30 UTC."
    )


def test_secrets_are_redacted_from_rendered_and_converted_text() -> None:
    register_secret("hunter2-very-secret")
    incident = _incident(affected_services=("Checkout (key sk_live_abcdefghijklmnop)",))
    text = comms.render(RUNBOOK, "investigating", incident, T0)
    assert "sk_live_abcdefghijklmnop" not in text and "sk_live_[REDACTED]" in text
    edited = "Password is hunter2-very-secret"
    for fmt in comms.FORMATS:
        assert "hunter2-very-secret" not in comms.convert(edited, fmt)


def test_a_template_cannot_escape_the_sandbox() -> None:
    escape = {**RUNBOOK.comms.templates, "update": "{{ services.__class__.__mro__ }}"}
    runbook = replace(RUNBOOK, comms=replace(RUNBOOK.comms, templates=escape))
    with pytest.raises(InputError) as err:
        comms.render(runbook, "update", _incident(), T0)
    assert err.value.where == "comms.templates.update"


def test_values_come_from_a_declared_incident() -> None:
    inc = Incidents(SqliteStore.memory(), FakeClock(T0))
    incident = inc.declare(
        "Webhooks failing", "Major", ["Webhooks"], ["Webhook Processing"], T0 - timedelta(minutes=2)
    )
    values = comms.template_values(incident, RUNBOOK, T0, UTC)
    assert values.keys() == TEMPLATE_VARIABLES
    assert values["services"] == "Webhooks" and values["started"] == "27 Nov 2026 14:28 UTC"
    assert comms.audience(RUNBOOK, incident.impact) == "Affected user groups"
