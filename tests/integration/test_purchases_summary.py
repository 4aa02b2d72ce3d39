"""The purchases summary behind RFM, loyalty and potential, on both backends.

Every figure read through the summary must equal the figure the pandas analytics compute from the
raw rows (`loaders.orders_frame` / `purchases_frame`: orders joined to their lines, read whole), for
an admin, a manager and a staff member, before and after edits made through the services (an order
edited, cancelled, deleted and restored, a line added, a contact soft-deleted, restored and given
to another owner). The data is inserted directly, with orders of one contact taken by several
owners, orders after the pinned today (2026-06-15), quotes, cancelled and deleted orders.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from core.analytics import (
    cache,
    cohort_cells,
    dashboards,
    loaders,
    loyalty,
    potential,
    potential_scores,
    propensity,
    purchases,
    rfm,
    summaries,
)
from core.config import today
from core.models import Contact, Order, OrderFact, OrderLine, Product, SummaryState, User
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.services.contacts import contacts as contact_service
from core.services.orders import orders as order_service
from core.services.records import batch
from tests.conftest import insert_user

STATUSES = ["paid"] * 6 + ["shipped"] * 3 + ["placed", "quote", "cancelled"]


pytestmark = pytest.mark.usefixtures("fresh_cache")  # analytics results are kept per data version


@pytest.fixture
def people(engine, admin, manager, staff, other_staff, outsider) -> dict[str, User]:  # type: ignore[no-untyped-def]
    return {"admin": admin, "manager": manager, "staff": staff, "other": other_staff, "outsider": outsider}


@pytest.fixture
def shop(session: Session, people: dict[str, User]) -> list[Contact]:
    """40 contacts of four owners (and none), 0-6 orders each over 2.5 years, amounts in quarters
    (exact in binary, so sums do not depend on the order of addition)."""
    chance = random.Random(8)
    owners = [people[name].id for name in ("staff", "other", "outsider", "manager")] + [None]
    products = [Product(sku=f"P{i}", name=f"Product {i}", category="Things") for i in range(3)]
    session.add_all(products)
    session.flush()
    contacts = [Contact(first_name=f"C{i}", last_name="Test", owner_id=chance.choice(owners))
                for i in range(40)]
    session.add_all(contacts)
    session.flush()
    number = 0
    for contact in contacts:
        for _ in range(chance.choice([0, 1, 1, 2, 3, 4, 6])):
            number += 1
            owner = contact.owner_id if chance.random() < 0.8 else chance.choice(owners)
            moment = datetime(2024, 1, 1) + timedelta(days=chance.randrange(0, 900),
                                                      hours=chance.randrange(24))
            order = Order(order_number=f"T{number}", contact_id=contact.id, owner_id=owner, ordered_at=moment,
                          status=chance.choice(STATUSES),
                          deleted_at=datetime(2026, 1, 1) if chance.random() < 0.05 else None)
            session.add(order)
            session.flush()
            for _ in range(chance.choice([0, 1, 2, 3])):
                session.add(OrderLine(order_id=order.id, product_id=chance.choice(products).id,
                                      quantity=chance.choice([1, 2, 3]),
                                      unit_price=chance.randrange(1, 400) / 4))
    session.commit()
    return contacts


# ---- references: the pandas analytics over the raw rows -------------------------------------------------


def _same(actual: pd.DataFrame | pd.Series, expected: pd.DataFrame | pd.Series, what: str) -> None:
    assert len(actual) == len(expected), what
    if isinstance(actual, pd.DataFrame):
        pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected.reset_index(drop=True),
                                      check_dtype=False, check_index_type=False, obj=what)
    else:
        pd.testing.assert_series_equal(actual, expected, check_dtype=False, check_index_type=False, obj=what)


def _check_rfm(session: Session, user: User) -> None:
    board = dashboards.rfm_dashboard(session, user)
    expected = rfm.rfm_scores(loaders.orders_frame(session, user), today())
    _same(dashboards.rfm_scores(session, user), expected, f"RFM scores for {user.role}")
    for segment in expected["segment"].unique():
        top = expected[expected["segment"] == segment].nlargest(3, "monetary")["contact_id"].tolist()
        assert dashboards.segment_members(session, user, segment, limit=3)["contact_id"].tolist() == top
        longer = expected[expected["segment"] == segment].nlargest(dashboards.MEMBERS_KEPT + 50, "monetary")
        assert dashboards.segment_members(session, user, segment, limit=dashboards.MEMBERS_KEPT + 50)[
            "contact_id"].tolist() == longer["contact_id"].tolist()
    _same(board.summary, rfm.segment_summary(expected), f"RFM segments for {user.role}")
    assert board.customers == len(expected)
    assert board.revenue == pytest.approx(float(expected["monetary"].sum()))


def _check_loyalty(session: Session, user: User) -> None:
    board = dashboards.loyalty_dashboard(session, user)
    orders = loaders.orders_frame(session, user)
    shown = dashboards.COHORTS_SHOWN
    retention = loyalty.cohort_retention(orders, today=today(), max_months=shown - 1).tail(shown)
    _same(board.retention, retention, f"cohort matrix for {user.role}")
    sizes = loyalty.cohort_sizes(orders, today=today()).reindex(retention.index)
    _same(board.cohort_sizes, sizes, f"cohort sizes for {user.role}")
    churn = loyalty.churn_risk(orders, today())
    assert board.at_risk == len(churn)
    assert board.revenue_at_stake == pytest.approx(float(churn["revenue_at_stake"].sum()))
    assert board.churn["contact_id"].tolist() == churn["contact_id"].head(dashboards.CHURN_SHOWN).tolist()
    np.testing.assert_allclose(board.churn["risk"], churn["risk"].head(dashboards.CHURN_SHOWN))
    assert board.churn["reason"].tolist() == churn["reason"].head(dashboards.CHURN_SHOWN).tolist()
    assert board.customers == orders["contact_id"].nunique()
    expected_rate = loyalty.repeat_purchase_rate(orders)
    assert board.repeat_rate == pytest.approx(expected_rate, nan_ok=True)


def _check_potential(session: Session, user: User) -> None:
    features = potential_scores.features(session, user, today())  # the contact_features summary
    expected = propensity.build_features(loaders.contacts_frame(session, user),
                                         loaders.purchases_frame(session, user), today()).sort_index()
    assert features.index.tolist() == expected.index.tolist(), f"potential: contacts for {user.role}"
    _same(features, expected, f"potential features for {user.role}")
    for every in (1, 3):
        contacts = loaders.contacts_frame(session, None, every=every)["contact_id"]
        live = session.scalars(select(Contact.id).where(Contact.deleted_at.is_(None))).all()
        assert sorted(contacts) == [i for i in sorted(live) if i % every == 0], f"training contacts, {every}"
        sampled = purchases.purchases(session, every=every).sort_values("order_id")
        raw = loaders.purchases_frame(session, None, every=every).sort_values("order_id")
        columns = ["order_id", "contact_id", "ordered_at", "amount"]
        _same(sampled[columns], raw, f"training orders 1 in {every}")


def _raw_sold_orders(session: Session) -> pd.DataFrame:
    """The counted orders straight from the orders and contacts tables, with plain SQL."""
    from sqlalchemy import text

    not_sold = ", ".join(f"'{status}'" for status in NOT_SOLD_ORDER_STATUSES)
    return pd.DataFrame(session.execute(text(
        "SELECT o.contact_id, COALESCE(o.owner_id, 0) AS owner_key, o.ordered_at FROM orders o "
        "JOIN contacts c ON c.id = o.contact_id WHERE c.deleted_at IS NULL AND o.deleted_at IS NULL "
        f"AND o.status NOT IN ({not_sold}) AND o.ordered_at IS NOT NULL")).all(),
        columns=["contact_id", "owner_key", "ordered_at"])


def _check_cohort_cells(session: Session) -> None:
    """The kept cells and shared customers equal a recount from the raw orders: per owner, first
    month and month, the customers whose counted orders that one owner took."""
    from sqlalchemy import text

    purchases.refresh(session)
    orders = _raw_sold_orders(session)
    moments = pd.to_datetime(orders["ordered_at"].astype(str), format="ISO8601")
    orders = orders.assign(month=moments.dt.year * 12 + moments.dt.month - 1)
    owners = orders.groupby("contact_id")["owner_key"].nunique()
    shared = sorted(owners[owners > 1].index)
    single = orders[orders["contact_id"].isin(owners[owners == 1].index)]
    single = single.assign(cohort=single.groupby("contact_id")["month"].transform("min"))
    expected = (single.drop_duplicates(["contact_id", "month"]).groupby(["owner_key", "cohort", "month"])
                .size().sort_index())
    kept = session.execute(text("SELECT owner_key, cohort, month, customers FROM cohort_cells "
                                "ORDER BY owner_key, cohort, month")).all()
    assert [tuple(row) for row in kept] == [(*key, n) for key, n in expected.items()], "cohort cells"
    assert session.execute(text("SELECT contact_id FROM shared_customers ORDER BY contact_id")).scalars()\
        .all() == shared, "shared customers"


def _check_everything(session: Session, people: dict[str, User], when: str) -> None:
    try:
        _check_cohort_cells(session)
    except AssertionError as error:
        raise AssertionError(f"{when}: {error}") from error
    for role in ("admin", "manager", "staff"):
        cache.RESULTS.clear()
        user = people[role]
        try:
            _check_rfm(session, user)
            _check_loyalty(session, user)
            _check_potential(session, user)
        except AssertionError as error:
            raise AssertionError(f"{when}, as {role}: {error}") from error


def _summary_rows(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OrderFact)) or 0


# ---- the tests ---------------------------------------------------------------------------------------


def test_summary_figures_equal_the_raw_rows_for_every_role(session, shop, people) -> None:
    _check_everything(session, people, "first build")
    assert _summary_rows(session) > 0
    from sqlalchemy import text

    # customers of several owners, whom the cohort matrix recounts per reader, are in the data
    assert session.scalar(text("SELECT COUNT(*) FROM shared_customers")) > 0


def test_orders_after_today_are_left_out_for_one_owner_customers(session, shop, people) -> None:
    """A customer of one owner with a later order, and one whose only order is later, count as
    of the pinned today: their kept cohort counts are taken back and recounted."""
    from sqlalchemy import text

    _check_everything(session, people, "first build")
    shared = set(session.scalars(text("SELECT contact_id FROM shared_customers")))
    regular = next(contact for contact in shop if contact.id not in shared and contact.owner_id is not None
                   and session.scalar(select(func.count()).select_from(Order)
                                      .where(Order.contact_id == contact.id, Order.status == "paid")))
    newcomer = Contact(first_name="Late", last_name="Comer", owner_id=people["staff"].id)
    session.add(newcomer)
    session.flush()
    for number, buyer in enumerate((regular, newcomer)):
        order = Order(order_number=f"LATE{number}", contact_id=buyer.id, owner_id=buyer.owner_id,
                      ordered_at=datetime(2026, 7, 1 + number), status="paid")
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, product_id=session.scalar(select(Product.id)), quantity=1,
                              unit_price=40.0))
    session.commit()
    _check_everything(session, people, "after orders dated after today")
    late = set(session.scalars(text("SELECT contact_id FROM contact_purchases WHERE last_day > :today"),
                               {"today": purchases.day_number(today())}))
    assert {regular.id, newcomer.id} <= late - shared


def test_figures_follow_every_kind_of_change(session, shop, people) -> None:
    admin = people["admin"]
    _check_everything(session, people, "first build")
    orders = session.scalars(select(Order).where(Order.deleted_at.is_(None), Order.status == "paid")
                             .order_by(Order.id)).all()
    first, second, third = orders[0], orders[1], orders[2]

    order_service.update(session=session, user=admin, record_id=first.id,
                         changes={"ordered_at": datetime(2026, 6, 14, 9, 30)})
    _check_everything(session, people, "after moving an order's date")

    order_service.update(session=session, user=admin, record_id=second.id, changes={"status": "cancelled"})
    _check_everything(session, people, "after cancelling an order")

    session.add(OrderLine(order_id=third.id, product_id=session.scalar(select(Product.id)), quantity=2,
                          unit_price=12.5))
    session.commit()
    _check_everything(session, people, "after adding a line to an order")

    order_service.delete(session=session, user=admin, record_id=third.id)
    _check_everything(session, people, "after deleting an order")
    order_service.restore(session=session, user=admin, record_id=third.id)
    _check_everything(session, people, "after restoring an order")

    order_service.update(session=session, user=admin, record_id=third.id,
                         changes={"owner_id": people["outsider"].id})
    _check_everything(session, people, "after giving an order to another owner")

    buyer = first.contact_id
    contact_service.delete(session=session, user=admin, record_id=buyer)
    _check_everything(session, people, "after deleting a contact")
    contact_service.restore(session=session, user=admin, record_id=buyer)
    _check_everything(session, people, "after restoring a contact")

    contact_service.update(session=session, user=admin, record_id=buyer,
                           changes={"owner_id": people["staff"].id})
    _check_everything(session, people, "after a contact's owner change")

    order_service.update(session=session, user=admin, record_id=first.id, changes={"contact_id": shop[0].id})
    _check_everything(session, people, "after moving an order to another contact")


def test_a_new_order_is_folded_in_without_a_rebuild(session, shop, people, engine) -> None:
    admin = people["admin"]
    before = dashboards.rfm_dashboard(session, admin).revenue
    built = session.scalar(select(func.min(OrderFact.order_id)))
    contact = shop[5]
    order = Order(order_number="NEW", contact_id=contact.id, owner_id=contact.owner_id,
                  ordered_at=datetime(2026, 6, 1), status="paid")
    session.add(order)
    session.flush()
    session.add(OrderLine(order_id=order.id, product_id=session.scalar(select(Product.id)), quantity=1,
                          unit_price=100.0))
    session.commit()
    cache.RESULTS.clear()
    assert dashboards.rfm_dashboard(session, admin).revenue == pytest.approx(before + 100.0)
    assert session.scalar(select(func.min(OrderFact.order_id))) == built  # rows kept, not rebuilt
    _check_everything(session, people, "after a new order")


def test_a_second_process_finds_the_summary_up_to_date(session, shop, people, engine) -> None:
    """The state is in the database: another session (another process) does not rebuild."""
    dashboards.rfm_dashboard(session, people["admin"])
    with Session(engine) as other:
        version = summaries.data_version(other)
        state = other.get(SummaryState, "purchases")
        assert state is not None and state.data_version == version
        purchases.refresh(other)  # nothing to fold: returns at once
        assert other.get(SummaryState, "purchases").refreshed_at == state.refreshed_at


def test_rebuild_gives_the_same_rows(session, shop, people) -> None:
    dashboards.rfm_dashboard(session, people["admin"])
    first = session.scalar(select(func.min(Order.id)))
    order_service.update(session=session, user=people["admin"], record_id=first,
                         changes={"status": "cancelled"})
    purchases.refresh(session)
    tables = (*purchases.TABLES, *cohort_cells.TABLES)
    folded = {table: _rows(session, table) for table in tables}
    summaries.rebuild(session, purchases.SUMMARY)
    assert {table: _rows(session, table) for table in tables} == folded


def test_a_manager_of_another_team_sees_none_of_it(session, shop, engine) -> None:
    stranger = insert_user(engine, "stan", "manager", team="west")
    assert dashboards.rfm_dashboard(session, stranger).customers == len(
        rfm.rfm_scores(loaders.orders_frame(session, stranger), today()))
    _check_rfm(session, stranger)
    _check_loyalty(session, stranger)


def _rows(session: Session, table: str) -> list[tuple]:  # type: ignore[type-arg]
    from sqlalchemy import text

    rows = session.execute(text(f"SELECT * FROM {table}")).all()
    return sorted(tuple(str(value) for value in row) for row in rows)


# ---- a dashboard read inside a caller's unit of work ------------------------------------------------------


def _committed(engine, first_name: str) -> int:  # type: ignore[no-untyped-def]
    """Contacts of that first name another connection sees: what has been committed."""
    from sqlalchemy import text

    with engine.connect() as other:
        return int(other.execute(text("SELECT count(*) FROM contacts WHERE first_name = :name"),
                                 {"name": first_name}).scalar_one())


def _pending_purchase(session: Session, admin: User, amount: float) -> Contact:
    """A contact created through the service and a paid order of `amount`, flushed, not committed
    (on SQLite the session now holds the write lock)."""
    buyer = contact_service.create(session=session, user=admin,
                                   data={"first_name": "Pending", "last_name": "Buyer"})
    order = Order(order_number="PENDING", contact_id=buyer.id, owner_id=admin.id,
                  ordered_at=datetime(2026, 6, 1), status="paid")
    session.add(order)
    session.flush()
    session.add(OrderLine(order_id=order.id, product_id=session.scalar(select(Product.id)), quantity=1,
                          unit_price=amount))
    session.flush()
    return buyer


def test_a_dashboard_read_neither_commits_nor_loses_the_callers_write(session, shop, people, engine) -> None:
    """A use case that wrote and then reads a dashboard before its commit: the read commits nothing;
    the write is committed by the use case and then counted. On SQLite, whose write lock the caller
    holds, the refresh runs in the caller's transaction and counts the pending order at once."""
    admin = people["admin"]
    before = dashboards.rfm_dashboard(session, admin).revenue
    with batch(session):
        _pending_purchase(session, admin, 100.0)
        session.add(Contact(first_name="Unflushed", last_name="Buyer"))
        cache.RESULTS.clear()
        during = dashboards.rfm_dashboard(session, admin).revenue
        assert _committed(engine, "Pending") == 0 and _committed(engine, "Unflushed") == 0
        counts_pending = engine.dialect.name == "sqlite"
        assert during == pytest.approx(before + 100.0 if counts_pending else before)
    assert _committed(engine, "Pending") == 1 and _committed(engine, "Unflushed") == 1
    cache.RESULTS.clear()
    assert dashboards.rfm_dashboard(session, admin).revenue == pytest.approx(before + 100.0)
    _check_everything(session, people, "after a write read by a dashboard before its commit")


