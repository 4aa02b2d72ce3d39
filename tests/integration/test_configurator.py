"""The product configurator and quotes: prices with option deltas (computed by hand here), invalid
choices, and a quote that counts as revenue only once converted into an order."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Contact, Product, ProductOption
from core.query.engine import run_query
from core.query.spec import QuerySpec
from core.services import orders
from core.services.overview360 import contact_360
from core.services.quotes import configure, configure_lines, convert_quote, open_quotes, save_configured_order


def _chair(session: Session) -> Product:
    """A chair at 100.00: colour red +0 / blue +12.50, size S -5 / L +20, add-on cushion +7.25."""
    chair = Product(sku="CH-1", name="Chair", price=100.0)
    desk = Product(sku="DK-1", name="Desk", price=300.0)
    session.add_all([chair, desk])
    session.flush()
    session.add_all([ProductOption(product_id=chair.id, name=n, value=v, price_delta=d) for n, v, d in (
        ("colour", "red", 0.0), ("colour", "blue", 12.5), ("size", "S", -5.0), ("size", "L", 20.0),
        ("add-on", "cushion", 7.25))])
    session.commit()
    return chair


def _desk_id(session: Session) -> int:
    return int(session.scalar(text("SELECT id FROM products WHERE sku = 'DK-1'")))


def _contact(session: Session, owner, stage: str = "prospect") -> Contact:  # type: ignore[no-untyped-def]
    contact = Contact(first_name="Ana", last_name="Alves", owner_id=owner.id, lifecycle_stage=stage)
    session.add(contact)
    session.commit()
    return contact


def _revenue(session: Session, user) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    result = run_query(session, QuerySpec(metrics=["revenue", "orders"]), user)
    return result.value("revenue") or 0.0, result.value("orders") or 0


def test_price_is_base_plus_chosen_deltas_times_quantity(session: Session) -> None:
    chair = _chair(session)
    line = configure(session, chair.id, {"colour": "blue", "size": "L", "add-on": "cushion"}, quantity=3)
    assert line.unit_price == 139.75  # 100 + 12.50 + 20 + 7.25
    assert line.total == 419.25  # 139.75 x 3
    assert [(d.name, d.value, d.price_delta) for d in line.deltas] == [
        ("colour", "blue", 12.5), ("size", "L", 20.0), ("add-on", "cushion", 7.25)]
    small = configure(session, chair.id, {"size": "S", "colour": ""}, quantity=2)
    assert (small.unit_price, small.total, small.options) == (95.0, 190.0, {"size": "S"})
    assert configure(session, chair.id, {}).unit_price == 100.0


def test_an_unknown_option_lists_the_valid_ones(session: Session) -> None:
    chair = _chair(session)
    with pytest.raises(ValidationError) as error:
        configure(session, chair.id, {"colour": "green", "material": "oak"})
    message = str(error.value)
    assert "options.colour: Chair has no colour 'green' (available: red, blue)" in message
    assert "options.material: Chair has no option 'material' (its options: add-on, colour, size)" in message


def test_quantity_product_and_lines_are_checked(session: Session) -> None:
    chair = _chair(session)
    with pytest.raises(ValidationError, match="quantity: must be greater than 0"):
        configure(session, chair.id, {}, quantity=0)
    with pytest.raises(ValidationError, match="there is no product with id 999"):
        configure(session, 999, {})
    session.execute(text("UPDATE products SET active = :no WHERE id = :id"), {"no": False, "id": chair.id})
    session.commit()
    session.expire_all()
    with pytest.raises(ValidationError, match="no longer sold"):
        configure(session, chair.id, {})
    with pytest.raises(ValidationError, match="line 2, product_id"):
        configure_lines(session, [{"product_id": _desk_id(session), "quantity": 1},
                                  {"product_id": chair.id, "quantity": 1}])


def test_a_saved_quote_keeps_the_configured_prices(session: Session, staff) -> None:
    chair = _chair(session)
    contact = _contact(session, staff)
    quote = save_configured_order(session=session, user=staff, contact_id=contact.id, lines=[
        {"product_id": chair.id, "quantity": 2, "options": {"colour": "blue", "size": "S"}},
        {"product_id": _desk_id(session), "quantity": 1}])
    rows = session.execute(text("SELECT product_id, quantity, unit_price, options FROM order_lines "
                                "ORDER BY id")).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [(chair.id, 2, 107.5), (_desk_id(session), 1, 300.0)]
    assert "blue" in str(rows[0][3]) and '"S"' in str(rows[0][3]).replace("'", '"')
    status, total, contact_id = session.execute(text("SELECT status, total, contact_id FROM orders")).one()
    assert (status, total, contact_id) == ("quote", 515.0, contact.id)  # 2 x 107.50 + 300
    assert session.scalar(text("SELECT action FROM audit_log WHERE entity = 'orders'")) == "create"
    assert list(open_quotes(session, staff, contact.id)["order_number"]) == [quote.order_number]


def test_a_quote_is_not_revenue_until_converted(session: Session, staff, manager) -> None:
    chair = _chair(session)
    contact = _contact(session, staff)
    quote = save_configured_order(session=session, user=staff, contact_id=contact.id, lines=[
        {"product_id": chair.id, "quantity": 4, "options": {"size": "L"}}])  # 4 x 120 = 480
    assert _revenue(session, manager) == (0.0, 0)
    view = contact_360(session, staff, contact.id)
    assert (view.figures.lifetime_revenue, view.figures.orders, len(view.products)) == (0.0, 0, 0)
    assert session.scalar(text("SELECT lifecycle_stage FROM contacts")) == "prospect"  # not a buyer yet

    convert_quote(session=session, user=staff, order_id=quote.id)
    assert _revenue(session, manager) == (480.0, 1)
    view = contact_360(session, staff, contact.id)
    assert (view.figures.lifetime_revenue, view.figures.orders) == (480.0, 1)
    assert list(view.products["product"]) == ["Chair"]
    assert session.execute(text("SELECT status FROM orders")).one()[0] == "placed"
    assert session.scalar(text("SELECT lifecycle_stage FROM contacts")) == "customer"
    assert open_quotes(session, staff, contact.id).empty


def test_saved_as_an_order_it_counts_at_once(session: Session, staff) -> None:
    chair = _chair(session)
    contact = _contact(session, staff)
    save_configured_order(session=session, user=staff, contact_id=contact.id, as_quote=False, lines=[
        {"product_id": chair.id, "quantity": 1, "options": {"colour": "blue"}}])
    assert _revenue(session, staff) == (112.5, 1)


def test_only_a_quote_can_be_converted_and_a_sale_cannot_become_a_quote(session: Session, staff) -> None:
    chair = _chair(session)
    contact = _contact(session, staff)
    order = save_configured_order(session=session, user=staff, contact_id=contact.id, as_quote=False,
                                  lines=[{"product_id": chair.id, "quantity": 1}])
    with pytest.raises(ValidationError, match="is placed, not a quote"):
        convert_quote(session=session, user=staff, order_id=order.id)
    with pytest.raises(ValidationError, match="cannot become a quote again"):
        orders.update(session=session, user=staff, record_id=order.id, changes={"status": "quote"})


def test_bad_options_save_nothing(session: Session, staff) -> None:
    chair = _chair(session)
    contact = _contact(session, staff)
    with pytest.raises(ValidationError, match=r"line 1, options\.colour"):
        save_configured_order(session=session, user=staff, contact_id=contact.id, lines=[
            {"product_id": chair.id, "quantity": 1, "options": {"colour": "green"}}])
    assert session.scalar(text("SELECT count(*) FROM orders")) == 0


def test_quotes_respect_who_may_see_the_customer(session: Session, staff, other_staff) -> None:
    chair = _chair(session)
    theirs = _contact(session, other_staff)
    with pytest.raises(NotFound):
        save_configured_order(session=session, user=staff, contact_id=theirs.id,
                              lines=[{"product_id": chair.id, "quantity": 1}])
    quote = save_configured_order(session=session, user=other_staff, contact_id=theirs.id,
                                  lines=[{"product_id": chair.id, "quantity": 1}])
    with pytest.raises((NotFound, PermissionDenied)):
        convert_quote(session=session, user=staff, order_id=quote.id)
    assert session.scalar(text("SELECT status FROM orders")) == "quote"
