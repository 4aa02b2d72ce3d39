"""The result cache's bounds: least recently used entries go when the estimated bytes or the
number of entries pass their limits; a result bigger than the whole budget is returned, not kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analytics.cache import MB, ResultCache, estimate_bytes


def _frame(rows: int) -> pd.DataFrame:
    """About 16 bytes a row of numbers plus a short text per row."""
    return pd.DataFrame({"id": np.arange(rows, dtype="int64"), "amount": np.ones(rows),
                         "name": [f"customer {i}" for i in range(rows)]})


def test_estimates_follow_what_pandas_counts_and_what_containers_hold() -> None:
    frame = _frame(10_000)
    assert estimate_bytes(frame) == int(frame.memory_usage(deep=True).sum())
    assert estimate_bytes(np.zeros(1000)) == 8000

    @dataclass
    class Board:
        frames: list[pd.DataFrame]

    board = Board([frame, frame])
    assert estimate_bytes(board) >= 2 * estimate_bytes(frame)
    rows = [(i, f"name {i}", 1.5) for i in range(100_000)]  # a sampled estimate of a long list
    assert 0.5 < estimate_bytes(rows) / (100_000 * (64 + 57 + 24 + 28)) < 2


def test_the_byte_cap_evicts_the_least_recently_used() -> None:
    one = estimate_bytes(_frame(20_000))
    cache = ResultCache(max_entries=100, max_bytes=int(one * 2.5))
    for key in ("a", "b"):
        cache.get_or_compute(key, lambda: _frame(20_000))
    cache.get_or_compute("a", lambda: _frame(0))  # a hit: "a" is now the most recently used
    cache.get_or_compute("c", lambda: _frame(20_000))
    assert "a" in cache and "c" in cache and "b" not in cache
    assert cache.bytes <= cache.max_bytes and len(cache) == 2


def test_a_result_bigger_than_the_budget_is_returned_but_not_kept() -> None:
    cache = ResultCache(max_bytes=1 * MB)
    cache.get_or_compute("small", lambda: _frame(100))
    big = cache.get_or_compute("big", lambda: _frame(200_000))
    assert len(big) == 200_000
    assert "big" not in cache and "small" in cache


def test_the_entry_cap_still_holds() -> None:
    cache = ResultCache(max_entries=3, max_bytes=100 * MB)
    for key in range(5):
        cache.get_or_compute(key, lambda k=key: k)
    assert [key in cache for key in range(5)] == [False, False, True, True, True]


def test_clearing_forgets_the_bytes_too() -> None:
    cache = ResultCache(max_bytes=100 * MB)
    cache.get_or_compute("a", lambda: _frame(1000))
    assert cache.bytes > 0
    cache.clear()
    assert cache.bytes == 0 and len(cache) == 0
