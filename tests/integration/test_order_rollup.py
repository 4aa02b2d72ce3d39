"""The order rollup gives the figures the fact tables give, on both backends, for every role.

For a broad set of specs about orders, revenue, units sold and average order value (time grains,
category, owner, status, filters, periods, top N), each reader's answer read from the rollup equals
the fact path's answer (`rollups=False`) and a reference computed in Python from the raw rows read
with plain SQL. Checked on the data as inserted, then after new orders and lines, line edits,
cancellations, soft deletes, restores, owner changes, orders moved to another day, and products
recategorised, deleted and restored. Specs the rollup cannot answer exactly fall back to the fact
tables (and still match the reference). The permission rule is the README's, written out in
`permission_world.in_reach`, never the code under test.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlmodel import Session

from core.analytics import summaries
from core.models import Order, OrderLine, Product, User
from core.query import rollup
from core.query.compiler import compile_query
from core.query.engine import run_query
from core.query.filters import Filter
from core.query.spec import OrderBy, QuerySpec
from core.services.orders import orders as order_service
from core.services.orders import place_order
from core.services.orders import products as product_service
from core.services.records import audit
from tests.integration.permission_world import ACTORS, World, build_world, in_reach

NOT_SOLD = ("quote", "cancelled")
Row = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """A spec, and the same question for the reference: which rows it keeps and which table serves it."""

    name: str
    metrics: list[str]
    dimensions: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    period: tuple[str, date, date] | None = None  # the phrase, and the [start, end) it means on TODAY
    keep: Callable[[Row], bool] = lambda row: True
    source: str = "order_rollup"  # the table expected to answer ('' = the fact tables)
    limit: int | None = None

    @property
    def spec(self) -> QuerySpec:
        order = [OrderBy(name=self.metrics[0])] if self.limit else []
        return QuerySpec(metrics=self.metrics, dimensions=self.dimensions, filters=self.filters,
                         period=self.period[0] if self.period else None, order_by=order, limit=self.limit)

    @property
    def by_category(self) -> bool:
        return "category" in self.dimensions or any(f.field == "category" for f in self.filters)


BY_CATEGORY = "order_category_rollup"
ALL = ["orders", "revenue", "units_sold", "average_order_value"]
CASES = [
    Case("all four, all time", ALL),
    Case("revenue by month", ["revenue"], ["month"]),
    Case("all four by day, last 30 days", ALL, ["day"], period=("last 30 days", date(2026, 5, 17),
                                                                 date(2026, 6, 16))),
    Case("orders by week, this year", ["orders"], ["week"], period=("this year", date(2026, 1, 1),
                                                                    date(2027, 1, 1))),
    Case("revenue by quarter and owner", ["revenue", "orders"], ["quarter", "owner"]),
    Case("units by year and status", ["units_sold"], ["year", "status"]),
    Case("all four by category", ALL, ["category"], source=BY_CATEGORY),
    Case("revenue by month and category, last year", ["revenue", "orders"], ["month", "category"],
         period=("last year", date(2025, 1, 1), date(2026, 1, 1)), source=BY_CATEGORY),
    Case("average order value by owner, this month", ["average_order_value"], ["owner"],
         period=("this month", date(2026, 6, 1), date(2026, 7, 1))),
    Case("orders by status, between", ["orders"], ["status"],
         period=("between 2026-01-10 and 2026-02-20", date(2026, 1, 10), date(2026, 2, 21))),
    Case("revenue of owner Sam by category", ["revenue", "orders"], ["category"],
         [Filter(field="owner", value="sam")], keep=lambda row: row["owner"] == "Sam", source=BY_CATEGORY),
    Case("revenue in Hardware (any case), no grouping", ["revenue", "units_sold"],
         filters=[Filter(field="category", value="HARDWARE")],
         keep=lambda row: (row["category"] or "").lower() == "hardware", source=BY_CATEGORY),
    Case("orders by category other than Hardware", ["orders"], ["category"],
         [Filter(field="category", op="!=", value="Hardware")],
         keep=lambda row: (row["category"] or "").lower() != "hardware", source=BY_CATEGORY),
    Case("paid or shipped by month", ["orders", "revenue"], ["month"],
         [Filter(field="status", op="in", value=["paid", "shipped"])],
         keep=lambda row: row["status"] in ("paid", "shipped")),
    Case("March 2026 by owner", ALL, ["owner"], [Filter(field="month", value="2026-03")],
         keep=lambda row: row["day"].strftime("%Y-%m") == "2026-03"),
    Case("unowned orders", ["orders", "revenue"], ["year"], [Filter(field="owner_id", op="is empty")],
         keep=lambda row: row["owner_id"] is None),
    Case("top 2 categories by revenue", ["revenue"], ["category"], limit=2, source=BY_CATEGORY),
    Case("top 3 owners by orders, year to date", ["orders"], ["owner"], limit=3,
         period=("year to date", date(2026, 1, 1), date(2026, 6, 16))),
    # Not answerable exactly from the rollup: the fact tables answer.
    Case("orders in Hardware without grouping by category", ["orders"],
         filters=[Filter(field="category", value="Hardware")],
         keep=lambda row: (row["category"] or "").lower() == "hardware", source=""),
    Case("revenue by company", ["revenue"], ["company"], source=""),
    Case("orders over 100 in total", ["orders"], filters=[Filter(field="total", op=">", value=100)],
         keep=lambda row: row["total"] > 100, source=""),
]


# ---- the data: inserted directly, changed through the services -------------------------------------------


@pytest.fixture
def world(engine) -> World:  # type: ignore[no-untyped-def]
    return build_world(engine)


@pytest.fixture
def shop(session: Session, world: World) -> dict[str, Any]:
    """Seven products (two categories spelled two ways, one without, one deleted) and 90 orders over
    18 months with every status, owner (and none), some without lines, some deleted."""
    specs = [("Laptop", "Hardware"), ("Dock", "Hardware"), ("Mouse", "Accessories"), ("Bag", "Accessories"),
             ("Cable", None), ("Stand", "hardware"), ("Old", "Hardware")]
    products = [Product(sku=f"P{i}", name=name, category=kind) for i, (name, kind) in enumerate(specs)]
    products[-1].deleted_at = datetime(2025, 6, 1)
    session.add_all(products)
    session.flush()
    chance = random.Random(8)
    owners = [world.users[name].id for name in ("ada", "mia", "max", "sam", "olga", "sven")] + [None]
    statuses = ["placed", "paid", "shipped", "quote", "cancelled", "paid", "shipped"]
    orders = []
    for number in range(90):
        moment = datetime(2025, 1, 1) + timedelta(days=chance.randrange(530), seconds=chance.randrange(86400))
        if number % 10 == 0:
            moment = moment.replace(hour=23, minute=59, second=59)  # the last second of a day
        order = Order(order_number=f"R{number}", owner_id=owners[number % len(owners)],
                      status=statuses[number % len(statuses)],
                      ordered_at=min(moment, datetime(2026, 6, 15, 9)),
                      deleted_at=datetime(2026, 2, 1) if number % 17 == 5 else None, total=0)
        session.add(order)
        session.flush()
        if number % 9 != 4:  # every ninth order has no lines
            for product in chance.sample(products, chance.randrange(1, 4)):
                session.add(OrderLine(order_id=order.id, product_id=product.id,
                                      quantity=chance.choice([1, 2, 3]),
                                      unit_price=chance.randrange(100, 40000) / 100))
        orders.append(order)
    session.commit()
    return {"products": products, "orders": orders}


# ---- the reference: raw rows by plain SQL, counted in Python -------------------------------------------


def _raw(session: Session) -> tuple[list[Row], list[Row]]:
    """(order rows, order-by-category rows) of the live orders, every owner, every status."""
    users = {uid: name for uid, name in session.execute(text(
        "SELECT id, display_name FROM users WHERE deleted_at IS NULL")).all()}
    orders = {row.id: {"order": row.id, "owner_id": row.owner_id, "owner": users.get(row.owner_id),
                       "status": row.status, "day": _day(row.ordered_at), "total": row.total,
                       "revenue": None, "units": None, "category": None}
              for row in session.execute(text(
                  "SELECT id, owner_id, status, ordered_at, total FROM orders WHERE deleted_at IS NULL"))}
    lines = session.execute(text(
        "SELECT l.order_id, l.quantity, l.unit_price, CASE WHEN p.deleted_at IS NULL THEN p.category END "
        "FROM order_lines l JOIN products p ON p.id = l.product_id")).all()
    by_category: dict[tuple[int, str | None], Row] = {}
    for order_id, quantity, price, category in lines:
        if order_id not in orders:
            continue
        blank = {**orders[order_id], "category": category, "revenue": None, "units": None}
        for row in (orders[order_id], by_category.setdefault((order_id, category), blank)):
            row["revenue"] = (row["revenue"] or 0) + quantity * price
            row["units"] = (row["units"] or 0) + quantity
    return list(orders.values()), list(by_category.values())


def _day(value: Any) -> date:
    return (value if isinstance(value, datetime) else datetime.fromisoformat(str(value))).date()


def _bucket(row: Row, dimension: str) -> Any:
    day = row["day"]
    return {"day": day.isoformat(), "month": day.strftime("%Y-%m"), "year": str(day.year),
            "quarter": f"{day.year}-Q{(day.month + 2) // 3}",
            "week": f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"}.get(dimension, row.get(dimension))


def _reference(raw: tuple[list[Row], list[Row]], users: dict[int, User], actor: User, case: Case) -> dict:
    """{dimension values: [metric values]} as run_query reports them."""
    rows = raw[1] if case.by_category else raw[0]
    start, end = (case.period[1], case.period[2]) if case.period else (date.min, date.max)
    kept = [row for row in rows if in_reach(actor, users.get(row["owner_id"]))
            and row["status"] not in NOT_SOLD and start <= row["day"] < end and case.keep(row)]
    groups: dict[tuple, list[Row]] = {}
    for row in kept:
        groups.setdefault(tuple(_bucket(row, d) for d in case.dimensions), []).append(row)
    if not case.dimensions and not groups:
        groups[()] = []
    table = {key: [_figure(metric, group) for metric in case.metrics] for key, group in groups.items()}
    if case.limit:
        def rank(item: tuple[tuple, list]) -> tuple:  # largest first, then the names, empty ones last
            return (-(item[1][0] or 0), [(value is None, value or "") for value in item[0]])

        ranked = sorted(table.items(), key=rank)[: case.limit]
        table = dict(ranked)
    return table


def _figure(metric: str, rows: list[Row]) -> Any:
    orders = len({row["order"] for row in rows})
    revenue = sum(row["revenue"] for row in rows if row["revenue"] is not None)
    units = sum(row["units"] for row in rows if row["units"] is not None)
    return {"orders": orders, "revenue": round(revenue, 2), "units_sold": units,
            # amounts are whole cents: the average of their sum, as a person would work it out
            "average_order_value": round(round(revenue, 2) / orders, 2) if orders else None}[metric]


def _answer(session: Session, actor: User, case: Case, rollups: bool) -> dict:
    result = run_query(session, case.spec, actor, cache=False, rollups=rollups)
    width = len(case.dimensions)
    return {tuple(row[:width]): row[width:] for row in result.rows}


def _check(session: Session, world: World) -> None:
    raw = _raw(session)
    users = {user.id: user for user in world.users.values()}
    for case in CASES:
        for role in ACTORS:
            actor = world.actor(role)
            expected = _reference(raw, users, actor, case)
            served, fact = _answer(session, actor, case, True), _answer(session, actor, case, False)
            where = f"{case.name} for {role}"
            _same(served, expected, where)
            _same(fact, expected, where)
            assert list(served) == list(fact), where  # the same rows in the same order


def _same(got: dict, expected: dict, where: str) -> None:
    assert sorted(got, key=repr) == sorted(expected, key=repr), where
    for key, values in expected.items():
        assert len(got[key]) == len(values), where
        for value, wanted in zip(got[key], values, strict=True):
            assert value == (None if wanted is None else pytest.approx(wanted)), f"{where}: {key}"


# ---- the tests ---------------------------------------------------------------------------------------------


def test_each_spec_reads_the_table_expected(session, shop, world) -> None:
    for case in CASES:
        parts = compile_query(case.spec, world.actor("manager_owner_team"), session=session)
        assert [part.source for part in parts] == [case.source], case.name
        assert [part.source for part in compile_query(case.spec, world.actor("admin"), session=session,
                                                      rollups=False)] == [""]


def test_rollup_answers_equal_the_fact_tables_and_the_raw_rows_for_every_role(session, shop, world) -> None:
    _check(session, world)
    assert rollup.refresh(session) is False  # built by the first read; nothing changed since


def test_answers_stay_equal_after_every_kind_of_change(session, shop, world) -> None:
    _check(session, world)
    admin, staff = world.actor("admin"), world.actor("staff_owner")
    orders, products = shop["orders"], shop["products"]
    place_order(session=session, user=staff,
                data={"order_number": "NEW1", "ordered_at": datetime(2026, 6, 14, 8)},
                lines=[{"product_id": products[0].id, "quantity": 2, "unit_price": 10.0},
                       {"product_id": products[2].id, "quantity": 1, "unit_price": 5.5}])
    live = [order for order in orders if order.deleted_at is None and order.status in ("paid", "shipped")]
    _edit_line(session, admin, live[0])
    order_service.update(session=session, user=admin, record_id=live[1].id, changes={"status": "cancelled"})
    order_service.delete(session=session, user=admin, record_id=live[2].id)
    order_service.update(session=session, user=admin, record_id=live[3].id,
                         changes={"owner_id": world.users["sven"].id})
    order_service.update(session=session, user=admin, record_id=live[4].id,
                         changes={"ordered_at": datetime(2026, 6, 1, 12)})  # moved to another day
    session.add(OrderLine(order_id=live[5].id, product_id=products[4].id, quantity=4, unit_price=2.5))
    session.commit()
    _check(session, world)
    order_service.restore(session=session, user=admin, record_id=live[2].id)
    order_service.update(session=session, user=admin, record_id=live[1].id, changes={"status": "paid"})
    product_service.update(session=session, user=admin, record_id=products[1].id,
                           changes={"category": "Accessories"})
    product_service.update(session=session, user=admin, record_id=products[4].id,
                           changes={"category": "Cables"})
    product_service.delete(session=session, user=admin, record_id=products[2].id)
    _check(session, world)
    product_service.restore(session=session, user=admin, record_id=products[2].id)
    product_service.update(session=session, user=admin, record_id=products[3].id,
                           changes={"name": "Backpack"})
    _check(session, world)


def _edit_line(session: Session, admin: User, order: Order) -> None:
    """Change a line's quantity and price, audited on its order as an order edit is."""
    line = session.scalar(select(OrderLine.id).where(OrderLine.order_id == order.id).order_by(OrderLine.id))
    session.execute(update(OrderLine).where(OrderLine.id == line).values(quantity=7, unit_price=123.45))
    audit(session, admin, "update", "orders", order.id, {"lines": "before"}, {"lines": "after"})
    session.commit()


