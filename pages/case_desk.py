"""Case desk: the open cases by SLA (breached in red, due soon in amber), a new case from any
channel, and one case worked on: move it along the workflow, assign it, log replies and calls."""

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app.ui.record import details, error_text, flash, link, md, show_flash, timeline, when
from app.ui.session import current_user, db_session
from core.errors import CRMError, NotFound
from core.models.base import CASE_STATUSES, CHANNELS, DIRECTIONS, PRIORITIES
from core.services.case_desk import assignable_users, case_queue, case_view, resolution_summary
from core.services.cases import (
    OPEN_STATUSES,
    assign_case,
    change_case_status,
    log_case_interaction,
    open_case,
)
from core.services.overview360 import search_contacts

SCOPES = {"all": "All I may see", "team": "My team", "mine": "Mine"}
SLA_STYLE = {"breached": "background-color: #fde2e1; color: #a40e0e",
             "due soon": "background-color: #fff1c2; color: #7a4d00"}
SLA_TEXT = {"breached": ":red[**SLA breached**]", "due soon": ":orange[**SLA due soon**]",
            "on time": ":green[SLA on time]", "done": ":gray[SLA done]"}
MOVE_LABELS = {"open": "Open", "waiting": "Waiting on customer", "resolved": "Resolve", "closed": "Close"}


def act(scope: str, action: Callable[[], Any], message: str, form: str | None = None) -> None:
    """Run one core use case; on success a message after the rerun (and `form` starts empty), on
    failure the reason here, with what was typed kept."""
    try:
        action()
    except CRMError as error:
        st.error(error_text(error), icon=":material/error:")
        return
    if form:
        st.session_state[f"nonce:{form}"] = st.session_state.get(f"nonce:{form}", 0) + 1
    flash(scope, "success", message)
    st.rerun()


def form_key(form: str) -> str:
    return f"{form}:{st.session_state.get(f'nonce:{form}', 0)}"


def sla_colour(state: str) -> str:
    return SLA_STYLE.get(state, "")


def queue(session: Any, user: Any) -> pd.DataFrame:
    left, middle, right = st.columns([1, 1, 1])
    scope = left.segmented_control("Cases", list(SCOPES), format_func=SCOPES.get, default="all",
                                   key="desk:scope") or "all"
    priorities = middle.multiselect("Priority", PRIORITIES, key="desk:priority")
    statuses = right.multiselect("Status", CASE_STATUSES, default=list(OPEN_STATUSES), key="desk:status")
    frame = case_queue(session, user, scope=scope, statuses=tuple(statuses), priorities=tuple(priorities))
    if frame.empty:
        st.info("No case matches these filters.", icon=":material/inbox:")
        return frame
    # Only the SLA cell is coloured: styling every cell of 500 rows cost most of the page's run.
    st.dataframe(frame.drop(columns=["id"]).style.map(sla_colour, subset=["sla"]), hide_index=True,
                 width="stretch", key="desk:queue", column_config={
                     name: st.column_config.DatetimeColumn(name.replace("_", " ").capitalize(),
                                                           format="YYYY-MM-DD HH:mm")
                     for name in ("opened_at", "sla_due_at", "resolved_at")})
    return frame


def open_picked() -> None:
    if (chosen := st.session_state.get("desk:pick")) is not None:
        st.query_params["id"] = str(chosen)


def pick_case(frame: pd.DataFrame) -> int | None:
    """The case named by ?id= (a link, or the last one picked from the queue)."""
    labels = {int(r.id): f"#{r.id} · {r.subject} · {r.sla}" for r in frame.itertuples()}
    st.selectbox("Work on a case", list(labels), format_func=labels.get, index=None, key="desk:pick",
                 placeholder="Choose a case from the queue", on_change=open_picked)
    current = str(st.query_params.get("id", ""))
    return int(current) if current.isdigit() else None


def new_case_form(session: Any, user: Any) -> None:
    with st.expander("Open a new case", icon=":material/add_circle:"):
        text = st.text_input("Find the customer", key="desk:new:find", placeholder="Name or email…")
        matches = search_contacts(session, user, text) if text.strip() else []
        key = form_key("desk:new")
        with st.form(key):
            contact = st.selectbox("Customer", matches, format_func=lambda m: m.label, index=None,
                                   placeholder="None (search above)", key=f"{key}:contact")
            subject = st.text_input("Subject", key=f"{key}:subject")
            left, right = st.columns(2)
            channel = left.selectbox("Channel", CHANNELS, key=f"{key}:channel")
            priority = right.selectbox("Priority", PRIORITIES, index=PRIORITIES.index("normal"),
                                       key=f"{key}:priority")
            description = st.text_area("What the customer said", key=f"{key}:description", height=80)
            submitted = st.form_submit_button("Open case", type="primary", icon=":material/support_agent:")
        if submitted:
            act("desk", lambda: open_case(session=session, user=user, subject=subject, channel=channel,
                                          priority=priority, description=description,
                                          contact_id=contact.id if contact else None),
                "Case opened.", form="desk:new")


