"""Products with their options, and orders (the purchase history)."""

from __future__ import annotations

from typing import Any

import pydantic
from sqlalchemy import func, inspect, select
from sqlmodel import Session

from core.config import now
from core.errors import FieldError, NotFound, ValidationError
from core.models import Company, Contact, Order, OrderLine, Product, ProductOption, User
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.services import permissions
from core.services.records import (
    EntityRules,
    EntityService,
    audit,
    check_references,
    commit,
    pydantic_errors,
    snapshot,
    use_case,
    validate,
)
from core.services.schemas import OrderIn, OrderLineIn, ProductIn, ProductOptionIn


def _check_product(session: Session, user: User, product: Product, values: dict[str, Any]) -> None:
    query = select(Product.id).where(func.lower(Product.sku) == product.sku.lower())
    if product.id is not None:
        query = query.where(Product.id != product.id)
    if session.scalar(query) is not None:
        raise ValidationError.single("sku", f"SKU {product.sku} is already used by another product")


def _check_option(session: Session, user: User, option: ProductOption, values: dict[str, Any]) -> None:
    check_references(session, option, {"product_id": Product})


def _check_order(session: Session, user: User, order: Order, values: dict[str, Any]) -> None:
    check_references(session, order, {"contact_id": Contact, "company_id": Company, "owner_id": User}, user)
    if not order.order_number:  # a blank number: a new order gets the next one, a stored one keeps it
        if order.id is not None:
            raise ValidationError.single("order_number", "is required (an order keeps its number)")
        order.order_number = _next_order_number(session)
    was = inspect(order).attrs.status.history.deleted
    if order.status == "quote" and was and was[0] != "quote":  # a sale is cancelled, not un-sold
        raise ValidationError.single("status", f"a {was[0]} order cannot become a quote again; "
                                               "cancel it instead")


products = EntityService(EntityRules("products", ProductIn, before_save=_check_product))
product_options = EntityService(EntityRules("product_options", ProductOptionIn, before_save=_check_option))
# Editing an order's header (status, owner, ...) goes through `orders`; lines through place_order.
orders = EntityService(EntityRules("orders", OrderIn, before_save=_check_order))


def options_of(session: Session, product_id: int) -> dict[str, list[ProductOption]]:
    """A product's options grouped by name: {"colour": [red, blue], "size": [...]}."""
    query = (
        select(ProductOption)
        .where(ProductOption.product_id == product_id, ProductOption.deleted_at.is_(None))
        .order_by(ProductOption.name, ProductOption.id)
    )
    grouped: dict[str, list[ProductOption]] = {}
    for option in session.scalars(query):
        grouped.setdefault(option.name, []).append(option)
    return grouped


def configured_price(session: Session, product: Product, chosen: dict[str, str]) -> float:
    """The product's price plus the deltas of the chosen options; unknown choices are refused."""
    available = options_of(session, product.id)
    price = product.price
    for name, value in chosen.items():
        match = next((o for o in available.get(name, []) if o.value == value), None)
        if match is None:
            values = ", ".join(o.value for o in available.get(name, [])) or "none"
            raise ValidationError.single(
                f"options.{name}", f"{product.name} has no {name} {value!r} (available: {values})"
            )
        price += match.price_delta
    return round(price, 2)


@use_case
def place_order(
    *, session: Session, user: User, data: dict[str, Any], lines: list[dict[str, Any]], source: str = "app"
) -> Order:
    """Create an order with its lines; prices default to the configured product price."""
    if not lines:
        raise ValidationError.single("lines", "an order needs at least one product")
    values = {**data}
    values.setdefault("owner_id", user.id)
    clean = validate(session, orders.rules, values)
    permissions.require_write(session, user, "orders", None, new_owner_id=clean.get("owner_id"))
    order = Order(
        **{
            **clean,
            "order_number": clean["order_number"] or _next_order_number(session),
            "ordered_at": clean["ordered_at"] or now(),
        }
    )
    _check_order(session, user, order, clean)
    _check_order_number(session, order.order_number)
    session.add(order)
    session.flush()
    order.total = _add_lines(session, order, lines)
    if order.status not in NOT_SOLD_ORDER_STATUSES:  # a quote is not a purchase (yet)
        _promote_to_customer(session, user, order.contact_id, source)
    audit(
        session,
        user,
        "create",
        "orders",
        order.id,
        None,
        {**snapshot(order), "lines": [snapshot(line) for line in order_lines(session, order.id)]},
        source,
    )
    commit(session)
    return order


def _add_lines(session: Session, order: Order, lines: list[dict[str, Any]]) -> float:
    total = 0.0
    for position, raw in enumerate(lines, start=1):
        try:
            line = OrderLineIn.model_validate(raw)
        except pydantic.ValidationError as exc:
            raise ValidationError(pydantic_errors(exc, row=position)) from None
        product = session.get(Product, line.product_id)
        if product is None or product.deleted_at is not None:
            raise ValidationError(
                [FieldError("product_id", f"there is no product {line.product_id}", position)]
            )
        unit_price = (
            line.unit_price
            if line.unit_price is not None
            else configured_price(session, product, line.options)
        )
        session.add(
            OrderLine(
                order_id=order.id,
                product_id=product.id,
                quantity=line.quantity,
                unit_price=unit_price,
                options=line.options,
            )
        )
        total += line.quantity * unit_price
    session.flush()
    return round(total, 2)


def _promote_to_customer(session: Session, user: User, contact_id: int | None, source: str) -> None:
    """A lead or prospect who buys becomes a customer (audited like any change)."""
    contact = session.get(Contact, contact_id) if contact_id else None
    if contact is None or contact.lifecycle_stage in ("customer",):
        return
    before = snapshot(contact)
    contact.lifecycle_stage = "customer"
    contact.updated_at = now()
    session.flush()
    audit(session, user, "update", "contacts", contact.id, before, snapshot(contact), source)


def _check_order_number(session: Session, number: str) -> None:
    if session.scalar(select(Order.id).where(Order.order_number == number)) is not None:
        raise ValidationError.single("order_number", f"order number {number} already exists")


def _next_order_number(session: Session) -> str:
    last = session.scalar(select(func.max(Order.id))) or 0
    return f"SO-{now():%Y}-{last + 1:06d}"


def order_lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(
        session.scalars(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))
    )


def find_product_by_sku(session: Session, sku: str) -> Product:
    product = session.scalars(
        select(Product).where(func.lower(Product.sku) == sku.strip().lower(), Product.deleted_at.is_(None))
    ).first()
    if product is None:
        raise NotFound(f"There is no product with SKU {sku}.")
    return product
