"""Widgets of the "My day" page and the reminder pop-ups shown on every page.

Each action is a button callback calling one core service with the version the person saw, and
leaves a message for the rerun (a colleague's newer save comes back as a clear conflict message).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.ui.charts import with_contact_links
from app.ui.record import error_text, flash, link, md, when
from app.ui.session import current_user, db_session
from core.errors import CRMError
from core.models import User
from core.services.my_day import (
    CallRow,
    TaskRow,
    complete_task,
    reassign_task,
    snooze_options,
    snooze_until,
)
from core.services.notifications import mark_read, unread
from core.services.reminders import deliver_in_app

SCOPE = "my_day"
SHOWN_PER_SECTION = 50  # more than this is a grid's job (the Tasks page)
TOASTS_AT_ONCE = 3


def remind(session: Session, user: User) -> None:
    """Due reminders become notifications (once); each unread one pops up once per sign-in."""
    deliver_in_app(session, user)
    shown: set[int] = st.session_state.setdefault("toasted_notifications", set())
    fresh = [n for n in unread(session, user) if n.id not in shown]
    for notification in fresh[:TOASTS_AT_ONCE]:
        st.toast(md(notification.text), icon=":material/alarm:")
    if len(fresh) > TOASTS_AT_ONCE:
        st.toast(f"{len(fresh) - TOASTS_AT_ONCE} more on My day", icon=":material/notifications:")
    shown.update(n.id for n in fresh if n.id is not None)


def _act(kind: str, row: TaskRow, until: Any = None) -> None:
    """A button's callback. It runs before the rerun, with the version the person saw when the
    button was drawn, so a colleague's save in between is reported as a conflict."""
    with db_session() as session:
        user = current_user(session)
        if user is None:
            return
        common = {"session": session, "user": user, "task_id": row.id, "expected_version": row.version}
        try:
            if kind == "done":
                complete_task(**common)
                message = f"Done: {row.title}" + (
                    " (the next one is scheduled)" if row.recurrence != "none" else "")
            elif kind == "snooze":
                task = snooze_until(**common, until=until or st.session_state[f"snooze-day:{row.id}"])
                message = f"Snoozed: {row.title}, now due {when(task.due_at)}"
            else:
                assignee = st.session_state[f"assignee:{row.id}"]
                task = reassign_task(**common, assignee_id=assignee)
                person = session.get(User, task.assignee_id)
                message = f"{row.title} now belongs to {person.display_name if person else 'nobody'}"
        except CRMError as error:
            flash(SCOPE, "error", error_text(error))
        else:
            flash(SCOPE, "success", md(message))


def task_list(rows: list[TaskRow], assignees: list[User], at: datetime, badge: str = "") -> None:
    """The tasks with their buttons; `assignees` are whom they may be handed to (not the assignee)."""
    if not rows:
        st.caption("Nothing here.")
    for row in rows[:SHOWN_PER_SECTION]:
        with st.container(border=True):
            _task_row(row, assignees, at, badge)
    if len(rows) > SHOWN_PER_SECTION:
        st.caption(f"and {len(rows) - SHOWN_PER_SECTION} more: see the Tasks page.")


def _task_row(row: TaskRow, assignees: list[User], at: datetime, badge: str) -> None:
    text, done, snooze, reassign = st.columns([6, 1, 1, 1], vertical_alignment="center")
    late = " :orange-badge[late]" if row.late and not badge else ""
    repeat = f" · repeats {row.recurrence}" if row.recurrence != "none" else ""
    text.markdown(f"{badge}**{md(row.title)}**{late}  \n"
                  f"due {when(row.due_at)} · {row.priority}{repeat}")
    with text:
        link("contact", row.contact, row.contact_id, icon=":material/person:")
    done.button("Done", key=f"done:{row.id}", icon=":material/check:", on_click=_act,
                args=("done", row))
    with snooze.popover("Snooze", icon=":material/snooze:"):
        _snooze_menu(row, at)
    others = {person.id: person.display_name for person in assignees}
    if others:
        with reassign.popover("Reassign", icon=":material/person_add:"):
            st.selectbox("Give this task to", list(others), format_func=others.__getitem__,
                         key=f"assignee:{row.id}")
            st.button("Reassign", key=f"reassign:{row.id}", type="primary", on_click=_act,
                      args=("reassign", row))


def _snooze_menu(row: TaskRow, at: datetime) -> None:
    for label, until in snooze_options(row.due_at, at).items():
        st.button(f"{label} ({until:%a %d %b %H:%M})", key=f"snooze:{row.id}:{label}",
                  on_click=_act, args=("snooze", row, until))
    tomorrow = at.date() + timedelta(days=1)
    st.date_input("Or pick a day (9:00)", value=tomorrow, min_value=tomorrow, key=f"snooze-day:{row.id}")
    st.button("Snooze to that day", key=f"snooze-to:{row.id}", on_click=_act, args=("snooze", row))


def calls_table(calls: list[CallRow]) -> None:
    if not calls:
        st.caption("No calls to make today.")
        return
    frame = pd.DataFrame([{
        "contact_id": c.contact_id, "name": c.contact, "phone": c.phone,
        "best_time": c.best_time_to_call, "task": c.title, "due": c.due_at,
        "last_at": c.last_at, "last_channel": c.last_channel, "last_subject": c.last_subject,
    } for c in calls])
    frame, config = with_contact_links(frame, {
        "name": "Name", "phone": "Phone", "best_time": "Best time to call", "task": "Task",
        "due": st.column_config.DatetimeColumn("Due", format="YYYY-MM-DD HH:mm"),
        "last_at": st.column_config.DatetimeColumn("Last interaction", format="YYYY-MM-DD"),
        "last_channel": "Channel", "last_subject": "About",
    })
    st.dataframe(frame, column_config=config, hide_index=True, width="stretch")


def notification_list(session: Session, user: User) -> None:
    notes = unread(session, user)
    if not notes:
        st.caption("No unread notifications.")
        return
    if st.button("Mark all read", key="read-all", icon=":material/done_all:"):
        mark_read(session, user, [n.id for n in notes if n.id is not None])
        st.rerun()
    for note in notes:
        text, button = st.columns([8, 1], vertical_alignment="center")
        text.markdown(f"{md(note.text)}  \n:gray[{when(note.created_at)}]")
        if button.button("Mark read", key=f"read:{note.id}") and note.id is not None:
            mark_read(session, user, [note.id])
            st.rerun()
