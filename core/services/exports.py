"""Export an entity in its import format, with `id` first and its custom fields last.

Cells a spreadsheet would evaluate (starting with = + - @) are written with a leading ' (formula
injection); the import strips it again, so an export still imports back unchanged.

Only live rows the user may read, ordered by id (stable), with names instead of ids (owner username,
company name, pipeline and stage, contact email, SKU): exporting and importing the file back matches
the same records and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Select, select
from sqlmodel import Session

from core.errors import ValidationError
from core.models import Activity, Company, Contact, Deal, Order, OrderLine, Pipeline, Product, Stage, User
from core.services import custom_fields, permissions
from core.services.imports import IMPORT_FORMATS, quote_formula

_contacts = Contact.__table__  # type: ignore[attr-defined]
_companies = Company.__table__.alias("company")  # type: ignore[attr-defined]
_owners = User.__table__.alias("owner")  # type: ignore[attr-defined]


def _contact_rows(user: User) -> Select[Any]:
    c = _contacts
    return (select(c.c.id, c.c.email, c.c.first_name, c.c.last_name, c.c.phone, _companies.c.name,
                   c.c.city, c.c.country, c.c.gender, c.c.birth_date, c.c.household_income,
                   c.c.lifecycle_stage, c.c.source, _owners.c.username, c.c.best_time_to_call,
                   c.c.created_at, c.c.custom)
            .select_from(c.outerjoin(_companies, _companies.c.id == c.c.company_id)
                         .outerjoin(_owners, _owners.c.id == c.c.owner_id))
            .where(c.c.deleted_at.is_(None), permissions.visible_clause(user, Contact))
            .order_by(c.c.id))


def _product_rows(user: User) -> Select[Any]:
    p = Product.__table__  # type: ignore[attr-defined]
    return select(p.c.id, p.c.sku, p.c.name, p.c.category, p.c.price, p.c.custom).where(
        p.c.deleted_at.is_(None), permissions.visible_clause(user, Product)).order_by(p.c.id)


def _order_rows(user: User) -> Select[Any]:
    o, line, p = Order.__table__, OrderLine.__table__, Product.__table__  # type: ignore[attr-defined]
    return (select(o.c.id, o.c.order_number, _contacts.c.email, o.c.ordered_at, p.c.sku,
                   line.c.quantity, line.c.unit_price, o.c.custom)
            .select_from(o.join(line, line.c.order_id == o.c.id).join(p, p.c.id == line.c.product_id)
                         .outerjoin(_contacts, _contacts.c.id == o.c.contact_id))
            .where(o.c.deleted_at.is_(None), permissions.visible_clause(user, Order))
            .order_by(o.c.id, line.c.id))


def _deal_rows(user: User) -> Select[Any]:
    d, pipeline, stage = Deal.__table__, Pipeline.__table__, Stage.__table__  # type: ignore[attr-defined]
    return (select(d.c.id, d.c.title, _contacts.c.email, _companies.c.name, pipeline.c.name.label("pipeline"),
                   stage.c.name.label("stage"), d.c.amount, _owners.c.username, d.c.status,
                   d.c.created_at, d.c.closed_at, d.c.custom)
            .select_from(d.join(pipeline, pipeline.c.id == d.c.pipeline_id)
                         .join(stage, stage.c.id == d.c.stage_id)
                         .outerjoin(_contacts, _contacts.c.id == d.c.contact_id)
                         .outerjoin(_companies, _companies.c.id == d.c.company_id)
                         .outerjoin(_owners, _owners.c.id == d.c.owner_id))
            .where(d.c.deleted_at.is_(None), permissions.visible_clause(user, Deal))
            .order_by(d.c.id))


def _activity_rows(user: User) -> Select[Any]:
    a = Activity.__table__  # type: ignore[attr-defined]
    return (select(a.c.id, _contacts.c.email, a.c.channel, a.c.direction, a.c.occurred_at, a.c.subject,
                   a.c.notes, _owners.c.username, a.c.outcome, a.c.custom)
            .select_from(a.outerjoin(_contacts, _contacts.c.id == a.c.contact_id)
                         .outerjoin(_owners, _owners.c.id == a.c.owner_id))
            .where(a.c.deleted_at.is_(None), permissions.visible_clause(user, Activity))
            .order_by(a.c.id))


# Each query selects `id`, the format's columns in order, then the `custom` JSON; ordered by id.
QUERIES: dict[str, Callable[[User], Select[Any]]] = {
    "contacts": _contact_rows,
    "products": _product_rows,
    "orders": _order_rows,
    "deals": _deal_rows,
    "activities": _activity_rows,
}


def export_rows(*, session: Session, user: User, entity: str) -> pd.DataFrame:
    """The records `user` may read, in the import format of `entity` (one row per order line)."""
    if entity not in QUERIES:
        raise ValidationError.single("entity", f"{entity!r} cannot be exported (only: {', '.join(QUERIES)})")
    permissions.require_active(user)
    names = [d.name for d in custom_fields.definitions(session, entity)]
    records = []
    for row in session.execute(QUERIES[entity](user)):
        custom = row[-1] or {}
        records.append([_text(value) for value in row[:-1]] + [custom.get(name) for name in names])
    return pd.DataFrame(records, columns=["id", *IMPORT_FORMATS[entity], *names], dtype=object)


def _text(value: Any) -> Any:
    """Dates and times in the ISO form the importer reads back; other values as they are."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell that Excel or LibreOffice would run as a formula
    (=HYPERLINK(...), +cmd|..., @SUM(...)) quoted so it shows as text; the import removes the quote."""
    safe = frame.copy()
    safe.columns = [quote_formula(column) for column in safe.columns]
    for position in range(safe.shape[1]):
        safe.isetitem(position, safe.iloc[:, position].map(quote_formula))
    return safe


def workbook_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Control characters an .xlsx cannot hold (openpyxl refuses the whole file) shown as U+FFFD."""
    safe = frame.copy()
    for position in range(safe.shape[1]):
        safe.isetitem(position, safe.iloc[:, position].map(
            lambda v: ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v))
    return safe


def export_file(*, session: Session, user: User, entity: str, path: str | Path) -> int:
    """Write the export to a .csv (UTF-8 with the mark Excel needs to show accents) or .xlsx file."""
    target = Path(path)
    if target.suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError.single("path", "must end in .csv or .xlsx")
    frame = spreadsheet_safe(export_rows(session=session, user=user, entity=entity))
    if target.suffix.lower() == ".csv":
        frame.to_csv(target, index=False, encoding="utf-8-sig")
    else:
        workbook_safe(frame).to_excel(target, index=False, engine="openpyxl")
    return len(frame)
