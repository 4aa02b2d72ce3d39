"""Pipelines, stages and deals. A deal's stage history and won/lost status follow its stage."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select, update
from sqlmodel import Session

from core.config import now
from core.errors import FieldError, ValidationError
from core.models import Company, Contact, Deal, DealStageHistory, Pipeline, Stage, User
from core.services.events import Event, emit
from core.services.records import (
    EntityRules,
    EntityService,
    audit,
    check_references,
    snapshot,
)
from core.services.schemas import DealIn, PipelineIn, StageIn

DEFAULT_STAGES = (  # name, probability %, won, lost
    ("Lead", 10, False, False),
    ("Qualified", 25, False, False),
    ("Proposal", 50, False, False),
    ("Negotiation", 75, False, False),
    ("Won", 100, True, False),
    ("Lost", 0, False, True),
)


def ensure_default_pipeline(session: Session, user: User | None = None) -> Pipeline:
    """The default "Sales" pipeline, created with its six stages on first use."""
    pipeline = session.scalars(select(Pipeline).where(Pipeline.is_default)).first()
    if pipeline is not None:
        return pipeline
    pipeline = Pipeline(name="Sales", is_default=True)
    session.add(pipeline)
    session.flush()
    stages = [Stage(pipeline_id=pipeline.id, name=name, position=position, probability=probability,
                    is_won=won, is_lost=lost)
              for position, (name, probability, won, lost) in enumerate(DEFAULT_STAGES)]
    session.add_all(stages)
    session.flush()
    for record in (pipeline, *stages):  # every row it writes is audited, the stages too
        audit(session, user, "create", record.__tablename__, record.id, None, snapshot(record), "system")
    return pipeline


def stages_of(session: Session, pipeline_id: int) -> list[Stage]:
    query = select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None))
    return list(session.scalars(query.order_by(Stage.position, Stage.id)))


def find_stage(session: Session, pipeline_id: int, name: str) -> Stage | None:
    wanted = name.strip().lower()
    return next((s for s in stages_of(session, pipeline_id) if s.name.lower() == wanted), None)


def _check_stage(session: Session, user: User, stage: Stage, values: dict[str, Any]) -> None:
    check_references(session, stage, {"pipeline_id": Pipeline})
    if stage.is_won and stage.is_lost:
        raise ValidationError.single("is_lost", "a stage cannot be both won and lost")


def _prepare_deal(session: Session, user: User, deal: Deal, values: dict[str, Any]) -> None:
    """Fill the default pipeline/stage, check references, keep status and history in step."""
    if deal.pipeline_id is None:
        deal.pipeline_id = ensure_default_pipeline(session, user).id
    check_references(session, deal, {"pipeline_id": Pipeline, "contact_id": Contact,
                                     "company_id": Company, "owner_id": User}, user)
    if deal.stage_id is None:
        deal.stage_id = stages_of(session, deal.pipeline_id)[0].id
    stage = session.get(Stage, deal.stage_id)
    if stage is None or stage.pipeline_id != deal.pipeline_id or stage.deleted_at is not None:
        pipeline = session.get(Pipeline, deal.pipeline_id)
        names = ", ".join(s.name for s in stages_of(session, deal.pipeline_id))
        raise ValidationError([FieldError(
            "stage_id", f"this stage is not in the {pipeline.name if pipeline else '?'} pipeline "
                        f"(its stages: {names})")])
    history = inspect(deal).attrs.stage_id.history
    if deal.id is None or history.has_changes():
        _enter_stage(deal, stage)


def _enter_stage(deal: Deal, stage: Stage) -> None:
    moment = now()
    if stage.is_won or stage.is_lost:
        deal.status = "won" if stage.is_won else "lost"
        deal.closed_at = deal.closed_at or moment
    else:
        deal.status, deal.closed_at = "open", None
    if not stage.is_lost:
        deal.lost_reason = None if deal.status == "open" else deal.lost_reason


def _record_history(session: Session, user: User, deal: Deal, values: dict[str, Any]) -> None:
    open_row = session.scalars(select(DealStageHistory).where(
        DealStageHistory.deal_id == deal.id, DealStageHistory.exited_at.is_(None))).first()
    if open_row is not None and open_row.stage_id == deal.stage_id:
        return
    moment = now()
    if open_row is not None:
        session.execute(update(DealStageHistory).where(DealStageHistory.id == open_row.id)
                        .values(exited_at=moment))
    session.add(DealStageHistory(deal_id=deal.id, stage_id=deal.stage_id, entered_at=moment,
                                 changed_by_id=user.id if user else None))
    session.flush()
    before = open_row.stage_id if open_row is not None else None
    emit(session, Event("stage_entered", "deals", deal, user, {"stage_id": (before, deal.stage_id)}))


pipelines = EntityService(EntityRules("pipelines", PipelineIn))
stages = EntityService(EntityRules("stages", StageIn, before_save=_check_stage))
deals = EntityService(EntityRules(
    "deals", DealIn, before_save=_prepare_deal, after_save=_record_history,
    derived=frozenset({"status", "closed_at"}),
))


def move_deal(*, session: Session, user: User, deal_id: int, stage_id: int,
              lost_reason: str | None = None, expected_version: int | None = None,
              source: str = "app") -> Deal:
    """Move a deal to another stage of its pipeline (Won/Lost close it)."""
    changes: dict[str, Any] = {"stage_id": stage_id}
    if lost_reason is not None:
        changes["lost_reason"] = lost_reason
    return deals.update(session=session, user=user, record_id=deal_id, changes=changes,
                        expected_version=expected_version, source=source)


def stage_history(session: Session, deal_id: int) -> list[DealStageHistory]:
    query = select(DealStageHistory).where(DealStageHistory.deal_id == deal_id)
    return list(session.scalars(query.order_by(DealStageHistory.entered_at, DealStageHistory.id)))

