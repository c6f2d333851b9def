"""Issue 15's example, recorded through the command line with real times (``--at``): a Critical
incident two weeks ago whose last status update was at 14:45 and which was resolved at 16:10
(the next update was due 15:15: 55 minutes LATE), then closed, its review completed today (far
beyond the 48 h: LATE too). Shared by the CLI, rail and library tests (not a test module)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from stratus_commander.cli import main
from tests.cli_kit import CLOSE

#: Two weeks ago (UTC): every time is in the past.
DAY: date = datetime.now(UTC).date() - timedelta(days=14)


def at(hhmm: str) -> str:
    return f"{DAY.isoformat()}T{hhmm}:00Z"


def when(hhmm: str) -> datetime:
    return datetime.fromisoformat(at(hhmm))


def cli(db: Path, *args: str) -> str:
    """Run the command line on ``db`` (UTC times shown); refuses anything but exit 0."""
    result = CliRunner().invoke(main, ["--utc", "--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def record_late_incident(db: Path, work: Path, *, complete_review: bool = True) -> None:
    """INC-1 of ``db`` as the issue tells it (``work``: a folder for the close file)."""
    cli(db, "incidents", "declare", "--title", "Payment Processing API Down", "--impact",
        "critical", "--services", "API,Webhooks", "--detected-at", at("14:30"),
        "--at", at("14:33"))  # fmt: skip
    cli(db, "incidents", "escalate", "1", "--to", "CTO", "--how", "paged", "--at", at("14:36"))
    cli(db, "incidents", "triage", "1", "internal", "--at", at("14:40"))
    cli(db, "incidents", "update", "1", "--text", "Investigating payment failures.",
        "--at", at("14:45"))  # fmt: skip
    cli(db, "incidents", "status", "1", "monitoring", "--at", at("15:50"))
    cli(db, "incidents", "resolve", "1", "--text", "Pool size raised", "--at", at("16:10"))
    close = work / "close.toml"
    close.write_text(CLOSE, encoding="utf-8")
    cli(db, "incidents", "close", "1", "--file", str(close))
    if not complete_review:
        return
    deadline = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    cli(db, "incidents", "review", "1", "--affected-users", "1200", "--financial-impact",
        "USD 4,000", "--reputation", "Complaints from two brokers", "--meeting", deadline,
        "--answer", "what-happened=Pool exhausted", "--answer", "why=Connection leak",
        "--answer", "prevention=Pool alarm", "--action", "immediate=Fix the leak",
        "--owner", "bob", "--deadline", deadline)  # fmt: skip
    cli(db, "incidents", "review", "1", "--complete")
