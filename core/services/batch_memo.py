"""What a `records.batch()` may remember while it is open: reference data no batch changes.

A grid save of 500 rows ran the same custom field definitions query 1,000 times (twice per row).
Settings (custom fields, pipelines, rules) are never written inside a batch, so within one their
rows are read once; the memo is dropped when the outermost batch ends, committed or not.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlmodel import Session

MEMO_KEY = "batch_memo"
T = TypeVar("T")


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), read once per open batch (every time when no batch is open)."""
    memo: dict[Hashable, Any] | None = session.info.get(MEMO_KEY)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


def open_memo(session: Session) -> None:
    session.info.setdefault(MEMO_KEY, {})


def drop_memo(session: Session) -> None:
    session.info.pop(MEMO_KEY, None)
