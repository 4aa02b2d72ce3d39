"""The Streamlit entrypoint: sign-in gate, then the pages this user's role may open."""

from __future__ import annotations

import streamlit as st

from app.ui.day import remind
from app.ui.login import login_gate
from app.ui.navigation import navigation
from app.ui.record import md
from app.ui.session import current_user, db_session, sign_out

st.set_page_config(page_title="CRM", page_icon=":material/handshake:", layout="wide")

with db_session() as session:
    user = current_user(session)
    if user is None:
        # Register every page (hidden) so a link to one, e.g. /contact?id=5, survives signing in.
        st.navigation(navigation("admin"), position="hidden")
        login_gate(session)
    st.session_state["display_name"] = user.display_name
    remind(session, user)  # due task reminders: notifications, and a pop-up for each unread one
    role = user.role

with st.sidebar:
    st.caption(f"Signed in as **{md(st.session_state['display_name'])}** ({role})")
    if st.button("Sign out", icon=":material/logout:"):
        sign_out()
        st.rerun()

st.navigation(navigation(role), expanded=True).run()  # every page in view: staff use most daily
