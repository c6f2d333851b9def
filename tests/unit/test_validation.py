"""One translation of pydantic errors into key paths, for the runbook, the config and scenarios."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from stratus_commander.validation import Problems, plain_words, problems

KEY = "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdefghijkl"


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int = Field(gt=0)
    name: str = ""


class Table(BaseModel):
    rows: list[Row] = Field(min_length=1)
    low: int = 0
    high: int = 0

    @model_validator(mode="after")
    def _ordered(self) -> Table:
        if self.low > self.high:
            raise Problems([("low", "must not exceed high"), ("high", "must not be below low")])
        return self


def found(data: object, **kwargs: object) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        Table.model_validate(data)
    return problems(info.value, **kwargs)  # type: ignore[arg-type]


def test_each_problem_is_named_by_its_key_path() -> None:
    assert found({"rows": [{"n": 1}, {"n": 0, "colour": "red"}]}, words=plain_words) == [
        ("rows[1].n", "must be > 0 (got 0)"),
        ("rows[1].colour", "unknown key"),
    ]


def test_a_list_whose_only_item_failed_is_not_also_called_too_short() -> None:
    assert [path for path, _ in found({"rows": [{"n": "x"}]})] == ["rows[0].n"]
    assert found({"rows": []}, words=plain_words) == [("rows", "must have at least 1 item(s)")]


def test_a_cross_check_reports_each_key_where_it_sits_in_the_file() -> None:
    assert found({"rows": [{"n": 1}], "low": 2, "high": 1}, at=("tables", 3)) == [
        ("tables[3].low", "must not exceed high"),
        ("tables[3].high", "must not be below low"),
    ]


def test_a_quoted_value_never_shows_a_secret() -> None:
    [(path, message)] = found({"rows": [{"n": KEY}]}, words=plain_words)
    assert path == "rows[0].n" and message.startswith("must be a whole number (got 'sk_live_")
    assert KEY not in message
