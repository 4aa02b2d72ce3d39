"""Periods in plain words ("last quarter", "since March", "Q1 2025") -> a half-open date range.

Every range is [start, end): `end` is the first day NOT included, so ranges of consecutive months
touch without overlapping and a datetime column is compared as `start <= x < end`.

Rolling periods ("last 30 days", "last 3 months") end today, inclusive: "last 7 days" on a Monday
is the previous Tuesday through that Monday. Calendar periods ("last month", "last week") are the
previous whole calendar unit, today not included. A month or quarter named without a year
("since March", "in March", "Q3") is the most recent one that has already started, so "since March"
said in January 2026 means since 2025-03-01.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict

from core.errors import ValidationError

EXAMPLES = (
    "today", "yesterday", "this week", "last month", "this quarter", "last year", "year to date",
    "last 30 days", "last 6 months", "since March", "since 2026-01-15", "in March", "march 2026",
    "Q1 2025", "2025", "between 2026-01-01 and 2026-03-31", "2026-03-15",
)
MONTHS = {
    name: number
    for number, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1)
    for name in names
}
UNITS = {"day": "days", "week": "weeks", "month": "months", "quarter": "quarters", "year": "years"}


class TimeRange(BaseModel):
    """Dates from `start` (included) to `end` (excluded), with a label a person can read."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    label: str

    @property
    def last_day(self) -> date:
        """The last day included (end - 1 day), for display."""
        return self.end - timedelta(days=1)


def parse_period(text: str, today: date) -> TimeRange:
    """The period `text` names, relative to `today`; ValidationError with examples when unknown."""
    phrase = " ".join(text.lower().replace(",", " ").split())
    for parser in (_relative, _rolling, _since, _between, _single):
        found = parser(phrase, today)
        if found is not None:
            start, end = found
            return TimeRange(start=start, end=end, label=_label(text.strip(), start, end))
    raise ValidationError.single(
        "period", f"unknown period {text!r}; try one of: {', '.join(EXAMPLES)}")


def _label(text: str, start: date, end: date) -> str:
    last = end - timedelta(days=1)
    span = start.isoformat() if start == last else f"{start.isoformat()} to {last.isoformat()}"
    return f"{text} ({span})"


# --- calendar units -------------------------------------------------------------------------------

def _unit_start(day: date, unit: str) -> date:
    """The first day of the calendar unit (ISO week from Monday) containing `day`."""
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _step(unit: str, count: int = 1) -> relativedelta:
    if unit == "quarter":
        return relativedelta(months=3 * count)
    return relativedelta(**{UNITS[unit]: count})


def _relative(phrase: str, today: date) -> tuple[date, date] | None:
    """today, yesterday, this/last <unit>, year/quarter/month to date."""
    if phrase == "today":
        return today, today + timedelta(days=1)
    if phrase == "yesterday":
        return today - timedelta(days=1), today
    to_date = {"ytd": "year", "year to date": "year", "qtd": "quarter", "quarter to date": "quarter",
               "mtd": "month", "month to date": "month", "this year so far": "year"}
    if phrase in to_date:
        return _unit_start(today, to_date[phrase]), today + timedelta(days=1)
    match = re.fullmatch(r"(this|current|last|previous|past) (week|month|quarter|year)", phrase)
    if not match:
        return None
    unit = match.group(2)
    start = _unit_start(today, unit)
    if match.group(1) in ("last", "previous", "past"):
        start -= _step(unit)
    return start, start + _step(unit)


def _rolling(phrase: str, today: date) -> tuple[date, date] | None:
    """last N days/weeks/months/quarters/years: N units ending today, today included."""
    match = re.fullmatch(r"(?:last|past|previous) (\d+) (day|week|month|quarter|year)s?", phrase)
    if not match:
        return None
    count, unit = int(match.group(1)), match.group(2)
    if count < 1:
        return None
    # Start the day after the same date N units back: "last 1 month" on 29 March is 1-29 March.
    back = timedelta(days=count * (7 if unit == "week" else 1)) if unit in ("day", "week") \
        else _step(unit, count)
    return today - back + timedelta(days=1), today + timedelta(days=1)


# --- points and spans -----------------------------------------------------------------------------

def _since(phrase: str, today: date) -> tuple[date, date] | None:
    """since <date | month [year] | quarter | year>: from its start through today."""
    match = re.fullmatch(r"(?:since|from|after) (.+)", phrase)
    if not match:
        return None
    span = _span(match.group(1), today)
    if span is None or span[0] > today:
        return None
    return span[0], today + timedelta(days=1)


def _between(phrase: str, today: date) -> tuple[date, date] | None:
    """between X and Y / from X to Y: from X's start to Y's end (Y included)."""
    match = re.fullmatch(r"(?:between|from) (.+?) (?:and|to|until|-) (.+)", phrase)
    if not match:
        return None
    first, second = _span(match.group(1), today), _span(match.group(2), today)
    if first is None or second is None:
        return None
    if second[1] <= first[0]:
        raise ValidationError.single(
            "period", f"{phrase!r} ends before it starts; put the earlier date first")
    return first[0], second[1]


def _single(phrase: str, today: date) -> tuple[date, date] | None:
    """A single span: a date, a month, a quarter or a year, optionally after "in"/"during"."""
    return _span(re.sub(r"^(?:in|during|for) ", "", phrase), today)


def _span(text: str, today: date) -> tuple[date, date] | None:
    """A date, month, quarter or year named by `text`, as [start, end)."""
    text = text.strip()
    for parser in (_iso_date, _year_month, _month_name, _quarter, _year):
        found = parser(text, today)
        if found is not None:
            return found
    return None


def _iso_date(text: str, _today: date) -> tuple[date, date] | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError.single("period", f"{text!r} is not a real date") from None
    return day, day + timedelta(days=1)


def _year_month(text: str, _today: date) -> tuple[date, date] | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return None
    start = date(int(match.group(1)), int(match.group(2)), 1)
    return start, start + relativedelta(months=1)


def _month_name(text: str, today: date) -> tuple[date, date] | None:
    """"march", "mar 2026", "march of 2025"; without a year, the latest March already begun."""
    match = re.fullmatch(r"([a-z]+)(?: (?:of )?(\d{4}))?", text)
    if not match or match.group(1) not in MONTHS:
        return None
    month = MONTHS[match.group(1)]
    year = int(match.group(2)) if match.group(2) else today.year
    if not match.group(2) and month > today.month:
        year -= 1
    start = date(year, month, 1)
    return start, start + relativedelta(months=1)


def _quarter(text: str, today: date) -> tuple[date, date] | None:
    """"q1 2025", "2025 q1", "2025-q1", "q3"; without a year, the latest such quarter begun."""
    match = re.fullmatch(r"q([1-4])(?:[ -](\d{4}))?|(\d{4})[ -]q([1-4])", text)
    if not match:
        return None
    quarter = int(match.group(1) or match.group(4))
    year_text = match.group(2) or match.group(3)
    year = int(year_text) if year_text else today.year
    start = date(year, 3 * quarter - 2, 1)
    if not year_text and start > today:
        start = start.replace(year=year - 1)
    return start, start + relativedelta(months=3)


def _year(text: str, _today: date) -> tuple[date, date] | None:
    if not re.fullmatch(r"(?:19|20|21)\d{2}", text):
        return None
    start = date(int(text), 1, 1)
    return start, date(start.year + 1, 1, 1)