def test_a_model_fitted_during_a_use_case_commits_none_of_its_writes(session, shop, people, engine) -> None:
    """Sales potential read mid use case: the new order makes it fit and keep a model, and keeping it
    must not commit the use case's pending write (which then fails and leaves no trace)."""
    admin = people["admin"]
    with pytest.raises(RuntimeError), batch(session):
        _pending_purchase(session, admin, 100.0)
        cache.RESULTS.clear()
        potential.potential_dashboard(session, admin)
        assert _committed(engine, "Pending") == 0
        raise RuntimeError("the use case fails after reading sales potential")
    assert _committed(engine, "Pending") == 0


def test_a_write_rolled_back_after_a_dashboard_read_leaves_no_trace(session, shop, people, engine) -> None:
    admin = people["admin"]
    before = dashboards.rfm_dashboard(session, admin).revenue
    with pytest.raises(RuntimeError), batch(session):
        _pending_purchase(session, admin, 100.0)
        cache.RESULTS.clear()
        dashboards.rfm_dashboard(session, admin)
        raise RuntimeError("the use case fails after reading the dashboard")
    assert _committed(engine, "Pending") == 0
    cache.RESULTS.clear()
    assert dashboards.rfm_dashboard(session, admin).revenue == pytest.approx(before)
    _check_everything(session, people, "after a write rolled back after a dashboard read")


def test_a_failing_refresh_keeps_the_callers_write(session, shop, people, engine) -> None:
    """A refresh that fails is rolled back alone (its own transaction, or a savepoint on SQLite):
    the caller's pending write survives and can still be committed."""
    def fail(*_: object) -> None:
        raise RuntimeError("fold failed")

    broken = summaries.Summary("broken", ("orders",), build=fail, fold=fail)
    admin = people["admin"]
    with batch(session):
        _pending_purchase(session, admin, 100.0)
        with pytest.raises(RuntimeError):
            summaries.refresh(session, broken)
        assert _committed(engine, "Pending") == 0
    assert _committed(engine, "Pending") == 1
    assert session.scalar(select(func.count()).select_from(SummaryState)
                          .where(SummaryState.name == "broken")) == 0
