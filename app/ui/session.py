"""The cached engine, one database session per script run, and the signed-in user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session

from core.config import get_settings
from core.db import freeze_long_lived_objects, make_engine, session_scope
from core.db_errors import explain
from core.migrate import upgrade
from core.models import User
from core.services.users import session_user


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)  # a fresh database works at once; an old one is brought up to date
    freeze_long_lived_objects()  # once per process: what is loaded by now lives as long as it
    return engine


def engine() -> Engine:
    return _engine_for(get_settings().database_url)


@contextmanager
def db_session() -> Iterator[Session]:
    """A session for this run only (sessions are never cached across runs or users). A database
    that is locked or cannot be reached stops the page with a message, not a traceback."""
    try:
        with session_scope(engine()) as session:
            yield session
    except (OperationalError, InterfaceError) as error:
        st.error(explain(error, get_settings().database_url), icon=":material/database:")
        st.stop()


def current_user(session: Session) -> User | None:
    """The signed-in, still active user, or None (also after 8 idle hours)."""
    user = session_user(session, st.session_state.get("user_id"), st.session_state.get("last_seen"))
    if user is None:
        return None
    st.session_state["last_seen"] = datetime.now()
    return user


def sign_in(user: User) -> None:
    st.session_state["user_id"] = user.id
    st.session_state["last_seen"] = datetime.now()


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
