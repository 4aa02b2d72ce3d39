"""Admin: the audit log (who, when, what, before/after) and restoring deleted records."""

import json

import streamlit as st

from app.ui.session import current_user, db_session
from core.errors import CRMError
from core.models import ENTITIES
from core.services.audit import audit_page, restore_deleted

st.title("Audit log")
with db_session() as session:
    user = current_user(session)
    cols = st.columns(4)
    entity = cols[0].selectbox("Entity", ["", *ENTITIES], format_func=lambda e: e or "all")
    action = cols[1].selectbox(
        "Action", ["", "create", "update", "delete", "restore", "bulk"], format_func=lambda a: a or "all"
    )
    username = cols[2].text_input("User")
    record_id = cols[3].number_input("Record id", min_value=0, step=1)
    page_number = st.session_state.get("audit-page", 1)
    try:
        page = audit_page(
            session,
            user,
            entity=entity or None,
            action=action or None,
            username=username or None,
            entity_id=int(record_id) or None,
            page=page_number,
        )
    except CRMError as error:
        st.error(str(error))
        st.stop()
    frame = page.frame.assign(
        before=page.frame["before"].map(lambda v: json.dumps(v, ensure_ascii=False) if v else ""),
        after=page.frame["after"].map(lambda v: json.dumps(v, ensure_ascii=False) if v else ""),
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    st.caption(f"{page.total:,} entries")
    st.pagination(page.pages, default=page.page, key="audit-page")

    deletions = frame[frame["action"] == "delete"]
    if not deletions.empty:
        with st.expander("Restore a deleted record"):
            choice = st.selectbox(
                "Deleted record",
                deletions.index,
                format_func=lambda i: (
                    f"{deletions.at[i, 'entity']} #{deletions.at[i, 'entity_id']}"
                    f" deleted {deletions.at[i, 'at']:%Y-%m-%d %H:%M}"
                ),
            )
            if st.button("Restore"):
                try:
                    restore_deleted(
                        session, user, deletions.at[choice, "entity"], int(deletions.at[choice, "entity_id"])
                    )
                except CRMError as error:
                    st.error(str(error))
                else:
                    st.success("Restored.")
