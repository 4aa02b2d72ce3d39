"""Action dates relative to a pinned moment (Monday 2026-06-15, as tests/conftest.py pins)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.dates import parse_when

NOW = datetime(2026, 6, 15, 11, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", datetime(2026, 6, 15, 9)),
        ("tomorrow", datetime(2026, 6, 16, 9)),
        ("on Friday", datetime(2026, 6, 19, 9)),
        ("friday", datetime(2026, 6, 19, 9)),
        ("next Tuesday", datetime(2026, 6, 23, 9)),
        ("in 3 days", datetime(2026, 6, 18, 9)),
        ("next week", datetime(2026, 6, 22, 9)),
        ("2026-07-01", datetime(2026, 7, 1, 9)),
        ("1 July", datetime(2026, 7, 1, 9)),
        ("July 1", datetime(2026, 7, 1, 9)),
        ("friday at 3pm", datetime(2026, 6, 19, 15)),
        ("tomorrow at 10:30", datetime(2026, 6, 16, 10, 30)),
        ("in 2 weeks", datetime(2026, 6, 29, 9)),
        ("on Monday", datetime(2026, 6, 22, 9)),
    ],
)
def test_dates(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


def test_not_a_date() -> None:
    assert parse_when("the renewal", NOW) is None


def test_uses_the_pinned_business_date() -> None:
    assert parse_when("tomorrow") is not None and parse_when("tomorrow").date().isoformat() == "2026-06-16"  # type: ignore[union-attr]
