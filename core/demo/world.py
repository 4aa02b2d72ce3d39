"""The generator's state and its two helpers of every table: the dice and the clock.

Times are seconds since the start of the history; the history ends at today 00:00 and only due
dates, expected close dates and SLA deadlines lie beyond it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlmodel import Session

from core.config import get_settings, start_of_day

DEMO_PASSWORD = "demo1234"
MIN_CONTACTS = 10
DAY = 86_400
SPAN = 3 * 365 * DAY  # seconds of history, ending at today 00:00
OFFICE_HOURS = (8 * 3600, 18 * 3600)
CHUNK = 5_000  # rows per executemany: big enough to be fast, small enough for the drivers
BUYER_SHARE = 0.45  # contacts who ever order
FORMER_AFTER = 450 * DAY  # a customer with no order for this long is a former customer
ACTIVITIES_PER_CONTACT = 5.0
STEPS = 16  # progress calls, one per table (pipelines and stages count as one)
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Flow:
    """A pipeline as a deal walks it: open stages in order, then where won and lost deals end."""

    pipeline_id: int
    open: tuple[int, ...]
    won: int
    lost: int
    odds: tuple[tuple[float, int], ...]  # per open stage: chance to move on, mean days there


@dataclass(frozen=True)
class Shape:
    """How much history per contact. None keeps the default mix (the same data for a seed as
    always); a number asks for about that many orders, deals or activities per contact (the
    benchmark's large scale: 2 orders, 0.5 deals, 3 activities)."""

    orders_per_contact: float | None = None
    deals_per_contact: float | None = None
    activities_per_contact: float | None = None


@dataclass
class World:
    """The dice, the clock, the open transaction and the ids later tables refer to."""

    session: Session
    rng: np.random.Generator
    rnd: random.Random
    today: date
    progress: Progress | None
    start: datetime = field(init=False)
    currency: str = field(default_factory=lambda: get_settings().default_currency)
    counts: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    owner_odds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    flows: dict[str, Flow] = field(default_factory=dict)
    shape: Shape = field(default_factory=Shape)

    def __post_init__(self) -> None:
        self.start = start_of_day(self.today) - timedelta(seconds=SPAN)


def stamps(w: World, secs: Any) -> list[datetime]:
    """Seconds since the start of the history -> naive datetimes (numpy does it in C)."""
    return (np.datetime64(w.start, "s") + np.asarray(secs, dtype="timedelta64[s]")).tolist()


def stamp(w: World, secs: int) -> datetime:
    return w.start + timedelta(seconds=int(secs))


def office(w: World, secs: np.ndarray) -> np.ndarray:
    """Move moments to office hours on a weekday (a weekend becomes the Friday before)."""
    day = secs // DAY
    weekday = (w.start.weekday() + day) % 7
    day = day - np.where(weekday >= 5, weekday - 4, 0)
    return day * DAY + w.rng.integers(*OFFICE_HOURS, secs.size)


def moments(w: World, low: Any, high: Any, in_office: bool = True) -> np.ndarray:
    """One random moment per row strictly between `low` and `high` (seconds)."""
    low = np.asarray(low, dtype=np.int64)
    high = np.broadcast_to(np.asarray(high, dtype=np.int64), low.shape)
    secs = (low + w.rng.random(low.size) * (high - low)).astype(np.int64)
    return np.clip(office(w, secs) if in_office else secs, low + 60, high - 60)


def pick(w: World, pairs: Sequence[tuple[str, float]], size: int) -> np.ndarray:
    """`size` values drawn from (value, weight) pairs."""
    values = np.array([value for value, _ in pairs])
    odds = np.array([weight for _, weight in pairs], dtype=float)
    return values[w.rng.choice(len(values), size, p=odds / odds.sum())]


def pick_owners(w: World, size: int) -> np.ndarray:
    """`size` sellers, drawn with the team's odds (staff do most of the work)."""
    return w.rng.choice(w.owners, size, p=w.owner_odds)
