"""No secret reaches the disk, through any write path.

A generated key of every family a StratusConnect commander handles is planted in every text field
of every recording command (the CLI, and the domain calls the cockpit's panels make), then the
raw database file, its write-ahead log, every export format and the log are searched for the key
and for the key without its family prefix.
"""

from __future__ import annotations

import base64
import json
import string
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratus_commander import credits as cr
from stratus_commander.cli import main
from stratus_commander.clock import SystemClock, to_iso
from stratus_commander.incident import Incidents, reminders
from stratus_commander.logs import default_log_dir
from stratus_commander.review import TEXT_SECTIONS
from stratus_commander.runbook import load_runbook
from stratus_commander.store import open_store

ALNUM = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Planted:
    """A text to type, and the secret inside it that must never be found (nor its tail)."""

    text: str
    secret: str
    prefix: str = ""

    @property
    def needles(self) -> tuple[bytes, ...]:
        tail = self.secret[len(self.prefix) :]
        return (self.secret.encode(), tail.encode())


def _chars(alphabet: str, low: int, high: int) -> st.SearchStrategy[str]:
    # Varied enough not to occur by chance: "000…" is part of every chain's first link.
    return st.text(alphabet=alphabet, min_size=low, max_size=high).filter(
        lambda s: len(set(s)) >= min(4, low)
    )


def _stripe() -> st.SearchStrategy[Planted]:
    prefixes = st.sampled_from(["sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"])
    return st.builds(
        lambda p, body: Planted(f"key {p}{body} leaked", p + body, p),
        prefixes,
        _chars(ALNUM, 24, 40),
    )


def _jwt() -> st.SearchStrategy[Planted]:
    def token(role: str, payload: str, sig: str) -> Planted:
        body = base64.urlsafe_b64encode(json.dumps({"role": role, "x": payload}).encode())
        jwt = "eyJhbGciOiJIUzI1NiJ9." + body.decode().rstrip("=") + "." + sig
        return Planted(f"apikey: {jwt}", jwt, "eyJ")

    return st.builds(
        token,
        st.sampled_from(["anon", "service_role"]),
        _chars(ALNUM, 4, 12),
        _chars(ALNUM + "_-", 43, 43),
    )


def _uptimerobot() -> st.SearchStrategy[Planted]:
    return st.builds(
        lambda p, digits, hexes: Planted(
            f"monitor key {p}{digits}-{hexes}", f"{p}{digits}-{hexes}", p
        ),
        st.sampled_from(["u", "m", "ur"]),
        _chars(string.digits, 6, 9),
        _chars("0123456789abcdef", 24, 32),
    )


def _in_context() -> st.SearchStrategy[Planted]:
    """Secrets known by where they stand, not by their shape."""
    forms = [
        lambda v: Planted(f"postgresql://app:{v}@db.example.test:5432/app", v),
        lambda v: Planted(f"Authorization: Bearer {v}", v),
        lambda v: Planted(f"GET https://hooks.example.test/x?api_key={v}&a=1", v),
        lambda v: Planted(f"redirect /cb?token%3D{v}%26next%3D%2F", v),
    ]
    return st.builds(lambda form, v: form(v), st.sampled_from(forms), _chars(ALNUM, 16, 32))


PLANTED = st.one_of(_stripe(), _jwt(), _uptimerobot(), _in_context())


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--verbose", "--db", str(db), *args])
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def record_everything(folder: Path, planted: Planted) -> list[Path]:
    """Every write path with ``planted`` in each text field; returns the files it exported."""
    db, text = folder / "incidents.db", planted.text
    runbook = load_runbook()
    detected = datetime.now(UTC) - timedelta(minutes=30)
    cli(db, "incidents", "declare", "--title", f"Stripe {text}", "--impact", "Major",
        "--services", "API", "--affected", text, "--detected-at", to_iso(detected))  # fmt: skip
    cli(db, "incidents", "note", "1", text)
    cli(db, "incidents", "status", "1", "identified", "--text", text)

    # What the cockpit's panels record (the same domain calls their dialogs make).
    with open_store(db) as store:
        inc = Incidents(store, SystemClock(), actor="alice")
        inc.decide(1, "internal", reason=text)
        inc.record(1, "message_sent", text, {"channel": "status-page", "body": text})
        inc.record(1, "escalated", text, {"to": text})
        inc.record(1, "call_logged", text, {"who": text, "note": text})
        reminders.set_reminder(inc, 1, f"ops {text}", f"check {text}", 10)
        now = inc.clock.now()
        cr.add_maintenance(store, now - timedelta(days=3), now - timedelta(days=2), text, now)

    cli(db, "incidents", "resolve", "1", "--text", text)
    sets = []
    for section in runbook.close.sections:
        for item in section.items:
            value = text if section.id in TEXT_SECTIONS else "not_needed"
            sets += ["--set", f"{section.id}.{item.id}={value}"]
    cli(db, "incidents", "close", "1", *sets, "--fix-applied", text,
        "--learning", f"triage.database.db-pool={text}")  # fmt: skip
    accounts = folder / "accounts.csv"
    accounts.write_text(
        "account_id,name,monthly_fee,currency\n"
        f'acme,"Acme {text.replace(chr(34), "")}",499.00,USD\n',
        encoding="utf-8",
    )
    cli(db, "incidents", "credits", "1", "--accounts", str(accounts))
    cli(db, "incidents", "review", "1", "--financial-impact", text, "--reputation", text,
        "--answer", f"what-happened={text}", "--action", f"immediate-fixes={text}",
        "--owner", f"alice {text}", "--lesson", f"communicate={text}")  # fmt: skip
    exports = []
    for fmt in ("md", "html", "json"):
        out = folder / f"INC-1.{fmt}"
        cli(db, "incidents", "export", "1", "--format", fmt, "-o", str(out))
        exports.append(out)
    cli(db, "incidents", "list", "--search", "Stripe")
    accounts.unlink()  # the input file is the user's own, not something we wrote
    return exports


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(PLANTED)
def test_no_planted_key_is_found_anywhere_on_disk(tmp_path: Path, planted: Planted) -> None:
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    exports = record_everything(folder, planted)
    db = folder / "incidents.db"
    written = [db, db.with_name(db.name + "-wal"), *exports, *default_log_dir().glob("*")]
    assert db.with_name(db.name + "-wal").exists()  # the WAL is searched while it holds data
    for path in written:
        content = path.read_bytes()
        for needle in planted.needles:
            assert needle not in content, f"{planted.secret!r} found in {path.name}"
    # The redacted record still reads true: the chain and the incident row agree.
    verify = CliRunner().invoke(main, ["--db", str(db), "incidents", "verify", "1"])
    assert verify.exit_code == 0, verify.output
