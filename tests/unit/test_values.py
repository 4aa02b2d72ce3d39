"""Pure checks: the business date, custom-field coercion, error messages."""

from __future__ import annotations

from datetime import date

import pytest

from core import config
from core.errors import FieldError, ValidationError
from core.models import CustomFieldDefinition
from core.services.custom_fields import coerce, parse_bool


def test_today_is_pinned_by_crm_today(monkeypatch) -> None:
    monkeypatch.setenv("CRM_TODAY", "2024-02-29")
    config.get_settings.cache_clear()
    assert config.today() == date(2024, 2, 29)
    assert config.now().date() == date(2024, 2, 29)


def test_today_follows_the_clock_when_not_pinned(monkeypatch) -> None:
    monkeypatch.delenv("CRM_TODAY")
    config.get_settings.cache_clear()
    assert config.today() == date.today()


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("number", "1,250.5", 1250.5),
        ("date", "2026-03-31", "2026-03-31"),
        ("checkbox", "Yes", True),
        ("select", " gold ", "gold"),
        ("text", "  hi ", "hi"),
    ],
)
def test_custom_values_are_coerced(kind, raw, expected) -> None:
    definition = CustomFieldDefinition(
        entity="contacts", name="f", label="F", field_type=kind, options=["gold"]
    )
    assert coerce(definition, raw) == expected


def test_bad_checkbox_says_what_to_type() -> None:
    with pytest.raises(ValueError, match="yes or no"):
        parse_bool("maybe", "Newsletter")


def test_validation_error_lists_rows_and_fields() -> None:
    error = ValidationError([FieldError("email", "is not valid", row=3), FieldError("owner", "unknown", 5)])
    assert (
        str(error)
        == "Please correct the highlighted fields: line 3, email: is not valid; line 5, owner: unknown"
    )
