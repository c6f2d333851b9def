import base64
import json
import re
import shutil
import socket
import struct
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.cli import main
from stratus_commander.clock import FakeClock, from_iso, to_ms
from stratus_commander.export import incident_document, render
from stratus_commander.export.schema import ExportDocument, document_schema
from stratus_commander.export.text import text as review_as_text
from stratus_commander.incident import Incidents
from stratus_commander.probes.series import graph_series, series_window
from stratus_commander.runbook import Runbook, load_runbook
from stratus_commander.store import SampleRow, Store, open_store
from stratus_commander.validation import key_path

T0 = datetime(2026, 11, 27, 9, 58, tzinfo=UTC)
SECRET = "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefghijkl"


@pytest.fixture(scope="module")
def runbook() -> Runbook:
    return load_runbook()


def build(store: Store, runbook: Runbook) -> tuple[Incidents, int]:
    """A closed, credited, partly reviewed incident, as the cockpit would leave it."""
    store.add_samples(
        SampleRow(probe, "http", check, to_ms(T0) + m * 60_000,
                  "down" if 2 <= m < 12 else "up", 30.0)
        for probe, check in (("api-health", "api"), ("stripe-webhooks", "webhooks"))
        for m in range(200)
    )  # fmt: skip
    # Earlier this month the API was down for 2150 minutes while the probes ran: with the
    # incident's 10, 2160 of November's 43,200 minutes = exactly 95.0 % → 25 %.
    earlier = to_ms(datetime(2026, 11, 3, 6, 0, tzinfo=UTC))
    store.add_samples(
        SampleRow("api-health", "http", "api", earlier + m * 60_000, "down", None)
        for m in range(2150)
    )
    store.add_flip("api-health", "http", "api", to_ms(T0) + 2 * 60_000, "up", "down", "503")
    inc = Incidents(store, FakeClock(T0 + timedelta(minutes=5)))
    iid = inc.declare("Payment | API down", "Critical", ["API"], ["Stripe Connect API"], T0).id
    inc.note(iid, f"Support pasted the key {SECRET} into the channel")
    inc.record(iid, "message_sent", "Investigating posted", {"channel": "status page"})
    inc.clock.advance(minutes=10)  # type: ignore[attr-defined]
    inc.resolve(iid)
    accounts = [
        cr.Account(
            account_id="acme",
            name="Acme <Aviation> & Co",
            monthly_fee=Decimal("1250.00"),
            currency="GBP",
        ),
        cr.Account(
            account_id="jet",
            name="Jet Charter",
            monthly_fee=Decimal("99.99"),
            currency="USD",
            groups=("api",),
        ),
    ]
    report = cr.compute_credits(store, inc.get(iid), accounts, runbook.sla.ladder, inc.clock.now())
    cr.record_credits(inc, report)
    answers = {
        f"{s.id}.{i.id}": f"{i.text}: written up"
        for s in runbook.close.sections
        if s.id in rv.TEXT_SECTIONS
        for i in s.items
    }
    checklist = {
        f"{s.id}.{i.id}": "done"
        for s in runbook.close.sections
        if s.id not in rv.TEXT_SECTIONS
        for i in s.items
    }
    rv.close_incident(
        inc, runbook, iid, rv.CloseRecord(answers, checklist, "Rolled back the <script> deploy")
    )
    rv.update_review(inc, runbook, iid, affected_users=1200, financial_impact="GBP 18,400")
    rv.add_action_item(
        inc, runbook, iid, "monitoring", "Alert on 5xx", "alice", T0 + timedelta(hours=1)
    )
    rv.add_learning(inc, runbook, iid, "api-health-endpoint", "Health must check the DB too")
    return inc, iid


@pytest.fixture
def built(tmp_path: Path, runbook: Runbook):
    store = open_store(tmp_path / "incidents.db")
    inc, iid = build(store, runbook)
    yield inc, iid
    store.close()


