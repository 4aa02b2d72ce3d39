"""run_query's results kept per data version and reader: an edit, from this session or another
connection, is seen at once; readers with other scopes never share a result; every cached answer
equals the one read from the database (`cache=False`) and the figure worked out with plain SQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.analytics import cache
from core.db import make_engine
from core.models import User
from core.query.engine import run_query, spec_key
from core.query.filters import Filter
from core.query.spec import QuerySpec
from core.services.orders import orders as order_service
from tests.integration.test_query_data import insert_crm

REVENUE = QuerySpec(metrics=["revenue", "orders"], dimensions=["owner"])


def _crm(engine: Engine, *people: User) -> dict[str, User]:
    return insert_crm(engine, *people)


def _sold(engine: Engine, owner_id: int | None = None) -> list[tuple[str, float, int]]:
    """Revenue and orders per owner, by plain SQL (the reference the cached figures must equal)."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT u.display_name, coalesce(sum(l.quantity * l.unit_price), 0), count(DISTINCT o.id) "
            "FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id "
            "LEFT JOIN users u ON u.id = o.owner_id AND u.deleted_at IS NULL "
            "WHERE o.deleted_at IS NULL AND o.status NOT IN ('quote', 'cancelled') "
            + ("AND o.owner_id = :owner " if owner_id else "")
            + "GROUP BY u.display_name"), {"owner": owner_id}).all()
    return _sorted([(name, round(float(amount), 2), int(count)) for name, amount, count in rows])


def _rows(result) -> list[tuple[str, float, int]]:  # type: ignore[no-untyped-def]
    return _sorted([(name, amount, count) for name, amount, count in result.rows])


def _sorted(rows: list[tuple[str, float, int]]) -> list[tuple[str, float, int]]:
    return sorted(rows, key=lambda row: (row[0] is None, row[0] or ""))  # unowned orders last


def test_the_same_question_is_answered_from_the_cache_until_an_edit(
        engine: Engine, session: Session, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> None:
    _crm(engine, admin, manager, staff, other_staff, outsider)
    first = run_query(session, REVENUE, admin)
    assert _rows(first) == _sold(engine)
    hits = cache.RESULTS.hits
    again = run_query(session, QuerySpec(metrics=["revenue", "orders"], dimensions=["owner"]), admin)
    assert cache.RESULTS.hits == hits + 1 and again.rows == first.rows
    again.rows[0][1] = -1  # a caller changing its copy does not change the kept rows
    assert run_query(session, REVENUE, admin).rows == first.rows

    order_id = session.scalar(text("SELECT min(id) FROM orders WHERE status NOT IN ('quote', 'cancelled') "
                                   "AND deleted_at IS NULL"))
    order_service.update(session=session, user=admin, record_id=order_id, changes={"status": "cancelled"})
    after = run_query(session, REVENUE, admin)
    assert _rows(after) == _sold(engine) != _rows(first)
    assert after.rows == run_query(session, REVENUE, admin, cache=False).rows


def test_an_edit_through_another_connection_is_seen_at_once(
        engine: Engine, session: Session, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> None:
    """As a second app process would: its own engine, its own session, a service edit."""
    _crm(engine, admin, manager, staff, other_staff, outsider)
    before = run_query(session, REVENUE, admin)
    session.commit()  # end the read transaction, as each page run does
    other = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with Session(other) as elsewhere:
            order_id = elsewhere.scalar(text("SELECT min(id) FROM orders WHERE deleted_at IS NULL "
                                             "AND status NOT IN ('quote', 'cancelled')"))
            order_service.delete(session=elsewhere, user=elsewhere.get(User, admin.id), record_id=order_id)
    finally:
        other.dispose()
    after = run_query(session, REVENUE, admin)
    assert _rows(after) == _sold(engine) and after.rows != before.rows


def test_readers_with_other_scopes_never_share_a_result(
        engine: Engine, session: Session, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> None:
    _crm(engine, admin, manager, staff, other_staff, outsider)
    everyone = _rows(run_query(session, REVENUE, admin))
    sams = _rows(run_query(session, REVENUE, staff))
    olgas = _rows(run_query(session, REVENUE, other_staff))
    assert everyone == _sold(engine)
    assert sams == _sold(engine, staff.id) and olgas == _sold(engine, other_staff.id)
    assert sams != olgas and sams != everyone
    # Asked again in another order, each reader still gets their own figures.
    assert _rows(run_query(session, REVENUE, other_staff)) == olgas
    assert _rows(run_query(session, REVENUE, staff)) == sams
    assert _rows(run_query(session, REVENUE, admin)) == everyone


def test_the_key_is_a_stable_hash_of_the_question() -> None:
    spec = QuerySpec(metrics=["revenue"], dimensions=["month"], period="this year",
                     filters=[Filter(field="city", value="Milano")])
    same = QuerySpec.model_validate_json(spec.model_dump_json())
    assert spec_key(spec) == spec_key(same) and len(spec_key(spec)) == 64
    assert spec_key(spec) != spec_key(spec.model_copy(update={"period": "last year"}))


def test_figures_that_depend_on_the_clock_follow_it(engine: Engine, session: Session, admin: User,
                                                    manager: User, staff: User, other_staff: User,
                                                    outsider: User, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Overdue tasks compare with the current moment: the kept figure is for the current minute."""
    _crm(engine, admin, manager, staff, other_staff, outsider)
    import core.query.engine as engine_module

    spec = QuerySpec(metrics=["overdue_tasks"])
    monkeypatch.setattr(engine_module, "clock_now", lambda: datetime(2026, 6, 15, 9, 0))
    run_query(session, spec, admin)
    hits = cache.RESULTS.hits
    run_query(session, spec, admin)
    assert cache.RESULTS.hits == hits + 1
    monkeypatch.setattr(engine_module, "clock_now", lambda: datetime(2026, 6, 15, 9, 1))
    run_query(session, spec, admin)
    assert cache.RESULTS.hits == hits + 1  # a new minute: read again
