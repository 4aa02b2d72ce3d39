"""Summary-backed analytics equal the same figures computed from the raw rows, on both backends.

Baskets are read from `basket_counts`, folded on read from the orders changed since the last
fold; the funnel is aggregated by the database. Each is compared with a reference that reads the
raw rows with plain SQL and counts in Python (baskets) or runs the pandas funnel over the full
history frame (funnel), for an admin, a manager and a staff member, after edits, cancellations,
soft deletes, restores, owner changes, new orders and product renames. Data is inserted directly.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import combinations

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from core.analytics import basket, basket_summary, cache, dashboards, funnel, loaders, summaries
from core.models import Deal, DealStageHistory, Order, OrderLine, Pipeline, Product, Stage, User
from core.services.orders import orders as order_service
from core.services.orders import place_order
from core.services.orders import products as product_service

D = datetime


pytestmark = pytest.mark.usefixtures("fresh_cache")  # analytics results are kept per data version


@pytest.fixture
def readers(admin: User, manager: User, staff: User, other_staff: User, outsider: User) -> list[User]:
    return [admin, manager, staff, outsider]


@pytest.fixture
def shop(session: Session, admin: User, manager: User, staff: User, other_staff: User,
         outsider: User) -> dict[str, object]:
    """Five products in three categories (one without), 40 orders spread over five owners and no owner."""
    products = [Product(sku=f"P{i}", name=name, category=category) for i, (name, category) in enumerate([
        ("Laptop", "Hardware"), ("Bag", "Accessories"), ("Mouse", "Accessories"), ("Dock", "Hardware"),
        ("Cable", None)])]
    session.add_all(products)
    session.flush()
    owners = [admin.id, manager.id, staff.id, other_staff.id, outsider.id, None]
    statuses = ["placed", "paid", "shipped", "quote", "cancelled", "paid", "placed"]
    orders = []
    for number in range(40):
        order = Order(order_number=f"S{number}", owner_id=owners[number % len(owners)],
                      status=statuses[number % len(statuses)], ordered_at=D(2026, 1, 1 + number % 28),
                      deleted_at=D(2026, 2, 1) if number % 11 == 5 else None)
        session.add(order)
        session.flush()
        picked = [products[(number * k) % 5] for k in (1, 2, 3) if (number + k) % 4 != 0]
        if number % 13 == 0:
            picked += picked[:1]  # the same product twice in one order counts once
        session.add_all(OrderLine(order_id=order.id, product_id=p.id, quantity=1, unit_price=10.0)
                        for p in picked)
        orders.append(order)
    session.commit()
    return {"products": products, "orders": orders}


# ---- the reference: raw rows, plain SQL, counted in Python ----------------------------------------------


def _raw_lines(session: Session, user: User) -> pd.DataFrame:
    """order_id, contact_id, product, category of the lines the user may see, by plain SQL."""
    rows = session.execute(text(
        "SELECT o.id, o.owner_id, o.contact_id, p.name, p.category FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id JOIN products p ON p.id = l.product_id "
        "WHERE o.deleted_at IS NULL AND o.status NOT IN ('quote', 'cancelled')")).all()
    team = {u.id for u in session.exec(select(User)).all() if u.team == user.team and user.team}
    def visible(owner: int | None) -> bool:
        return (user.role == "admin" or owner == user.id
                or (user.role == "manager" and (owner is None or owner in team)))
    kept = [(order, contact, name, category)
            for order, owner, contact, name, category in rows if visible(owner)]
    return pd.DataFrame(kept, columns=["order_id", "contact_id", "product", "category"])


def _reference_pairs(lines: pd.DataFrame, column: str) -> tuple[int, Counter, Counter]:
    baskets: dict[int, set[str]] = {}
    for order, item in zip(lines["order_id"], lines[column].fillna("Uncategorised"), strict=True):
        baskets.setdefault(order, set()).add(item)
    singles = Counter(item for items in baskets.values() for item in items)
    pairs = Counter(pair for items in baskets.values() for pair in combinations(sorted(items), 2))
    return len(baskets), singles, pairs


def _assert_pairs_match(table: pd.DataFrame, lines: pd.DataFrame, column: str) -> None:
    orders, singles, pairs = _reference_pairs(lines, column)
    got = {(row.product_a, row.product_b): row for row in table.itertuples()}
    assert set(got) == set(pairs)
    for (a, b), together in pairs.items():
        row = got[(a, b)]
        assert row.orders_together == together
        assert row.support == pytest.approx(together / orders)
        assert row.confidence_a_to_b == pytest.approx(together / singles[a])
        assert row.confidence_b_to_a == pytest.approx(together / singles[b])
        assert row.lift == pytest.approx(together * orders / (singles[a] * singles[b]))


def _check_baskets(session: Session, readers: list[User]) -> None:
    cache.RESULTS.clear()
    for user in readers:
        lines = _raw_lines(session, user)
        board = dashboards.basket_dashboard(session, user, top=1000, min_support_count=1)
        orders, singles, _ = _reference_pairs(lines, "product")
        assert board.orders == orders, user.username
        assert board.products == sorted(singles), user.username
        _assert_pairs_match(board.pairs, lines, "product")
        _assert_pairs_match(board.category_pairs, lines, "category")
        # The reference for the rest is the original line-based code run over the raw lines.
        everything = basket.bought_together(lines, min_support_count=2, top=None)
        for product in board.products:
            expected = everything[(everything["product_a"] == product) | (everything["product_b"] == product)]
            partner = expected["product_b"].where(expected["product_a"] == product, expected["product_a"])
            got = dashboards.bought_with(session, user, product, top=100)
            assert dict(zip(got["partner"], got["orders_together"], strict=True)) == dict(
                zip(partner, expected["orders_together"], strict=True))
        for contact in sorted(set(lines["contact_id"].dropna()))[:3]:
            expected = basket.cross_sell(lines, contact, top=5, min_support_count=2)
            got = dashboards.cross_sell_for(session, user, int(contact))
            pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True),
                                          check_dtype=False)


@pytest.fixture
def contacts_for_orders(session: Session, shop, admin: User) -> None:  # type: ignore[no-untyped-def]
    """Give each order its own contact, owned like the order (so whoever sees one sees the other)."""
    from core.models import Contact
    for number, order in enumerate(shop["orders"]):
        contact = Contact(first_name=f"C{number % 7}", last_name="Test", owner_id=order.owner_id)
        session.add(contact)
        session.flush()
        order.contact_id = contact.id
    session.commit()


def test_baskets_from_the_kept_counts_equal_counting_the_raw_lines(session, shop, readers) -> None:
    _check_baskets(session, readers)
    assert basket_summary.refresh(session) is False  # nothing changed since the first read built them


def test_baskets_stay_equal_after_edits_deletes_restores_owner_changes_and_renames(
        session, shop, readers, admin, staff, outsider) -> None:
    _check_baskets(session, readers)
    orders, products = shop["orders"], shop["products"]
    order_service.update(session=session, user=admin, record_id=orders[0].id,
                         changes={"status": "cancelled"})
    order_service.delete(session=session, user=admin, record_id=orders[1].id)
    order_service.update(session=session, user=admin, record_id=orders[2].id,
                         changes={"owner_id": outsider.id})
    _check_baskets(session, readers)
    order_service.restore(session=session, user=admin, record_id=orders[1].id)
    order_service.update(session=session, user=admin, record_id=orders[3].id, changes={"status": "paid"})
    place_order(session=session, user=staff, data={"order_number": "NEW1"},
                lines=[{"product_id": products[0].id, "quantity": 1}, {"product_id": products[4].id}])
    _check_baskets(session, readers)
    product_service.update(session=session, user=admin, record_id=products[1].id,
                           changes={"name": "Backpack", "category": "Bags"})
    product_service.update(session=session, user=admin, record_id=products[4].id,
                           changes={"category": "Accessories"})
    _check_baskets(session, readers)


def test_a_line_added_to_an_existing_order_is_folded_in(session, shop, readers) -> None:
    _check_baskets(session, readers)
    order = next(o for o in shop["orders"] if o.status == "paid" and o.deleted_at is None)
    session.add(OrderLine(order_id=order.id, product_id=shop["products"][3].id, quantity=1, unit_price=1.0))
    session.commit()
    _check_baskets(session, readers)


def test_cross_sell_matches_the_line_based_code(session, shop, contacts_for_orders, readers) -> None:
    _check_baskets(session, readers)


def test_a_rebuild_gives_the_same_counts_as_the_folds(session, shop, admin, outsider) -> None:
    def counts() -> list[tuple]:
        return sorted(tuple(row) for row in session.execute(text(
            "SELECT kind, owner_id, item_a, item_b, orders FROM basket_counts")).all())

    basket_summary.refresh(session)
    orders = shop["orders"]
    order_service.update(session=session, user=admin, record_id=orders[6].id,
                         changes={"owner_id": outsider.id})
    order_service.delete(session=session, user=admin, record_id=orders[7].id)
    assert basket_summary.refresh(session) is True
    folded = counts()
    summaries.rebuild(session, basket_summary.SUMMARY)
    assert counts() == folded and folded


# ---- funnel -----------------------------------------------------------------------------------------------


def _reference_funnel(session: Session, user: User, where: loaders.DealFilter) -> dict[str, object]:
    """The original pandas path: the full history frame (one row per stay, dates and names)."""
    history, deals = loaders.split_history(loaders.deal_history_frame(session, user, where))
    deals = deals.assign(owner=deals["owner"].fillna(dashboards.UNASSIGNED))
    steps = dashboards._every_stage(funnel.stage_funnel(history, deals, by="pipeline"),
                                    loaders.stages_frame(session))  # the page's every-step view
    return {"funnel": steps, "kpis": funnel.funnel_kpis(deals),
            "by_owner": funnel.funnel_kpis(deals, by="owner"), "deals": len(deals)}


@pytest.fixture
def deals(session: Session, admin: User, manager: User, staff: User, other_staff: User,
          outsider: User) -> None:
    """Two pipelines, deals over two years by five owners and no owner, some skipping or lost."""
    pipelines = [Pipeline(name="Sales", is_default=True), Pipeline(name="Renewals")]
    session.add_all(pipelines)
    session.flush()
    stages: list[list[Stage]] = []
    for pipeline in pipelines:
        names = ["Lead", "Qualified", "Proposal", "Won", "Lost"]
        row = [Stage(pipeline_id=pipeline.id, name=n, position=i, is_won=n == "Won", is_lost=n == "Lost")
               for i, n in enumerate(names)]
        session.add_all(row)
        stages.append(row)
    session.flush()
    owners = [admin.id, manager.id, staff.id, other_staff.id, outsider.id, None]
    for number in range(60):
        which = number % 2
        steps = [s for k, s in enumerate(stages[which][:4]) if (number + k) % 3 != 1 or k == 0]
        path = steps[:1 + number % 4]
        lost = number % 5 == 0
        if lost:
            path.append(stages[which][4])
        status = "lost" if lost else ("won" if path[-1].is_won else "open")
        created = D(2025 + number % 2, 1 + number % 12, 1 + number % 27)
        deal = Deal(title=f"D{number}", pipeline_id=pipelines[which].id, stage_id=path[-1].id,
                    amount=100.0 * (number % 9) if number % 17 else None, owner_id=owners[number % 6],
                    status=status, created_at=created,
                    closed_at=D(2026, 6, 1) if status != "open" and number % 7 else None,
                    deleted_at=D(2026, 1, 1) if number % 19 == 3 else None)
        session.add(deal)
        session.flush()
        moment = created
        for k, stage in enumerate(path):
            leaving = moment.replace(hour=(k * 5 + number) % 24) if k + 1 < len(path) else None
            if leaving is not None:
                leaving = leaving.replace(day=min(28, moment.day + 1 + (number * k) % 9))
            session.add(DealStageHistory(deal_id=deal.id, stage_id=stage.id, entered_at=moment,
                                         exited_at=leaving))
            moment = leaving or moment
    session.commit()


def _same(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    got = got.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False, atol=1e-6)


@pytest.mark.parametrize("period", [None, "this year", "last year"])
def test_funnel_aggregated_by_the_database_equals_the_pandas_funnel(session, deals, readers, period) -> None:
    from core.config import today
    from core.query.timerange import parse_period

    span = parse_period(period, today()) if period else None
    where = loaders.DealFilter(None, None, span.start if span else None, span.end if span else None)
    for user in readers:
        cache.RESULTS.clear()
        board = dashboards.funnel_dashboard(session, user, period=period)
        expected = _reference_funnel(session, user, where)
        assert board.deals == expected["deals"], user.username
        _same(board.kpis, expected["kpis"], ["won"])
        _same(board.by_owner, expected["by_owner"], ["owner"])
        _same(board.funnel, expected["funnel"], ["pipeline", "stage_position"])


def test_funnel_of_one_owner_and_pipeline(session, deals, admin, staff) -> None:
    pipeline = session.exec(select(Pipeline).where(Pipeline.name == "Renewals")).one()
    for owner in (staff.id, admin.id):
        where = loaders.DealFilter(pipeline.id, owner, None, None)
        board = dashboards.funnel_dashboard(session, admin, pipeline=pipeline.id, owner=owner)
        expected = _reference_funnel(session, admin, where)
        assert board.deals == expected["deals"]
        _same(board.kpis, expected["kpis"], ["won"])