def tiny_png(shade: int) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(tag + data))
        return struct.pack(">I", len(data)) + tag + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes([0, shade])))
        + chunk(b"IEND", b"")
    )


class StrictHTML(HTMLParser):
    """Fails on a closing tag that does not match the open one (void elements excepted)."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.images.append(found["src"] or "")
        if "id" in found:
            self.ids.append(found["id"] or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def schema_errors(doc: dict) -> list[tuple[str, str]]:
    """(key path, pydantic error type) of each way ``doc``, written as JSON, breaks the schema."""
    try:
        ExportDocument.model_validate_json(json.dumps(doc))
    except ValidationError as exc:
        return [(key_path(e["loc"]), e["type"]) for e in exc.errors()]
    return []


def test_json_export_validates_against_its_schema(built, runbook: Runbook) -> None:
    inc, iid = built
    text = render(inc, runbook, iid, "json")
    ExportDocument.model_validate_json(text)
    doc = json.loads(text)
    # The published schema is these models': every part of the document is described.
    schema = document_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert list(schema["properties"]) == list(doc) == schema["required"]
    assert doc["integrity"]["verified"] and doc["integrity"]["records_match"]
    assert doc["credits"]["totals"] == {"GBP": "312.50", "USD": "25.00"}
    assert doc["format"] == "stratus-commander-incident/3"
    assert [m["month"] for m in doc["credits"]["months"]] == ["2026-11"]
    month = doc["review"]["uptime"]["months"]["2026-11"]["api"]
    # 2350 minutes observed (2150 earlier + 200 around the incident); the rest counted as up.
    assert {k: month[k] for k in ("period_minutes", "counted_minutes", "unobserved_minutes")} == {
        "period_minutes": 43_200,
        "counted_minutes": 2350,
        "unobserved_minutes": 40_850,
    }
    assert (month["down_minutes"], month["uptime_percent"]) == (2160, "95.0000")
    assert doc["review"]["impact"]["affected_users"] == 1200
    assert doc["learnings"][0]["step"] == "triage.api.api-health-endpoint"
    assert SECRET not in json.dumps(doc)
    # The validator can fail: a wrong type, a missing key and a bad enum are all caught.
    doc["incident"]["status"] = "exploded"
    del doc["review"]["durations"]
    doc["credits"]["months"][0]["accounts"][0]["amount"] = 312.5
    del month["period_minutes"]  # without it the uptime figure cannot be checked
    assert schema_errors(doc) == [
        ("incident.status", "literal_error"),
        ("review.durations", "missing"),
        ("review.uptime.months.2026-11.api.period_minutes", "missing"),
        ("credits.months[0].accounts[0].amount", "string_type"),
    ]


def undescribed_keys(value: object, schema: dict, defs: dict, path: str = "") -> list[str]:
    """Key paths of ``value`` that ``schema`` (a JSON Schema node) does not name. Validation
    alone would not say: the models accept keys they do not name (a later /2 may add some)."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if value is None:
        return []
    if "anyOf" in schema:  # X | None
        (schema,) = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return undescribed_keys(value, schema, defs, path)
    if isinstance(value, list):
        item = schema.get("items", {})
        return [
            x for i, v in enumerate(value) for x in undescribed_keys(v, item, defs, f"{path}[{i}]")
        ]
    if not isinstance(value, dict):
        return []
    if "properties" in schema:
        named = schema["properties"]
        return [f"{path}.{k}" for k in value if k not in named] + [
            x for k, v in value.items() if k in named
            for x in undescribed_keys(v, named[k], defs, f"{path}.{k}")
        ]  # fmt: skip
    each = schema.get("additionalProperties")  # dict[str, Part]; True: free-form (event data)
    if not isinstance(each, dict):
        return []
    return [x for k, v in value.items() for x in undescribed_keys(v, each, defs, f"{path}.{k}")]


