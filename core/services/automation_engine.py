"""The engine that runs automation rules on domain events, on a schedule and from the queue.

Failure policy (never silently dropped):
- An "inline" rule (the default) runs inside the transaction of the change that triggered it. If
  one of its actions fails, the whole change is rolled back and the person gets AutomationFailed,
  naming the rule and the action, so they see it at once; the failed run is written to the log in
  a transaction of its own right after the rollback (see `_log_failures`).
- A "queued" rule only writes a `queued` run inside the triggering transaction (so the queue entry
  commits or rolls back with the change) and `crm automation run` runs its actions later, each in
  its own transaction; a failure marks that run `failed` with the error, the change stays.
- Every run is logged: ok (with what each action did), skipped (with why), failed (with the error),
  queued.

Loop protection: while a rule's actions run, its id is on a chain in `session.info`; an event caused
by those actions never fires a rule already on the chain (A -> A, A -> B -> A), and a chain longer
than MAX_CHAIN stops; either stop is logged as a skipped run with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from core.config import now
from core.errors import CRMError
from core.models import ENTITIES, AutomationRule, AutomationRun, Case, Editable, Task, User
from core.query.filters import Filter
from core.services.automation import SWEEP_TRIGGERS
from core.services.automation_actions import ACTIONS, Context, run_action
from core.services.cases import CLOSED_STATUSES
from core.services.events import Event, subscribe
from core.services.listing import filtered_select

MAX_CHAIN = 5  # rules triggering rules: at most this many in a row
CHAIN_KEY = "automation_chain"
FAILURES_KEY = "automation_failures"


class AutomationFailed(CRMError):
    """An inline rule's action failed: the triggering change was not saved."""


# ---- events --------------------------------------------------------------------------------


def on_event(session: Session, event: Event) -> None:
    """Fire every active rule for this event (subscribed at import)."""
    if event.entity not in ENTITIES or event.entity == "automation_rules":
        return
    if event.name == "updated" and not event.changes:
        return
    for rule in _rules_for(session, event):
        fire(session, rule, event.entity, event.record)


def _rules_for(session: Session, event: Event) -> list[AutomationRule]:
    query = select(AutomationRule).where(
        AutomationRule.active, AutomationRule.deleted_at.is_(None),
        AutomationRule.entity == event.entity, AutomationRule.trigger == event.name)
    if event.name == "stage_entered":
        query = query.where(AutomationRule.stage_id == getattr(event.record, "stage_id", None))
    with session.no_autoflush:
        return list(session.scalars(query.order_by(AutomationRule.id)))


def fire(session: Session, rule: AutomationRule, entity: str, record: Editable) -> AutomationRun:
    """Check loop protection and conditions, then run the actions now or queue them."""
    chain: list[int] = list(session.info.get(CHAIN_KEY, []))
    if rule.id in chain:
        return log(session, rule, record, "skipped", "loop stopped: the change came from this rule's own "
                   f"actions (rule chain: {_chain_text(session, chain)})", chain)
    if len(chain) >= MAX_CHAIN:
        return log(session, rule, record, "skipped", f"loop stopped: the limit of {MAX_CHAIN} rules "
                   f"triggering each other was reached (rule chain: {_chain_text(session, chain)})", chain)
    actor = _actor(session, rule)
    if actor is None:
        return log(session, rule, record, "skipped", "the rule's creator is inactive or deleted; an admin "
                   "should save the rule again to take it over", chain)
    try:  # a condition can break too (e.g. its custom field was removed): that is a failure
        if not conditions_match(session, actor, rule, record.id):
            return log(session, rule, record, "skipped", "conditions not met", chain)
        if rule.run_mode == "queued":
            return log(session, rule, record, "queued", "waiting for `crm automation run`", chain)
        message = run_actions(session, rule, actor, entity, record, chain)
    except Exception as error:
        text = f"Automation rule {rule.name!r} failed, so the change was not saved: {error}"
        session.info.setdefault(FAILURES_KEY, []).append(
            {"rule_id": rule.id, "entity": entity, "entity_id": record.id, "message": text, "chain": chain})
        raise AutomationFailed(text) from error
    return log(session, rule, record, "ok", message, chain)


def conditions_match(session: Session, actor: User, rule: AutomationRule, record_id: int | None) -> bool:
    """The views' filter compiler run in SQL on this one record."""
    model = ENTITIES[rule.entity]
    query = filtered_select(session, actor, rule.entity, [Filter.model_validate(c) for c in rule.conditions])
    query = query.where(model.id == record_id)
    with session.no_autoflush:
        return session.scalar(select(func.count()).select_from(query.subquery())) == 1


def run_actions(session: Session, rule: AutomationRule, actor: User, entity: str, record: Editable,
                chain: list[int]) -> str:
    """Run the rule's actions in order as `actor`; the caller's transaction commits them."""
    context = Context(session, actor, entity, record, rule.name)
    done = []
    with _running(session, [*chain, rule.id]):
        for number, action in enumerate(rule.actions, start=1):
            try:
                done.append(run_action(context, action))
            except Exception as error:
                label = ACTIONS[action["type"]].label if action.get("type") in ACTIONS else "run"
                raise AutomationFailed(f"action {number} could not {label}: {error}") from error
    return "; ".join(done)


@contextmanager
def _running(session: Session, chain: list[int]) -> Iterator[None]:
    """Put the rule on the chain, and let the services the actions call flush instead of
    commit (like a batch), so the triggering use case commits everything once."""
    previous = session.info.get(CHAIN_KEY, [])
    session.info[CHAIN_KEY] = chain
    session.info["batch_depth"] = session.info.get("batch_depth", 0) + 1
    try:
        yield
    finally:
        session.info["batch_depth"] -= 1
        session.info[CHAIN_KEY] = previous


