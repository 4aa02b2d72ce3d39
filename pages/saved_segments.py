"""Saved segments: dynamic filter sets over contacts, used in grids, reports and campaigns."""

import streamlit as st

from app.ui.record import md
from app.ui.session import current_user, db_session
from core.errors import CRMError
from core.query.filters import OPERATORS
from core.services import segments
from core.services.listing import grid_columns, list_page
from core.services.reports import segment_filter, segments_for

st.title("Segments")
st.caption("A segment is a saved filter: its members are worked out each time, so they stay current.")
draft = st.session_state.setdefault("segment-draft", [])

with db_session() as session:
    user = current_user(session)
    existing = segments_for(session, user)
    if existing:
        chosen = st.selectbox("Segment", existing, format_func=lambda s: s.name)
        rules = " and ".join(f"{f['field']} {f['op']} {f['value']}" for f in chosen.spec.get("filters", []))
        st.markdown(f"**Rule:** {md(rules) or 'every contact'}")
        try:
            members = list_page(
                session, user, "contacts", filters=[segment_filter(chosen.name)], page_size=50
            )
        except CRMError as error:
            st.error(str(error))
        else:
            st.metric("Members you can see", f"{members.total:,}{'' if members.exact else '+'}")
            st.dataframe(
                members.frame_of(["first_name", "last_name", "email", "city", "lifecycle_stage", "owner"]),
                hide_index=True,
                width="stretch",
            )
    else:
        st.info("No segments yet.")

    st.subheader("New segment")
    for number, item in enumerate(list(draft)):
        row = st.columns([6, 1])
        row[0].markdown(f"`{item['field']}` {item['op']} `{item['value']}`")
        if row[1].button("Remove", key=f"seg-rm-{number}"):
            draft.pop(number)
            st.rerun()
    with st.form("segment-rule", border=False):
        cols = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
        fields = [*grid_columns(session, "contacts"), "age_band", "income_band", "segment"]
        field = cols[0].selectbox("Field", fields)
        op = cols[1].selectbox("Condition", OPERATORS)
        value = cols[2].text_input("Value")
        if cols[3].form_submit_button("Add rule"):
            draft.append({"field": field, "op": op, "value": value})
            st.rerun()
    with st.form("segment-save"):
        name = st.text_input("Name")
        description = st.text_input("Description")
        shared = st.checkbox("Shared", value=True)
        if st.form_submit_button("Save segment", type="primary"):
            try:
                segments.create(
                    session=session,
                    user=user,
                    data={
                        "name": name,
                        "description": description,
                        "shared": shared,
                        "spec": {"filters": draft},
                    },
                )
            except CRMError as error:
                st.error(str(error))
            else:
                st.session_state["segment-draft"] = []
                st.success(f"Segment {md(repr(name))} saved.")
