"""The one generic grid: filter bar, one page of rows in st.data_editor, save through the services."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.ui.columns import column_config
from app.ui.filter_editor import filter_editor
from app.ui.grid_state import editor_changes, has_changes
from app.ui.record import md
from app.ui.session import current_user, db_session
from app.ui.views import GridView
from core.errors import CRMError
from core.models import ENTITIES, User
from core.query.filters import Filter
from core.services import SERVICES, batch, custom_fields
from core.services.bulk_edit import GridSaveRejected, save_grid
from core.services.exports import spreadsheet_safe, workbook_safe
from core.services.listing import COUNT_CAP, grid_columns, list_all, list_page
from core.services.settings import saved_views, views_for

PAGE_SIZES = (25, 50, 100, 250)


def render_grid(view: GridView) -> None:
    st.title(view.title)
    with db_session() as session:
        user = current_user(session)
        state = _view_state(view)
        _show_new_custom_fields(session, view, state)
        _saved_view_bar(session, user, view, state)
        _filter_bar(session, view, state)
        _grid(session, user, view, state)


def _view_state(view: GridView) -> dict[str, Any]:
    """The grid's filters, search, sort, columns and page, kept per entity for this browser session."""
    key = f"view:{view.entity}"
    if key not in st.session_state:
        st.session_state[key] = {
            "filters": [],
            "search": "",
            "sort": [list(s) for s in view.default_sort],
            "columns": list(view.columns),
            "page_size": 50,
            "nonce": 0,
        }
    return st.session_state[key]


def _filter_bar(session: Session, view: GridView, state: dict[str, Any]) -> None:
    available = grid_columns(session, view.entity)
    top = st.columns([3, 2, 1, 1])
    state["search"] = top[0].text_input(
        "Search", value=state["search"], placeholder="Name, email… (prefix)", key=f"search:{view.entity}"
    )
    sort_column, descending = (state["sort"] or [["id", True]])[0]
    sort_column = top[1].selectbox(
        "Sort by", available, index=_index(available, sort_column), key=f"sort:{view.entity}"
    )
    descending = top[2].toggle("Descending", value=descending, key=f"desc:{view.entity}")
    # The chosen column first; the view's other sort keys stay as tie-breakers.
    state["sort"] = [[sort_column, descending], *[s for s in state["sort"] if s[0] != sort_column]]
    state["page_size"] = top[3].selectbox(
        "Rows per page", PAGE_SIZES, index=PAGE_SIZES.index(state["page_size"]), key=f"size:{view.entity}"
    )
    with st.expander(f"Filters ({len(state['filters'])}) and columns", icon=":material/filter_list:"):
        _filter_editor(view, state, available)
        state["columns"] = st.multiselect(
            "Visible columns",
            available,
            default=[c for c in state["columns"] if c in available],
            key=f"cols:{view.entity}",
        )


def _filter_editor(view: GridView, state: dict[str, Any], available: list[str]) -> None:
    segmentable = view.entity == "contacts" or "contact" in available
    filter_editor(state["filters"], available, view.entity, segmentable=segmentable)


def _grid(session: Session, user: User, view: GridView, state: dict[str, Any]) -> None:
    filters = [Filter(**item) for item in state["filters"]]
    sort = [tuple(s) for s in state["sort"]]
    page_key = f"page:{view.entity}:{_digest(state, exclude=('nonce',))}"
    try:
        page = list_page(
            session,
            user,
            view.entity,
            filters=filters,
            search=state["search"],
            sort=sort,
            page=st.session_state.get(page_key, 1),
            page_size=state["page_size"],
            count_cap=None if st.session_state.get(f"exact:{page_key}") else COUNT_CAP,
        )
    except CRMError as error:
        st.error(f"{error} — change or remove the filter.")
        return
    editor_key = f"grid:{view.entity}:{_digest(state)}:{page.page}"
    st.session_state[f"editor-key:{view.entity}"] = editor_key  # where the edits of this slice live
    columns = ["id", "version", *[c for c in state["columns"] if c in page.columns]]
    required = _required_fields(session, view.entity)
    config = column_config(session, view.entity, columns, view.always_read_only, required)
    config["version"] = None  # kept in the frame for conflict checks, not shown
    # Only the shown columns, with a range index: the editor needs one to add rows, and positions
    # map to ids through iloc.
    frame = _stable_frame(view.entity, editor_key, page.frame_of(columns))
    st.data_editor(
        frame,
        key=editor_key,
        column_config=config,
        hide_index=True,
        num_rows="dynamic" if view.can_add else "delete",
        width="stretch",
    )
    _footer(page, page_key)
    _save_bar(session, user, view, frame, editor_key, state)
    _downloads(session, user, view, filters, state, sort)


