"""Turning st.data_editor's edit state into the rows the services save (no Streamlit here).

The editor reports edits by position in the frame it was given; positions are mapped to record
ids with `frame.index[pos]`/`iloc`, never by label, because the frame's index holds the ids.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.services.bulk_edit import RowEdit


def editor_changes(frame: pd.DataFrame, state: dict[str, Any],
                   ) -> tuple[list[RowEdit], list[dict[str, Any]], list[tuple[int, int, int]]]:
    """(edits, additions, deletions) from the editor's {"edited_rows", "added_rows", "deleted_rows"}."""
    edits = []
    for position, changes in (state.get("edited_rows") or {}).items():
        row = frame.iloc[int(position)]
        edits.append(RowEdit(row=int(position), record_id=int(row["id"]), version=int(row["version"]),
                             changes={k: clean(v) for k, v in changes.items()}))
    added = [{k: clean(v) for k, v in row.items() if clean(v) is not None}
             for row in state.get("added_rows") or []]
    added = [row for row in added if row]  # an untouched new line is not a record
    deleted = []
    for position in state.get("deleted_rows") or []:
        row = frame.iloc[int(position)]
        deleted.append((int(position), int(row["id"]), int(row["version"])))
    return edits, added, deleted


def clean(value: Any) -> Any:
    """Editor values to plain Python: NaN/NaT and blank text become None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def has_changes(state: dict[str, Any] | None) -> bool:
    if not state:
        return False
    return bool(state.get("edited_rows") or state.get("added_rows") or state.get("deleted_rows"))
