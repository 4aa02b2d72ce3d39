"""Deals move through stages with history and status; orders price configured products."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import ValidationError
from core.services import contacts, deals, product_options, products
from core.services.deals import ensure_default_pipeline, find_stage, move_deal
from core.services.orders import place_order


def _stage_id(session: Session, name: str) -> int:
    return session.scalar(text("SELECT id FROM stages WHERE name = :n"), {"n": name})


def test_new_deal_starts_in_the_first_stage_of_the_default_pipeline(session: Session, staff) -> None:
    deal = deals.create(session=session, user=staff, data={"title": "CRM rollout", "amount": "1200.50"})
    row = session.execute(
        text(
            "SELECT p.name, s.name, d.status, d.amount FROM deals d JOIN stages s ON s.id = d.stage_id "
            "JOIN pipelines p ON p.id = d.pipeline_id WHERE d.id = :id"
        ),
        {"id": deal.id},
    ).one()
    assert tuple(row) == ("Sales", "Lead", "open", 1200.5)
    history = session.execute(text("SELECT stage_id, exited_at FROM deal_stage_history")).all()
    assert [tuple(h) for h in history] == [(_stage_id(session, "Lead"), None)]


def test_moving_a_deal_keeps_history_and_closes_it_when_won(session: Session, staff) -> None:
    deal = deals.create(session=session, user=staff, data={"title": "CRM rollout", "amount": 500})
    move_deal(session=session, user=staff, deal_id=deal.id, stage_id=_stage_id(session, "Proposal"))
    move_deal(session=session, user=staff, deal_id=deal.id, stage_id=_stage_id(session, "Won"))
    history = session.execute(
        text(
            "SELECT s.name, h.exited_at IS NULL FROM deal_stage_history h JOIN stages s ON s.id = h.stage_id "
            "WHERE h.deal_id = :id ORDER BY h.id"
        ),
        {"id": deal.id},
    ).all()
    assert [tuple(h) for h in history] == [("Lead", False), ("Proposal", False), ("Won", True)]
    status, closed_at = session.execute(text("SELECT status, closed_at FROM deals")).one()
    assert status == "won" and closed_at is not None


def test_reopening_a_lost_deal_clears_its_close(session: Session, staff) -> None:
    deal = deals.create(session=session, user=staff, data={"title": "X"})
    move_deal(
        session=session,
        user=staff,
        deal_id=deal.id,
        stage_id=_stage_id(session, "Lost"),
        lost_reason="Budget",
    )
    assert session.execute(text("SELECT status, lost_reason FROM deals")).one() == ("lost", "Budget")
    move_deal(session=session, user=staff, deal_id=deal.id, stage_id=_stage_id(session, "Qualified"))
    assert session.execute(text("SELECT status, closed_at FROM deals")).one() == ("open", None)


def test_stage_of_another_pipeline_is_refused_with_the_valid_stages(session: Session, admin) -> None:
    ensure_default_pipeline(session)
    other = session.execute(
        text(
            "INSERT INTO pipelines (name, is_default, position, created_at, "
            "updated_at, version) VALUES ('Renewals', false, 1, '2026-01-01', "
            "'2026-01-01', 1) RETURNING id"
        )
    ).scalar()
    session.execute(
        text(
            "INSERT INTO stages (pipeline_id, name, position, probability, is_won, is_lost, "
            "created_at, updated_at, version) VALUES (:p, 'Due', 0, 50, false, false, "
            "'2026-01-01', '2026-01-01', 1)"
        ),
        {"p": other},
    )
    session.commit()
    due = find_stage(session, other, "due")
    with pytest.raises(ValidationError, match=r"not in the Sales pipeline.*Lead, Qualified"):
        deals.create(session=session, user=admin, data={"title": "X", "stage_id": due.id})


def test_status_cannot_be_typed_it_follows_the_stage(session: Session, staff) -> None:
    deal = deals.create(session=session, user=staff, data={"title": "X"})
    deals.update(session=session, user=staff, record_id=deal.id, changes={"status": "won"})
    assert session.scalar(text("SELECT status FROM deals")) == "open"


def test_negative_amount_is_refused(session: Session, staff) -> None:
    with pytest.raises(ValidationError, match="amount"):
        deals.create(session=session, user=staff, data={"title": "X", "amount": -5})


def test_configured_order_prices_options_and_promotes_the_buyer(session: Session, manager) -> None:
    buyer = contacts.create(
        session=session, user=manager, data={"first_name": "Ana", "lifecycle_stage": "lead"}
    )
    chair = products.create(
        session=session, user=manager, data={"sku": "CH-1", "name": "Chair", "price": 100}
    )
    for value, delta in (("red", 0), ("gold", 25.5)):
        product_options.create(
            session=session,
            user=manager,
            data={"product_id": chair.id, "name": "colour", "value": value, "price_delta": delta},
        )
    order = place_order(
        session=session,
        user=manager,
        data={"contact_id": buyer.id},
        lines=[
            {"product_id": chair.id, "quantity": 2, "options": {"colour": "gold"}},
            {"product_id": chair.id, "quantity": 1},
        ],
    )
    lines = session.execute(text("SELECT quantity, unit_price FROM order_lines ORDER BY id")).all()
    assert [tuple(line) for line in lines] == [(2, 125.5), (1, 100.0)]
    assert session.scalar(text("SELECT total FROM orders WHERE id = :id"), {"id": order.id}) == 351.0
    assert session.scalar(text("SELECT lifecycle_stage FROM contacts")) == "customer"


def test_unknown_option_is_refused_listing_the_choices(session: Session, manager) -> None:
    chair = products.create(
        session=session, user=manager, data={"sku": "CH-1", "name": "Chair", "price": 100}
    )
    product_options.create(
        session=session, user=manager, data={"product_id": chair.id, "name": "colour", "value": "red"}
    )
    with pytest.raises(ValidationError, match="no colour 'blue' \\(available: red\\)"):
        place_order(
            session=session,
            user=manager,
            data={},
            lines=[{"product_id": chair.id, "options": {"colour": "blue"}}],
        )
    assert session.scalar(text("SELECT count(*) FROM orders")) == 0


def test_duplicate_sku_is_refused(session: Session, manager) -> None:
    products.create(session=session, user=manager, data={"sku": "A-1", "name": "A"})
    with pytest.raises(ValidationError, match="SKU a-1 is already used"):
        products.create(session=session, user=manager, data={"sku": "a-1", "name": "B"})
