"""Sales-potential scores computed by the database, and the fitted model kept between processes.

The scores the dashboard shows (top prospects, their probabilities, the count per probability
band, the number scored) must equal scores computed here with plain numpy from the raw rows
(`loaders.contacts_frame` / `purchases_frame` through the pandas features), with the same fitted
coefficients, for each role and after edits. The model must be read back, not refitted, when the
data did not change (a new process included), and refitted after new orders or contacts.

Data inserted directly: 70 contacts of four owners and none, with missing and odd demographics
(blank, upper-case and unknown genders, birthdays on and after today), regular and occasional
buyers, orders after the pinned today (2026-06-15), quotes, cancelled orders, a deleted contact
and contacts created after today.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from core.analytics import loaders, potential, propensity
from core.analytics.cache import RESULTS
from core.config import today
from core.models import Contact, Order, OrderLine, PotentialModelRow, Product, User
from core.services.contacts import contacts as contact_service
from core.services.orders import orders as order_service

GENDERS = ["female", "male", "Female", " Male ", "other", "nonbinary", "", None]
STATUSES = ["paid"] * 8 + ["shipped", "quote", "cancelled"]


@pytest.fixture
def people(engine, admin, manager, staff, other_staff, outsider) -> dict[str, User]:  # type: ignore[no-untyped-def]
    return {"admin": admin, "manager": manager, "staff": staff, "other": other_staff, "outsider": outsider}


def _contact(chance: random.Random, number: int, owner: int | None) -> Contact:
    birth = chance.choice([None, date(1970 + number % 40, 6, 15), date(1985, 6, 16),
                           date(1960 + number % 30, 1 + number % 12, 1 + number % 28)])
    created = datetime(2026, 6, 16) if number % 23 == 22 else datetime(2023, 1, 1)  # some created later
    return Contact(first_name=f"P{number}", last_name="Test", owner_id=owner, gender=chance.choice(GENDERS),
                   birth_date=birth, household_income=chance.choice([None, 20_000.0, 45_500.0, 80_250.0]),
                   created_at=created, deleted_at=datetime(2026, 1, 1) if number == 7 else None)


@pytest.fixture
def shop(session: Session, people: dict[str, User]) -> list[Contact]:
    chance = random.Random(13)
    owners = [people[name].id for name in ("staff", "other", "outsider", "manager")] + [None]
    product = Product(sku="PP", name="Plan", price=10)
    session.add(product)
    session.flush()
    contacts = [_contact(chance, number, chance.choice(owners)) for number in range(70)]
    session.add_all(contacts)
    session.flush()
    for contact in contacts:
        every = chance.choice([25, 40, 90, 400, 0, 0])  # days between orders; 0 = never ordered
        day = 5 + chance.randrange(40)
        while every and day < 800:
            ordered = datetime.combine(today(), datetime.min.time()) - timedelta(days=day - 20, hours=3)
            order = Order(order_number=f"PO{contact.id}-{day}", contact_id=contact.id, ordered_at=ordered,
                          owner_id=contact.owner_id if chance.random() < 0.8 else chance.choice(owners),
                          status=chance.choice(STATUSES))  # day − 20: some orders after today
            session.add(order)
            session.flush()
            session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=chance.choice([1, 2]),
                                  unit_price=chance.randrange(4, 400) / 4))
            day += every
    session.commit()
    return contacts


# ---- the reference: numpy over the raw rows -------------------------------------------------------------


def _expected_scores(session: Session, user: User, model: propensity.LinearModel) -> pd.DataFrame:
    """contact_id, probability of every contact `user` sees, best first (ties by id), by hand."""
    raw = propensity.build_features(loaders.contacts_frame(session, user),
                                    loaders.purchases_frame(session, user), today())
    values = raw[list(propensity.FEATURES)].to_numpy(dtype=float)
    values = np.where(np.isnan(values), np.array(model.medians), values)
    logit = ((values - np.array(model.means)) / np.array(model.scales)) @ np.array(model.coefficients)
    probability = 1.0 / (1.0 + np.exp(-(logit + model.intercept)))
    scores = pd.DataFrame({"contact_id": raw.index.to_numpy(), "probability": probability})
    return scores.sort_values(["probability", "contact_id"], ascending=[False, True]).reset_index(drop=True)


def _check_scores(session: Session, user: User, when: str) -> None:
    RESULTS.clear()
    board = potential.potential_dashboard(session, user)
    model = potential.fitted_model(session).model
    assert board.problem is None and model is not None, when
    expected = _expected_scores(session, user, model)
    shown = expected.head(potential.PROSPECTS_SHOWN)
    what = f"{when}, as {user.role}"
    assert board.scored == len(expected), what
    assert board.prospects["contact_id"].tolist() == shown["contact_id"].tolist(), what
    np.testing.assert_allclose(board.prospects["probability"], shown["probability"], rtol=1e-9, err_msg=what)
    top = max(float(expected["probability"].max()), 0.01) if len(expected) else 1.0
    counts, edges = np.histogram(expected["probability"], bins=potential.BINS, range=(0.0, top))
    assert board.distribution["contacts"].tolist() == counts.tolist(), what
    np.testing.assert_allclose(board.distribution["from"], edges[:-1], rtol=1e-9, err_msg=what)


def _check_every_role(session: Session, people: dict[str, User], when: str) -> None:
    for role in ("admin", "manager", "staff", "outsider"):
        _check_scores(session, people[role], when)


# ---- the tests ---------------------------------------------------------------------------------------


def test_scores_from_the_database_equal_numpy_over_the_raw_rows_for_every_role(session, shop, people) -> None:
    _check_every_role(session, people, "first build")
    board = potential.potential_dashboard(session, people["admin"])
    assert 0 < board.scored < len(shop)  # the deleted contact and those created after today are left out


def test_scores_follow_edits_owner_changes_deletes_and_new_orders(session, shop, people) -> None:
    admin, staff = people["admin"], people["staff"]
    _check_every_role(session, people, "first build")
    mine = potential.potential_dashboard(session, staff).prospects["contact_id"].tolist()
    edits = {"birth_date": date(1990, 6, 16), "gender": "male", "household_income": None}
    contact_service.update(session=session, user=admin, record_id=mine[0], changes=edits)
    contact_service.update(session=session, user=admin, record_id=shop[1].id, changes={"owner_id": staff.id})
    contact_service.delete(session=session, user=admin, record_id=mine[-1])
    _check_every_role(session, people, "after edits, an owner change and a delete")
    order = session.scalar(select(Order).where(Order.contact_id == mine[0], Order.status == "paid")
                           .order_by(Order.id))
    order_service.update(session=session, user=admin, record_id=order.id, changes={"contact_id": shop[2].id})
    order_service.update(session=session, user=admin, record_id=order.id, changes={"status": "cancelled"})
    session.add(Order(order_number="NEW-1", contact_id=shop[3].id, owner_id=shop[3].owner_id,
                      ordered_at=datetime(2026, 6, 10, 9), status="paid"))
    session.commit()
    _check_every_role(session, people, "after moving, cancelling and adding orders")


def test_one_contacts_score_agrees_with_the_dashboard(session, shop, people) -> None:
    for role in ("admin", "staff"):
        user = people[role]
        board = potential.potential_dashboard(session, user)
        for row in board.prospects.head(15).itertuples():
            single = potential.contact_potential(session, user, int(row.contact_id))
            assert single.probability == pytest.approx(row.probability, rel=1e-9)
            assert single.reasons == [row.factor_1, row.factor_2, row.factor_3]


def _count_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    train = propensity.train

    def counting(features, labels):  # type: ignore[no-untyped-def]
        calls.append(len(features))
        return train(features, labels)

    monkeypatch.setattr(propensity, "train", counting)
    return calls


def _stored_key(engine) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT data_key FROM potential_models WHERE horizon_days = 90"))
                   .scalar())


def test_the_model_is_kept_until_orders_or_contacts_are_added(session, engine, shop, people,
                                                                monkeypatch) -> None:
    fits = _count_fits(monkeypatch)
    admin = people["admin"]
    first = potential.potential_dashboard(session, admin)
    assert len(fits) == 2  # the out-of-time check and the model used for scores
    RESULTS.clear()  # as a new process would start
    with Session(engine) as other:
        again = potential.potential_dashboard(other, admin)
    assert len(fits) == 2, "refitted although nothing changed"
    pd.testing.assert_frame_equal(again.prospects, first.prospects)
    assert (again.auc, again.base_rate) == (first.auc, first.base_rate)
    pd.testing.assert_frame_equal(again.lift, first.lift, check_dtype=False)

    contact_service.update(session=session, user=admin, record_id=shop[0].id,
                           changes={"household_income": 1.0})
    potential.potential_dashboard(session, admin)
    assert len(fits) == 2, "an edit is scored with the kept model, not refitted"
    key = _stored_key(engine)

    session.add(Order(order_number="NEW-2", contact_id=shop[4].id, ordered_at=datetime(2026, 6, 12),
                      status="paid"))
    session.commit()
    potential.potential_dashboard(session, admin)
    assert len(fits) == 4 and _stored_key(engine) != key
    session.add(Contact(first_name="Newcomer", created_at=datetime(2026, 6, 1)))
    session.commit()
    potential.potential_dashboard(session, admin)
    assert len(fits) == 6
    highest = [session.scalar(select(func.max(model.id))) for model in (Contact, Order, OrderLine)]
    assert _stored_key(engine) == ":".join([today().isoformat(), *map(str, highest)])
    assert session.scalar(select(func.count()).select_from(PotentialModelRow)) == 1  # one row per horizon


def test_the_kept_model_is_the_fitted_one(session, engine, shop, people) -> None:
    """What is read back from potential_models scores exactly as the fit it was stored from."""
    potential.potential_dashboard(session, people["admin"])
    fitted = potential.fitted_model(session)
    with engine.connect() as connection:
        stored = json.loads(connection.execute(text("SELECT params FROM potential_models")).scalar())
    assert propensity.LinearModel.from_dict(stored["model"]) == fitted.model
    assert stored["as_of"] == today().isoformat() and stored["problem"] is None
