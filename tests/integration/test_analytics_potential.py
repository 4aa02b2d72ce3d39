"""Sales potential on both backends: fitting as of today, scoped scores, reasons and the review list.

Data inserted directly: 12 "regulars" order every 30 days for a year and keep doing so, 12
"one-offs" ordered once, long ago. Whoever bought in one 90-day window buys in the next, so the
out-of-time check ranks perfectly (AUC 1) and the regulars get the high scores.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.analytics.potential import (
    ACCEPTED,
    contact_potential,
    potential_dashboard,
    review_prospect,
)
from core.errors import NotFound
from core.models import Contact, Order, OrderLine, Product, User

TODAY = date(2026, 6, 15)


pytestmark = pytest.mark.usefixtures("fresh_cache")  # analytics results are kept per data version


def _history(session: Session, staff: User, other_staff: User) -> dict[str, list[int]]:
    product = Product(sku="P", name="Plan", price=100)
    session.add(product)
    session.flush()
    groups: dict[str, list[int]] = {"regulars": [], "one_offs": [], "staff": []}
    for number in range(24):
        regular = number % 2 == 0
        owner = staff if number < 6 else other_staff
        contact = Contact(first_name=f"C{number}", last_name="Test", owner_id=owner.id, gender="female",
                          birth_date=date(1980 + number % 10, 1, 1), household_income=30_000 + 1000 * number,
                          created_at=datetime(2024, 1, 1))
        session.add(contact)
        session.flush()
        days = range(0, 400, 30) if regular else [700]
        for day in days:
            order = Order(order_number=f"O{contact.id}-{day}", contact_id=contact.id, owner_id=owner.id,
                          ordered_at=datetime.combine(TODAY - timedelta(days=day + 1), datetime.min.time()))
            session.add(order)
            session.flush()
            session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=1, unit_price=100))
        groups["regulars" if regular else "one_offs"].append(contact.id)
        if owner.id == staff.id:
            groups["staff"].append(contact.id)
    session.commit()
    return groups


@pytest.fixture
def people(session: Session, staff: User, other_staff: User) -> dict[str, list[int]]:
    return _history(session, staff, other_staff)


def test_the_model_is_checked_out_of_time_and_ranks_the_regulars_first(session, people, admin) -> None:
    board = potential_dashboard(session, admin)
    assert board.problem is None and board.as_of == TODAY
    assert board.auc == pytest.approx(1.0)
    assert board.base_rate == pytest.approx(0.5)  # 12 of 24 bought in the test window
    assert board.lift.iloc[0]["lift"] == pytest.approx(2.0)  # top decile: all buyers, rate 1 / 0.5
    assert list(board.lift.columns) == ["decile", "rate", "lift"]  # shares only, no counts of records
    assert board.scored == 24 and board.distribution["contacts"].sum() == 24
    top = board.prospects.head(12)
    assert set(top["contact_id"]) == set(people["regulars"])
    assert top["probability"].min() > 0.5 > board.prospects.tail(12)["probability"].max()
    assert top["factor_1"].str.contains(r"\(\+|\(-", regex=True).all()  # each reason with its weight


def test_staff_see_scores_of_their_own_contacts_only(session, people, staff) -> None:
    board = potential_dashboard(session, staff)
    assert board.scored == 6 and set(board.prospects["contact_id"]) == set(people["staff"])
    hidden = next(c for c in people["regulars"] if c not in people["staff"])
    with pytest.raises(NotFound):
        contact_potential(session, staff, hidden)


def test_one_contacts_score_and_reasons(session, people, staff) -> None:
    regular, one_off = (next(c for c in people[g] if c in people["staff"]) for g in ("regulars", "one_offs"))
    high, low = contact_potential(session, staff, regular), contact_potential(session, staff, one_off)
    assert high.probability is not None and low.probability is not None
    assert high.probability > 0.5 > low.probability
    assert len(high.reasons) == 3 and any("bought 14 times" in r for r in high.reasons)
    assert high.review is None and high.horizon_days == 90


def test_a_review_is_an_audited_tag_and_nothing_is_stored_without_one(session, engine, people, staff) -> None:
    contact_id = people["staff"][0]
    potential_dashboard(session, staff)
    with engine.connect() as connection:  # scoring wrote nothing
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
    review_prospect(session, staff, contact_id, "accepted")
    assert session.get(Contact, contact_id).tags == [ACCEPTED]
    assert contact_potential(session, staff, contact_id).review == "accepted"
    board = potential_dashboard(session, staff)
    assert board.prospects.set_index("contact_id").loc[contact_id, "review"] == "accepted"
    review_prospect(session, staff, contact_id, "dismissed")
    assert session.get(Contact, contact_id).tags == ["prospect-dismissed"]
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT action, entity, entity_id FROM audit_log ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("update", "contacts", contact_id)] * 2


def test_without_history_there_is_no_model_and_it_says_so(session, staff) -> None:
    contact = Contact(first_name="Lone", owner_id=staff.id)
    session.add(contact)
    session.commit()
    board = potential_dashboard(session, staff)
    assert board.problem is not None and "Not enough history" in board.problem
    single = contact_potential(session, staff, contact.id)
    assert single.probability is None and single.problem == board.problem


def test_a_model_is_fitted_on_read_once_history_arrives(session, staff, other_staff) -> None:
    """A kept "not enough history" is no model: the next reader after new orders tries again."""
    session.add(Contact(first_name="Lone", owner_id=staff.id))
    session.commit()
    assert potential_dashboard(session, staff).problem is not None
    _history(session, staff, other_staff)
    board = potential_dashboard(session, staff)
    assert board.problem is None and board.fitted_on == TODAY and board.fitted_contacts == 24  # Lone is new
