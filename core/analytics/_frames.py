"""Small helpers shared by the analytics modules: column checks, dates, month labels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd

DAY = pd.Timedelta(days=1)


def ensure_columns(frame: pd.DataFrame, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Return `frame` if it has `columns`; a bare `pd.DataFrame()` becomes an empty frame with them.

    Accepting the column-less empty frame lets callers pass "no data" without knowing the schema;
    any other missing column is a programming error, reported by name.
    """
    if frame.empty and len(frame.columns) == 0:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} frame is missing column(s): {', '.join(missing)}")
    return frame


def to_datetime(values: pd.Series) -> pd.Series:
    """Parse dates, datetimes or ISO strings into naive datetime64 (NaT for blanks)."""
    return pd.to_datetime(values, errors="coerce")


def as_timestamp(day: date | datetime | str) -> pd.Timestamp:
    """A `date` is read as the start of that day."""
    return pd.Timestamp(day)


def days_between(later: pd.Series, earlier: pd.Series | pd.Timestamp) -> pd.Series:
    """Elapsed days as floats (fractions kept, NaN where either side is missing)."""
    return (later - earlier) / DAY


def month_index(moments: pd.Series) -> pd.Series:
    """Months since year 0 as integers, so month arithmetic is a subtraction."""
    return moments.dt.year * 12 + moments.dt.month - 1


def month_label(moments: pd.Series) -> pd.Series:
    """'YYYY-MM' labels: they sort in time order and chart without a Period dtype."""
    return moments.dt.strftime("%Y-%m")

