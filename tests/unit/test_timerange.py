"""Periods in words -> [start, end) date ranges, checked against dates worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest

from core.errors import ValidationError
from core.query.timerange import parse_period

MONDAY = date(2026, 6, 15)  # the pinned test date: a Monday in Q2


def span(text: str, today: date = MONDAY) -> tuple[str, str]:
    found = parse_period(text, today)
    return found.start.isoformat(), found.end.isoformat()


@pytest.mark.parametrize(("text", "expected"), [
    ("today", ("2026-06-15", "2026-06-16")),
    ("Yesterday", ("2026-06-14", "2026-06-15")),
    ("this week", ("2026-06-15", "2026-06-22")),
    ("last week", ("2026-06-08", "2026-06-15")),
    ("this month", ("2026-06-01", "2026-07-01")),
    ("last month", ("2026-05-01", "2026-06-01")),
    ("this quarter", ("2026-04-01", "2026-07-01")),
    ("last quarter", ("2026-01-01", "2026-04-01")),
    ("this year", ("2026-01-01", "2027-01-01")),
    ("LAST YEAR", ("2025-01-01", "2026-01-01")),
    ("year to date", ("2026-01-01", "2026-06-16")),
    ("ytd", ("2026-01-01", "2026-06-16")),
    ("last 7 days", ("2026-06-09", "2026-06-16")),
    ("last 1 day", ("2026-06-15", "2026-06-16")),
    ("past 30 days", ("2026-05-17", "2026-06-16")),
    ("last 2 weeks", ("2026-06-02", "2026-06-16")),
    ("last 3 months", ("2026-03-16", "2026-06-16")),
    ("last 2 years", ("2024-06-16", "2026-06-16")),
    ("since 2026-03-10", ("2026-03-10", "2026-06-16")),
    ("since March", ("2026-03-01", "2026-06-16")),
    ("since june", ("2026-06-01", "2026-06-16")),
    ("since July", ("2025-07-01", "2026-06-16")),  # July 2026 has not begun: the July before
    ("in March", ("2026-03-01", "2026-04-01")),
    ("in December", ("2025-12-01", "2026-01-01")),
    ("in march 2024", ("2024-03-01", "2024-04-01")),
    ("March 2026", ("2026-03-01", "2026-04-01")),
    ("feb 2024", ("2024-02-01", "2024-03-01")),
    ("2026-02", ("2026-02-01", "2026-03-01")),
    ("Q1 2025", ("2025-01-01", "2025-04-01")),
    ("q4 2025", ("2025-10-01", "2026-01-01")),
    ("q2", ("2026-04-01", "2026-07-01")),
    ("q3", ("2025-07-01", "2025-10-01")),  # Q3 2026 has not begun
    ("2025", ("2025-01-01", "2026-01-01")),
    ("between 2026-01-01 and 2026-03-31", ("2026-01-01", "2026-04-01")),
    ("between January and March", ("2026-01-01", "2026-04-01")),
    ("from 2026-02-01 to 2026-02-28", ("2026-02-01", "2026-03-01")),
    ("2026-03-15", ("2026-03-15", "2026-03-16")),
    ("  Last   Month ", ("2026-05-01", "2026-06-01")),
])
def test_phrases(text: str, expected: tuple[str, str]) -> None:
    assert span(text) == expected


def test_since_march_said_in_january_means_last_march() -> None:
    assert span("since March", date(2026, 1, 20)) == ("2025-03-01", "2026-01-21")
    assert span("in March", date(2026, 1, 20)) == ("2025-03-01", "2025-04-01")


def test_quarter_boundaries() -> None:
    assert span("this quarter", date(2026, 3, 31)) == ("2026-01-01", "2026-04-01")
    assert span("this quarter", date(2026, 4, 1)) == ("2026-04-01", "2026-07-01")
    assert span("last quarter", date(2026, 4, 1)) == ("2026-01-01", "2026-04-01")
    assert span("this quarter", date(2026, 12, 31)) == ("2026-10-01", "2027-01-01")


def test_last_quarter_on_new_years_day_is_q4_of_the_year_before() -> None:
    assert span("last quarter", date(2026, 1, 1)) == ("2025-10-01", "2026-01-01")
    assert span("last month", date(2026, 1, 1)) == ("2025-12-01", "2026-01-01")
    assert span("last week", date(2026, 1, 1)) == ("2025-12-22", "2025-12-29")  # a Thursday


def test_last_month_on_the_31st_is_the_whole_previous_month() -> None:
    assert span("last month", date(2026, 3, 31)) == ("2026-02-01", "2026-03-01")
    assert span("last month", date(2024, 3, 31)) == ("2024-02-01", "2024-03-01")


def test_leap_years() -> None:
    leap_day = date(2024, 2, 29)
    assert span("today", leap_day) == ("2024-02-29", "2024-03-01")
    assert span("this month", leap_day) == ("2024-02-01", "2024-03-01")
    assert span("2024-02-29") == ("2024-02-29", "2024-03-01")
    assert span("last 1 year", leap_day) == ("2023-03-01", "2024-03-01")
    assert span("last 1 month", date(2024, 3, 29)) == ("2024-03-01", "2024-03-30")
    assert span("last 2 days", date(2024, 3, 1)) == ("2024-02-29", "2024-03-02")
    assert span("between 2024-02-01 and 2024-02-29") == ("2024-02-01", "2024-03-01")


def test_iso_week_at_the_turn_of_the_year() -> None:
    assert span("this week", date(2021, 1, 3)) == ("2020-12-28", "2021-01-04")  # a Sunday


def test_labels_say_which_days_are_included() -> None:
    found = parse_period("last quarter", MONDAY)
    assert found.label == "last quarter (2026-01-01 to 2026-03-31)"
    assert found.last_day == date(2026, 3, 31)
    assert parse_period("today", MONDAY).label == "today (2026-06-15)"


@pytest.mark.parametrize("text", ["next tuesday", "fortnight", "last -3 days", "q5 2025", "13 2026",
                                  "since tomorrow", ""])
def test_unknown_phrases_list_examples(text: str) -> None:
    with pytest.raises(ValidationError, match=r"unknown period.*last 30 days.*since March"):
        parse_period(text, MONDAY)


def test_impossible_dates_and_reversed_ranges_are_explained() -> None:
    with pytest.raises(ValidationError, match="not a real date"):
        parse_period("2025-02-29", MONDAY)
    with pytest.raises(ValidationError, match="ends before it starts"):
        parse_period("between 2026-03-01 and 2026-01-01", MONDAY)
