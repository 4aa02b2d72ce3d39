"""Campaigns: a hand-made recipient list whose funnel, conversions and revenue are counted by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from core.analytics.campaigns import PERFORMANCE_COLUMNS, campaign_performance

SPRING = pd.Timestamp("2026-04-01 09:00")
SUMMER = SPRING + pd.Timedelta(days=5)


def day(base: pd.Timestamp, days: float) -> pd.Timestamp:
    return base + pd.Timedelta(days=days)


RECIPIENTS = pd.DataFrame([
    ("Spring", "pending", None, None, 1),
    ("Spring", "sent", SPRING, None, 2),
    ("Spring", "bounced", SPRING, None, 3),
    ("Spring", "opened", SPRING, None, 4),
    ("Spring", "Clicked", SPRING, None, 5),  # case does not matter
    ("Spring", "replied", SPRING, day(SPRING, 2), 6),
    ("Spring", "interested", SPRING, day(SPRING, 4), 7),
    ("Spring", "not_interested", SPRING, day(SPRING, 1), 8),
    ("Spring", "unsubscribed", SPRING, None, 9),
    ("Summer", "replied", SUMMER, day(SUMMER, 3), 2),
    ("Summer", "clicked", None, None, 10),  # no sent_at: sent and clicked, but cannot convert
], columns=["campaign", "status", "sent_at", "responded_at", "contact_id"])

ORDERS = pd.DataFrame([
    (2, day(SPRING, 10), 100.0),  # 10 days after Spring and 5 after Summer: counts for both
    (4, day(SPRING, 40), 70.0),  # too late
    (5, day(SPRING, 5), 50.0),
    (5, day(SPRING, 20), 30.0),
    (7, day(SPRING, -1), 60.0),  # before the campaign
    (1, day(SPRING, 3), 20.0),  # never sent
    (10, day(SPRING, 3), 20.0),
], columns=["contact_id", "ordered_at", "amount"])


def test_spring_funnel_by_hand() -> None:
    spring = campaign_performance(RECIPIENTS, ORDERS).set_index("campaign").loc["Spring"]
    assert spring["recipients"] == 9
    assert spring["sent"] == 8  # all but pending; bounced counts as sent
    assert spring["bounced"] == 1
    assert spring["opened"] == 6  # opened, clicked, replied, interested, not_interested, unsubscribed
    assert spring["clicked"] == 1
    assert spring["responded"] == 2  # replied, interested
    assert spring["unsubscribed"] == 1
    assert spring["converted"] == 2  # contacts 2 and 5
    assert spring["revenue"] == pytest.approx(100 + 50 + 30)
    assert spring["open_rate"] == pytest.approx(6 / 8)
    assert spring["click_rate"] == pytest.approx(1 / 8)
    assert spring["response_rate"] == pytest.approx(2 / 8)
    assert spring["conversion_rate"] == pytest.approx(2 / 8)
    assert spring["median_days_to_respond"] == pytest.approx(3.0)  # replied after 2, interested after 4


def test_overlapping_windows_and_missing_sent_at() -> None:
    performance = campaign_performance(RECIPIENTS, ORDERS)
    assert list(performance.columns) == list(PERFORMANCE_COLUMNS)
    assert list(performance["campaign"]) == ["Spring", "Summer"]
    summer = performance.set_index("campaign").loc["Summer"]
    assert (summer["sent"], summer["opened"], summer["clicked"], summer["responded"]) == (2, 2, 1, 1)
    assert (summer["converted"], summer["revenue"]) == (1, 100.0)  # contact 2's order; 10 has no sent_at


def test_window_is_configurable() -> None:
    wide = campaign_performance(RECIPIENTS, ORDERS, window_days=45).set_index("campaign")
    assert wide.loc["Spring", "converted"] == 3  # contact 4's order 40 days later now counts
    assert wide.loc["Spring", "revenue"] == pytest.approx(250.0)


def test_unknown_status_counts_as_sent_only_with_sent_at() -> None:
    odd = pd.DataFrame([("X", "queued", SPRING, None, 1), ("X", "queued", None, None, 2)],
                       columns=["campaign", "status", "sent_at", "responded_at", "contact_id"])
    row = campaign_performance(odd, pd.DataFrame()).iloc[0]
    assert (row["recipients"], row["sent"], row["opened"], row["converted"]) == (2, 1, 0, 0)


def test_nothing_sent_gives_nan_rates_and_empty_gives_empty() -> None:
    pending = RECIPIENTS[RECIPIENTS["status"] == "pending"]
    row = campaign_performance(pending, ORDERS).iloc[0]
    assert row["sent"] == 0 and math.isnan(row["response_rate"])
    assert campaign_performance(pd.DataFrame(), pd.DataFrame()).empty
