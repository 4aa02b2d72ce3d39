"""Basket: six hand-made orders whose pair support, confidence and lift are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from core.analytics.basket import CROSS_SELL_COLUMNS, PAIR_COLUMNS, bought_together, cross_sell

# order: (customer, products). Bread is listed twice in order 1: it still counts once.
ORDERS = {
    1: ("c1", ["bread", "butter", "milk", "bread"]),
    2: ("c2", ["bread", "butter"]),
    3: ("c3", ["bread", "milk"]),
    4: ("c4", ["butter", "jam"]),
    5: ("c5", ["milk"]),
    6: ("c6", ["butter"]),
}
# N = 6 orders. Orders per product: bread 3, butter 4, milk 3, jam 1.
# Together: bread+butter 2 (orders 1, 2), bread+milk 2 (1, 3), butter+milk 1 (1), butter+jam 1 (4).


@pytest.fixture
def lines() -> pd.DataFrame:
    return pd.DataFrame([{"order_id": order, "contact_id": customer, "product": product}
                         for order, (customer, products) in ORDERS.items() for product in products])


def test_pairs_with_hand_computed_support_confidence_and_lift(lines) -> None:
    pairs = bought_together(lines)  # min_support_count=2 keeps the two pairs seen twice
    assert list(pairs.columns) == list(PAIR_COLUMNS)
    assert pairs[["product_a", "product_b", "orders_together"]].values.tolist() == [
        ["bread", "milk", 2],  # lift (2/6) / (3/6 × 3/6) = 4/3
        ["bread", "butter", 2],  # lift (2/6) / (3/6 × 4/6) = 1
    ]
    milk, butter = pairs.iloc[0], pairs.iloc[1]
    assert milk["support"] == pytest.approx(2 / 6)
    assert milk["lift"] == pytest.approx(4 / 3)
    assert butter["confidence_a_to_b"] == pytest.approx(2 / 3)  # of 3 bread orders, 2 had butter
    assert butter["confidence_b_to_a"] == pytest.approx(2 / 4)  # of 4 butter orders, 2 had bread
    assert butter["lift"] == pytest.approx(1.0)


def test_lower_support_threshold_and_top(lines) -> None:
    pairs = bought_together(lines, min_support_count=1, top=None)
    # butter+jam: (1/6) / (4/6 × 1/6) = 1.5; butter+milk: (1/6) / (4/6 × 3/6) = 0.5
    assert [(a, b) for a, b in pairs[["product_a", "product_b"]].values] == [
        ("butter", "jam"), ("bread", "milk"), ("bread", "butter"), ("butter", "milk"),
    ]
    assert list(pairs["lift"]) == pytest.approx([1.5, 4 / 3, 1.0, 0.5])
    assert len(bought_together(lines, min_support_count=1, top=2)) == 2


def test_equal_lift_is_ordered_by_count_then_name() -> None:
    # q is in all 4 orders, so every pair has lift 1; p, x, y are in 2 orders each.
    baskets = {1: "pqy", 2: "pq", 3: "qxy", 4: "qx"}
    lines = pd.DataFrame([(order, item) for order, items in baskets.items() for item in items],
                         columns=["order_id", "product"])
    pairs = bought_together(lines, min_support_count=1, top=None)
    assert list(pairs["lift"]) == pytest.approx([1.0] * 5)
    assert pairs[["product_a", "product_b", "orders_together"]].values.tolist() == [
        ["p", "q", 2], ["q", "x", 2], ["q", "y", 2], ["p", "y", 1], ["x", "y", 1],
    ]


def test_product_ids_work_like_names() -> None:
    # orders {20, 10}, {20, 10}, {30, 40, 10}, {30, 40, 20}; orders per id: 10: 3, 20: 3, 30: 2, 40: 2
    lines = pd.DataFrame({"order_id": [1, 1, 2, 2, 3, 3, 3, 4, 4, 4],
                          "product": [20, 10, 20, 10, 30, 40, 10, 30, 40, 20]})
    pairs = bought_together(lines, min_support_count=1, top=None)
    assert pairs[["product_a", "product_b"]].values.tolist() == [
        [30, 40],  # 2 × 4 / (2 × 2) = 2
        [10, 20],  # 2 × 4 / (3 × 3) = 8/9
        [10, 30], [10, 40], [20, 30], [20, 40],  # 1 × 4 / (3 × 2) = 2/3 each, by id
    ]
    assert list(pairs["lift"]) == pytest.approx([2, 8 / 9, 2 / 3, 2 / 3, 2 / 3, 2 / 3])


def test_cross_sell_for_one_customer_sums_confidence(lines) -> None:
    # c2 owns bread and butter. Confidence towards milk: bread→milk 2/3 + butter→milk 1/4;
    # towards jam: butter→jam 1/4.
    suggestions = cross_sell(lines, "c2", min_support_count=1)
    assert list(suggestions.columns) == list(CROSS_SELL_COLUMNS)
    assert suggestions[["product", "because", "reason"]].values.tolist() == [
        ["milk", "bread", "because you bought bread"],
        ["jam", "butter", "because you bought butter"],
    ]
    assert list(suggestions["score"]) == pytest.approx([2 / 3 + 1 / 4, 1 / 4])


def test_cross_sell_respects_support_and_top(lines) -> None:
    strong = cross_sell(lines, "c2")  # only pairs seen twice: bread→milk
    assert strong[["product", "score"]].values.tolist() == [["milk", pytest.approx(2 / 3)]]
    assert len(cross_sell(lines, "c2", min_support_count=1, top=1)) == 1


def test_cross_sell_uses_only_each_products_strongest_partners(lines) -> None:
    # neighbours=1 keeps bread→butter (ties with milk at 2/3; butter sorts first), butter→bread,
    # jam→butter and milk→bread. c2 owns bread and butter, whose only links point at each other.
    assert cross_sell(lines, "c2", min_support_count=1, neighbours=1).empty
    c5 = cross_sell(lines, "c5", min_support_count=1, neighbours=1)
    assert c5[["product", "score"]].values.tolist() == [["bread", pytest.approx(2 / 3)]]


def test_cross_sell_for_everyone(lines) -> None:
    everyone = cross_sell(lines, min_support_count=1)
    c5 = everyone[everyone["contact_id"] == "c5"]  # owns milk: milk→bread 2/3, milk→butter 1/3
    assert c5[["product", "because"]].values.tolist() == [["bread", "milk"], ["butter", "milk"]]
    assert list(c5["score"]) == pytest.approx([2 / 3, 1 / 3])
    c1 = everyone[everyone["contact_id"] == "c1"]  # owns bread, butter, milk: only jam is missing
    assert c1[["product", "because"]].values.tolist() == [["jam", "butter"]]
    owned = set(zip(lines["contact_id"], lines["product"], strict=True))
    assert not any((c, p) in owned for c, p in everyone[["contact_id", "product"]].values)


def test_unknown_customer_and_empty_lines_give_empty_results(lines) -> None:
    assert cross_sell(lines, "nobody").empty
    assert bought_together(pd.DataFrame()).empty
    assert list(cross_sell(pd.DataFrame()).columns) == list(CROSS_SELL_COLUMNS)
    single = pd.DataFrame({"order_id": [1], "product": ["tea"], "contact_id": ["c1"]})
    assert bought_together(single, min_support_count=1).empty
    assert cross_sell(single, "c1", min_support_count=1).empty