def case_panel(session: Any, user: Any, case_id: int) -> None:
    try:
        view = case_view(session, user, case_id)
    except NotFound as error:
        st.error(md(str(error)))
        return
    case = view.case
    st.header(f"#{case.id} {md(case.subject)}", divider="blue")
    st.markdown(f"{SLA_TEXT[view.sla]} · **{case.status}** · {case.priority} priority · via {case.channel}")
    link("contact", view.contact_name, case.contact_id, icon=":material/person:")
    hours = view.resolution_hours
    details({"Assignee": view.assignee_name, "Opened": when(case.opened_at), "SLA due": when(case.sla_due_at),
             "Resolved": when(case.resolved_at),
             "Resolution time": None if hours is None else f"{hours:,.1f} h ({hours / 24:,.2f} days)",
             "Description": case.description})
    show_flash("case")
    moves = st.columns(max(1, len(view.allowed)))
    for place, status in zip(moves, view.allowed, strict=False):
        reopen = status == "open" and case.status in ("resolved", "closed")
        label = "Reopen" if reopen else MOVE_LABELS[status]
        if place.button(label, key=f"desk:move:{status}", width="stretch"):
            act("case", lambda s=status: change_case_status(session=session, user=user, case_id=case.id,
                                                            status=s, expected_version=case.version),
                f"Case moved to {status}.")
    people = dict(assignable_users(session, user))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    ids = list(people)
    assignee = left.selectbox("Assign to", ids, format_func=people.get, key=f"desk:assignee:{case.id}",
                              index=ids.index(case.assignee_id) if case.assignee_id in ids else None)
    if right.button("Assign", key="desk:assign", width="stretch"):
        act("case", lambda: assign_case(session=session, user=user, case_id=case.id, assignee_id=assignee,
                                        expected_version=case.version), "Case assigned.")
    reply_form(session, user, case.id, view.allowed)
    st.subheader(f"Thread ({len(view.thread)})")
    timeline(view.thread, len(view.thread), key=f"desk:thread:{case.id}", show_contact=True)


def reply_form(session: Any, user: Any, case_id: int, allowed: tuple[str, ...]) -> None:
    key = form_key(f"desk:reply:{case_id}")
    with st.form(key):
        st.markdown("**Log a reply or call**")
        left, middle, right = st.columns(3)
        channel = left.selectbox("Channel", CHANNELS, key=f"{key}:channel")
        direction = middle.selectbox("Direction", DIRECTIONS, index=1, key=f"{key}:direction")
        then = right.selectbox("Then set status", ("(unchanged)", *allowed), key=f"{key}:then")
        notes = st.text_area("Notes", key=f"{key}:notes", height=80)
        outcome = st.text_input("Outcome", key=f"{key}:outcome")
        minutes = st.number_input("Duration (minutes)", value=None, step=1, min_value=0,
                                  key=f"{key}:minutes")
        submitted = st.form_submit_button("Log", type="primary", icon=":material/add_comment:")
    if submitted:
        status = None if then == "(unchanged)" else then
        act("case", lambda: log_case_interaction(
            session=session, user=user, case_id=case_id, channel=channel, direction=direction, notes=notes,
            outcome=outcome, duration_minutes=minutes, new_status=status), f"Logged the {channel} reply.",
            form=f"desk:reply:{case_id}")


st.title("Case desk")
with db_session() as session:
    user = current_user(session)
    show_flash("desk")
    summary = resolution_summary(session, user, period="last 30 days")
    cells = st.columns(3)
    cells[0].metric("Open cases", f"{int(summary['open_cases'].sum()):,}")
    cells[1].metric("SLA breached", f"{int(summary['breached_cases'].sum()):,}")
    cells[2].metric("Opened in the last 30 days", f"{int(summary['cases'].sum()):,}")
    with st.expander("Resolution by priority (cases resolved in the last 30 days)"):
        st.dataframe(summary, hide_index=True, width="stretch")
    new_case_form(session, user)
    frame = queue(session, user)
    chosen = pick_case(frame)
    if chosen is not None:
        case_panel(session, user, chosen)