def test_the_schema_names_every_key_the_json_export_writes(built, runbook: Runbook) -> None:
    inc, iid = built
    doc = json.loads(render(inc, runbook, iid, "json"))
    schema = document_schema()
    assert undescribed_keys(doc, schema, schema["$defs"]) == []
    # The check can fail: a key the models do not name, at any depth, is found.
    doc["review"]["durations"][0]["surprise"] = 1
    doc["credits"]["months"][0]["accounts"][0]["uptime"]["period"]["tz"] = "UTC"
    doc["review"]["uptime"]["months"]["2026-11"]["api"]["extra"] = None
    assert schema_errors(doc) == []  # validation alone lets them through
    assert undescribed_keys(doc, schema, schema["$defs"]) == [
        ".review.durations[0].surprise",
        ".review.uptime.months.2026-11.api.extra",
        ".credits.months[0].accounts[0].uptime.period.tz",
    ]


def test_json_export_of_an_open_incident_validates_too(tmp_path: Path, runbook: Runbook) -> None:
    # Nothing closed, credited or reviewed yet: the parts that can be empty are, and still valid.
    with open_store(tmp_path / "incidents.db") as store:
        inc = Incidents(store, FakeClock(T0 + timedelta(minutes=5)))
        iid = inc.declare("Webhooks slow", "Minor", detected_at=T0).id
        doc = json.loads(render(inc, runbook, iid, "json"))
    assert (doc["credits"], doc["review"]["close"], doc["review"]["deadline"]) == (None, None, None)
    assert schema_errors(doc) == []


def test_markdown_export_has_every_section(built, runbook: Runbook) -> None:
    inc, iid = built
    text = render(inc, runbook, iid, "md")
    for heading in (
        "## Summary",
        "## Clocks",
        "## Durations",
        "## Milestones",
        "## Root cause analysis",
        "## Impact",
        "## Uptime",
        "## Service credits",
        "## Action items",
        "## Lessons for the runbook",
        "## Timeline",
        "## Integrity",
    ):
        assert f"\n{heading}\n" in text, heading
    assert text.startswith(f"# INC-{iid}: Payment \\| API down\n")  # escaped as in comms
    assert "Hash chain verified" in text
    assert "| acme | Acme \\<Aviation\\> & Co | 95.0000 % | 25 | GBP 312.50 |" in text
    assert (
        "| Period | Group | Uptime | Down min | Period min | Maintenance min | Unobserved min |"
        in text
    )
    assert "| November 2026 | api | 95.0000 % | 2160 | 43200 | 0 | 40850 |" in text
    assert SECRET not in text and "sk\\_live\\_\\[REDACTED\\]" in text  # reads sk_live_[REDACTED]


def test_markdown_export_shows_titles_and_notes_as_typed_not_as_markup(
    tmp_path: Path, runbook: Runbook
) -> None:
    store = open_store(tmp_path / "incidents.db")
    inc = Incidents(store, FakeClock(T0 + timedelta(minutes=5)))
    iid = inc.declare("<b>API</b> *down*", "Major", detected_at=T0).id
    inc.note(iid, "Pasted from chat: <script>alert(1)</script> | [click](http://x) _now_")
    inc.resolve(iid)
    answers = {
        f"{s.id}.{i.id}": "# not a heading\n- not a list\n<img src=x onerror=alert(1)>"
        for s in runbook.close.sections
        if s.id in rv.TEXT_SECTIONS
        for i in s.items
    }
    checklist = {
        f"{s.id}.{i.id}": "not_needed"
        for s in runbook.close.sections
        if s.id not in rv.TEXT_SECTIONS
        for i in s.items
    }
    rv.close_incident(inc, runbook, iid, rv.CloseRecord(answers, checklist, "**Rolled** back"))
    text = render(inc, runbook, iid, "md")
    store.close()
    lines = text.splitlines()
    # The same escaping as the Markdown status messages (comms.md_escape).
    assert lines[0] == f"# INC-{iid}: \\<b\\>API\\</b\\> \\*down\\*"
    (note_row,) = [line for line in lines if "Pasted from chat" in line]
    assert note_row.endswith(
        "| note | commander | Pasted from chat: \\<script\\>alert(1)\\</script\\> \\| "
        "\\[click\\](http://x) \\_now\\_ |"
    )
    assert note_row.count(" | ") == 3  # four cells: the note's pipe did not split the row
    assert "\\# not a heading\n\\- not a list\n\\<img src=x onerror=alert(1)\\>" in text
    assert "**Fix applied:** \\*\\*Rolled\\*\\* back" in text
    # No tag anywhere that a Markdown viewer would pass through as HTML.
    assert re.findall(r"(?<!\\)</?[A-Za-z]", text) == []


