"""Shared widgets of the record pages (contact, company, deal) and the pipeline board.

User data is shown through `md()` (Markdown escaped) or in dataframes, never as HTML. Every write
goes through a core service; domain errors are shown next to the form, which keeps what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.ui.session import current_user, db_session
from core.analytics.potential import ContactPotential
from core.config import now, today
from core.errors import ConflictError, CRMError, NotFound, ValidationError
from core.models import User
from core.models.base import CHANNELS, DIRECTIONS, PRIORITIES
from core.services import activities, deals, tasks
from core.services.deals import move_deal
from core.services.overview360 import Match, StageInfo

PAGES = {"contact": "../pages/contact.py", "company": "../pages/company.py", "deal": "../pages/deal.py",
         "potential": "../pages/potential.py"}
CHANNEL_ICONS = {
    "phone": ":blue[:material/call:]",
    "email": ":violet[:material/mail:]",
    "meeting": ":orange[:material/groups:]",
    "chat": ":green[:material/chat:]",
    "sms": ":green[:material/sms:]",
    "social": ":blue[:material/share:]",
    "web": ":gray[:material/language:]",
}
FIELD_LABELS = {
    "duration_minutes": "Duration (minutes)",
    "occurred_at": "When",
    "due_at": "Due",
    "expected_close": "Expected close",
    "stage_id": "Stage",
    "lost_reason": "Lost reason",
}
MONEY_COLUMNS = {"amount", "total", "spent"}
DATETIME_COLUMNS = {
    "occurred_at",
    "ordered_at",
    "closed_at",
    "due_at",
    "opened_at",
    "sla_due_at",
    "resolved_at",
    "sent_at",
    "responded_at",
    "last_bought",
    "entered_at",
    "exited_at",
}
DATE_COLUMNS = {"expected_close"}
DAYS_COLUMNS = {"days", "days_in_stage"}
COLUMN_LABELS = {
    "occurred_at": "When",
    "ordered_at": "Ordered",
    "closed_at": "Closed",
    "due_at": "Due",
    "opened_at": "Opened",
    "sla_due_at": "SLA due",
    "resolved_at": "Resolved",
    "sent_at": "Sent",
    "responded_at": "Responded",
    "last_bought": "Last bought",
    "entered_at": "Entered",
    "exited_at": "Left",
    "order_number": "Order",
    "duration_minutes": "Minutes",
    "handled_by": "Handled by",
    "lifecycle_stage": "Lifecycle",
    "days": "Days in stage",
    "response_note": "Response note",
}
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=^])")


# ---- small formatters ------------------------------------------------------------------------------


def md(value: Any) -> str:
    """User text made safe for st.markdown: every Markdown/Streamlit directive character escaped."""
    text = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def money(amount: float | None, currency: str | None = "EUR") -> str:
    sign = CURRENCY_SIGNS.get(currency or "EUR")
    number = f"{amount or 0:,.0f}"
    return f"{sign}{number}" if sign else f"{number} {currency}"


def when(value: Any, with_time: bool = True) -> str:
    if value is None or pd.isna(value):
        return "—"
    return f"{value:%Y-%m-%d %H:%M}" if with_time and isinstance(value, datetime) else f"{value:%Y-%m-%d}"


# ---- messages that survive a rerun -----------------------------------------------------------------


def flash(scope: str, kind: str, message: str) -> None:
    st.session_state[f"flash:{scope}"] = (kind, message)


def show_flash(scope: str) -> None:
    kind, message = st.session_state.pop(f"flash:{scope}", (None, None))
    if kind == "success":
        st.success(message, icon=":material/check_circle:")
    elif kind == "error":
        st.error(message, icon=":material/error:")


def error_text(error: CRMError) -> str:
    if isinstance(error, ValidationError):
        fields = "; ".join(
            f"{FIELD_LABELS.get(e.field, e.field.replace('_', ' ').capitalize())}: {e.message}"
            for e in error.errors
        )
        return md(f"Nothing was saved. {fields}")
    return md(str(error))


# ---- picking the record ----------------------------------------------------------------------------


def record_id(kind: str, search: Callable[[str], list[Match]]) -> int | None:
    """The record named by `?id=` in the address, or picked by searching; None when there is none."""
    left, right = st.columns([2, 3])
    text = left.text_input(f"Find a {kind}", key=f"find:{kind}", placeholder="Type the start of a name…")
    matches = search(text) if text.strip() else []
    pick_key = f"pick:{kind}:{text.strip().lower()}"
    right.selectbox(
        f"Matches ({len(matches)})",
        matches,
        index=None,
        key=pick_key,
        format_func=lambda m: m.label,
        placeholder="Choose one to open",
        on_change=_open_picked,
        args=(pick_key,),
    )
    raw = st.query_params.get("id")
    if raw is None:
        return None
    if not str(raw).isdigit():
        st.error(f"The address names no valid {kind} (id {md(raw)}); search for one above.")
        return None
    return int(raw)


def _open_picked(pick_key: str) -> None:
    picked = st.session_state.get(pick_key)
    if picked is not None:
        st.query_params["id"] = str(picked.id)


def link(page: str, label: str | None, record: int | None, icon: str | None = None) -> None:
    """A link to a record page (nothing when there is no record)."""
    if record is not None and label:
        st.page_link(PAGES[page], label=md(label), query_params={"id": str(record)}, icon=icon)


# ---- showing the record ----------------------------------------------------------------------------


def open_record(kind: str, search: Callable[[str], Any], load: Callable[[int], Any], hint: str) -> Any:
    """The record picked (by search or ?id=) and loaded; otherwise a hint or the reason, and stop."""
    chosen = record_id(kind, search)
    if chosen is None:
        st.info(hint, icon=":material/search:")
        st.stop()
    try:
        return load(chosen)
    except NotFound as error:
        st.error(str(error))
        st.stop()


def custom_pairs(session: Any, entity: str, record: Any) -> dict[str, Any]:
    """The record's admin-defined fields as label/value pairs (they show up as soon as defined)."""
    from core.services.custom_fields import definitions

    values = getattr(record, "custom", None) or {}
    return {d.label: values.get(d.name) for d in definitions(session, entity)}


