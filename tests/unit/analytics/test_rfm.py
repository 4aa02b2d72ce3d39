"""RFM: ten hand-made customers whose quintiles and segments are worked out by hand."""

from __future__ import annotations

from datetime import date
from itertools import product

import pandas as pd
import pytest

from core.analytics.rfm import (
    OTHERS,
    SCORE_COLUMNS,
    SEGMENTS,
    assign_segments,
    rfm_scores,
    segment_summary,
)

TODAY = date(2026, 6, 15)

# contact: (days since last order, orders, total spent). Ten customers -> two per quintile.
# Recency ranks (fewest days best): 1,2 -> R5; 3,4 -> R4; 5,6 -> R3; 7,8 -> R2; 9,10 -> R1.
# Frequency 1..10 once each: 1-2 orders F1, 3-4 F2, 5-6 F3, 7-8 F4, 9-10 F5.
# Monetary ascending: 50 (2), 80 (4) M1; 200 (6), 300 (3) M2; 400 (10), 500 (5) M3;
#                     600 (9), 700 (8) M4; 1000 (1), 2000 (7) M5.
CUSTOMERS = {
    1: (1, 10, 1000.0),
    2: (3, 1, 50.0),
    3: (10, 3, 300.0),
    4: (20, 2, 80.0),
    5: (40, 5, 500.0),
    6: (60, 4, 200.0),
    7: (90, 9, 2000.0),
    8: (120, 7, 700.0),
    9: (200, 6, 600.0),
    10: (300, 8, 400.0),
}
EXPECTED = {  # contact: (R, F, M, segment)
    1: (5, 5, 5, "Champions"),
    2: (5, 1, 1, "New"),
    3: (4, 2, 2, "Potential Loyalist"),
    4: (4, 1, 1, "Promising"),
    5: (3, 3, 3, "Need Attention"),
    6: (3, 2, 2, "About to Sleep"),
    7: (2, 5, 5, "Can't Lose Them"),
    8: (2, 4, 4, "At Risk"),
    9: (1, 3, 4, "At Risk"),
    10: (1, 4, 3, "At Risk"),
}


def make_orders(customers: dict[int, tuple[int, int, float]]) -> pd.DataFrame:
    """The last order `days` ago carries the remainder; earlier orders are 10.0 each, 7 days apart."""
    rows = []
    for contact, (days, count, total) in customers.items():
        last = pd.Timestamp(TODAY) - pd.Timedelta(days=days) + pd.Timedelta(hours=15)
        rows.append({"contact_id": contact, "ordered_at": last, "amount": total - 10.0 * (count - 1)})
        rows += [{"contact_id": contact, "ordered_at": last - pd.Timedelta(days=7 * k), "amount": 10.0}
                 for k in range(1, count)]
    return pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # input order must not matter


def test_values_scores_and_segments_match_the_hand_table() -> None:
    scores = rfm_scores(make_orders(CUSTOMERS), TODAY).set_index("contact_id")
    for contact, (days, count, total) in CUSTOMERS.items():
        row = scores.loc[contact]
        assert (row["recency_days"], row["frequency"], row["monetary"]) == (days, count, total)
        assert (row["r"], row["f"], row["m"], row["segment"]) == EXPECTED[contact]


def test_orders_after_today_are_ignored() -> None:
    orders = make_orders({1: (5, 2, 100.0)})
    late = pd.DataFrame([{"contact_id": 1, "ordered_at": pd.Timestamp("2026-06-20"), "amount": 999.0}])
    scores = rfm_scores(pd.concat([orders, late]), TODAY)
    assert scores[["recency_days", "frequency", "monetary"]].values.tolist() == [[5, 2, 100.0]]


def test_summary_counts_revenue_and_shares_in_fixed_order() -> None:
    summary = segment_summary(rfm_scores(make_orders(CUSTOMERS), TODAY))
    assert list(summary["segment"]) == list(SEGMENTS)  # empty Loyal and Lost are kept, Others is not
    table = summary.set_index("segment")
    assert table.loc["At Risk", "customers"] == 3
    assert table.loc["At Risk", "revenue"] == pytest.approx(700 + 600 + 400)
    assert table.loc["At Risk", "share"] == pytest.approx(0.3)
    assert table.loc["Champions", "revenue_share"] == pytest.approx(1000 / 5830)
    assert table.loc["Loyal", "customers"] == 0


def test_ties_are_broken_by_contact_id_and_small_samples_work() -> None:
    # Three identical customers: ranks 1, 2, 3 in contact order -> quintiles of 3 ranks give 1, 3, 5.
    same = {contact: (10, 2, 100.0) for contact in (30, 10, 20)}
    scores = rfm_scores(make_orders(same), TODAY)
    assert list(scores["contact_id"]) == [10, 20, 30]
    assert list(scores["r"]) == [1, 3, 5]
    assert list(scores["f"]) == [1, 3, 5]
    two = rfm_scores(make_orders({1: (1, 3, 90.0), 2: (9, 1, 10.0)}), TODAY)
    assert two[["r", "f", "m"]].values.tolist() == [[5, 5, 5], [1, 1, 1]]


def test_a_single_customer_gets_the_middle_scores() -> None:
    scores = rfm_scores(make_orders({7: (12, 4, 250.0)}), TODAY)
    assert scores[["r", "f", "m", "segment"]].values.tolist() == [[3, 3, 3, "Need Attention"]]


def test_every_score_combination_lands_in_a_named_segment() -> None:
    combos = pd.DataFrame(list(product(range(1, 6), repeat=3)), columns=["r", "f", "m"])
    segments = assign_segments(combos["r"], combos["f"], combos["m"])
    assert OTHERS not in set(segments)
    assert set(segments) == set(SEGMENTS)


@pytest.mark.parametrize(("r", "f", "m", "segment"), [
    (5, 5, 3, "Loyal"),  # frequent and recent but not big spenders
    (3, 4, 5, "Loyal"),
    (1, 5, 1, "Can't Lose Them"),  # frequent buyer gone quiet: not "Loyal"
    (2, 4, 5, "At Risk"),
    (1, 1, 5, "Lost"),
    (5, 3, 1, "Potential Loyalist"),
])
def test_precedence_spot_checks(r: int, f: int, m: int, segment: str) -> None:
    assert assign_segments(pd.Series([r]), pd.Series([f]), pd.Series([m]))[0] == segment


def test_missing_scores_fall_back_to_others() -> None:
    nan = pd.Series([float("nan")])
    assert assign_segments(nan, nan, nan)[0] == OTHERS


def test_empty_orders_give_empty_results() -> None:
    scores = rfm_scores(pd.DataFrame(), TODAY)
    assert scores.empty and list(scores.columns) == list(SCORE_COLUMNS)
    assert segment_summary(scores).empty
