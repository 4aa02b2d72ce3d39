"""Sign-in: argon2 hashes, a 15-minute lockout after 5 failures, sessions that end after 8 idle
hours, inactive users refused, and neither a password nor its hash in the audit log, grids,
exports, error messages or logs."""

from __future__ import annotations

import importlib
import json
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import AuthenticationError, CRMError
from core.services.audit import audit_page
from core.services.exports import export_rows
from core.services.listing import list_page
from core.services.users import authenticate, create_user, session_user, set_password
from tests.conftest import PASSWORD, insert_user

users_module = importlib.import_module("core.services.users")  # (core.services.users is the service)
SECRET = "Tr0ub4dor&3-secret"
START = datetime(2026, 6, 15, 10, 0, 0)


class Clock:
    """The moment `core.services.users` sees, moved by hand."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(START)
    monkeypatch.setattr(users_module, "now", clock)
    return clock


def _stored_hash(engine, username: str) -> str:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text("SELECT password_hash FROM users WHERE username = :u"),
                                  {"u": username}).scalar_one()


def _everything_written(engine) -> str:  # type: ignore[no-untyped-def]
    """Every audit entry and every users row (but the hash column), as one text."""
    with engine.connect() as connection:
        audit = [tuple(row) for row in connection.execute(text(
            "SELECT user_id, source, action, entity, entity_id, before, after FROM audit_log"))]
        people = [tuple(row) for row in connection.execute(text(
            "SELECT id, username, display_name, email, role, team FROM users"))]
    return json.dumps([audit, people], default=str)


def test_the_password_is_stored_as_an_argon2_hash(session, engine, admin) -> None:
    create_user(session=session, actor=admin, data={"username": "nina", "display_name": "Nina"},
                password=SECRET)
    stored = _stored_hash(engine, "nina")
    assert stored.startswith("$argon2id$") and SECRET not in stored
    assert authenticate(session=session, username="NINA", password=SECRET).username == "nina"


def test_five_failures_lock_the_account_for_15_minutes(session, staff, clock) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError, match="Wrong username or password"):
            authenticate(session=session, username="sam", password="wrong")
    with pytest.raises(AuthenticationError, match="Too many failed attempts"):
        authenticate(session=session, username="sam", password=PASSWORD)  # even the right one
    clock.at = START + timedelta(minutes=14, seconds=59)
    with pytest.raises(AuthenticationError, match="Too many failed attempts"):
        authenticate(session=session, username="sam", password=PASSWORD)
    clock.at = START + timedelta(minutes=15, seconds=1)
    assert authenticate(session=session, username="sam", password=PASSWORD).id == staff.id


def test_a_success_resets_the_count_of_failures(session, staff, clock) -> None:
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            authenticate(session=session, username="sam", password="wrong")
    authenticate(session=session, username="sam", password=PASSWORD)
    for _ in range(4):
        with pytest.raises(AuthenticationError, match="Wrong"):
            authenticate(session=session, username="sam", password="wrong")
    assert authenticate(session=session, username="sam", password=PASSWORD).id == staff.id


def test_an_inactive_user_cannot_sign_in(session, engine) -> None:
    insert_user(engine, "ghost", "admin", active=False)
    with pytest.raises(AuthenticationError, match="inactive") as refused:
        authenticate(session=session, username="ghost", password=PASSWORD)
    assert PASSWORD not in str(refused.value)


def test_unknown_user_and_wrong_password_get_the_same_answer(session, staff) -> None:
    messages = set()
    for username, password in [("nobody", SECRET), ("sam", SECRET)]:
        with pytest.raises(AuthenticationError) as refused:
            authenticate(session=session, username=username, password=password)
        messages.add(str(refused.value))
    assert messages == {"Wrong username or password."}


def test_a_session_ends_after_8_idle_hours(session, engine, staff) -> None:
    assert session_user(session, staff.id, START, at=START + timedelta(hours=7, minutes=59)).id == staff.id
    assert session_user(session, staff.id, START, at=START + timedelta(hours=8, seconds=1)) is None
    assert session_user(session, None, START, at=START) is None
    assert session_user(session, staff.id, None, at=START) is None
    with engine.begin() as connection:  # deactivated meanwhile: the session ends at once
        connection.execute(text("UPDATE users SET active = :no WHERE id = :id"),
                           {"no": False, "id": staff.id})
    session.expire_all()
    assert session_user(session, staff.id, START, at=START + timedelta(minutes=1)) is None


def test_no_password_or_hash_in_audit_grid_exports_errors_or_logs(session, engine, admin, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # every logger,
    caplog.set_level(logging.INFO, logger="sqlalchemy")  # and SQL as CRM_ECHO_SQL=true logs it
    user = create_user(session=session, actor=admin, password=SECRET,
                       data={"username": "nina", "display_name": "Nina"})
    new_secret = SECRET + "-new"
    set_password(session=session, actor=admin, user_id=user.id, password=new_secret)
    errors = []
    for attempt in (SECRET, new_secret + "x", SECRET, SECRET, SECRET, new_secret):
        try:
            authenticate(session=session, username="nina", password=attempt)
        except CRMError as error:
            errors.append(str(error))
    try:  # a database error on the users table (duplicate name, bypassing the service's check)
        session.execute(text("INSERT INTO users (username, display_name, role, password_hash, active, "
                             "failed_logins, version, created_at, updated_at) VALUES "
                             "('nina', 'x', 'staff', :h, true, 0, 1, :t, :t)"),
                        {"h": _stored_hash(engine, "nina"), "t": START})
        session.commit()
    except Exception as error:  # whatever the driver raises: only its text matters
        session.rollback()
        errors.append(str(error))
    stored = _stored_hash(engine, "nina")
    grid = list_page(session, admin, "users").frame.to_json(date_format="iso")
    audit = audit_page(session, admin, entity="users").frame.to_json(date_format="iso")
    try:
        exported = export_rows(session=session, user=admin, entity="users").to_json(date_format="iso")
    except CRMError as refusal:  # users are not exported at all
        exported = str(refusal)
    texts = {"logs": caplog.text, "errors": " ".join(errors), "audit rows": _everything_written(engine),
             "grid": grid, "audit page": audit, "export": exported}
    assert len(errors) >= 6 and caplog.text, "the scenario produced no errors or logs to check"
    for where, content in texts.items():
        for secret in (SECRET, new_secret, stored, stored.split("$")[-1]):
            assert secret not in content, f"a password or hash appears in the {where}"


def test_sign_in_through_the_services_is_audited_without_the_password(session, engine, admin) -> None:
    user = create_user(session=session, actor=admin, password=SECRET,
                       data={"username": "nina", "display_name": "Nina"})
    set_password(session=session, actor=user, user_id=user.id, password=SECRET + "2")
    with Session(engine) as fresh:
        rows = fresh.execute(text("SELECT action, after FROM audit_log WHERE entity = 'users' "
                                  "AND entity_id = :id ORDER BY id"), {"id": user.id}).all()
    actions = [row[0] for row in rows]
    assert actions == ["create", "update"]
    assert all("password_hash" not in json.dumps(row[1], default=str) for row in rows)
