"""Text checks and terminal escaping (stratus_commander/text.py)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratus_commander.errors import InputError
from stratus_commander.text import (
    BIDI_CONTROLS,
    for_terminal,
    json_for_terminal,
    multi_line,
    one_line,
    spoken_list,
)

# Everything a terminal may obey rather than show, and the lone surrogates of undecodable bytes.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
BIDI = sorted(BIDI_CONTROLS)


def test_the_bidi_controls_are_the_overrides_and_isolates() -> None:
    assert [f"{ord(c):04X}" for c in BIDI] == [
        "202A", "202B", "202C", "202D", "202E", "2066", "2067", "2068", "2069",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Pay\x1b[2Jments", "control character \\x1b at character 4"),
        ("\x01", "control character \\x01"),
        ("a\x7fb", "control character \\x7f"),
        ("a\x9bb", "control character \\x9b"),  # C1 CSI
        ("invoice\u202egpj.exe", "bidirectional control character \\u202e"),
        ("a\u2066b", "bidirectional control character \\u2066"),
        ("two\nlines", "must be one line (found \\n"),
        ("tab\there", "must be one line (found \\t"),
        ("a\udcffb", "not valid UTF-8 text (byte \\xff at character 2)"),
        ("a\ud800b", "lone surrogate \\ud800"),
    ],
)
def test_one_line_refuses_naming_the_field_and_the_character(text: str, says: str) -> None:
    with pytest.raises(InputError) as caught:
        one_line(text, "title")
    assert caught.value.where == "title"
    assert says in str(caught.value)
    assert not UNSAFE.search(str(caught.value))  # the message itself is safe to print


def test_multi_line_keeps_line_feeds_and_tabs_and_refuses_the_rest() -> None:
    assert multi_line("one\n\ttwo", "note") == "one\n\ttwo"
    assert multi_line("windows\r\nline ends", "note") == "windows\nline ends"
    for bad in ("a\rb", "a\x1b[1Ab", "a\u202eb", "a\x00b", "a\udc80b"):
        with pytest.raises(InputError, match=r"^note: "):
            multi_line(bad, "note")


def test_printable_text_of_any_script_passes() -> None:
    text = "Zahlungs-API ausgefallen — 支付接口 — مدفوعات — ✓ 🚨"
    assert one_line(text, "title") == text
    assert multi_line(text, "note") == text


def test_for_terminal_escapes_what_a_terminal_would_obey() -> None:
    assert for_terminal("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert for_terminal("x\u202ey") == "x\\u202ey"
    assert for_terminal("byte \udcff") == "byte \\xff"
    assert for_terminal("a\nb\tc") == "a\\nb\\tc"
    assert for_terminal("a\nb\tc\rd", multiline=True) == "a\nb\tc\\rd"


@given(st.text())
def test_for_terminal_output_holds_nothing_unsafe(text: str) -> None:
    assert not UNSAFE.search(for_terminal(text))
    assert not re.search("[^\n\t]", "".join(UNSAFE.findall(for_terminal(text, multiline=True))))


@given(st.recursive(st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_for_terminal_keeps_the_values_and_escapes_the_rest(value: object) -> None:
    out = json_for_terminal(json.dumps(value, indent=2, ensure_ascii=False))
    assert json.loads(out) == value
    assert not re.search("[^\n]", "".join(UNSAFE.findall(out)))  # only the indentation's newlines


@pytest.mark.parametrize(
    ("items", "said"),
    [
        ((), ""),
        (("API",), "API"),
        (("API", "Webhooks"), "API and Webhooks"),
        (("API", "Web", "API", "Webhooks"), "API, Web and Webhooks"),
    ],
)
def test_a_list_reads_as_a_sentence_names_each_once(items: tuple[str, ...], said: str) -> None:
    assert spoken_list(items) == said