def test_exports_show_each_month_of_an_outage_across_a_month_end_and_the_total(
    tmp_path: Path, runbook: Runbook
) -> None:
    # 30 September 23:00 to 1 October 01:00 UTC, down throughout: 60 minutes in each month,
    # 99.8611 % of September's 43,200 and 99.8655 % of October's 44,640 → 10 % of 499.00 each.
    start = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)
    store = open_store(tmp_path / "incidents.db")
    store.add_samples(
        SampleRow("api-health", "http", "api", to_ms(start) + m * 60_000,
                  "down" if m < 120 else "up", 30.0)
        for m in range(180)
    )  # fmt: skip
    inc = Incidents(store, FakeClock(start))
    iid = inc.declare("Payment API down", "Major", ["API"], detected_at=start).id
    inc.clock.advance(minutes=120)  # type: ignore[attr-defined]
    inc.resolve(iid)
    acme = cr.Account(
        account_id="acme", name="Acme Aviation Ltd", monthly_fee=Decimal("499.00"), currency="USD"
    )
    credits = cr.compute_incident_credits(store, inc.get(iid), [acme], runbook.sla.ladder, start)
    cr.record_credits(inc, credits)
    doc = json.loads(render(inc, runbook, iid, "json"))
    md = render(inc, runbook, iid, "md")
    html = render(inc, runbook, iid, "html")
    store.close()
    assert schema_errors(doc) == []
    assert [(m["month"], m["totals"]) for m in doc["credits"]["months"]] == [
        ("2026-09", {"USD": "49.90"}),
        ("2026-10", {"USD": "49.90"}),
    ]
    assert doc["credits"]["totals"] == {"USD": "99.80"}
    assert list(doc["review"]["uptime"]["months"]) == ["2026-09", "2026-10"]
    assert doc["integrity"]["records_match"]
    credits_md = md[md.index("## Service credits") : md.index("## Action items")]
    assert "### September 2026" in credits_md and "### October 2026" in credits_md
    assert "| acme | Acme Aviation Ltd | 99.8611 % | 10 | USD 49.90 |" in credits_md
    assert "| acme | Acme Aviation Ltd | 99.8655 % | 10 | USD 49.90 |" in credits_md
    assert credits_md.rstrip().endswith("**Total credited:** USD 99.80")
    assert "| October 2026 | api | 99.8655 % | 60 | 44640 | 0 | 44520 |" in md
    assert "USD 99.80 to 1 account over 2 months" in md  # "Service credits issued"
    assert "<h3>September 2026</h3>" in html and "<h3>October 2026</h3>" in html
    assert "<p>Total credited: USD 99.80</p>" in html


def test_html_export_is_well_formed_self_contained_and_escaped(built, runbook: Runbook) -> None:
    inc, iid = built
    graphs = [("api-health latency", tiny_png(10)), ("stripe-webhooks latency", tiny_png(200))]
    seen = []

    def render_graphs(doc):
        seen.append(doc["incident"]["id"])
        return graphs

    text = render(inc, runbook, iid, "html", render_graphs)
    parser = StrictHTML()
    parser.feed(text)
    parser.close()
    assert parser.stack == []
    assert seen == [iid]
    assert [base64.b64decode(src.split(",", 1)[1]) for src in parser.images] == [
        png for _, png in graphs
    ]
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert {"summary", "rca", "credits", "action-items", "timeline", "integrity"} <= set(parser.ids)
    assert "Acme &lt;Aviation&gt; &amp; Co" in text and "<script>" not in text
    assert SECRET not in text
    assert "http://" not in text.replace("https://json-schema", "") and "<link" not in text


