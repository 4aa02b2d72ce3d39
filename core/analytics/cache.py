"""A small in-process cache for analytics results, keyed by the data version and the reader's scope.

Dashboards read narrow frames and compute in pandas; both are worth keeping between page runs.
A key holds the data version (see `version.data_version`), so any edit makes a new key and the
next call recomputes: there is no invalidation to forget. The reader's scope (id, role, team) is
part of the key, so one user's figures are never served to someone who may see other rows.

Entries are shared between callers: treat cached frames as read-only (copy before changing).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from core.models import User

T = TypeVar("T")
SYSTEM_SCOPE = ("system",)  # company-wide results no user sees directly (e.g. the fitted model)


class ResultCache:
    """Least recently used results, at most `max_entries`, each kept `ttl_seconds` at most.

    The lock only guards the dictionary: two threads asking for the same missing key may both
    compute it (the second result wins), which is cheaper than making every reader wait.
    """

    def __init__(self, max_entries: int = 128, ttl_seconds: float = 3600.0) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.ttl_seconds:
                self._entries.move_to_end(key)
                self.hits += 1
                return found[1]  # type: ignore[no-any-return]
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


RESULTS = ResultCache()


def user_scope(user: User | None) -> tuple[Hashable, ...]:
    """What decides which rows a user may read: the same scope gives the same figures."""
    if user is None:
        return ("nobody",)
    return (user.id, user.role, user.team, user.active)


def cached(name: str, version: str, scope: tuple[Hashable, ...], args: tuple[Hashable, ...],
           compute: Callable[[], T]) -> T:
    """`compute()` once per (name, data version, scope, args); later calls return the kept result."""
    return RESULTS.get_or_compute((name, version, scope, args), compute)
