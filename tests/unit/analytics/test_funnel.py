"""Funnel: hand-built stage histories with conversions, medians and KPIs worked out by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.analytics.funnel import FUNNEL_COLUMNS, KPI_COLUMNS, funnel_kpis, stage_funnel

POSITIONS = {"Lead": 1, "Qualified": 2, "Proposal": 3, "Won": 4, "Lost": 9}


def journey(deal_id: int, start: str, stays: list[tuple[str, int]], last: str) -> list[dict]:
    """History rows: each (stage, days) stay is completed; `last` is the current stage (exited NaT)."""
    moment, rows = pd.Timestamp(start), []
    for stage, days in stays:
        rows.append({"deal_id": deal_id, "stage": stage, "stage_position": POSITIONS[stage],
                     "entered_at": moment, "exited_at": moment + pd.Timedelta(days=days)})
        moment += pd.Timedelta(days=days)
    rows.append({"deal_id": deal_id, "stage": last, "stage_position": POSITIONS[last],
                 "entered_at": moment, "exited_at": pd.NaT})
    return rows


JAN, FEB = "2026-01-05", "2026-02-02"
# Ten deals. Reached by hand: Lead 10, Qualified 6 (deals 5-10), Proposal 3 (8, 9, 10), Won 2 (9, 10).
# Deal 10 skips Qualified but still counts as having reached it.
JOURNEYS = [
    (1, JAN, [], "Lead"),
    (2, JAN, [], "Lead"),
    (3, JAN, [("Lead", 2)], "Lost"),
    (4, JAN, [("Lead", 4)], "Lost"),
    (5, JAN, [("Lead", 6)], "Qualified"),
    (6, FEB, [("Lead", 8), ("Qualified", 10)], "Lost"),
    (7, FEB, [("Lead", 10), ("Qualified", 20)], "Lost"),
    (8, FEB, [("Lead", 1), ("Qualified", 30)], "Proposal"),
    (9, FEB, [("Lead", 3), ("Qualified", 40), ("Proposal", 7)], "Won"),
    (10, FEB, [("Lead", 5), ("Proposal", 3)], "Won"),
]
STATUS = {1: "open", 2: "open", 3: "lost", 4: "lost", 5: "open", 6: "lost", 7: "lost", 8: "open",
          9: "won", 10: "won"}


@pytest.fixture
def history() -> pd.DataFrame:
    return pd.DataFrame([row for args in JOURNEYS for row in journey(*args)])


@pytest.fixture
def deals() -> pd.DataFrame:
    rows = []
    for deal_id, start, stays, last in JOURNEYS:
        created = pd.Timestamp(start)
        closed = created + pd.Timedelta(days=sum(d for _, d in stays)) if last in ("Won", "Lost") else pd.NaT
        rows.append({"deal_id": deal_id, "status": STATUS[deal_id], "created_at": created,
                     "closed_at": closed, "owner": "ann" if deal_id <= 5 else "bob",
                     "amount": {9: 1000.0, 10: 3000.0}.get(deal_id, 500.0), "pipeline": "Sales"})
    return pd.DataFrame(rows)


def test_reached_and_conversions_follow_the_hand_count(history, deals) -> None:
    funnel = stage_funnel(history, deals)
    assert list(funnel["stage"]) == ["Lead", "Qualified", "Proposal", "Won"]  # Lost is not a step
    assert list(funnel["reached"]) == [10, 6, 3, 2]
    assert math.isnan(funnel["conversion_from_previous"][0])
    assert list(funnel["conversion_from_previous"][1:]) == pytest.approx([0.6, 0.5, 2 / 3])
    assert list(funnel["conversion_from_first"]) == pytest.approx([1.0, 0.6, 0.3, 0.2])
    assert list(funnel["lost_here"]) == [2, 2, 0, 0]  # deals 3, 4 from Lead; 6, 7 from Qualified


def test_median_days_count_completed_stays_only(history, deals) -> None:
    medians = stage_funnel(history, deals).set_index("stage")["median_days_in_stage"]
    # Lead stays 2, 4, 6, 8, 10, 1, 3, 5 -> sorted 1 2 3 4 | 5 6 8 10 -> (4 + 5) / 2
    assert medians["Lead"] == pytest.approx(4.5)
    assert medians["Qualified"] == pytest.approx((20 + 30) / 2)  # 10, 20, 30, 40; deal 5 still there
    assert medians["Proposal"] == pytest.approx((7 + 3) / 2)  # deal 8 still there
    assert math.isnan(medians["Won"])  # nobody has left Won


def test_a_skipped_stage_is_counted_as_reached() -> None:
    history = pd.DataFrame(journey(1, JAN, [("Lead", 1)], "Proposal") + journey(2, JAN, [("Lead", 1)],
                                                                                "Qualified"))
    deals = pd.DataFrame({"deal_id": [1, 2], "status": ["open", "open"]})
    funnel = stage_funnel(history, deals)
    assert list(funnel["reached"]) == [2, 2, 1]


def test_grouping_by_owner_and_by_created_month(history, deals) -> None:
    by_owner = stage_funnel(history, deals, by="owner")
    ann = by_owner[by_owner["owner"] == "ann"]
    bob = by_owner[by_owner["owner"] == "bob"]
    assert list(ann["reached"]) == [5, 1, 0, 0]  # stages of the pipeline appear even when unreached
    assert list(bob["reached"]) == [5, 5, 3, 2]
    assert list(bob["conversion_from_previous"][1:]) == pytest.approx([1.0, 0.6, 2 / 3])
    by_month = stage_funnel(history, deals, by="month")
    assert list(by_month.columns) == ["month", *FUNNEL_COLUMNS]
    assert list(by_month[by_month["month"] == "2026-02"]["reached"]) == [5, 5, 3, 2]


def test_stages_are_kept_per_pipeline() -> None:
    history = pd.DataFrame([
        {"deal_id": 1, "stage": "Lead", "stage_position": 1, "entered_at": JAN, "exited_at": None},
        {"deal_id": 2, "stage": "Intake", "stage_position": 1, "entered_at": JAN, "exited_at": FEB},
        {"deal_id": 2, "stage": "Quote", "stage_position": 2, "entered_at": FEB, "exited_at": None},
    ])
    deals = pd.DataFrame({"deal_id": [1, 2], "status": ["open", "open"], "pipeline": ["A", "B"]})
    funnel = stage_funnel(history, deals, by="pipeline")
    assert funnel[["pipeline", "stage", "reached"]].values.tolist() == [
        ["A", "Lead", 1], ["B", "Intake", 1], ["B", "Quote", 1],
    ]
    assert funnel["median_days_in_stage"][1] == pytest.approx(28.0)  # 5 Jan -> 2 Feb


def test_a_deal_moved_straight_to_lost_counts_in_the_first_stage() -> None:
    history = pd.DataFrame(journey(1, JAN, [("Lead", 3)], "Qualified") + journey(2, JAN, [], "Lost"))
    history["is_lost"] = history["stage"].eq("Lost")
    deals = pd.DataFrame({"deal_id": [1, 2], "status": ["open", "lost"]})
    funnel = stage_funnel(history, deals, lost_stages=())  # the is_lost column decides
    assert list(funnel["reached"]) == [2, 1]
    assert list(funnel["lost_here"]) == [1, 0]


def test_kpis_win_rate_days_to_close_and_velocity(deals) -> None:
    kpis = funnel_kpis(deals).iloc[0]
    assert (kpis["open_deals"], kpis["won"], kpis["lost"]) == (4, 2, 4)
    assert kpis["win_rate"] == pytest.approx(2 / 6)
    assert kpis["avg_won_amount"] == pytest.approx(2000.0)
    # deal 9 won after 3 + 40 + 7 = 50 days, deal 10 after 5 + 3 = 8 days
    assert kpis["avg_days_to_close"] == pytest.approx(29.0)
    assert kpis["sales_velocity"] == pytest.approx(4 * (2 / 6) * 2000 / 29)


def test_kpis_by_owner(deals) -> None:
    kpis = funnel_kpis(deals, by="owner").set_index("owner")
    assert kpis.loc["ann", "win_rate"] == 0.0  # two lost, none won
    assert math.isnan(kpis.loc["ann", "sales_velocity"])  # no won deal: no average to close
    assert kpis.loc["bob", "win_rate"] == pytest.approx(0.5)


def test_empty_frames_give_empty_results() -> None:
    funnel = stage_funnel(pd.DataFrame(), pd.DataFrame())
    assert funnel.empty and list(funnel.columns) == list(FUNNEL_COLUMNS)
    kpis = funnel_kpis(pd.DataFrame(), by="owner")
    assert kpis.empty and list(kpis.columns) == ["owner", *KPI_COLUMNS]


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="stage_position"):
        stage_funnel(pd.DataFrame({"deal_id": [1], "stage": ["Lead"]}), pd.DataFrame())
