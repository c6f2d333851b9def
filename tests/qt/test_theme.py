"""The palettes (one style sheet template, two sets of colours from a data file, checked) and
state by dynamic property: the colours a commander sees for each state, in both palettes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, Qt
from PySide6.QtWidgets import QLabel, QWidget

from stratus_commander.incident import Incidents
from stratus_commander.qt import theme
from stratus_commander.qt.cockpit.comms_panel import CommsPanel
from stratus_commander.qt.cockpit.declare_dialog import DeclareDialog
from stratus_commander.qt.cockpit.escalation_panel import EscalationPanel
from stratus_commander.qt.cockpit.header import DrillStrip
from stratus_commander.qt.cockpit.mitigate_panel import MitigatePanel
from stratus_commander.qt.panel_kit import HEADING_SIZES, feedback_label, heading
from stratus_commander.resources import resource_path


def test_both_palettes_fill_every_placeholder_of_the_one_style_sheet() -> None:
    assert set(theme.THEMES) == {"light", "dark"}
    for t in theme.THEMES.values():
        sheet = re.sub(r"/\*.*?\*/", "", theme.style_sheet(t), flags=re.DOTALL)
        assert "$" not in sheet  # Template.substitute also refuses an unknown $token
        assert t.urgent_bg in sheet and t.accent in sheet
    light, dark = theme.THEMES["light"], theme.THEMES["dark"]
    assert theme.style_sheet(light) != theme.style_sheet(dark)


def test_every_colour_token_is_used_or_read_by_the_code() -> None:
    """A token no one uses is a colour someone will edit in vain."""
    template = resource_path("styles", "cockpit.qss").read_text(encoding="utf-8")
    used = set(re.findall(r"\$([a-z_]+)", template))
    code = "\n".join(p.read_text() for p in Path(theme.__file__).parent.rglob("*.py"))
    for token in theme.THEMES["light"].__dataclass_fields__:
        if token != "name":  # read as t.token or t.color("token")
            assert token in used or re.search(rf'[."]{token}\b', code), token


def write(tmp_path: Path, text: str) -> Path:
    source = resource_path("styles", "palettes.toml").read_text(encoding="utf-8")
    path = tmp_path / "palettes.toml"
    path.write_text(source + text, encoding="utf-8")
    return path


def test_the_palettes_file_as_shipped_loads_as_the_themes() -> None:
    assert theme.load_palettes(resource_path("styles", "palettes.toml")) == theme.THEMES


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[sepia]\nwindow = "#f4ecd8"\n', r"palettes\.toml: sepia\.accent: missing"),
        ("[light.x]\n", r"palettes\.toml: light\.x: not a colour token"),
        (
            '[dim]\nurgent_bg = "#ff0000"\n',
            r"palettes\.toml: dim\.urgent_bg: already set in \[both\]",
        ),
    ],
)
def test_a_broken_palettes_file_names_the_palette_and_the_token(
    tmp_path: Path, extra: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        theme.load_palettes(write(tmp_path, extra))


def test_a_value_that_is_not_a_colour_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "palettes.toml"
    text = resource_path("styles", "palettes.toml").read_text(encoding="utf-8")
    path.write_text(text.replace('tile = "#23282e"', 'tile = "#23282"'), encoding="utf-8")
    with pytest.raises(ValueError, match=r"dark\.tile: '#23282' is not a colour"):
        theme.load_palettes(path)


# --- state by property: what the commander sees ------------------------------------------------


def fill(widget: QWidget, x: int = 2) -> str:
    """The colour at the widget's left edge, ``x`` px in, halfway down: its background fill (or
    what shows through), clear of a border (buttons: ``x`` past it) and of the text."""
    return widget.grab().toImage().pixelColor(x, widget.height() // 2).name()


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_the_first_update_line_turns_yellow_then_red_as_its_clock_runs_out(
    qapp, app_style, mount_panel, bus, incidents: Incidents, clock, palette: str
) -> None:
    t = theme.apply_theme(qapp, palette)
    panel = mount_panel(CommsPanel, bus, incidents)
    panel.set_incident(incidents.declare("API down", "Critical"))
    panel.show()
    label = panel.due_label
    assert "due by" in label.text()
    assert fill(label) not in (t.warn_bg, t.urgent_bg)
    calm = label.sizeHint()
    clock.advance(minutes=13, seconds=30)  # the first update is due at 15 min
    bus.tick.emit()
    assert label.text().startswith("⏰") and fill(label) == t.warn_bg
    clock.advance(minutes=2)
    bus.tick.emit()
    assert "OVERDUE" in label.text() and fill(label) == t.urgent_bg
    # Both looks have the same bold, padded box: the line does not jump as its state changes.
    assert label.contentsMargins() == QMargins(8, 4, 8, 4)
    assert label.sizeHint().height() == calm.height()


def test_a_refusal_is_shown_in_the_warning_fill_and_cleared_by_the_next_success(
    qapp, app_style, mount_panel, bus, incidents: Incidents
) -> None:
    t = theme.apply_theme(qapp, "dark")
    panel = mount_panel(EscalationPanel, bus, incidents)
    panel.set_incident(incidents.declare("API down", "Major"))
    panel.show()
    panel.call_who.setEditText("")
    panel.log_call()
    assert panel.feedback.text().startswith("⚠") and fill(panel.feedback) == t.warn_bg
    panel.mark_escalated()
    assert fill(panel.feedback) != t.warn_bg


def test_the_current_status_follows_a_palette_switch_at_once(
    qapp, app_style, mount_panel, bus, incidents: Incidents
) -> None:
    theme.apply_theme(qapp, "light")
    panel = mount_panel(MitigatePanel, bus, incidents)
    panel.set_incident(incidents.declare("API down", "Major"))
    panel.show()
    current = panel.status_buttons["investigating"]
    assert fill(current, 5) == theme.THEMES["light"].accent
    assert fill(panel.status_buttons["identified"], 5) != theme.THEMES["light"].accent
    theme.apply_theme(qapp, "dark")  # no refresh of the panel: the style sheet alone
    assert fill(current, 5) == theme.THEMES["dark"].accent


def test_headings_have_a_style_for_each_size_they_are_made_in(qtbot, qapp, app_style) -> None:
    theme.apply_theme(qapp, "light")
    for size in HEADING_SIZES:
        label = heading("Who to tell", size)
        qtbot.addWidget(label)
        label.ensurePolished()
        assert (label.font().pointSize(), label.font().bold()) == (size, True)
    with pytest.raises(ValueError, match="13 pt"):
        heading("Odd", 13)


def test_set_state_leaves_a_widget_not_yet_shown_to_be_styled_when_it_is(
    qtbot, qapp, app_style
) -> None:
    t = theme.apply_theme(qapp, "light")
    label = feedback_label()
    qtbot.addWidget(label)
    label.setText("⚠ refused")
    theme.set_state(label, "failed")
    assert not label.testAttribute(Qt.WidgetAttribute.WA_WState_Polished)  # no work yet
    label.show()
    assert fill(label) == t.urgent_bg


def test_the_declare_dialogs_drill_note_looks_like_the_cockpits_drill_strip(
    qtbot, qapp, app_style, incidents: Incidents, runbook, clock
) -> None:
    t = theme.apply_theme(qapp, "dark")
    dialog = DeclareDialog(incidents, runbook, clock, drill=True)
    qtbot.addWidget(dialog)
    dialog.show()
    note = dialog.findChild(QLabel, "drillNote")
    strip = DrillStrip()
    qtbot.addWidget(strip)
    strip.show_drill("Payments down", "00:03:00", 1.0)
    for label in (note, strip):
        assert fill(label) == t.drill_bg
        assert label.contentsMargins() == QMargins(12, 6, 12, 6)
