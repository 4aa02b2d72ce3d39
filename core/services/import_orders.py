"""Orders from a file with one row per order line: the rows of one order number make one order.

An order number that already exists is never changed by an import: with on_duplicate="skip" the
order is skipped, otherwise it is a row error (re-importing a sales export must not double revenue,
and rewriting past orders line by line is not what an import is for).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func

from core.models import Order, Product
from core.services.import_checks import (
    Context,
    Plan,
    Planned,
    Row,
    cells,
    fetch_in,
    settle,
)
from core.services.schemas import OrderIn, OrderLineIn

ORDER_CELLS = ("contact_email", "ordered_at")  # the same on every line of an order


def plan_orders(ctx: Context, rows: list[Row]) -> Plan:
    groups: dict[str, list[Row]] = {}
    for line, raw in rows:
        if raw.get("order_number") is None:
            ctx.error(line, "order_number", "is required")
        else:
            groups.setdefault(str(raw["order_number"]).strip(), []).append((line, raw))
    contacts = ctx.contacts_named(rows)
    products = _products_by_sku(ctx, rows)
    orders = Order.__table__  # type: ignore[attr-defined]
    existing = {row["order_number"] for row in fetch_in(ctx.session, orders, orders.c.order_number, groups)}
    plan = Plan()
    for done, (number, lines) in enumerate(groups.items()):
        if number not in existing:
            _plan_order(ctx, plan, number, lines, contacts, products)
        elif ctx.on_duplicate == "skip":
            plan.skipped += 1
        else:
            ctx.error(lines[0][0], "order_number", f"order {number} already exists; an import never "
                                                   "changes an order (import with 'skip' to leave it)")
        ctx.tick(done, len(groups))
    _plan_promotions(ctx, plan, contacts)
    return plan


def _products_by_sku(ctx: Context, rows: list[Row]) -> dict[str, dict[str, Any]]:
    table = Product.__table__  # type: ignore[attr-defined]
    skus = (str(raw["sku"]).strip().lower() for _, raw in rows if raw.get("sku") is not None)
    found = fetch_in(ctx.session, table, func.lower(table.c.sku), skus, table.c.deleted_at.is_(None))
    return {row["sku"].lower(): dict(row) for row in found}


def _plan_order(ctx: Context, plan: Plan, number: str, lines: list[Row],
                contacts: dict[str, dict[str, Any]], products: dict[str, dict[str, Any]]) -> None:
    errors = len(ctx.errors)
    first_line, first = lines[0]
    _check_same_order(ctx, number, lines)
    contact = ctx.contact(first_line, contacts, first.get("contact_email"), required=True)
    ordered_at = ctx.when(first_line, "ordered_at", first.get("ordered_at")) or ctx.now
    order_lines = [_order_line(ctx, line, raw, products) for line, raw in lines]
    custom = ctx.custom(first_line, first, None)
    if len(ctx.errors) != errors or contact is None:
        return
    total = round(sum(item["quantity"] * item["unit_price"] for item in order_lines), 2)
    data = {"order_number": number, "contact_id": contact["id"], "company_id": contact["company_id"],
            "ordered_at": ordered_at}
    planned = settle(ctx, plan, first_line, OrderIn, data, None, {"custom": custom, "total": total})
    if planned is not None:
        planned.extra = order_lines


def _check_same_order(ctx: Context, number: str, lines: list[Row]) -> None:
    """One order has one contact and one date: a later line may leave them blank, not change them."""
    first_line, first = lines[0]
    for line, raw in lines[1:]:
        for name in ORDER_CELLS:
            value, expected = raw.get(name), first.get(name)
            if value is not None and value.strip().lower() != (expected or "").strip().lower():
                ctx.error(line, name, f"differs from line {first_line}, the first line of order {number}")


def _order_line(ctx: Context, line: int, raw: dict[str, Any],
                products: dict[str, dict[str, Any]]) -> dict[str, Any]:
    sku = raw.get("sku")
    product = products.get(str(sku).strip().lower()) if sku is not None else None
    if product is None:
        ctx.error(line, "sku", "is required" if sku is None else f"there is no product with SKU {sku}")
        return {}
    clean = ctx.validate(line, OrderLineIn, {**cells(raw, ("quantity", "unit_price")),
                                             "product_id": product["id"]})
    if clean is None:
        return {}
    if clean["unit_price"] is None:
        clean["unit_price"] = product["price"]  # as place_order prices a line with no options
    return clean


def _plan_promotions(ctx: Context, plan: Plan, contacts: dict[str, dict[str, Any]]) -> None:
    """A lead or prospect who buys becomes a customer, as place_order does (and it is audited)."""
    buyers = {planned.values["contact_id"] for planned in plan.creates}
    for contact in contacts.values():
        if contact["id"] in buyers and contact["lifecycle_stage"] != "customer":
            changes = ctx.changes(contact, {"lifecycle_stage": "customer"})
            plan.promotions.append(Planned(0, changes or {}, contact))