def details(pairs: dict[str, Any], columns: int = 4) -> None:
    """Label/value pairs in a grid; empty values shown as a dash."""
    cells = st.columns(columns)
    for number, (label, value) in enumerate(pairs.items()):
        shown = md(value) if value not in (None, "", []) else "—"
        cells[number % columns].markdown(f"**{label}**  \n{shown}")


def _column_config(columns: Sequence[str]) -> dict[str, Any]:
    """Labels and formats by column name, so every record table reads the same way."""
    config: dict[str, Any] = {}
    for name in columns:
        label = COLUMN_LABELS.get(name, name.replace("_", " ").capitalize())
        if name in MONEY_COLUMNS:
            config[name] = st.column_config.NumberColumn(label, format="localized")
        elif name in DATETIME_COLUMNS:
            config[name] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif name in DAYS_COLUMNS:
            config[name] = st.column_config.NumberColumn(label, format="%.1f")
        elif name in DATE_COLUMNS:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        else:
            config[name] = st.column_config.Column(label)
    return config


def table(
    frame: pd.DataFrame, key: str, *, empty: str, open_page: str | None = None, label_column: str = "title"
) -> None:
    """A read-only table; with `open_page`, selecting a row offers a link to that record's page."""
    if frame.empty:
        st.caption(empty)
        return
    shown = frame.drop(columns=["id"]) if "id" in frame else frame
    event = st.dataframe(
        shown,
        key=key,
        hide_index=True,
        width="stretch",
        column_config=_column_config(list(shown.columns)),
        on_select="rerun" if open_page else "ignore",
        selection_mode="single-row",
    )
    if open_page:
        rows = event.selection.rows if event else []
        if rows:
            row = frame.iloc[rows[0]]
            link(open_page, f"Open {row[label_column]}", int(row["id"]), icon=":material/open_in_new:")
        else:
            st.caption("Select a row to open it.")


