"""The numpy RFM (`rfm_scoring`) gives `rfm.rfm_scores`' scores, segments, totals and top spenders.

The reference is the pandas code (rank(method="first") + qcut over a frame in contact_id order),
on random customers with heavy ties (few order counts, repeated amounts and days), every size
from 0 to 60 customers and a few larger ones, rows handed over in shuffled order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analytics import rfm, rfm_scoring

AS_OF_DAY = 20_000


def _values(count: int, seed: int) -> dict[str, np.ndarray]:
    chance = np.random.default_rng(seed)
    ids = chance.choice(np.arange(1, 10 * count + 2), size=count, replace=False).astype("int64")
    return {"contact_id": ids,
            "last_day": (AS_OF_DAY - chance.integers(0, max(2, count // 3), count)).astype("int64"),
            "orders": chance.integers(1, 5, count).astype("int64"),
            "revenue": chance.choice([10.0, 12.5, 99.75, 1000.25], count) * chance.integers(1, 4, count)}


def _expected(values: dict[str, np.ndarray]) -> pd.DataFrame:
    frame = pd.DataFrame({"contact_id": values["contact_id"], "recency_days": AS_OF_DAY - values["last_day"],
                          "frequency": values["orders"], "monetary": values["revenue"]})
    return rfm.scores_from_values(frame.sort_values("contact_id").reset_index(drop=True))


@pytest.mark.parametrize("count", [*range(0, 61), 397, 1000, 2503])
def test_scores_and_segments_equal_the_pandas_ones(count: int) -> None:
    values = _values(count, seed=count)
    actual = rfm_scoring.scores_frame(rfm_scoring.score(values, AS_OF_DAY))
    pd.testing.assert_frame_equal(actual.reset_index(drop=True), _expected(values), check_dtype=False)


@pytest.mark.parametrize("count", [0, 1, 7, 60, 1000])
def test_totals_and_top_spenders_equal_the_pandas_ones(count: int) -> None:
    values = _values(count, seed=100 + count)
    expected = _expected(values)
    scored = rfm_scoring.score(values, AS_OF_DAY)
    totals = rfm_scoring.segment_totals(scored, kept=5)
    pd.testing.assert_frame_equal(rfm.summary_from_totals(totals.totals), rfm.segment_summary(expected),
                                  check_dtype=False)
    assert totals.customers == count
    assert totals.revenue == pytest.approx(float(expected["monetary"].sum()))
    for segment in [*rfm.SEGMENTS, rfm.OTHERS]:
        top = expected[expected["segment"] == segment].nlargest(5, "monetary")
        kept = totals.members.get(segment, pd.DataFrame(columns=["contact_id"]))
        assert kept["contact_id"].tolist() == top["contact_id"].tolist(), segment
        longer = rfm_scoring.top_members(scored, segment, 12)
        assert longer["contact_id"].tolist() == expected[expected["segment"] == segment].nlargest(
            12, "monetary")["contact_id"].tolist(), segment


def test_segment_codes_name_the_same_segments_as_assign_segments() -> None:
    scores = np.array([(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)])
    r, f, m = (pd.Series(scores[:, i]) for i in range(3))
    codes = rfm.segment_codes(r.to_numpy(), f.to_numpy(), m.to_numpy())
    names = np.array(rfm_scoring.NAMES, dtype=object)[codes]
    assert names.tolist() == rfm.assign_segments(r, f, m).tolist()
