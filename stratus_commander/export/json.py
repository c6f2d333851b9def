"""The JSON export: the document as it is, complete and machine-readable.

Its shape is :class:`stratus_commander.export.schema.ExportDocument` (whose JSON Schema,
:func:`~stratus_commander.export.schema.document_schema`, is published for whoever reads exports).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["json_text"]


def json_text(doc: Mapping[str, Any]) -> str:
    """The document as indented JSON (non-ASCII kept as it is), with a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