def timeline(
    frame: pd.DataFrame, total: int, key: str, *, show_contact: bool = False, page_size: int = 15
) -> None:
    """Every interaction, newest first: channel icon, time, purpose, outcome, notes, who handled it."""
    if frame.empty:
        st.info("No interactions recorded yet. Log one with the quick actions.", icon=":material/forum:")
        return
    present = [c for c in CHANNELS if c in set(frame["channel"])]
    # Nothing chosen shows every channel, so a channel logged later is never hidden by an old filter.
    chosen = st.pills(
        "Show only",
        present,
        selection_mode="multi",
        key=f"{key}:channels",
        format_func=lambda c: f"{CHANNEL_ICONS.get(c, '')} {c}",
    )
    shown = frame[frame["channel"].isin(chosen)] if chosen else frame
    more = f" (the latest {len(frame):,} of {total:,} are loaded)" if total > len(frame) else ""
    pages = max(1, -(-len(shown) // page_size))
    st.caption(f"{len(shown):,} interaction(s){more}")
    page_key = f"{key}:page:{'-'.join(chosen or [])}"  # a new filter starts at page 1
    page = min(st.session_state.get(page_key, 1), pages)
    for row in shown.iloc[(page - 1) * page_size :][:page_size].itertuples():
        _entry(row, show_contact)
    if pages > 1:
        st.pagination(pages, key=page_key)


def _entry(row: Any, show_contact: bool) -> None:
    with st.container(border=True, gap=None):
        arrow = ":material/call_received:" if row.direction == "inbound" else ":material/call_made:"
        st.markdown(f"{CHANNEL_ICONS.get(row.channel, '')} **{md(row.subject) or '(no subject)'}**")
        facts = [when(row.occurred_at), f"{arrow} {row.direction} {row.channel}"]
        if not pd.isna(row.duration_minutes):
            facts.append(f"{int(row.duration_minutes)} min")
        if show_contact and isinstance(row.contact, str) and row.contact:
            facts.append(f"with {md(row.contact)}")
        facts.append(f"by {md(row.handled_by) or 'nobody'}")
        facts.append(f"source: {row.source}")
        st.caption(" · ".join(facts))
        if row.outcome:
            st.markdown(f"**Outcome:** {md(row.outcome)}")
        if row.notes:
            st.markdown(f":gray[{md(row.notes)}]")


# ---- quick actions ---------------------------------------------------------------------------------


def quick_actions(
    session: Session,
    user: User,
    scope: str,
    links: dict[str, int | None],
    actions: Sequence[str] = ("log", "task", "deal"),
) -> None:
    """Forms to log an interaction, add a task or a deal, linked to the record (`links`)."""
    names = {"log": "Log interaction", "task": "Add task", "deal": "Add deal"}
    forms = {"log": _log_form, "task": _task_form, "deal": _deal_form}
    with st.container(border=True):
        st.markdown("**Quick actions**")
        show_flash(f"{scope}:quick")
        for tab, action in zip(st.tabs([names[a] for a in actions]), actions, strict=True):
            with tab:
                forms[action](session, user, scope, links)


def _form_key(scope: str, action: str) -> str:
    """A fresh form (empty fields) after each successful save; the same one while there are errors."""
    return f"{scope}:{action}:{st.session_state.get(f'nonce:{scope}:{action}', 0)}"


def _saved(scope: str, action: str, message: str) -> None:
    nonce_key = f"nonce:{scope}:{action}"
    st.session_state[nonce_key] = st.session_state.get(nonce_key, 0) + 1
    flash(f"{scope}:quick", "success", message)
    st.rerun()


def _save(scope: str, action: str, create: Callable[[], Any], message: str) -> None:
    try:
        create()
    except CRMError as error:
        st.error(error_text(error), icon=":material/error:")
        return
    _saved(scope, action, message)


def _log_form(session: Session, user: User, scope: str, links: dict[str, int | None]) -> None:
    key = _form_key(scope, "log")
    opened = st.session_state.setdefault(f"{key}:opened", now().replace(second=0))
    with st.form(key):
        left, right = st.columns([3, 2])
        channel = left.selectbox("Channel", CHANNELS, key=f"{key}:channel")
        direction = right.selectbox("Direction", DIRECTIONS, index=1, key=f"{key}:direction")
        day = left.date_input("Date", value=opened.date(), key=f"{key}:date")
        moment = right.time_input("Time", value=opened.time(), step=timedelta(minutes=5), key=f"{key}:time")
        subject = st.text_input("Subject (purpose)", key=f"{key}:subject")
        outcome = st.text_input("Outcome", key=f"{key}:outcome")
        notes = st.text_area("Notes", key=f"{key}:notes", height=80)
        duration = st.number_input("Duration (minutes)", value=None, step=1, key=f"{key}:duration")
        submitted = st.form_submit_button("Log interaction", type="primary", icon=":material/add_comment:")
    if submitted:
        data = {
            **links,
            "channel": channel,
            "direction": direction,
            "occurred_at": _at(day, moment),
            "subject": subject,
            "outcome": outcome,
            "notes": notes,
            "duration_minutes": duration,
            "source": "manual",
        }
        _save(
            scope,
            "log",
            lambda: activities.create(session=session, user=user, data=data),
            f"Logged the {channel} interaction.",
        )


def _task_form(session: Session, user: User, scope: str, links: dict[str, int | None]) -> None:
    key = _form_key(scope, "task")
    with st.form(key):
        title = st.text_input("Title", key=f"{key}:title", placeholder="Call back about the quote")
        left, right = st.columns([3, 2])
        day = left.date_input("Due date", value=today() + timedelta(days=1), key=f"{key}:date")
        moment = right.time_input("Due time", value=time(9, 0), step=timedelta(minutes=15), key=f"{key}:time")
        priority = st.selectbox(
            "Priority", PRIORITIES, index=PRIORITIES.index("normal"), key=f"{key}:priority"
        )
        notes = st.text_area("Notes", key=f"{key}:notes", height=80)
        submitted = st.form_submit_button("Add task", type="primary", icon=":material/add_task:")
    if submitted:
        data = {
            **_only(links, "contact_id", "deal_id"),
            "title": title,
            "due_at": _at(day, moment),
            "priority": priority,
            "notes": notes,
        }
        _save(scope, "task", lambda: tasks.create(session=session, user=user, data=data), "Task added.")


def _deal_form(session: Session, user: User, scope: str, links: dict[str, int | None]) -> None:
    key = _form_key(scope, "deal")
    with st.form(key):
        title = st.text_input("Title", key=f"{key}:title")
        left, right = st.columns(2)
        amount = left.number_input("Amount", value=None, step=100.0, key=f"{key}:amount")
        close = right.date_input("Expected close", value=None, key=f"{key}:close")
        submitted = st.form_submit_button("Add deal", type="primary", icon=":material/handshake:")
    if submitted:
        data = {**_only(links, "contact_id", "company_id"), "title": title, "expected_close": close}
        if amount is not None:
            data["amount"] = amount
        _save(
            scope,
            "deal",
            lambda: deals.create(session=session, user=user, data=data),
            "Deal added to the first stage of the default pipeline.",
        )


def _at(day: date | None, moment: time | None) -> datetime | None:
    return None if day is None else datetime.combine(day, moment or time(0, 0))


def _only(links: dict[str, int | None], *names: str) -> dict[str, int | None]:
    return {name: value for name, value in links.items() if name in names and value is not None}


# ---- moving a deal ---------------------------------------------------------------------------------


def move_control(
    deal_id: int,
    version: int,
    title: str,
    stages: list[StageInfo],
    current_stage_id: int,
    scope: str,
    compact: bool = False,
) -> None:
    """A stage picker and a Move button; the version shown travels with the click, so a colleague's
    change in between is reported as a conflict instead of being overwritten."""
    targets = [s for s in stages if s.id != current_stage_id]
    names = {s.id: s.name for s in stages}
    select_key, reason_key = f"move-to:{deal_id}:{version}", f"lost-reason:{deal_id}:{version}"
    # A narrow board card keeps the picker and its arrow button on one line with fixed columns.
    left, right = (
        st.columns([3, 1], gap="small", vertical_alignment="bottom")
        if compact
        else [st.container(horizontal=True, vertical_alignment="bottom", gap="small")] * 2
    )
    target = left.selectbox(
        "Move to stage",
        [s.id for s in targets],
        index=None,
        key=select_key,
        format_func=names.__getitem__,
        placeholder="Move…" if compact else "Choose a stage",
        label_visibility="collapsed" if compact else "visible",
    )
    right.button(
        "" if compact else "Move deal",
        key=f"move:{deal_id}:{version}",
        disabled=target is None,
        icon=":material/arrow_forward:",
        help="Move the deal to the chosen stage",
        type="secondary" if compact else "primary",
        on_click=_move_clicked,
        args=(deal_id, version, title, select_key, reason_key, names, scope),
    )
    if any(s.id == target and s.is_lost for s in targets):
        st.text_input("Lost reason", key=reason_key, placeholder="Why was it lost?")


def _move_clicked(
    deal_id: int,
    version: int,
    title: str,
    select_key: str,
    reason_key: str,
    names: dict[int, str],
    scope: str,
) -> None:
    stage_id = st.session_state.get(select_key)
    if stage_id is None:
        return
    reason = (st.session_state.get(reason_key) or "").strip() or None
    with db_session() as session:
        try:
            move_deal(
                session=session,
                user=current_user(session),
                deal_id=deal_id,
                stage_id=stage_id,
                lost_reason=reason,
                expected_version=version,
            )
        except ConflictError:
            flash(
                scope,
                "error",
                f"“{md(title)}” was not moved: someone else changed this deal after "
                "the page was loaded. The page now shows their change; move it again if "
                "you still want to.",
            )
        except CRMError as error:
            flash(scope, "error", f"“{md(title)}” was not moved. {error_text(error)}")
        else:
            flash(scope, "success", f"Moved “{md(title)}” to {md(names[stage_id])}.")


# ---- the pipeline board ----------------------------------------------------------------------------


def stage_column(column: Any, stages: list[StageInfo], scope: str) -> None:
    """One stage of the board: name, deal count and total amount (of every visible deal), then cards."""
    stage = column.stage
    colour = "green" if stage.is_won else "red" if stage.is_lost else "blue"
    st.markdown(f":{colour}[**{md(stage.name)}**]")
    st.caption(
        f"{column.count:,} deal(s) · **{money(column.amount)}**"
        + ("" if stage.is_won or stage.is_lost else f" · {stage.probability}%")
    )
    if column.deals.empty:
        st.caption("No deals in this stage.")
    for deal in column.deals.itertuples():
        deal_card(deal, stages, stage.id, scope)
    hidden = column.count - len(column.deals)
    if hidden > 0:
        st.caption(f"+{hidden:,} more not shown (see the Deals grid).")


def deal_card(deal: Any, stages: list[StageInfo], stage_id: int, scope: str) -> None:
    with st.container(border=True, gap="small"):
        st.markdown(f"**{md(deal.title)}**")
        company = deal.company if isinstance(deal.company, str) else "no company"
        days = "" if pd.isna(deal.days_in_stage) else f" · {deal.days_in_stage:,.0f} d in stage"
        st.caption(
            f"**{money(deal.amount, deal.currency)}** · {md(company)}  \n"
            f"{md(deal.owner) if isinstance(deal.owner, str) else 'unassigned'}{days}"
        )
        st.page_link(
            PAGES["deal"], label="Open", query_params={"id": str(deal.id)}, icon=":material/open_in_new:"
        )
        move_control(int(deal.id), int(deal.version), deal.title, stages, stage_id, scope, compact=True)


# ---- sales potential -------------------------------------------------------------------------------


def potential_card(potential: ContactPotential) -> None:
    """The contact's chance to buy soon with the factors behind it, shown as advice to weigh."""
    with st.container(border=True):
        st.markdown("**Sales potential** :gray[· advice, not a decision]")
        if potential.probability is None:
            st.caption(f"No score for this contact: {md(potential.problem)}")
            return
        st.metric(f"Chance to buy in the next {potential.horizon_days} days", f"{potential.probability:.0%}",
                  help="From age, gender, household income and purchase history, by a model checked on past "
                       "data. It ranks whom to call first; it can be wrong about any one person.")
        st.markdown("\n".join(f"- {md(reason)}" for reason in potential.reasons))
        st.caption("Why: the factors that moved the score most (+ raises, − lowers the chance).")
        if potential.review:
            st.caption(f"Marked as a prospect: **{potential.review}**.")
        st.page_link(PAGES["potential"], label="Review prospects", icon=":material/trending_up:")