def _show_new_custom_fields(session: Session, view: GridView, state: dict[str, Any]) -> None:
    """A custom field an admin just added appears at once (unless the person hid it before)."""
    if not ENTITIES[view.entity].has_custom_fields:
        return
    seen = state.setdefault("seen_custom", [])
    for definition in custom_fields.definitions(session, view.entity):
        if definition.name not in seen:
            seen.append(definition.name)
            state["columns"].append(definition.name)
            st.session_state[f"cols:{view.entity}"] = list(state["columns"])  # the column picker too


def _stable_frame(entity: str, editor_key: str, fresh: pd.DataFrame) -> pd.DataFrame:
    """While edits are pending, keep showing the rows they were made on.

    A colleague's save changes the fetched rows; handing the editor new data would drop the
    person's unsaved edits. Keeping the snapshot (with its versions) keeps every edit, and the
    save then reports the conflict instead of overwriting.
    """
    snapshot_key = f"snapshot:{entity}"
    snapshot = st.session_state.get(snapshot_key)
    if snapshot is not None and snapshot[0] == editor_key and has_changes(st.session_state.get(editor_key)):
        return snapshot[1]
    st.session_state[snapshot_key] = (editor_key, fresh)
    return fresh


def _footer(page: Any, page_key: str) -> None:
    first = (page.page - 1) * page.page_size + 1 if page.total else 0
    last = min(page.page * page.page_size, page.total)
    total = f"{page.total:,}" if page.exact else f"{page.total:,}+"
    left, middle, right = st.columns([3, 1, 3], vertical_alignment="center")
    left.caption(
        f"Rows {first:,}–{last:,} of {total} · page {page.page:,} of {page.pages:,}"
        + ("" if page.exact else "+")
    )
    if not page.exact and middle.button(
        "Count all", key=f"count:{page_key}", help="Counting a very large table takes a moment"
    ):
        st.session_state[f"exact:{page_key}"] = True
        st.rerun()
    with right:
        st.pagination(page.pages, default=page.page, key=page_key)


def _save_bar(
    session: Session, user: User, view: GridView, frame: pd.DataFrame, editor_key: str, state: dict[str, Any]
) -> None:
    editor_state = st.session_state.get(editor_key)
    undo_key = f"undo:{view.entity}"
    left, middle, right = st.columns([1, 1, 4])
    if left.button(
        "Save changes",
        type="primary",
        disabled=not has_changes(editor_state),
        key=f"save:{view.entity}",
        icon=":material/save:",
    ):
        _save(session, user, view, frame, editor_state, state, undo_key)
    if middle.button("Discard", disabled=not has_changes(editor_state), key=f"discard:{view.entity}"):
        state["nonce"] += 1
        st.rerun()
    if st.session_state.get(undo_key):
        deleted = st.session_state[undo_key]
        if right.button(
            f"Undo delete of {len(deleted)} row(s)", key=f"undo-btn:{view.entity}", icon=":material/undo:"
        ):
            _undo_delete(session, user, view, deleted, undo_key, state)


def _save(
    session: Session,
    user: User,
    view: GridView,
    frame: pd.DataFrame,
    editor_state: Any,
    state: dict[str, Any],
    undo_key: str,
) -> None:
    edits, added, deleted = editor_changes(frame, editor_state)
    try:
        summary = save_grid(
            session=session, user=user, entity=view.entity, edits=edits, added=added, deleted=deleted
        )
    except GridSaveRejected as rejected:
        st.error(
            f"Nothing was saved. Fix the {len(rejected.errors)} problem(s) below and save again; "
            "your edits are kept.",
            icon=":material/error:",
        )
        st.dataframe(_error_table(rejected, frame, added), hide_index=True, width="stretch")
        return
    st.session_state[undo_key] = summary.deleted_ids
    state["nonce"] += 1  # a fresh editor over the saved data
    st.toast(
        f"Saved: {summary.updated} edited, {summary.created} added, {len(summary.deleted_ids)} deleted.",
        icon=":material/check:",
    )
    st.rerun()


