"""The filter editor shared by grid views and automation rules: a list of (column, condition, value).

Both keep the same format (`core.query.filters.Filter` as dicts), so a rule's conditions mean what
the same filter means in a view.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.query.filters import OPERATORS


def filter_editor(filters: list[dict[str, Any]], available: list[str], key: str,
                  segmentable: bool = False, add_label: str = "Add") -> None:
    """Show `filters` with Remove buttons and a small form to add one; edits `filters` in place."""
    for number, item in enumerate(list(filters)):
        left, right = st.columns([6, 1])
        left.markdown(f"`{item['field']}` {item['op']} `{item['value']}`")
        if right.button("Remove", key=f"rm:{key}:{number}"):
            filters.pop(number)
            st.rerun()
    with st.form(f"add-filter:{key}", border=False):
        cols = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
        field = cols[0].selectbox("Column", [*available, "segment"] if segmentable else available,
                                  help="'segment' keeps the rows whose contact is in a saved segment")
        op = cols[1].selectbox("Condition", OPERATORS)
        value = cols[2].text_input("Value", help="For 'in' and 'between', separate values with commas")
        if cols[3].form_submit_button(add_label):
            filters.append({"field": field, "op": op, "value": value})
            st.rerun()
