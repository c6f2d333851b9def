"""The review desk's credits tab: measured uptime per group and month, and service credits from an
accounts CSV — calculated on a worker thread (a month of per-minute uptime per group), stored on
the incident, and exported as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stratus_commander import credits as cr
from stratus_commander import review as rv
from stratus_commander.clock import Clock
from stratus_commander.errors import InputError, StratusError
from stratus_commander.fileio import atomic_write_text
from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.group_style import GROUP_TITLE
from stratus_commander.qt.offthread import OffThread
from stratus_commander.qt.panel_kit import accessible, feedback_label, local
from stratus_commander.qt.review.widgets import Editable, ReviewTab, Table, editable
from stratus_commander.runbook import Runbook
from stratus_commander.store import Store

__all__ = ["CreditsTab"]


class CreditsTab(ReviewTab):
    shows_uptime = True

    def __init__(
        self,
        incidents: Incidents,
        runbook: Runbook,
        clock: Clock,
        worker: OffThread,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Loading credits…", parent)
        self.incidents = incidents
        self.clock = clock
        self.worker = worker
        self._can = editable(None, read_only=True)
        self._calculating = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.loading)
        controls = QHBoxLayout()
        self.ladder = QLineEdit(_ladder_text(runbook.sla.ladder))
        accessible(
            self.ladder,
            "Credit ladder",
            "Uptime thresholds and the credit each gives, e.g. <99.9 10%",
        )
        ladder_label = QLabel("SLA &ladder (below %:credit %)")
        ladder_label.setBuddy(self.ladder)
        controls.addWidget(ladder_label)
        self.ladder.setToolTip(
            "Monthly uptime below the first figure earns the second as a share of the monthly "
            "fee; the deepest step applies. Default from the runbook."
        )
        controls.addWidget(self.ladder, 1)
        self.import_button = QPushButton("&Import accounts CSV…")
        self.import_button.setToolTip(
            "account_id,name,monthly_fee,currency[,groups]; any bad row refuses the whole file"
        )
        self.import_button.clicked.connect(self._choose_accounts)
        controls.addWidget(self.import_button)
        self.export_credits_button = QPushButton("E&xport credits CSV…")
        accessible(
            self.export_credits_button,
            "Export credits CSV",
            "Save the credits per account as a CSV file",
        )
        self.export_credits_button.clicked.connect(self._choose_credits_csv)
        controls.addWidget(self.export_credits_button)
        layout.addLayout(controls)
        self.credits_feedback = feedback_label()
        self.credits_feedback.setVisible(False)
        layout.addWidget(self.credits_feedback)
        self.credits_summary = QLabel()
        self.credits_summary.setWordWrap(True)
        self.credits_summary.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.credits_summary)
        layout.addWidget(QLabel("<b>Measured uptime per group</b> (hover for the calculation)"))
        self.uptime_note = QLabel()  # while the uptime is being measured, or why it was not
        self.uptime_note.setObjectName("evidence")
        self.uptime_note.setWordWrap(True)
        self.uptime_note.setTextFormat(Qt.TextFormat.PlainText)
        self.uptime_note.setVisible(False)
        layout.addWidget(self.uptime_note)
        self.uptime_warning = QLabel()
        self.uptime_warning.setObjectName("reviewAlert")
        self.uptime_warning.setWordWrap(True)
        self.uptime_warning.setTextFormat(Qt.TextFormat.PlainText)
        theme.set_state(self.uptime_warning, "warning")
        self.uptime_warning.setVisible(False)
        layout.addWidget(self.uptime_warning)
        # A row per group and month: an outage across a month end is measured in each month.
        self.uptime = Table(
            [
                "Group",
                "Incident window: uptime",
                "down min",
                "Month",
                "Month: uptime",
                "down min",
                "Month: maintenance · unobserved",
            ],
            fit=True,
        )
        layout.addWidget(self.uptime)
        accessible(
            self.uptime, "Measured uptime", "Uptime per group, in the incident window and per month"
        )
        layout.addWidget(QLabel("<b>Credits per account</b>"))
        self.accounts = Table(
            [
                "Month",
                "Account",
                "Name",
                "SLA covers",
                "Monthly fee",
                "Month uptime",
                "Credit %",
                "Due",
                "Already credited",
                "Credit now",
            ],
            stretch=2,  # the name
        )
        layout.addWidget(self.accounts, 1)
        accessible(
            self.accounts,
            "Credits per account",
            "Each account's month, uptime, credit percentage and credit due",
        )
        layout.addWidget(QLabel("<b>Calculations</b>, as stored and exported"))
        self.calculations = QPlainTextEdit()
        self.calculations.setReadOnly(True)
        accessible(
            self.calculations, "Calculations", "The credit calculations, as stored and exported"
        )
        layout.addWidget(self.calculations, 1)

    # --- showing -------------------------------------------------------------------------------

    def fill(self, review: rv.Review) -> None:
        self.uptime_note.setVisible(False)
        credits = review.credits
        uptime_rows = []
        described = []
        for group, window in review.window_uptime.items():
            for first, months in enumerate(review.monthly_uptime.values()):
                month = months.get(group)
                # The window's figure once per group, beside its first month.
                window_cells = (
                    [f"{window.percent_text} %", f"{window.down_minutes:,}"]
                    if first == 0
                    else ["", ""]
                )
                uptime_rows.append(
                    [
                        GROUP_TITLE.get(group, group),
                        *window_cells,
                        month.period.label if month else "—",
                        f"{month.percent_text} %" if month else "—",
                        f"{month.down_minutes:,}" if month else "—",
                        (
                            f"{month.maintenance_minutes:,} min excluded · "
                            f"{month.unobserved_minutes:,} min counted as up"
                        )
                        if month
                        else "—",
                    ]
                )
                described.append(
                    (window.describe() if first == 0 else "", month.describe() if month else "")
                )
        self._warn_if_thin(
            [
                {g: m for g, m in months.items() if m.thinly_observed}
                for months in review.monthly_uptime.values()
            ]
        )
        for (window_text, month_text), cells in zip(
            described, self.uptime.fill(uptime_rows), strict=True
        ):
            for cell in cells[1:3]:
                cell.setToolTip(window_text)
            for cell in cells[3:]:
                cell.setToolTip(month_text)
        if credits is None:
            self.credits_summary.setText(
                "Not calculated yet. Import the affected accounts (CSV) to calculate credits "
                "from the measured monthly uptime."
            )
            self.accounts.fill([])
            self.calculations.setPlainText("")
            return
        self.ladder.setText(_ladder_text(credits.reports[-1].ladder))
        sources = ", ".join(credits.sources)
        self.credits_summary.setText(
            f"{credits.summary()}\nCalculated {local(credits.computed_at, date=True)}"
            + (f" from {sources}" if sources else "")
        )
        pairs = [(r, a) for r in credits.reports for a in r.accounts]
        rows = [
            [
                r.month_label,
                a.account.account_id,
                a.account.name,
                ", ".join(GROUP_TITLE.get(g, g) for g in a.account.groups),
                cr.money(a.account.monthly_fee, a.account.currency),
                f"{a.uptime.percent_text} %",
                f"{a.credit_percent} %",
                cr.money(a.due, a.account.currency),
                cr.money(a.previously_credited, a.account.currency),
                cr.money(a.amount, a.account.currency),
            ]
            for r, a in pairs
        ]
        for (_, a), cells in zip(pairs, self.accounts.fill(rows), strict=True):
            for cell in cells:
                cell.setToolTip(a.explanation)
        self.calculations.setPlainText(
            "\n\n".join(
                (f"{r.month_label}\n" if len(credits.reports) > 1 else "")
                + "\n\n".join(a.explanation for a in r.accounts)
                for r in credits.reports
            )
        )

    def show_uptime_pending(self) -> None:
        self.uptime_note.setText(
            "Calculating uptime… (a month of per-minute samples per group; the rest of the "
            "review is shown meanwhile)"
        )
        self.uptime_note.setVisible(True)

    def show_uptime_failed(self, reason: str) -> None:
        self.uptime_note.setText(f"The uptime could not be calculated: {reason}")
        self.uptime_note.setVisible(True)

    def _warn_if_thin(self, thin_by_month: list[dict[str, cr.Uptime]]) -> None:
        thin = [months for months in thin_by_month if months]
        self.uptime_warning.setVisible(bool(thin))
        if not thin:
            return
        said = []
        for months in thin:
            seen = "; ".join(
                f"{GROUP_TITLE.get(g, g)} {m.counted_minutes:,} of "
                f"{m.period_minutes - m.maintenance_minutes:,} minutes"
                for g, m in months.items()
            )
            label = next(iter(months.values())).period.label
            said.append(f"{label} was observed — the probes saw {seen}")
        one = len(thin) == 1
        whose, its, it = ("month's", "its", "it") if one else ("months'", "their", "them")
        self.uptime_warning.setText(
            f"⚠ Little of {'; little of '.join(said)}. The rest counts as available, so the "
            f"{whose} uptime may be too high and {its} credits too low: check {it} against "
            "UptimeRobot's or the providers' records before applying credits."
        )

    def set_editable(self, can: Editable) -> None:
        self._can = can
        self.import_button.setEnabled(can.reviewable and not self._calculating)
        self.ladder.setReadOnly(not can.reviewable)
        self.export_credits_button.setEnabled(bool(self.review and self.review.credits))

    # --- importing -----------------------------------------------------------------------------

    def _choose_accounts(self) -> None:
        dialog = QFileDialog(self, "Import affected accounts", "", "CSV files (*.csv);;All (*)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(
            lambda path: self.worker.spawn(self.import_accounts(Path(path)))
        )
        dialog.open()

    async def import_accounts(self, path: Path) -> bool:
        """Calculate credits for the accounts in ``path`` on a worker thread, then store them;
        any bad row refuses the whole file (every problem listed) and nothing is stored."""
        review = self.review
        if review is None:
            return False
        try:
            ladder = cr.parse_ladder(self.ladder.text(), where="SLA ladder")
        except StratusError as exc:
            self._credits_said(f"✖ Nothing imported — {exc}", "failed")
            return False
        incident, now = review.incident, self.clock.now()

        def calculate(store: Store) -> tuple[list[cr.Account], cr.IncidentCredits]:
            accounts = cr.read_accounts(path)
            credits = cr.compute_incident_credits(
                store, incident, accounts, ladder, now, source=path.name
            )
            return accounts, credits

        self._credits_said(f"Calculating credits for the accounts in {path.name}…", "")
        self._calculating = True
        self.import_button.setEnabled(False)
        try:
            accounts, credits = await self.worker.run(calculate)
            cr.record_credits(self.incidents, credits)
        except cr.AccountsInvalid as exc:
            self._credits_said(
                f"✖ Nothing imported: {len(exc.problems)} problem(s) in {path.name}:\n"
                + "\n".join(f"• {p}" for p in exc.problems),
                "failed",
            )
            return False
        except StratusError as exc:
            self._credits_said(f"✖ Nothing imported — {exc}", "failed")
            return False
        finally:
            self._calculating = False
            self.set_editable(self._can)
        months = " and ".join(r.month_label for r in credits.reports)
        self._credits_said(
            f"Imported {len(accounts)} account(s) from {path.name}; credits for {months} "
            "calculated and stored on the incident.",
            "",
        )
        self.changed.emit()
        return True

    def _credits_said(self, message: str, state: str) -> None:
        self.credits_feedback.setText(message)
        theme.set_state(self.credits_feedback, state)
        self.credits_feedback.setVisible(True)

    # --- exporting -----------------------------------------------------------------------------

    def _choose_credits_csv(self) -> None:
        label = self.review.incident.label if self.review else "incident"
        dialog = QFileDialog(self, "Export credits", f"{label}-credits.csv", "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda path: self.export_credits(Path(path)))
        dialog.open()

    def export_credits(self, path: Path) -> bool:
        """Write the credits shown (a few rows: no need to leave the UI thread)."""
        if self.review is None or self.review.credits is None:
            self._credits_said("✖ No credits calculated yet: import the accounts first.", "failed")
            return False
        try:
            atomic_write_text(path, cr.credits_csv(self.review.credits))
        except (InputError, OSError) as exc:
            self._credits_said(f"✖ Not exported — {exc}", "failed")
            return False
        self._credits_said(f"Credits written to {path}", "")
        return True


def _ladder_text(ladder: Sequence[Any]) -> str:
    return ",".join(f"{s.below}:{s.credit}" for s in ladder)
