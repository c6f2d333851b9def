"""Full-text search on PostgreSQL with the SQLite backend's matching rules.

SQLite's FTS5 (``unicode61``) splits text into runs of letters and digits, folds case and drops
diacritics; a search finds every word, the last one as a prefix ("pool" finds "pools"). Here the
same splitting is done in Python, before PostgreSQL sees the text: :func:`words` is what a
``words`` tsvector column is built from (``to_tsvector('simple', ...)``: no stemming, no stop
words), and :func:`tsquery` the query, so PostgreSQL's own parser (which keeps host names, URLs
and e-mail addresses whole) never decides what a word is. Stored text is redacted first, and so
are its words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from stratus_commander.secrets import redact

_RUN = re.compile(r"[^\W_]+")  # letters and digits, any script


def tokens(text: str) -> list[str]:
    """The words of ``text`` as SQLite's unicode61 tokenizer reads them."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _RUN.findall(plain)


def words(text: str) -> str:
    """What a ``words`` column is built from: the redacted text's words, one space apart."""
    return " ".join(tokens(redact(text)))


def tsquery(search: Sequence[str]) -> str | None:
    """A ``to_tsquery('simple', ...)`` text finding every word of ``search`` (a word of several
    runs, "db-pool", as a phrase), the last as a prefix; ``None`` when nothing is searchable."""
    parts = []
    for i, word in enumerate(search):
        runs = tokens(word)
        if not runs:
            continue
        quoted = [f"'{run}'" for run in runs]
        if i == len(search) - 1:
            quoted[-1] += ":*"
        parts.append(" <-> ".join(quoted) if len(quoted) > 1 else quoted[0])
    return " & ".join(f"({p})" for p in parts) if parts else None
