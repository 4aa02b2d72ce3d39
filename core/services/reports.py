"""Saved reports and segments: both store a QuerySpec (a segment only its filters over contacts),
checked by compiling it, so a saved definition always runs."""

from __future__ import annotations

from typing import Any

import pydantic
from sqlalchemy import func, or_, select
from sqlmodel import Session

from core.errors import ValidationError
from core.models import SavedReport, Segment, User
from core.query.filters import Filter
from core.query.spec import QuerySpec
from core.services.permissions import visible_clause
from core.services.records import EntityRules, EntityService, pydantic_errors
from core.services.schemas import SavedReportIn, SegmentIn


def _check_report(session: Session, user: User, report: SavedReport, values: dict[str, Any]) -> None:
    report.spec = _compiled(session, user, report.spec).model_dump(mode="json")


def _check_segment(session: Session, user: User, segment: Segment, values: dict[str, Any]) -> None:
    query = select(Segment.id).where(
        func.lower(Segment.name) == segment.name.lower(), Segment.deleted_at.is_(None)
    )
    if segment.id is not None:
        query = query.where(Segment.id != segment.id)
    if session.scalar(query) is not None:
        raise ValidationError.single("name", f"a segment called {segment.name!r} already exists")
    filters = (segment.spec or {}).get("filters", [])
    spec = _compiled(session, user, {"metrics": ["contacts"], "filters": filters})
    segment.spec = {"filters": [f.model_dump(mode="json") for f in spec.filters]}


def _compiled(session: Session, user: User, raw: dict[str, Any]) -> QuerySpec:
    try:
        spec = QuerySpec.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ValidationError(pydantic_errors(exc)) from None
    # Imported here: the query compiler itself imports core.services (for permissions).
    from core.query.compiler import compile_query

    compile_query(spec, user, session=session)  # unknown metrics, fields or values fail here
    return spec


saved_reports = EntityService(EntityRules("saved_reports", SavedReportIn, before_save=_check_report))
segments = EntityService(EntityRules("segments", SegmentIn, before_save=_check_segment))


def reports_for(session: Session, user: User) -> list[SavedReport]:
    """The user's own reports, then the ones colleagues shared."""
    query = select(SavedReport).where(
        SavedReport.deleted_at.is_(None), or_(SavedReport.owner_id == user.id, SavedReport.shared)
    )
    return list(session.scalars(query.order_by(SavedReport.owner_id != user.id, SavedReport.name)))


def segments_for(session: Session, user: User) -> list[Segment]:
    query = select(Segment).where(
        Segment.deleted_at.is_(None), or_(Segment.shared, visible_clause(user, Segment))
    )
    return list(session.scalars(query.order_by(Segment.name)))


def segment_filter(name: str) -> Filter:
    """The filter that keeps the contacts (or their records) in the named segment."""
    return Filter(field="segment", op="=", value=name)
