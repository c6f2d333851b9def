"""Text the commander types, checked once; stored text shown safely on a terminal.

A title or note is printed by ``list``, ``show``, the review and the exports, so a character that
a terminal obeys instead of showing (ESC starts a sequence that can clear the screen, retitle the
window or fake earlier output; CR overwrites a line) or that reorders what a reader sees (the
bidirectional overrides and isolates U+202A–U+202E and U+2066–U+2069, "Trojan Source") would let
whoever wrote the text rewrite what the next commander reads. So:

    one_line(text, field)        titles, scope, services, names, owners, categories, status
                                 text: no control character at all (tab and line feed included)
    multi_line(text, field)      notes, messages, RCA answers, lessons: line feeds and tabs
                                 (CRLF becomes LF), no other control character
    each_one_line(values, field) the same for a list of one-line values

Both also refuse text that was not valid UTF-8 (undecodable bytes in an argument or a file arrive
as lone surrogates, which the database cannot store). Refusals are :class:`InputError` naming the
field, so the CLI exits 2 and the GUI's dialogs show the message.

Text stored before these checks (older versions, an edited database) is shown through
:func:`for_terminal`, which writes each such character as an escape (``\\x1b``, ``\\u202e``), and
JSON through :func:`json_for_terminal`, which keeps it valid JSON with the same values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from stratus_commander.errors import InputError

__all__ = [
    "BIDI_CONTROLS",
    "each_one_line",
    "for_terminal",
    "json_for_terminal",
    "multi_line",
    "one_line",
    "spoken_list",
    "text_problem",
]

#: Embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))

# Character classes: C0, DEL and C1 controls; the bidi controls; lone surrogates.
_C0 = "\x00-\x1f"
_C0_BUT_TAB_AND_LF = "\x00-\x08\x0b-\x1f"
_REST = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE_ONE_LINE = re.compile(f"[{_C0}{_REST}]")
_UNSAFE_MULTI_LINE = re.compile(f"[{_C0_BUT_TAB_AND_LF}{_REST}]")


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, carried as Python's surrogateescape does
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """What makes ``text`` unfit for a one-line (or multi-line) field; ``None`` if nothing."""
    found = (_UNSAFE_MULTI_LINE if multiline else _UNSAFE_ONE_LINE).search(text)
    if found is None:
        return None
    char, position = found.group(), found.start() + 1
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"is not valid UTF-8 text (byte {_escape(char)} at character {position})"
    if 0xD800 <= code <= 0xDFFF:
        return f"is not valid Unicode text (lone surrogate {_escape(char)} at character {position})"
    if char in BIDI_CONTROLS:
        return (
            f"contains the bidirectional control character {_escape(char)} at character "
            f"{position}: it changes the order in which text is shown"
        )
    if char in "\n\r\t" and not multiline:
        return f"must be one line (found {_escape(char)} at character {position})"
    return f"contains the control character {_escape(char)} at character {position}"


def one_line(text: str, field: str) -> str:
    """``text`` unchanged, or :class:`InputError` naming ``field``."""
    problem = text_problem(text)
    if problem is not None:
        raise InputError(problem, where=field)
    return text


def each_one_line(values: Iterable[str], field: str) -> tuple[str, ...]:
    """Every value checked by :func:`one_line` (a generator is read once, into the tuple)."""
    return tuple(one_line(value, field) for value in values)


def multi_line(text: str, field: str) -> str:
    """``text`` with CRLF line ends as LF, or :class:`InputError` naming ``field``."""
    text = text.replace("\r\n", "\n")
    problem = text_problem(text, multiline=True)
    if problem is not None:
        raise InputError(problem, where=field)
    return text


def for_terminal(text: str, *, multiline: bool = False) -> str:
    """``text`` with every control, bidi or undecodable character written as an escape; line
    feeds and tabs are kept when ``multiline``."""
    pattern = _UNSAFE_MULTI_LINE if multiline else _UNSAFE_ONE_LINE
    return pattern.sub(lambda m: _escape(m.group()), text)


# json.dumps escapes every C0 control inside strings, so a raw one is the indentation's newline.
_UNSAFE_IN_JSON = re.compile(f"[{_REST}]")


def json_for_terminal(json_text: str) -> str:
    """JSON text with the same values, every unsafe character as a ``\\uXXXX`` escape.

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls but writes DEL, C1 and the bidi
    controls raw. Outside strings JSON is ASCII, so each match is inside a string, where a
    ``\\u`` escape means the same character."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def spoken_list(items: Iterable[str]) -> str:
    """The items as a sentence lists them, each once: ``a``, ``a and b``, ``a, b and c``
    (empty for none)."""
    unique = list(dict.fromkeys(items))
    if len(unique) <= 1:
        return "".join(unique)
    return ", ".join(unique[:-1]) + " and " + unique[-1]
