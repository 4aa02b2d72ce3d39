"""Answers about one contact or company (last interaction, last order, open deals, who works there)
and the user's own task list. Visible records only. How much someone bought is a figure: it goes
through the semantic layer (bot/offline.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session

from bot.people import Match, find_companies, find_contacts
from bot.proposals import ask_which
from bot.reply import Reply
from core.config import now, start_of_day, today
from core.models import Activity, Contact, Deal, Order, OrderLine, Stage, Task
from core.services.permissions import visible_clause

ROWS = 10


def resolve(
    session: Session, user: Any, name: str, companies_first: bool = False
) -> tuple[str, Match] | Reply:
    """("contact"|"company", the match) or a reply asking which one / saying none was found."""
    finders = [("company", find_companies), ("contact", find_contacts)]
    for kind, finder in finders if companies_first else finders[::-1]:
        matches = finder(session, user, name)
        if len(matches) == 1:
            return kind, matches[0]
        if matches:
            return ask_which(kind, matches, name)
    return ask_which("contact", [], name)


def _owned(model: Any, kind: str, record_id: int, user: Any) -> list[ColumnElement[bool]]:
    key = model.contact_id if kind == "contact" else model.company_id
    return [key == record_id, model.deleted_at.is_(None), visible_clause(user, model)]


def last_activity(session: Session, user: Any, kind: str, match: Match) -> Reply:
    query = (
        select(Activity.occurred_at, Activity.channel, Activity.subject, Activity.notes)
        .where(*_owned(Activity, kind, match.id, user))
        .order_by(Activity.occurred_at.desc())
        .limit(ROWS)
    )
    rows = [
        [r.occurred_at.strftime("%Y-%m-%d %H:%M"), r.channel, r.subject or "", r.notes or ""]
        for r in session.execute(query)
    ]
    if not rows:
        return Reply(
            "answered",
            f"No interactions with {match.label} are recorded (that you can see).",
            columns=["Date", "Channel", "Subject", "Notes"],
            rows=[],
        )
    date, channel, subject, notes = rows[0]
    text = f"Last interaction with {match.label}: {channel} on {date}"
    text += f" — “{subject}”" if subject else ""
    text += f". Notes: {notes}" if notes else "."
    return Reply("answered", text, columns=["Date", "Channel", "Subject", "Notes"], rows=rows)


def _amount() -> Any:
    return func.coalesce(func.sum(OrderLine.quantity * OrderLine.unit_price), 0.0)


def last_order(session: Session, user: Any, kind: str, match: Match) -> Reply:
    query = (
        select(Order.ordered_at, Order.order_number, Order.status, _amount().label("amount"))
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(*_owned(Order, kind, match.id, user), Order.status != "quote")  # a quote is no order yet
        .group_by(Order.id)
        .order_by(Order.ordered_at.desc())
        .limit(ROWS)
    )
    rows = [
        [r.ordered_at.strftime("%Y-%m-%d"), r.order_number, r.status, round(float(r.amount), 2)]
        for r in session.execute(query)
    ]
    columns = ["Date", "Order", "Status", "Amount"]
    if not rows:
        return Reply("answered", f"{match.label} has no orders (that you can see).", columns=columns, rows=[])
    date, number, status, amount = rows[0]
    return Reply(
        "answered",
        f"{match.label} last ordered on {date}: order {number} ({status}), €{amount:,.2f}.",
        columns=columns,
        rows=rows,
    )


def open_deals(session: Session, user: Any, kind: str, match: Match) -> Reply:
    query = (
        select(Deal.title, Stage.name, Deal.amount, Deal.expected_close)
        .join(Stage, Stage.id == Deal.stage_id)
        .where(*_owned(Deal, kind, match.id, user), Deal.status == "open")
        .order_by(Deal.amount.desc())
    )
    rows = [
        [r.title, r.name, float(r.amount), r.expected_close.isoformat() if r.expected_close else ""]
        for r in session.execute(query)
    ]
    total = sum(r[2] for r in rows)
    text = f"{match.label} has {len(rows)} open deals worth €{total:,.2f}" + (":" if rows else ".")
    text += "".join(f"\n- {r[0]} ({r[1]}, €{r[2]:,.2f})" for r in rows[:ROWS])
    return Reply("answered", text, columns=["Deal", "Stage", "Amount", "Expected close"], rows=rows)


def contacts_at(session: Session, user: Any, match: Match) -> Reply:
    query = (
        select(Contact.first_name, Contact.last_name, Contact.job_title, Contact.email, Contact.phone)
        .where(*_owned(Contact, "company", match.id, user))
        .order_by(Contact.last_name)
        .limit(50)
    )
    rows = [
        [f"{r.first_name} {r.last_name or ''}".strip(), r.job_title or "", r.email or "", r.phone or ""]
        for r in session.execute(query)
    ]
    names = ", ".join(r[0] + (f" ({r[1]})" if r[1] else "") for r in rows[:ROWS])
    text = (
        f"Contacts at {match.label}: {names}." if rows else f"No contacts at {match.label} that you can see."
    )
    return Reply("answered", text, columns=["Name", "Job title", "Email", "Phone"], rows=rows)


def my_tasks(session: Session, user: Any, scope: str) -> Reply:
    """The user's own open tasks: due today or overdue, overdue only, or all open."""
    moment, end_of_today = now(), start_of_day(today()) + timedelta(days=1)
    where = [Task.assignee_id == user.id, Task.status == "open", Task.deleted_at.is_(None)]
    if scope == "overdue":
        where.append(Task.due_at < moment)
    elif scope == "today":
        where.append(Task.due_at < end_of_today)
    query = (
        select(Task.due_at, Task.title, Task.priority, Contact.first_name, Contact.last_name, Contact.phone)
        .outerjoin(Contact, Contact.id == Task.contact_id)
        .where(*where)
        .order_by(Task.due_at.is_(None), Task.due_at)
        .limit(100)
    )
    rows = [_task_row(r, moment) for r in session.execute(query)]
    what = {"overdue": "overdue tasks", "today": "open tasks due today or overdue", "open": "open tasks"}[
        scope
    ]
    overdue = sum(1 for r in rows if r[-1] == "overdue")
    text = f"You have {len(rows)} {what}" + (
        f" ({overdue} overdue)" if overdue and scope != "overdue" else ""
    )
    text += "." if not rows else ":" + "".join(f"\n- {r[1]} — {r[0] or 'no due date'}" for r in rows[:ROWS])
    return Reply(
        "answered", text, columns=["Due", "Task", "Contact", "Phone", "Priority", "State"], rows=rows
    )


def _task_row(row: Any, moment: datetime) -> list[Any]:
    contact = f"{row.first_name or ''} {row.last_name or ''}".strip()
    due = row.due_at.strftime("%Y-%m-%d %H:%M") if row.due_at else ""
    state = "overdue" if row.due_at and row.due_at < moment else "due"
    return [due, row.title, contact, row.phone or "", row.priority, state]
