"""Dates of actions, in words: today, tomorrow, on Friday, next Tuesday, in 3 days, next week,
2026-07-01, 1 July. Relative to the business date (core.config, so CRM_TODAY pins it).

Weekdays are read here, not by dateparser, so their meaning is fixed: "Friday" / "on Friday" /
"this Friday" is the next Friday after today; "next Tuesday" is the Tuesday of next week (on a
Monday, a week tomorrow), which is what most people mean by it. A day without a time is due at
09:00, so a task due today is not already overdue at midnight.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import dateparser

from core.config import now as clock_now

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SHORT_DAYS = {name[:3]: i for i, name in enumerate(WEEKDAYS)}
DUE_TIME = time(9, 0)
UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}
NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
LEAD = re.compile(r"^(?:on|by|for|at|due|before|until)\s+")
_TIME = re.compile(r"\s*(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


def parse_when(text: str, now: datetime | None = None) -> datetime | None:
    """The moment `text` names, or None when it names no date."""
    moment = now or clock_now()
    phrase = LEAD.sub("", " ".join(text.lower().strip(" .,!?").split()))
    if not phrase:
        return None
    phrase, at = _split_time(phrase)
    day = _relative_day(phrase, moment.date())
    if day is None:
        day = _parsed_day(phrase, moment)
    if day is None:
        return None
    return datetime.combine(day, at or DUE_TIME)


def _split_time(phrase: str) -> tuple[str, time | None]:
    """ "friday at 3pm" -> ("friday", 15:00); a bare number stays part of the date."""
    found = re.search(r"\s+at\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)?$|\s+\d{1,2}(?::\d{2})?\s*(?:am|pm)$", phrase)
    if not found:
        return phrase, None
    hour_min = _TIME.search(found.group(0).strip())
    if hour_min is None:
        return phrase, None
    hour, minute, half = int(hour_min.group(1)), int(hour_min.group(2) or 0), hour_min.group(3)
    hour = hour % 12 + (12 if half == "pm" else 0) if half else hour
    if hour > 23 or minute > 59:
        return phrase, None
    return phrase[: found.start()].strip(), time(hour, minute)


def _relative_day(phrase: str, today: date) -> date | None:
    if phrase in ("today", "tonight", "this evening", "this afternoon", "this morning", "now"):
        return today
    if phrase in ("tomorrow", "tmrw", "tomorrow morning"):
        return today + timedelta(days=1)
    if phrase in ("yesterday",):
        return today - timedelta(days=1)
    if phrase in ("next week", "early next week"):
        return today + timedelta(days=7 - today.weekday())
    if phrase in ("end of the week", "end of week", "this week"):
        return today + timedelta(days=max(4 - today.weekday(), 0))
    found = re.fullmatch(r"in\s+(\d+|a|one|two|three|four|five|six|seven|ten)\s+(days?|weeks?)", phrase)
    if found:
        count = int(found.group(1)) if found.group(1).isdigit() else NUMBERS[found.group(1)]
        return today + timedelta(days=count * UNITS[found.group(2)])
    return _weekday(phrase, today)


def _weekday(phrase: str, today: date) -> date | None:
    found = re.fullmatch(r"(next|this|coming|on)?\s*([a-z]+)", phrase)
    if not found or found.group(2)[:3] not in SHORT_DAYS:
        return None
    if not (found.group(2) in WEEKDAYS or found.group(2) in SHORT_DAYS or found.group(2)[:-1] in WEEKDAYS):
        return None
    target = SHORT_DAYS[found.group(2)[:3]]
    if found.group(1) == "next":
        return today + timedelta(days=7 - today.weekday() + target)
    ahead = (target - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _parsed_day(phrase: str, moment: datetime) -> date | None:
    """ISO dates and named ones ("1 July", "July 1st 2026"), the next such day when no year is given."""
    if not re.search(r"\d", phrase):
        return None
    settings = {
        "RELATIVE_BASE": moment,
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "first",
    }
    found = dateparser.parse(phrase, languages=["en"], settings=settings)  # type: ignore[arg-type]
    return found.date() if found else None
