"""Users: first-run admin, argon2 hashes, lockout after repeated failures, no hash in the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import AuthenticationError, PermissionDenied, ValidationError
from core.services.users import MAX_FAILED_LOGINS, authenticate, create_user
from tests.conftest import PASSWORD


def test_first_user_becomes_admin_and_password_is_hashed(session: Session) -> None:
    user = create_user(
        session=session,
        actor=None,
        password="s3cret-pass",
        data={"username": "Boss", "display_name": "The Boss", "role": "staff"},
    )
    row = session.execute(text("SELECT username, role, password_hash FROM users")).one()
    assert row[0] == "boss" and row[1] == "admin"
    assert row[2].startswith("$argon2") and "s3cret-pass" not in row[2]
    audit = session.execute(text("SELECT after FROM audit_log")).scalar()
    assert "password" not in str(audit) and "argon2" not in str(audit)
    assert authenticate(session=session, username="BOSS", password="s3cret-pass").id == user.id


def test_only_admins_add_users_once_one_exists(session: Session, staff) -> None:
    with pytest.raises(PermissionDenied):
        create_user(
            session=session,
            actor=staff,
            password="long-enough",
            data={"username": "eve", "display_name": "Eve"},
        )
    with pytest.raises(PermissionDenied):
        create_user(
            session=session,
            actor=None,
            password="long-enough",
            data={"username": "eve", "display_name": "Eve"},
        )


def test_short_password_and_taken_username_are_refused(session: Session, admin) -> None:
    with pytest.raises(ValidationError, match="at least 8 characters"):
        create_user(
            session=session, actor=admin, password="short", data={"username": "x1", "display_name": "X"}
        )
    with pytest.raises(ValidationError, match="already taken"):
        create_user(
            session=session,
            actor=admin,
            password="long-enough",
            data={"username": "ADA", "display_name": "Other Ada"},
        )


def test_wrong_password_then_lockout(session: Session, staff) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationError, match="Wrong username or password"):
            authenticate(session=session, username="sam", password="nope")
    with pytest.raises(AuthenticationError, match="Too many failed attempts"):
        authenticate(session=session, username="sam", password=PASSWORD)


def test_unknown_user_gets_the_same_message(session: Session) -> None:
    with pytest.raises(AuthenticationError, match="Wrong username or password"):
        authenticate(session=session, username="nobody", password="whatever")
