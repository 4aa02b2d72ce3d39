"""The product configurator and quotes.

A configuration is a product, one chosen value per option name (colour, size, add-on ...) and a
quantity; its unit price is the product's price plus the chosen values' price deltas. A quote is an
order in status "quote": it is saved through the orders service (audited, lines priced the same
way) but is not a sale: revenue, order counts and purchase history leave it out until it is
converted into a placed order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from core.config import now
from core.errors import FieldError, ValidationError
from core.models import Order, OrderLine, Product, User
from core.services.orders import _promote_to_customer, options_of, orders, place_order
from core.services.permissions import visible_clause
from core.services.records import batch, get_record, use_case

QUOTE = "quote"


@dataclass(frozen=True)
class Delta:
    name: str  # the option name, e.g. "colour"
    value: str  # the chosen value, e.g. "red"
    price_delta: float


@dataclass(frozen=True)
class Breakdown:
    """How a configured line is priced: base + deltas = unit price; x quantity = total."""

    product_id: int
    product: str
    base_price: float
    deltas: tuple[Delta, ...]
    quantity: float

    @property
    def unit_price(self) -> float:
        return round(self.base_price + sum(d.price_delta for d in self.deltas), 2)

    @property
    def total(self) -> float:
        return round(self.unit_price * self.quantity, 2)

    @property
    def options(self) -> dict[str, str]:
        return {d.name: d.value for d in self.deltas}


def configure(session: Session, product_id: int, options: dict[str, Any],
              quantity: float = 1) -> Breakdown:
    """Price one configuration, or a ValidationError naming every bad choice and the valid ones."""
    product = session.get(Product, product_id)
    if product is None or product.deleted_at is not None:
        raise ValidationError.single("product_id", f"there is no product with id {product_id}")
    if not product.active:
        raise ValidationError.single("product_id", f"{product.name} is no longer sold (inactive)")
    if not quantity or quantity <= 0:
        raise ValidationError.single("quantity", "must be greater than 0")
    available = options_of(session, product.id)
    errors: list[FieldError] = []
    deltas: list[Delta] = []
    for name, value in options.items():
        if value in (None, ""):
            continue  # nothing chosen for this option: the base product
        if name not in available:
            names = ", ".join(available) or "none"
            errors.append(FieldError(f"options.{name}", f"{product.name} has no option {name!r} "
                                                        f"(its options: {names})"))
            continue
        match = next((o for o in available[name] if o.value == str(value)), None)
        if match is None:
            values = ", ".join(o.value for o in available[name])
            errors.append(FieldError(f"options.{name}", f"{product.name} has no {name} {value!r} "
                                                        f"(available: {values})"))
            continue
        deltas.append(Delta(name, match.value, match.price_delta))
    if errors:
        raise ValidationError(errors)
    return Breakdown(product.id, product.name, product.price, tuple(deltas), quantity)


def configure_lines(session: Session, lines: list[dict[str, Any]]) -> list[Breakdown]:
    """Price every line; the errors of all lines at once, each with its line number."""
    if not lines:
        raise ValidationError.single("lines", "add at least one product")
    priced, errors = [], []
    for number, line in enumerate(lines, start=1):
        try:
            priced.append(configure(session, int(line.get("product_id") or 0), line.get("options") or {},
                                    float(line.get("quantity") or 0)))
        except ValidationError as error:
            errors += [FieldError(e.field, e.message, number) for e in error.errors]
    if errors:
        raise ValidationError(errors)
    return priced


@use_case
def save_configured_order(*, session: Session, user: User, contact_id: int, lines: list[dict[str, Any]],
                          as_quote: bool = True, source: str = "app") -> Order:
    """Save configured lines for a contact as a quote (or at once as a placed order)."""
    get_record(session, user, "contacts", contact_id)  # the customer must be one the user may see
    priced = configure_lines(session, lines)
    data = {"contact_id": contact_id, "status": QUOTE if as_quote else "placed"}
    return place_order(session=session, user=user, data=data, source=source, lines=[
        {"product_id": b.product_id, "quantity": b.quantity, "options": b.options} for b in priced])


@use_case
def convert_quote(*, session: Session, user: User, order_id: int, expected_version: int | None = None,
                  source: str = "app") -> Order:
    """Turn a quote into a placed order dated now: from then on it is a sale in every report."""
    quote = get_record(session, user, "orders", order_id)
    if quote.status != QUOTE:
        raise ValidationError.single("status", f"order {quote.order_number} is {quote.status}, not a quote")
    with batch(session):
        order = orders.update(
            session=session, user=user, record_id=order_id, expected_version=expected_version,
            changes={"status": "placed", "ordered_at": now()}, source=source)
        _promote_to_customer(session, user, order.contact_id, source)
    return order


def open_quotes(session: Session, user: User, contact_id: int) -> pd.DataFrame:
    """The contact's quotes not yet converted: id, order_number, quoted_at, total, lines (summary)."""
    query = (select(Order.id, Order.order_number, Order.ordered_at.label("quoted_at"), Order.total,
                    Order.currency, Order.version)
             .where(Order.contact_id == contact_id, Order.status == QUOTE, Order.deleted_at.is_(None),
                    visible_clause(user, Order))
             .order_by(Order.ordered_at.desc(), Order.id.desc()))
    result = session.execute(query)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    frame["lines"] = [line_summary(session, int(order_id)) for order_id in frame["id"]]
    return frame


def line_summary(session: Session, order_id: int) -> str:
    """ "2 x Chair (colour: red, size: L); 1 x Desk" """
    query = (select(OrderLine.quantity, Product.name, OrderLine.options)
             .join(Product, Product.id == OrderLine.product_id)
             .where(OrderLine.order_id == order_id).order_by(OrderLine.id))
    parts = []
    for quantity, name, options in session.execute(query):
        chosen = ", ".join(f"{k}: {v}" for k, v in (options or {}).items())
        parts.append(f"{quantity:g} x {name}" + (f" ({chosen})" if chosen else ""))
    return "; ".join(parts)


def sellable_products(session: Session) -> list[tuple[int, str]]:
    """(id, "name · SKU") of the active products, by name."""
    query = (select(Product.id, Product.name, Product.sku)
             .where(Product.deleted_at.is_(None), Product.active.is_(True))
             .order_by(func.lower(Product.name), Product.id))
    return [(row.id, f"{row.name} · {row.sku}") for row in session.execute(query)]
