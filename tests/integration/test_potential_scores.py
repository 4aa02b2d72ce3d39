"""Sales-potential scores computed by the database, and the fitted model kept between processes.

The scores the dashboard shows (top prospects, their probabilities, the count per probability
band, the number scored) must equal scores computed here with plain numpy from the raw rows
(`loaders.contacts_frame` / `purchases_frame` through the pandas features), with the same fitted
coefficients, for each role and after edits. The model is fitted once a day at most: a reader scores
today's features with the kept model (new orders and contacts included) and fits only when no model
is kept; `crm summaries refresh` (cron) refits a model fitted before today. Scores are also checked
by hand from the coefficients stored in potential_models and the contact's raw rows.

Data inserted directly: 70 contacts of four owners and none, with missing and odd demographics
(blank, upper-case and unknown genders, birthdays on and after today), regular and occasional
buyers, orders after the pinned today (2026-06-15), quotes, cancelled orders, a deleted contact
and contacts created after today.
"""

from __future__ import annotations

import json
import math
import random
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from core import config
from core.analytics import loaders, potential, propensity
from core.analytics.cache import RESULTS
from core.config import today
from core.models import Contact, Order, OrderLine, Product, User
from core.services.contacts import contacts as contact_service
from core.services.orders import orders as order_service

GENDERS = ["female", "male", "Female", " Male ", "other", "nonbinary", "", None]
STATUSES = ["paid"] * 8 + ["shipped", "quote", "cancelled"]


def _contact(chance: random.Random, number: int, owner: int | None) -> Contact:
    birth = chance.choice([None, date(1970 + number % 40, 6, 15), date(1985, 6, 16),
                           date(1960 + number % 30, 1 + number % 12, 1 + number % 28)])
    created = datetime(2026, 6, 16) if number % 23 == 22 else datetime(2023, 1, 1)  # some created later
    return Contact(first_name=f"P{number}", last_name="Test", owner_id=owner, gender=chance.choice(GENDERS),
                   birth_date=birth, household_income=chance.choice([None, 20_000.0, 45_500.0, 80_250.0]),
                   created_at=created, deleted_at=datetime(2026, 1, 1) if number == 7 else None)


@pytest.fixture
def shop(session: Session, readers: dict[str, User]) -> list[Contact]:
    chance = random.Random(13)
    owners = [readers[name].id for name in ("staff", "other", "outsider", "manager")] + [None]
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


def _check_every_role(session: Session, readers: dict[str, User], when: str) -> None:
    for role in ("admin", "manager", "staff", "outsider"):
        _check_scores(session, readers[role], when)


# ---- the tests ---------------------------------------------------------------------------------------


def test_scores_from_the_database_equal_numpy_over_the_raw_rows_for_every_role(session, shop,
                                                                               readers) -> None:
    _check_every_role(session, readers, "first build")
    board = potential.potential_dashboard(session, readers["admin"])
    assert 0 < board.scored < len(shop)  # the deleted contact and those created after today are left out


def test_scores_follow_edits_owner_changes_deletes_and_new_orders(session, shop, readers) -> None:
    admin, staff = readers["admin"], readers["staff"]
    _check_every_role(session, readers, "first build")
    mine = potential.potential_dashboard(session, staff).prospects["contact_id"].tolist()
    edits = {"birth_date": date(1990, 6, 16), "gender": "male", "household_income": None}
    contact_service.update(session=session, user=admin, record_id=mine[0], changes=edits)
    contact_service.update(session=session, user=admin, record_id=shop[1].id, changes={"owner_id": staff.id})
    contact_service.delete(session=session, user=admin, record_id=mine[-1])
    _check_every_role(session, readers, "after edits, an owner change and a delete")
    order = session.scalar(select(Order).where(Order.contact_id == mine[0], Order.status == "paid")
                           .order_by(Order.id))
    order_service.update(session=session, user=admin, record_id=order.id, changes={"contact_id": shop[2].id})
    order_service.update(session=session, user=admin, record_id=order.id, changes={"status": "cancelled"})
    session.add(Order(order_number="NEW-1", contact_id=shop[3].id, owner_id=shop[3].owner_id,
                      ordered_at=datetime(2026, 6, 10, 9), status="paid"))
    session.commit()
    _check_every_role(session, readers, "after moving, cancelling and adding orders")