def test_html_without_graphs_shows_uptime_table(built, runbook: Runbook) -> None:
    inc, iid = built
    text = render(inc, runbook, iid, "html")
    parser = StrictHTML()
    parser.feed(text)
    assert parser.images == []
    assert "<th>Period min</th>" in text and "<th>Unobserved min</th>" in text
    assert (
        "<tr><td>November 2026</td><td>api</td><td>95.0000 %</td><td>2160</td><td>43200</td>"
        "<td>0</td><td>40850</td></tr>"
    ) in text


def test_a_graph_that_is_not_png_is_refused(built, runbook: Runbook) -> None:
    inc, iid = built
    with pytest.raises(ValueError, match="not a PNG"):
        render(inc, runbook, iid, "html", lambda doc: [("oops", b"GIF89a")])


def test_export_states_a_broken_chain(built, runbook: Runbook) -> None:
    inc, iid = built
    inc.store.conn.execute(
        "UPDATE events SET text = 'nothing to see' WHERE incident_id = ? AND seq = 2", [iid]
    )
    doc = incident_document(inc, runbook, iid)
    assert doc["integrity"]["verified"] is False and doc["integrity"]["broken_at"] == 2
    assert "Hash chain **BROKEN** at event 2" in render(inc, runbook, iid, "md")


