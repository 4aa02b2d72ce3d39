"""Reads for the case desk: the queue by SLA, one case with its thread, and the resolution summary.

Narrow SELECTs limited by the same `visible_clause` as the grids; the summary's averages come from
the semantic layer (the metrics "average resolution time", "open cases", "breached cases"), so the
desk, reports and the assistant agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from core.config import now
from core.models import Activity, Case, Contact, User
from core.query.engine import run_query
from core.query.spec import QuerySpec
from core.services.cases import OPEN_STATUSES, allowed_statuses, resolution_hours, sla_state
from core.services.overview360 import activity_select, full_name
from core.services.permissions import team_member_ids, visible_clause
from core.services.records import get_record

Scope = Literal["mine", "team", "all"]
QUEUE_LIMIT = 500


@dataclass(frozen=True)
class CaseView:
    case: Case
    contact_name: str | None
    assignee_name: str | None
    sla: str  # breached, due soon, on time, done
    allowed: tuple[str, ...]  # the statuses it may move to
    resolution_hours: float | None
    thread: pd.DataFrame  # the case's activities, oldest first


def case_queue(session: Session, user: User, *, scope: Scope = "all",
               statuses: tuple[str, ...] = OPEN_STATUSES, priorities: tuple[str, ...] = (),
               limit: int = QUEUE_LIMIT) -> pd.DataFrame:
    """Visible cases, soonest SLA first (breached at the top), with an `sla` column."""
    assignee = aliased(User, name="assignee")
    query = (select(Case.id, Case.subject, full_name(Contact).label("contact"), Case.status, Case.priority,
                    Case.channel, assignee.display_name.label("assignee"), Case.opened_at, Case.sla_due_at,
                    Case.resolved_at)
             .outerjoin(Contact, Contact.id == Case.contact_id)
             .outerjoin(assignee, assignee.id == Case.assignee_id)
             .where(_scope(user, scope), Case.deleted_at.is_(None), visible_clause(user, Case))
             .order_by(Case.sla_due_at.is_(None), Case.sla_due_at, Case.id).limit(limit))
    if statuses:
        query = query.where(Case.status.in_(statuses))
    if priorities:
        query = query.where(Case.priority.in_(priorities))
    result = session.execute(query)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    moment = now()
    pairs = zip(frame["status"], frame["sla_due_at"], strict=True)
    frame.insert(4, "sla", [sla_state(status, _plain(due), moment) for status, due in pairs])
    return frame


def case_view(session: Session, user: User, case_id: int) -> CaseView:
    """One case the user may see (else NotFound), with its thread of replies and calls."""
    case = get_record(session, user, "cases", case_id)
    assert isinstance(case, Case)
    contact = session.get(Contact, case.contact_id) if case.contact_id else None
    assignee = session.get(User, case.assignee_id) if case.assignee_id else None
    return CaseView(case, _contact_name(contact), assignee.display_name if assignee else None,
                    sla_state(case.status, case.sla_due_at), allowed_statuses(case.status),
                    resolution_hours(case), _thread(session, case.id))


def _thread(session: Session, case_id: int) -> pd.DataFrame:
    """Every reply and call on the case, whoever logged it: who may read the case reads its thread."""
    query = (activity_select().where(Activity.case_id == case_id, Activity.deleted_at.is_(None))
             .order_by(Activity.occurred_at, Activity.id))
    result = session.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def resolution_summary(session: Session, user: User, period: str | None = None) -> pd.DataFrame:
    """By priority: cases opened in the period, open now, breached now, average resolution time in
    days (of the cases resolved in the period), as reports and the assistant compute them."""
    spec = QuerySpec(metrics=["cases", "open_cases", "breached_cases", "average_resolution_time"],
                     dimensions=["priority"], period=period)
    result = run_query(session, spec, user)
    frame = pd.DataFrame(result.rows, columns=result.ids)
    frame["average_resolution_time"] = pd.to_numeric(frame["average_resolution_time"], errors="coerce")
    return frame.rename(columns={"average_resolution_time": "average_resolution_days"})


def breached_count(session: Session, user: User) -> int:
    """Open cases past their SLA due time now, that the user may see."""
    return int(run_query(session, QuerySpec(metrics=["breached_cases"]), user).value() or 0)


def assignable_users(session: Session, user: User) -> list[tuple[int, str]]:
    """(id, name) of whom `user` may hand a case to: staff themselves, managers their team,
    admins every active user."""
    query = select(User.id, User.display_name).where(User.active.is_(True), User.deleted_at.is_(None))
    if user.role == "manager":
        query = query.where(User.id.in_(team_member_ids(user)))
    elif user.role != "admin":
        query = query.where(User.id == user.id)
    return [(row.id, row.display_name) for row in session.execute(query.order_by(User.display_name, User.id))]


def _scope(user: User, scope: Scope) -> ColumnElement[bool]:
    if scope == "mine":
        return Case.assignee_id == user.id
    if scope == "team":
        return Case.assignee_id.in_(team_member_ids(user))
    return true()


def _contact_name(contact: Contact | None) -> str | None:
    if contact is None:
        return None
    return " ".join(part for part in (contact.first_name, contact.last_name) if part)


def _plain(value: Any) -> datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()