def test_a_fold_leaves_the_same_rows_as_a_rebuild(session, shop, world) -> None:
    def rows() -> list[tuple]:
        return sorted(tuple(map(_plain, row)) for table in (rollup.TOTALS, rollup.BY_CATEGORY)
                       for row in session.execute(text(
                           f"SELECT {', '.join(c.name for c in table.columns if c.name != 'id')} "
                           f"FROM {table.name}")).all())

    admin = world.actor("admin")
    rollup.refresh(session)
    orders, products = shop["orders"], shop["products"]
    order_service.update(session=session, user=admin, record_id=orders[6].id,
                         changes={"owner_id": world.users["olga"].id, "ordered_at": datetime(2025, 3, 3)})
    order_service.delete(session=session, user=admin, record_id=orders[7].id)
    product_service.update(session=session, user=admin, record_id=products[0].id, changes={"category": None})
    assert rollup.refresh(session) is True
    folded = rows()
    summaries.rebuild(session, rollup.SUMMARY)
    assert rows() == folded and folded


def _plain(value: Any) -> str:
    """A stored value as text; sums of amounts to the cent (float sums differ in their last bits)."""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def test_the_query_really_reads_the_rollup_and_a_rebuild_repairs_it(session, shop, world, cli) -> None:
    """A rollup changed behind the refresh's back shows in the answer (so the answer came from it)
    until `crm summaries rebuild` recomputes it from the orders."""
    admin = world.actor("admin")
    spec = QuerySpec(metrics=["revenue"])
    honest = run_query(session, spec, admin, cache=False).value()
    assert "order_rollup" in run_query(session, spec, admin, cache=False).sql
    session.execute(text("UPDATE order_rollup SET revenue = revenue + 1000 WHERE id = "
                         "(SELECT min(id) FROM order_rollup WHERE status = 'paid' AND revenue IS NOT NULL)"))
    session.commit()
    assert run_query(session, spec, admin, cache=False).value() == pytest.approx(honest + 1000)
    assert run_query(session, spec, admin, cache=False, rollups=False).value() == pytest.approx(honest)
    result = cli("summaries", "rebuild")
    assert result.exit_code == 0, result.output
    assert "order_rollup" in result.output
    assert run_query(session, spec, admin, cache=False).value() == pytest.approx(honest)
