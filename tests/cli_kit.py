"""The command line run in-process on one database, as the CLI tests drive it (UTC times
shown, never a traceback), and the close record they file. Not a test module."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from stratus_commander.cli import main

__all__ = ["CLOSE", "TRACEBACK", "Cli"]

TRACEBACK = "Traceback (most recent call last)"

#: A complete close record (``incidents close --file``): every section answered.
CLOSE = """\
fix_applied = "Raised the pool size and restarted the payout worker"
[root_cause_analysis]
document-what-happened = "The payout worker leaked database connections"
identify-root-cause = "No release on the error path"
contributing-factors = "No pool alarm"
what-went-well = "Fast rollback"
[fix_implementation]
deploy-fix = "done"
update-monitoring = "done"
improve-alerting = "deferred"
update-runbook = "not_needed"
[service_credits]
calculate-credits = "not_needed"
apply-credits = "not_needed"
document-calculations = "not_needed"
notify-users = "done"
[lessons_learned]
prevention = "Lint for unreleased connections"
faster-detection = "Pool alarm"
process-improvements = "None"
update-documentation = "Runbook: check the pool first"
"""


class Cli:
    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str) -> tuple[int, str, str]:
        result = self.runner.invoke(
            main, ["--utc", "--db", str(self.db), *args], catch_exceptions=False
        )
        assert TRACEBACK not in result.stderr
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        return out

    def refused(self, *args: str) -> str:
        code, _, err = self(*args)
        assert code == 2, err
        return err

    def events(self, iid: int = 1) -> list[dict]:
        return json.loads(self.ok("incidents", "show", str(iid), "--json"))["timeline"]
