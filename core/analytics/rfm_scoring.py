"""RFM at a million customers: the four numbers per customer the purchases summary gives
(`purchases.rfm_values`), ranked and scored in numpy and reduced to what the page shows: customers
and revenue per segment, and each segment's biggest spenders.

The scores are `rfm.rfm_scores`' (same ranks, same cut, same segments): only the work differs. No
frame with a segment name per customer is built; SQL sorts nothing (three window sorts over half
a million rows cost SQLite seconds, numpy's lexsort a tenth of that).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analytics import rfm

Values = dict[str, np.ndarray]  # contact_id, last_day, orders, revenue per customer (any order)
MEMBER_COLUMNS = [column for column in rfm.SCORE_COLUMNS if column != "segment"]
MEMBER_TYPES = {column: "float64" if column == "monetary" else "int64" for column in MEMBER_COLUMNS}
NAMES = [*rfm.SEGMENTS, rfm.OTHERS]
_GRID = np.indices((5, 5, 5)).reshape(3, -1) + 1
CODES = rfm.segment_codes(*_GRID).reshape(5, 5, 5)  # segment code per (r, f, m) - 1: a lookup, no np.select


@dataclass(frozen=True)
class Scored:
    """Every customer's measures and scores (arrays in the order read) and segment code."""

    columns: dict[str, np.ndarray]  # MEMBER_COLUMNS
    codes: np.ndarray  # position in NAMES

    def frame(self, rows: np.ndarray | slice = slice(None)) -> pd.DataFrame:
        return pd.DataFrame({name: self.columns[name][rows] for name in MEMBER_COLUMNS})  # dtypes as kept


@dataclass(frozen=True)
class SegmentTotals:
    totals: pd.DataFrame  # index: the segments used; customers, revenue
    members: dict[str, pd.DataFrame]  # per segment used: its `kept` biggest spenders (MEMBER_COLUMNS)
    customers: int
    revenue: float


def score(values: Values, as_of_day: int) -> Scored:
    """R ranks by last order day (older = lower), F by orders, M by revenue; ties by contact_id."""
    ids = values["contact_id"]
    r = rfm.ranked_scores(values["last_day"], ids)
    f = rfm.ranked_scores(values["orders"], ids)
    m = rfm.ranked_scores(values["revenue"], ids)
    columns = {"contact_id": ids, "recency_days": as_of_day - values["last_day"],
               "frequency": values["orders"], "monetary": values["revenue"], "r": r, "f": f, "m": m}
    return Scored(columns, CODES[r - 1, f - 1, m - 1])


def segment_totals(scored: Scored, kept: int) -> SegmentTotals:
    """Customers and revenue per segment used, and each one's `kept` biggest spenders (most
    revenue first, then contact_id, as `nlargest` over rows in contact_id order keeps them)."""
    codes, money = scored.codes, scored.columns["monetary"]
    customers = np.bincount(codes, minlength=len(NAMES))
    revenue = np.bincount(codes, weights=money, minlength=len(NAMES))
    used = np.flatnonzero(customers)
    totals = pd.DataFrame({"customers": customers[used].astype("int64"), "revenue": revenue[used]},
                          index=pd.Index([NAMES[code] for code in used], name="segment"))
    members = {NAMES[code]: scored.frame(_biggest(scored, np.flatnonzero(codes == code), kept))
               for code in used}
    return SegmentTotals(totals, members, len(codes), float(money.sum()))


def _biggest(scored: Scored, rows: np.ndarray, limit: int) -> np.ndarray:
    """The `limit` of `rows` with the most revenue (then the lowest contact_id), in that order:
    only the rows at or above the limit-th largest amount are sorted, not the whole segment."""
    money = scored.columns["monetary"][rows]
    if limit <= 0:
        return rows[:0]
    if len(rows) > limit:
        least = np.partition(money, len(rows) - limit)[len(rows) - limit]
        rows, money = rows[money >= least], money[money >= least]
    return rows[np.lexsort((scored.columns["contact_id"][rows], -money))][:limit]


def scores_frame(scored: Scored) -> pd.DataFrame:
    """`rfm.rfm_scores`' rows: every customer in contact_id order, with the segment's name."""
    in_id_order = np.argsort(scored.columns["contact_id"], kind="stable")
    frame = scored.frame(in_id_order)
    frame["segment"] = np.array(NAMES, dtype=object)[scored.codes[in_id_order]]
    return frame[list(rfm.SCORE_COLUMNS)]


def top_members(scored: Scored, segment: str, limit: int) -> pd.DataFrame:
    """The `limit` biggest spenders of `segment`."""
    if segment not in NAMES:
        return scored.frame(np.array([], dtype="int64"))
    return scored.frame(_biggest(scored, np.flatnonzero(scored.codes == NAMES.index(segment)), limit))
