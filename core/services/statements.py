"""Statements built once per shape and kept: SQLAlchemy then skips building and compiling them.

Building a grid page's statements took most of its time (SQLAlchemy objects for every column,
label and clause, then the cache key computed from them). A statement object built once keeps its
cache key, so SQLAlchemy also finds its compiled SQL at once. The values are bound parameters given
at execution: a key holds the shape of a query (which columns, which filters and operators, how
many search words, the sort), never values typed by a person; the reader's id and team may be in
it, since they decide the visibility clause.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

KEPT = 512  # shapes kept; the oldest used is dropped first
_kept: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()  # Streamlit runs sessions in threads
_NONE = object()  # a builder's None, kept too


def kept(key: Hashable | None, build: Callable[[], Any]) -> Any:
    """The statement built for `key`, built now if it is not kept yet (key None: never kept)."""
    if key is None:
        return build()
    with _lock:
        found = _kept.get(key)
        if found is not None:
            _kept.move_to_end(key)
            return None if found is _NONE else found
    built = build()
    with _lock:
        _kept[key] = _NONE if built is None else built
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return built
