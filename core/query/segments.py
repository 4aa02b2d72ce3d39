"""The `segment` filter: Filter("segment", "=", "VIP customers") keeps the rows whose contact
matches that saved segment's filters (segments.spec = {"filters": [...]}), evaluated now.

A segment is a definition, not a stored list: its filters run as a subquery over contacts, so
membership is always current. Segments may use other segments, up to MAX_DEPTH levels deep.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, not_, or_, select

from core.models import Contact, Segment
from core.query.catalog import Metric
from core.query.facts import FACTS, Fact
from core.query.fields import Context, filter_clause, query_error
from core.query.filters import Filter
from core.services.permissions import visible_clause

MAX_DEPTH = 5
SEGMENT_OPERATORS = ("=", "!=", "in", "not in")


def segment_clause(item: Filter, fact: Fact, ctx: Context) -> ColumnElement[bool]:
    """fact.contact IN (members of the named segments), or NOT IN for != / not in."""
    if item.op not in SEGMENT_OPERATORS:
        raise query_error("filters", f"segment filters use {', '.join(SEGMENT_OPERATORS)}, not {item.op!r}")
    if ctx.session is None:
        raise query_error("filters", "segment filters need a database session to read the segment")
    key = _contact_key(fact)
    names = item.value if isinstance(item.value, list | tuple | set) else [item.value]
    members = or_(false(), *(key.in_(_members(_find(str(name), ctx), ctx)) for name in names))
    if item.op in ("!=", "not in"):
        return or_(key.is_(None), not_(members))
    return members


def _contact_key(fact: Fact) -> Any:
    if fact.model is Contact:
        return Contact.id
    if "contact_id" in fact.model.__table__.columns:
        return fact.model.contact_id
    raise query_error("filters", f"a segment is a set of contacts; {fact.id} have no contact to match")


def _find(name: str, ctx: Context) -> Segment:
    """The saved segment called `name` (any case) that the user may use: shared or in reach."""
    usable = (Segment.deleted_at.is_(None), or_(Segment.shared.is_(True), visible_clause(ctx.user, Segment)))
    found = ctx.session.scalars(
        select(Segment).where(func.lower(Segment.name) == name.strip().lower(), *usable)).first()
    if found is None:
        known = list(ctx.session.scalars(select(Segment.name).where(*usable).order_by(Segment.name)))
        raise query_error("filters", f"Unknown segment {name!r}. Known segments: "
                          f"{', '.join(known) if known else 'none saved yet'}")
    return found


def _members(segment: Segment, ctx: Context) -> Select[Any]:
    """SELECT the ids of the contacts matching the segment's filters."""
    if ctx.segment_depth >= MAX_DEPTH:
        raise query_error("filters", f"segment {segment.name!r} nests segments more than {MAX_DEPTH} deep")
    nested = Context(ctx.user, ctx.today, ctx.now, ctx.session, ctx.segment_depth + 1)
    carrier = Metric("segment", f"segment {segment.name}", "contacts", "count", "", date="created_at")
    clauses, joins = [], set()
    for raw in (segment.spec or {}).get("filters", []):
        clause, needed = filter_clause(Filter.model_validate(raw), carrier, nested)
        clauses.append(clause)
        joins |= needed
    fact = FACTS["contacts"]
    # correlate(None): the subquery stands alone even when the outer query also reads contacts.
    return (select(Contact.id).select_from(fact.source(joins))
            .where(Contact.deleted_at.is_(None), *clauses).correlate(None))


def segment_members(session: Any, user: Any, name: str) -> Select[Any]:
    """SELECT the ids of the contacts now in the saved segment `name` (for grids and campaigns)."""
    from core.config import now, today

    ctx = Context(user, today(), now(), session)
    return _members(_find(name, ctx), ctx)


def filter_members(session: Any, user: Any, filters: list[dict[str, Any]]) -> Select[Any]:
    """SELECT the ids of the contacts matching `filters` now: an unsaved segment (for campaigns)."""
    from core.config import now, today

    ctx = Context(user, today(), now(), session)
    return _members(Segment(name="filter", spec={"filters": filters}), ctx)
