"""The palettes: one style sheet template, two sets of colours from a data file, checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stratus_commander.qt import theme
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
    code = "\n".join(p.read_text() for p in Path(theme.__file__).parent.glob("*.py"))
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
