"""Pausing Python's cyclic garbage collector while a large batch of rows is built and written.

A grid save keeps every row's ORM objects in the session until the commit, and an import keeps a
dict per planned row: each is a container the collector tracks, and its collections walk them all
with the rest of the process again and again (0.2-0.6 s at a time on the million-contact database).
The larger the batch, the more collections and the longer each: 500 grid rows cost more than ten
times 50, and the collector took 40 % of an import's checking time. Nothing here makes cycles that
must be freed before the batch ends; whatever cycles there are are collected once it resumes.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_pauses = {"depth": 0, "was_enabled": True}
_pauses_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch of writes runs (objects without cycles are still
    freed). Paused for the batch (and for concurrent ones until the last ends), then resumed."""
    with _pauses_lock:
        if _pauses["depth"] == 0:
            _pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _pauses["depth"] += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses["depth"] -= 1
            if _pauses["depth"] == 0 and _pauses["was_enabled"]:
                gc.enable()