def test_one_contacts_score_agrees_with_the_dashboard(session, shop, readers) -> None:
    for role in ("admin", "staff"):
        user = readers[role]
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


def _kept_rows(engine) -> dict[int, tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    """horizon → (data_key, params, fitted_at) of every row of potential_models, read directly."""
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT horizon_days, data_key, params, fitted_at FROM potential_models"))
        return {int(row[0]): (str(row[1]), str(row[2]), row[3]) for row in rows}


def _training_key(engine, day: date) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        highest = [connection.execute(text(f"SELECT max(id) FROM {table}")).scalar()
                   for table in ("contacts", "orders", "order_lines")]
    return ":".join([day.isoformat(), *map(str, highest)])


def _pin_today(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setenv("CRM_TODAY", day.isoformat())
    config.get_settings.cache_clear()


def _by_hand(engine, contact_id: int, stored: dict) -> float:  # type: ignore[no-untyped-def,type-arg]
    """One contact's probability as of today from its raw rows and the coefficients stored in
    potential_models: median imputation, standardisation, logistic, written out here."""
    day = today()
    key = {"id": contact_id}
    with engine.connect() as connection:
        birth, gender, income = connection.execute(text(
            "SELECT birth_date, gender, household_income FROM contacts WHERE id = :id"), key).one()
        orders = connection.execute(text(
            "SELECT o.ordered_at, (SELECT COALESCE(SUM(l.quantity * l.unit_price), 0) FROM order_lines l "
            "WHERE l.order_id = o.id) FROM orders o WHERE o.contact_id = :id AND o.deleted_at IS NULL "
            "AND o.status NOT IN ('quote', 'cancelled') AND o.ordered_at IS NOT NULL"), key).all()
    days = [pd.Timestamp(ordered).date() for ordered, _ in orders]
    counted = [(when, float(amount)) for when, (_, amount) in zip(days, orders, strict=True) if when <= day]
    age = math.nan
    if birth is not None:
        born = pd.Timestamp(birth).date()
        age = day.year - born.year - ((born.month, born.day) > (day.month, day.day))
    cleaned = (gender or "").strip().lower()
    cleaned = "unknown" if cleaned == "" else cleaned if cleaned in propensity.GENDERS else "other"
    values = [age, math.nan if income is None else float(income), len(counted), sum(a for _, a in counted),
              (day - max(w for w, _ in counted)).days if counted else math.nan,
              (day - min(w for w, _ in counted)).days if counted else math.nan,
              *(1.0 if cleaned == g else 0.0 for g in propensity.GENDERS)]
    model = stored["model"]
    logit = model["intercept"]
    for value, median, mean, scale, weight in zip(values, model["medians"], model["means"], model["scales"],
                                                  model["coefficients"], strict=True):
        logit += weight * ((median if math.isnan(value) else value) - mean) / scale
    return 1.0 / (1.0 + math.exp(-logit))


def test_a_new_order_moves_a_score_with_the_kept_model_and_refits_nothing(session, engine, shop, readers,
                                                                          monkeypatch) -> None:
    fits = _count_fits(monkeypatch)
    admin = readers["admin"]
    first = potential.potential_dashboard(session, admin)
    assert len(fits) == 2  # the first fit ever is a reader's: the out-of-time check and the model
    kept = _kept_rows(engine)
    assert list(kept) == [90] and kept[90][0] == _training_key(engine, today())
    stored = json.loads(kept[90][1])
    buyer = shop[0].id
    before = potential.contact_potential(session, admin, buyer).probability
    assert before == pytest.approx(_by_hand(engine, buyer, stored), rel=1e-9)

    order = Order(order_number="NEW-2", contact_id=buyer, ordered_at=datetime(2026, 6, 14, 10), status="paid")
    session.add(order)
    session.flush()
    session.add(OrderLine(order_id=order.id, product_id=session.scalar(select(Product.id)), quantity=3,
                          unit_price=250))
    newcomer = Contact(first_name="Newcomer", gender="female", household_income=52_000.0,
                       birth_date=date(1990, 3, 3), created_at=datetime(2026, 6, 14))
    session.add(newcomer)
    session.commit()
    RESULTS.clear()  # as another process would start, without this one's results
    board = potential.potential_dashboard(session, admin)
    assert len(fits) == 2 and _kept_rows(engine) == kept, "a new order or contact refitted the model"
    assert board.fitted_on == today() and board.scored == first.scored + 1
    after = potential.contact_potential(session, admin, buyer).probability
    assert after != pytest.approx(before)
    assert after == pytest.approx(_by_hand(engine, buyer, stored), rel=1e-9)
    shown = board.prospects.set_index("contact_id")["probability"]
    for contact_id in (buyer, newcomer.id):  # every visible contact is shown: 70 contacts < 200
        assert shown[contact_id] == pytest.approx(_by_hand(engine, contact_id, stored), rel=1e-9)
    _check_every_role(session, readers, "after a new order and a new contact, with the kept model")
    assert len(fits) == 2


def test_the_cron_refresh_refits_a_model_fitted_before_today_and_only_then(session, engine, shop, readers,
                                                                          cli, monkeypatch) -> None:
    fits = _count_fits(monkeypatch)
    admin = readers["admin"]
    refreshed = cli("summaries", "refresh")  # no model yet: every horizon the page offers is cron's to fit
    assert refreshed.exit_code == 0, refreshed.output
    for horizon in (30, 90, 180):
        assert f"sales potential ({horizon} days) refitted" in refreshed.output
    assert len(fits) == 6 and set(_kept_rows(engine)) == {30, 90, 180}
    for horizon in (30, 90, 180):  # no reader fits, whichever window they open first
        assert potential.potential_dashboard(session, admin, horizon).fitted_on == today()
    assert len(fits) == 6
    kept = _kept_rows(engine)
    refreshed = cli("summaries", "refresh")
    assert refreshed.exit_code == 0 and refreshed.output.count("today's model kept") == 3, refreshed.output
    assert len(fits) == 6 and _kept_rows(engine) == kept

    tomorrow = today() + timedelta(days=1)
    _pin_today(monkeypatch, tomorrow)
    session.add(Order(order_number="NEXT-DAY", contact_id=shop[5].id, ordered_at=datetime(2026, 6, 16, 9),
                      status="paid"))
    session.commit()
    board = potential.potential_dashboard(session, admin)
    assert len(fits) == 6 and _kept_rows(engine) == kept, "a reader refitted a day-old model"
    assert (board.fitted_on, board.as_of) == (today() - timedelta(days=1), tomorrow)

    refreshed = cli("summaries", "refresh")
    assert refreshed.exit_code == 0 and refreshed.output.count("refitted on") == 3, refreshed.output
    assert len(fits) == 12
    now_kept = _kept_rows(engine)
    for horizon in (30, 90, 180):
        stored = json.loads(now_kept[horizon][1])
        assert now_kept[horizon][0] == _training_key(engine, tomorrow)
        assert stored["as_of"] == tomorrow.isoformat()
        assert now_kept[horizon][2] is not None and now_kept[horizon][1] != kept[horizon][1]
        with engine.connect() as connection:  # fitted on the contacts existing a horizon ago (no sample)
            day_after_start = tomorrow - timedelta(days=horizon - 1)
            assert stored["contacts"] == connection.execute(text(
                "SELECT count(*) FROM contacts WHERE deleted_at IS NULL AND created_at < :day"),
                {"day": datetime.combine(day_after_start, datetime.min.time())}).scalar()
        assert stored["sampled_every"] == 1
    board = potential.potential_dashboard(session, admin)  # the process's cached board gives way
    assert board.fitted_on == tomorrow
    buyer = shop[5].id
    assert potential.contact_potential(session, admin, buyer).probability == pytest.approx(
        _by_hand(engine, buyer, json.loads(now_kept[90][1])), rel=1e-9)
    assert "today's model kept" in cli("summaries", "refresh").output and len(fits) == 12


def test_the_kept_model_is_the_fitted_one(session, engine, shop, readers) -> None:
    """What is read back from potential_models scores exactly as the fit it was stored from."""
    potential.potential_dashboard(session, readers["admin"])
    fitted = potential.fitted_model(session)
    with engine.connect() as connection:
        stored = json.loads(connection.execute(text("SELECT params FROM potential_models")).scalar())
    assert propensity.LinearModel.from_dict(stored["model"]) == fitted.model
    assert stored["as_of"] == today().isoformat() and stored["problem"] is None