def _actor(session: Session, rule: AutomationRule) -> User | None:
    user = session.get(User, rule.created_by_id) if rule.created_by_id else None
    return user if user is not None and user.active and user.deleted_at is None else None


def _chain_text(session: Session, chain: list[int]) -> str:
    names = []
    for rule_id in chain:
        rule = session.get(AutomationRule, rule_id)
        names.append(repr(rule.name) if rule else f"#{rule_id}")
    return " -> ".join(names)


def log(session: Session, rule: AutomationRule, record: Editable, status: str, message: str,
        chain: list[int]) -> AutomationRun:
    run = AutomationRun(rule_id=rule.id, at=now(), entity=rule.entity, entity_id=record.id, status=status,
                        message=message[:2000], chain=chain)
    session.add(run)
    session.flush()
    return run


def _log_failures(session: OrmSession, *_: Any) -> None:
    """After a rollback (or a commit that went ahead anyway), write the failed inline runs the
    transaction could not keep, in a transaction of their own."""
    failures = session.info.pop(FAILURES_KEY, None)
    if not failures:
        return
    with Session(session.get_bind()) as own:
        for failure in failures:
            own.add(AutomationRun(at=now(), status="failed", **failure))
        own.commit()


sa_event.listen(OrmSession, "after_rollback", _log_failures)
sa_event.listen(OrmSession, "after_commit", _log_failures)
subscribe(on_event)


# ---- the schedule: overdue tasks, breached SLAs, the queue ---------------------------------


@dataclass
class SweepResult:
    fired: int = 0
    failed: int = 0
    queued_done: int = 0
    queued_failed: int = 0


def run_due_triggers(session: Session, at: datetime | None = None) -> SweepResult:
    """Fire the task_overdue and case_sla_breached rules once per matching record, then run the
    queue. Each record's run commits on its own, so one failure does not stop the others."""
    moment = at or now()
    result = SweepResult()
    rules = session.scalars(select(AutomationRule).where(
        AutomationRule.active, AutomationRule.deleted_at.is_(None),
        AutomationRule.trigger.in_(SWEEP_TRIGGERS)).order_by(AutomationRule.id)).all()
    for rule in rules:
        try:
            due = due_records(session, rule, moment)
        except CRMError as error:  # a broken condition: say so, and go on with the other rules
            session.add(AutomationRun(rule_id=rule.id, at=now(), entity=rule.entity, status="failed",
                                      message=f"Automation rule {rule.name!r} failed: {error}"[:2000]))
            session.commit()
            result.failed += 1
            continue
        for record_id in due:
            ok = _fire_alone(session, rule, record_id)
            result.fired += ok
            result.failed += not ok
    result.queued_done, result.queued_failed = process_queue(session)
    return result


def due_records(session: Session, rule: AutomationRule, moment: datetime) -> list[int]:
    """Ids of the overdue tasks / breached open cases that match the rule's conditions and that
    the rule has not handled yet (a failed run is tried again at the next sweep)."""
    actor = _actor(session, rule)
    if actor is None:
        return []
    model: Any = Task if rule.trigger == "task_overdue" else Case
    query = filtered_select(session, actor, rule.entity, [Filter.model_validate(c) for c in rule.conditions])
    if model is Task:
        query = query.where(Task.status == "open", Task.due_at < moment)
    else:
        query = query.where(Case.status.not_in(CLOSED_STATUSES), Case.sla_due_at < moment)
    handled = select(AutomationRun.entity_id).where(
        AutomationRun.rule_id == rule.id, AutomationRun.status.in_(("ok", "queued", "skipped")))
    query = query.where(model.id.not_in(handled))
    return [row.id for row in session.execute(query.order_by(model.id))]


def _fire_alone(session: Session, rule: AutomationRule, record_id: int) -> bool:
    record = session.get(ENTITIES[rule.entity], record_id)
    try:
        fire(session, rule, rule.entity, record)
        session.commit()
    except Exception:
        session.rollback()  # the failed run is logged by _log_failures
        return False
    return True


def process_queue(session: Session, limit: int = 1000) -> tuple[int, int]:
    """Run the actions of queued runs, oldest first; returns (done, failed)."""
    runs = session.scalars(select(AutomationRun).where(AutomationRun.status == "queued")
                           .order_by(AutomationRun.id).limit(limit)).all()
    done = failed = 0
    for run in runs:
        status, message = _run_queued(session, run)
        if status == "failed":
            session.rollback()
            run = session.get(AutomationRun, run.id)
            failed += 1
        else:
            done += status == "ok"
        run.status, run.message, run.at = status, message[:2000], now()
        session.commit()
    return done, failed


def _run_queued(session: Session, run: AutomationRun) -> tuple[str, str]:
    rule = session.get(AutomationRule, run.rule_id)
    record = session.get(ENTITIES[run.entity], run.entity_id) if run.entity_id else None
    if rule is None or rule.deleted_at is not None or not rule.active:
        return "skipped", "the rule was deleted or switched off before its turn came"
    if record is None or record.deleted_at is not None:
        return "skipped", "the record was deleted before the rule ran"
    actor = _actor(session, rule)
    if actor is None:
        return "skipped", "the rule's creator is inactive or deleted"
    try:
        return "ok", run_actions(session, rule, actor, run.entity, record, list(run.chain))
    except Exception as error:
        return "failed", f"Automation rule {rule.name!r} failed: {error}"
