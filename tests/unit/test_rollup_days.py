"""The days a fold recomputes are grouped into ranges: one DELETE and INSERT per run of days."""

from datetime import date

from core.query.rollup import day_ranges


def test_consecutive_days_make_one_range_and_gaps_start_another() -> None:
    days = [date(2026, 3, 2), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 1)]
    assert list(day_ranges(days)) == [(date(2026, 2, 28), date(2026, 3, 3)),
                                      (date(2026, 3, 5), date(2026, 3, 6))]


def test_no_days_no_ranges() -> None:
    assert list(day_ranges([])) == []
