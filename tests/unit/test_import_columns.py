"""Checking a field at a time, each distinct value once, gives what validating the whole row gives:
the same clean row, or the same errors in the same order, for every input model an import uses."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.services import schemas
from core.services.import_columns import SchemaChecker, per_field_rules_only
from core.services.records import pydantic_errors
from tests.unit.test_email_check import TRICKY as TRICKY_EMAILS

SCHEMAS = [schemas.ContactIn, schemas.ProductIn, schemas.DealIn, schemas.ActivityIn, schemas.OrderIn,
           schemas.CompanyIn]

# Values that sit on the models' edges: blanks and spaces, lengths either side of each limit, NUL,
# numbers as text in every spelling, NaN and infinities, dates right and wrong, choices in any case,
# and the same value as str, int, float and bool (1, 1.0 and True must not share a verdict).
TEXTS = ["", " ", "  Ana  ", "Ana", "a\x00b", "'=1+1", "x" * 20, "x" * 40, "x" * 41, "x" * 60, "x" * 64,
         "x" * 65, "x" * 100, "x" * 101, "x" * 120, "x" * 121, "x" * 200, "x" * 201, "x" * 300, "x" * 301,
         "x" * 20_001, "Forlì", "用户"]
NUMBERS = ["0", "-5", "-0.0", "12.345", "1e12", "1e13", "1,000", " 7 ", "nan", "NaN", "inf", "-inf", "abc",
           "0x10", "1_000", "2147483647", "2147483648", 0, 1, -1, 1.0, 0.5, True, False, float("nan"),
           float("inf"), 2**31, 10**13, 1e6, 1e6 + 1]
DATES = ["1980-03-31", "31/03/1980", "1899-12-31", "1900-01-01", "2026-06-15", "2026-06-16", "2999-01-01",
         "1980-02-30", "1980-03-31 00:00", "1980-03-31 10:00", "1980-03-31T00:00:00", "20200101", "2020-1-1",
         "2024-02-01T10:00:00+01:00", "yesterday"]
CHOICES = ["lead", "LEAD", " Customer ", "vip", "female", "Female", " MALE ", "x", "other", "unknown",
           "email", "Call", "inbound", "OUTBOUND", "placed", "EUR", "eur", "EURO", "import", "manual"]
PHONES = ["abc", "+39 02 1234 5678", "12345", "123456", "(02) 1234-567", "+" + "1" * 24, "1" * 26,
          "12-34-5", "+-------1"]
OTHERS = [None, [], ["a"] * 51, ["x" * 61], {}, {"a": 1}]
VALUES = st.sampled_from(TEXTS + NUMBERS + DATES + CHOICES + PHONES + TRICKY_EMAILS + OTHERS)


def whole(schema: type[schemas.Input], row: dict[str, Any]) -> tuple[dict[str, Any] | None, list[Any]]:
    """What the import did before: the model validates the row whole."""
    try:
        return schema.model_validate(row).model_dump(), []
    except pydantic.ValidationError as exc:
        return None, [(error.field, error.message) for error in pydantic_errors(exc)]


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
def test_the_import_models_have_only_rules_on_one_field(schema: type[schemas.Input]) -> None:
    """Otherwise every row would take the slow whole-row path (still correct, not fast)."""
    assert per_field_rules_only(schema)


def rows_for(schema: type[schemas.Input]) -> st.SearchStrategy[list[dict[str, Any]]]:
    names = sorted(schema.model_fields)
    row = st.dictionaries(st.sampled_from(names), VALUES, max_size=len(names))
    return st.lists(row, min_size=1, max_size=30)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda schema: schema.__name__)
@settings(max_examples=150, deadline=None, derandomize=True)
@given(data=st.data())
def test_each_row_gets_what_the_whole_model_gives(schema: type[schemas.Input], data: st.DataObject) -> None:
    checker = SchemaChecker(schema)  # one checker for many rows: remembered verdicts are reused
    for row in data.draw(rows_for(schema)):
        assert checker.check(row) == whole(schema, row), row


def test_a_row_with_a_field_the_model_lacks_gets_pydantics_own_words() -> None:
    row = {"first_name": "Ana", "nickname": "Annie"}
    assert SchemaChecker(schemas.ContactIn).check(row) == whole(schemas.ContactIn, row)


def test_fresh_defaults_are_not_shared_between_rows() -> None:
    checker = SchemaChecker(schemas.ContactIn)
    first, _ = checker.check({"first_name": "Ana"})
    second, _ = checker.check({"first_name": "Bo"})
    assert first is not None and second is not None
    first["tags"].append("vip")
    assert second["tags"] == [] and second["custom"] == {}
