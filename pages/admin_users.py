"""Admin: users and roles; add a user with a password, reset a password."""

import streamlit as st

from app.ui.grid import render_grid
from app.ui.session import current_user, db_session
from app.ui.views import VIEWS
from core.errors import CRMError
from core.models.base import ROLES
from core.services.users import create_user, find_user, set_password

render_grid(VIEWS["users"])

with db_session() as session:
    user = current_user(session)
    left, right = st.columns(2)
    with left.form("add-user"):
        st.subheader("Add a user")
        username = st.text_input("Username")
        display_name = st.text_input("Name")
        role = st.selectbox("Role", ROLES, index=2)
        team = st.text_input("Team")
        password = st.text_input("Initial password", type="password")
        if st.form_submit_button("Add user", type="primary"):
            try:
                create_user(session=session, actor=user, password=password, data={
                    "username": username, "display_name": display_name or username, "role": role,
                    "team": team})
            except CRMError as error:
                st.error(str(error))
            else:
                st.success(f"{username} can now sign in.")
    with right.form("reset-password"):
        st.subheader("Reset a password")
        target_name = st.text_input("Username", key="reset-username")
        new_password = st.text_input("New password", type="password", key="reset-password")
        if st.form_submit_button("Reset password"):
            target = find_user(session, target_name)
            try:
                if target is None:
                    raise CRMError(f"There is no user {target_name!r}.")
                set_password(session=session, actor=user, user_id=target.id, password=new_password)
            except CRMError as error:
                st.error(str(error))
            else:
                st.success(f"Password of {target.username} reset.")
