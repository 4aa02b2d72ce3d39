"""A small in-process cache for analytics results, keyed by the data version and the reader's scope.

Dashboards read narrow frames and compute in pandas; both are worth keeping between page runs.
A key holds the data version (see `version.data_version`), so any edit makes a new key and the
next call recomputes: there is no invalidation to forget. The reader's scope (id, role, team) is
part of the key, so one user's figures are never served to someone who may see other rows.

Entries are shared between callers: treat cached frames as read-only (copy before changing).

The cache is bounded twice: by entries and by estimated bytes (`estimate_bytes`), so a few
frames of every order cannot grow the process past its memory target; the least recently used
entries go first, and a result larger than the whole budget is returned but not kept.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from core.config import get_settings
from core.models import User

T = TypeVar("T")
SYSTEM_SCOPE = ("system",)  # company-wide results no user sees directly (e.g. the fitted model)
MB = 1024 * 1024
# The Streamlit process must stay under 1.5 GB: about 350 MB is the app itself, and reading a
# frame of a million rows briefly needs several times the frame. 400 MB of kept results leaves
# that room (CRM_CACHE_MB, default 400; 0 keeps nothing).
SAMPLE = 64  # items measured in a long list before extrapolating


def estimate_bytes(value: Any, _depth: int = 0) -> int:
    """About how much memory `value` holds: pandas' own deep count for frames and series, numpy's
    for arrays, and a sampled walk of containers and dataclasses for the rest (cheap, not exact)."""
    if hasattr(value, "memory_usage") and hasattr(value, "ndim"):  # pandas DataFrame / Series / Index
        usage = value.memory_usage(deep=True)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    if hasattr(value, "nbytes") and hasattr(value, "dtype"):  # numpy arrays
        return int(value.nbytes)
    size = sys.getsizeof(value)
    if _depth > 6:
        return size
    if isinstance(value, dict):
        return size + _sampled([*value.keys(), *value.values()], _depth)
    if isinstance(value, (list, tuple, set, frozenset)):
        return size + _sampled(list(value) if isinstance(value, (set, frozenset)) else value, _depth)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return size + _sampled([getattr(value, f.name) for f in dataclasses.fields(value)], _depth)
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return size + _sampled(list(vars(value).values()), _depth)
    return size


def _sampled(items: Any, depth: int) -> int:
    count = len(items)
    if count == 0:
        return 0
    step = max(1, count // SAMPLE)
    measured = [estimate_bytes(items[i], depth + 1) for i in range(0, count, step)]
    return int(sum(measured) / len(measured) * count)


def default_max_bytes() -> int:
    return int(get_settings().cache_mb * MB)


class ResultCache:
    """Least recently used results, at most `max_entries` and about `max_bytes` in all (see
    `estimate_bytes`), each kept `ttl_seconds` at most.

    The lock only guards the dictionary: two threads asking for the same missing key may both
    compute it (the second result wins), which is cheaper than making every reader wait.
    """

    def __init__(self, max_entries: int = 128, ttl_seconds: float = 3600.0,
                 max_bytes: int | None = None) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self._entries: OrderedDict[Hashable, tuple[float, Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.bytes = 0
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
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep `value`, evicting the least recently used entries past either bound; a value
        bigger than the whole byte budget is not kept (it would evict everything, then itself)."""
        size = estimate_bytes(value)
        with self._lock:
            self._drop(key)
            if size > self.max_bytes:
                return
            self._entries[key] = (time.monotonic(), value, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: Hashable) -> None:
        found = self._entries.pop(key, None)
        if found is not None:
            self.bytes -= found[2]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = self.hits = self.misses = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

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