def test_review_and_exports_work_offline_from_a_copied_file(
    tmp_path: Path, runbook: Runbook, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = tmp_path / "incidents.db"
    with open_store(original) as store:
        _, iid = build(store, runbook)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "elsewhere" / "copied.db"
    copy.parent.mkdir()
    shutil.copy(original, copy)

    def no_network(*args, **kwargs):
        raise AssertionError("the review must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    runner = CliRunner()
    for fmt in ("md", "html", "json"):
        out = tmp_path / f"inc.{fmt}"
        result = runner.invoke(
            main,
            ["--db", str(copy), "incidents", "export", str(iid), "--format", fmt, "-o", str(out)],
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    result = runner.invoke(main, ["--db", str(copy), "incidents", "review", str(iid)])
    assert result.exit_code == 0
    assert "Time to declare" in result.stdout and "hash chain verified" in result.stdout
    # Measured and target durations read as everywhere else (the cockpit, the exports).
    assert re.search(r"Time to declare +5\xa0min  target 5\xa0min +met", result.stdout)
    assert not (tmp_path / "home" / ".config" / "stratus-commander").exists()


def test_cli_review_prints_the_review_the_exports_hold(tmp_path: Path, runbook: Runbook) -> None:
    db = tmp_path / "incidents.db"
    with open_store(db) as store:
        _, iid = build(store, runbook)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(main, ["--db", str(db), "incidents", *args, str(iid)])
        assert result.exit_code == 0, result.stderr
        return result.stdout

    review = run("review")
    exported = json.loads(run("export", "--format", "json"))
    md = run("export", "--format", "md")
    # The review the terminal shows is the JSON export's document, rendered as text (its times in
    # the local zone, as the CLI shows every time).
    local = lambda iso: from_iso(iso).astimezone().isoformat(sep=" ", timespec="seconds")  # noqa: E731
    assert review == review_as_text(exported, local) + "\n"
    # Its durations and uptime read as in the Markdown export, row for row.
    durations = md[md.index("## Durations") : md.index("**Update cadence:**")].splitlines()[4:-1]
    assert len(durations) == 8
    for row in durations:
        label, value = row.strip("| ").split(" | ")[:2]
        assert re.search(rf"^  {re.escape(label)} +{re.escape(value)}  ", review, re.M), row
    uptime = md[md.index("## Uptime") : md.index("## Service credits")].splitlines()[4:-1]
    shown = review[review.index("\nUptime\n") : review.index("\nRoot cause\n")].splitlines()[2:]
    assert len(shown) == len(uptime) == 4
    for row, line in zip(uptime, shown, strict=True):
        period, group, percent = row.strip("| ").split(" | ")[:3]
        assert line.startswith(f"  {group} in {period}: ") and line.count(f"= {percent}") == 1


# ---------------------------------------------------------------- the CLI close and review


def test_cli_close_refuses_then_closes_from_a_file(tmp_path: Path) -> None:
    db = tmp_path / "incidents.db"
    with open_store(db) as store:
        inc = Incidents(store, FakeClock(T0))
        iid = inc.declare("DB pool exhausted", "Major", detected_at=T0).id
        inc.resolve(iid)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, ["--db", str(db), *args], catch_exceptions=False)

    result = run("incidents", "close", str(iid), "--fix-applied", "Raised pool size")
    assert result.exit_code == 2
    assert "cannot close yet:\n" in result.stderr
    gaps = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert len(gaps) > 1 and any("“Identify root cause” is empty" in g for g in gaps)  # one a line
    close_file = tmp_path / "close.toml"
    close_file.write_text(
        'fix_applied = "Raised the pool size"\n'
        "[root_cause_analysis]\n"
        'document-what-happened = "Payout worker leaked connections"\n'
        'identify-root-cause = "Missing release on error path"\n'
        'contributing-factors = "No pool alarm"\n'
        'what-went-well = "Fast rollback"\n'
        "[fix_implementation]\n"
        'deploy-fix = "done"\nupdate-monitoring = "done"\nimprove-alerting = "deferred"\n'
        'update-runbook = "not_needed"\n'
        "[service_credits]\n"
        'calculate-credits = "not_needed"\napply-credits = "not_needed"\n'
        'document-calculations = "not_needed"\nnotify-users = "done"\n'
        "[lessons_learned]\n"
        'prevention = "Lint for unreleased connections"\nfaster-detection = "Pool alarm"\n'
        'process-improvements = "None"\n'
        "[[learnings]]\n"
        'step = "db-pool"\ntext = "Check pool use first"\n'
    )
    result = run("incidents", "close", str(iid), "--file", str(close_file))
    assert result.exit_code == 2 and "“Update documentation” is empty" in result.stderr
    result = run(
        "incidents",
        "close",
        str(iid),
        "--file",
        str(close_file),
        "--set",
        "lessons_learned.update-documentation=Runbook: pool checks",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Incident resolved at 2026-11-27 09:58 UTC.")
    assert "Root Cause: Missing release on error path" in result.stdout
    result = run(
        "incidents", "review", str(iid), "--action", "immediate=Patch the leak", "--owner", "bob",
        "--deadline", "2026-11-28T12:00:00Z", "--affected-users", "40", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["action_items"][0]["category"] == "immediate-fixes"
    assert out["impact"]["affected_users"] == 40
    result = run("incidents", "review", str(iid), "--complete")
    assert result.exit_code == 2 and "Follow-up: review meeting not scheduled" in result.stderr
    result = run("incidents", "list", "--search", "unreleased")
    assert f"INC-{iid}" in result.stdout


# ---------------------------------------------------------------- graph series


def test_graph_series_of_an_incident_window(built) -> None:
    inc, iid = built
    window = series_window(inc.get(iid), inc.clock.now())
    series = graph_series(inc.store, window, max_points=2000)
    assert [s.probe for s in series] == ["api-health", "stripe-webhooks"]
    assert all(len(s.times_ms) <= 2000 for s in series)
    assert all((s.outcome == 2).any() for s in series)
