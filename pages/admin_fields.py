"""Admin: custom fields per entity; they appear at once in grids, imports, filters and exports."""

import streamlit as st

from app.ui.record import md
from app.ui.session import current_user, db_session
from core.errors import CRMError
from core.models.base import CUSTOM_FIELD_TYPES, CUSTOMISABLE_ENTITIES
from core.services import custom_field_definitions
from core.services.custom_fields import definitions

st.title("Custom fields")
with db_session() as session:
    user = current_user(session)
    entity = st.selectbox("Entity", CUSTOMISABLE_ENTITIES)
    existing = definitions(session, entity)
    if existing:
        st.dataframe(
            [
                {
                    "Name": d.name,
                    "Label": d.label,
                    "Type": d.field_type,
                    "Required": d.required,
                    "Options": ", ".join(d.options),
                }
                for d in existing
            ],
            hide_index=True,
        )
    else:
        st.info(f"No custom fields on {entity} yet.")

    with st.form("new-field", clear_on_submit=False):
        st.subheader("Add a field")
        cols = st.columns(3)
        label = cols[0].text_input("Label", placeholder="Customer tier")
        name = cols[1].text_input("Name (letters, digits, _)", placeholder="tier")
        kind = cols[2].selectbox("Type", CUSTOM_FIELD_TYPES)
        options = st.text_input("Options for a select field, comma separated", placeholder="gold, silver")
        required = st.checkbox("Required")
        if st.form_submit_button("Add field", type="primary"):
            try:
                custom_field_definitions.create(
                    session=session,
                    user=user,
                    data={
                        "entity": entity,
                        "label": label,
                        "name": name or label.lower().replace(" ", "_"),
                        "field_type": kind,
                        "required": required,
                        "options": [o.strip() for o in options.split(",") if o.strip()],
                    },
                )
            except CRMError as error:
                st.error(str(error))
            else:
                st.success(f"Field {md(repr(label))} added to {entity}.")
                st.rerun()

    if existing:
        with st.expander("Remove a field"):
            target = st.selectbox("Field", existing, format_func=lambda d: d.label)
            st.caption("Values already stored stay in the records and come back if the field is restored.")
            if st.button("Remove field"):
                try:
                    custom_field_definitions.delete(session=session, user=user, record_id=target.id)
                except CRMError as error:
                    st.error(str(error))
                else:
                    st.rerun()
