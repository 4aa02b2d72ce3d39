"""The sign-in form, and the first-run form that creates the first admin."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from app.ui.session import sign_in
from core.errors import AuthenticationError, ValidationError
from core.services.users import authenticate, count_users, create_user


def login_gate(session: Session) -> None:
    """Show the sign-in (or first-run) form and stop the script until someone signs in."""
    st.title("CRM")
    if count_users(session) == 0:
        _first_run_form(session)
    else:
        _sign_in_form(session)
    st.stop()


def _sign_in_form(session: Session) -> None:
    with st.form("sign_in"):
        st.subheader("Sign in")
        username = st.text_input("Username")
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = authenticate(session=session, username=username, password=password)
        except AuthenticationError as error:
            st.error(str(error))
            return
        sign_in(user)
        st.rerun()


def _first_run_form(session: Session) -> None:
    st.info("Welcome! There are no users yet: create the first administrator.")
    with st.form("first_admin"):
        username = st.text_input("Username", value="admin")
        display_name = st.text_input("Your name")
        password = st.text_input("Password (at least 8 characters)", type="password")
        submitted = st.form_submit_button("Create administrator", type="primary")
    if submitted:
        try:
            user = create_user(session=session, actor=None, password=password, data={
                "username": username, "display_name": display_name or username, "role": "admin"})
        except ValidationError as error:
            st.error(str(error))
            return
        sign_in(user)
        st.rerun()
