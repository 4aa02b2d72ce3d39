"""Summaries kept in the database and brought up to date when read (no background job).

A summary (e.g. the basket pair counts) is a derived table that would cost seconds to recompute
from raw rows. Its row in `summary_state` records the data version and the high-water marks it
has folded in. `refresh` runs before each cold read:

1. the stored data version equals the current one: nothing changed, nothing to do (one query);
2. otherwise, in its own transaction, it takes the summary's lock, reads the marks and calls
   `fold(session, marks)` (marks is empty on first use: build everything), which folds in what
   changed since the marks and returns the new marks; they are saved with the version, and the
   transaction commits, so the summary and its marks never disagree.

The lock is the state row itself: the refresh starts by updating it, which takes SQLite's write
lock, and on PostgreSQL a row lock that a second process waits on (it then sees the first one's
work and usually has nothing left to do). Folds must be idempotent (folding an order twice
changes nothing), so a mark may safely lag behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.analytics.version import data_version
from core.config import now
from core.models import SummaryState

Marks = dict[str, Any]
Fold = Callable[[Session, Marks], Marks]


def is_current(session: Session, name: str, version: str) -> bool:
    stored = session.scalar(select(SummaryState.data_version).where(SummaryState.name == name))
    return stored == version


def refresh(session: Session, name: str, fold: Fold, *, rebuild: bool = False) -> bool:
    """Bring summary `name` up to date; True when a fold ran. `rebuild` folds from empty marks.

    Works in a session of its own, so the caller's transaction is left alone.
    """
    if not rebuild and is_current(session, name, data_version(session)):
        return False
    with Session(session.get_bind()) as own:
        _ensure_row(own, name)
        try:
            _lock(own, name)
            version = data_version(own)  # read under the lock: what this fold will include
            state = own.get(SummaryState, name)
            assert state is not None
            if not rebuild and state.data_version == version:
                own.commit()
                return False
            marks = fold(own, {} if rebuild else dict(state.marks or {}))
            own.execute(update(SummaryState).where(SummaryState.name == name).values(
                data_version=version, marks=marks, refreshed_at=now()))
            own.commit()
        except BaseException:
            own.rollback()
            raise
    return True


def _ensure_row(session: Session, name: str) -> None:
    if session.get(SummaryState, name) is not None:
        session.rollback()
        return
    try:
        session.execute(insert(SummaryState).values(name=name, data_version="", marks={}))
        session.commit()
    except IntegrityError:  # another process created it first
        session.rollback()


def _lock(session: Session, name: str) -> None:
    """Take the summary's lock until commit: the first statement of the transaction is a write."""
    session.execute(update(SummaryState).where(SummaryState.name == name).values(refreshed_at=now()))
    session.expire_all()  # read the state as the lock holder sees it