def _error_table(
    rejected: GridSaveRejected, frame: pd.DataFrame, added: list[dict[str, Any]]
) -> pd.DataFrame:
    rows = []
    for error in rejected.errors:
        where = (
            f"new row {error.row + 1}"
            if error.action == "add"
            else f"row {error.row + 1} (id {frame.iloc[error.row]['id']})"
        )
        rows.append({"Where": where, "Column": error.column, "Problem": error.message})
    return pd.DataFrame(rows)


def _undo_delete(
    session: Session, user: User, view: GridView, deleted: list[int], undo_key: str, state: dict[str, Any]
) -> None:
    service = SERVICES[view.entity]
    try:
        with batch(session):
            for record_id in deleted:
                service.restore(session=session, user=user, record_id=record_id, source="grid")
    except CRMError as error:
        st.error(str(error))
        return
    st.session_state[undo_key] = []
    state["nonce"] += 1
    st.rerun()


def _downloads(
    session: Session,
    user: User,
    view: GridView,
    filters: list[Filter],
    state: dict[str, Any],
    sort: list[Any],
) -> None:
    with st.popover("Download", icon=":material/download:"):
        st.caption("Every row of the current view (filters, search, sort), visible columns only.")
        if st.button("Prepare CSV and Excel files", key=f"prep:{view.entity}"):
            frame = list_all(session, user, view.entity, filters=filters, search=state["search"], sort=sort)
            frame = frame[[c for c in ["id", *state["columns"]] if c in frame.columns]]
            st.download_button(
                "Download CSV",
                spreadsheet_safe(frame).to_csv(index=False).encode("utf-8"),
                file_name=f"{view.entity}.csv",
                mime="text/csv",
            )
            st.download_button("Download Excel", _xlsx(frame), file_name=f"{view.entity}.xlsx")


def _saved_view_bar(session: Session, user: User, view: GridView, state: dict[str, Any]) -> None:
    saved = views_for(session, user, view.entity)
    with st.popover("Saved views", icon=":material/bookmarks:"):
        if saved:
            names = [f"{v.name}{' (shared)' if v.shared and v.owner_id != user.id else ''}" for v in saved]
            choice = st.selectbox("Open a view", range(len(saved)), format_func=names.__getitem__)
            if st.button("Apply view", key=f"apply-view:{view.entity}"):
                state.update({**saved[choice].config, "nonce": state["nonce"] + 1})
                st.rerun()
        with st.form(f"save-view:{view.entity}", border=False):
            name = st.text_input("Save the current filters, sort and columns as")
            shared = st.checkbox("Share with colleagues")
            if st.form_submit_button("Save view"):
                _store_view(session, user, view, state, name, shared)


def _store_view(
    session: Session, user: User, view: GridView, state: dict[str, Any], name: str, shared: bool
) -> None:
    config = {k: state[k] for k in ("filters", "search", "sort", "columns", "page_size")}
    try:
        saved_views.create(
            session=session,
            user=user,
            data={"entity": view.entity, "name": name, "shared": shared, "config": config},
        )
    except CRMError as error:
        st.error(str(error))
        return
    st.toast(f"View {md(repr(name))} saved.")


def _required_fields(session: Session, entity: str) -> set[str]:
    schema = SERVICES[entity].rules.schema
    required = {name for name, info in schema.model_fields.items() if info.is_required()}
    if ENTITIES[entity].has_custom_fields:
        required |= {d.name for d in custom_fields.definitions(session, entity) if d.required}
    return required


QUERY_KEYS = ("filters", "search", "sort", "columns", "page_size", "nonce")


def _digest(state: dict[str, Any], exclude: tuple[str, ...] = ()) -> str:
    """A short fingerprint of what the grid shows: the editor's key changes exactly when it does."""
    payload = json.dumps({k: state[k] for k in QUERY_KEYS if k not in exclude}, sort_keys=True, default=str)
    return hashlib.sha1(payload.encode()).hexdigest()[:12]


def _index(options: list[str], value: str) -> int:
    return options.index(value) if value in options else 0


def _xlsx(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    workbook_safe(spreadsheet_safe(frame)).to_excel(buffer, index=False)
    return buffer.getvalue()
