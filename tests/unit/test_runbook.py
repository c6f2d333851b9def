"""The bundled runbook as data: the seed's phases, clocks, checklists, templates and summary."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from jinja2.sandbox import SandboxedEnvironment

from stratus_commander.credits import credit_percent
from stratus_commander.runbook import TEMPLATE_VARIABLES, load_runbook, summary

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
    from typing import get_args

    from stratus_commander.probes import checks
    from stratus_commander.runbook import vocabulary

    assert tuple(g.id for g in RUNBOOK.triage.groups) == checks.CHECK_ORDER
    # Written twice (the runbook sits below the probes): the same groups, in the same order.
    assert vocabulary.TRIAGE_ORDER == checks.CHECK_ORDER
    assert get_args(vocabulary.Check) == get_args(checks.Check)


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
    for uptime, credit in (("99.95", 0), ("99.9", 0), ("99.89", 10), ("98.0", 25), ("94.99", 100)):
        assert credit_percent(Fraction(uptime), sla.ladder) == credit


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
