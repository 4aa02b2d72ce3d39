"""Users, roles and sign-in (argon2 hashes, lockout after repeated failures)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlmodel import Session

from core.config import now
from core.errors import AuthenticationError, FieldError, PermissionDenied, ValidationError
from core.models import User
from core.services import permissions
from core.services.records import EntityRules, EntityService, audit, commit, snapshot, use_case, validate
from core.services.schemas import UserIn

MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_IDLE_LIMIT = timedelta(hours=8)
_hasher = PasswordHasher()


def _check_user(session: Session, actor: User, user: User, values: dict[str, Any]) -> None:
    query = select(User.id).where(func.lower(User.username) == user.username.lower())
    if user.id is not None:
        query = query.where(User.id != user.id)
    if session.scalar(query) is not None:
        raise ValidationError.single("username", f"{user.username} is already taken")
    if user.id is not None and user.id == actor.id and (user.role != "admin" or not user.active):
        raise ValidationError.single("role", "you cannot demote or deactivate yourself")


RULES = EntityRules("users", UserIn, before_save=_check_user)
users = EntityService(RULES)


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


@use_case
def create_user(
    *, session: Session, actor: User | None, data: dict[str, Any], password: str, source: str = "app"
) -> User:
    """Create a user. With no users yet (first run), the first one is created as an admin."""
    first_run = count_users(session) == 0
    if not first_run:
        if actor is None:
            raise PermissionDenied("Only an administrator may add users.")
        permissions.require_role(actor, "admin", action="add users")
    values = {**data, "role": "admin"} if first_run else dict(data)
    clean = validate(session, RULES, values)
    _check_password(password)
    user = User(**clean, password_hash=_hasher.hash(password))
    _check_user(session, actor or user, user, clean)
    session.add(user)
    session.flush()
    audit(session, actor or user, "create", "users", user.id, None, snapshot(user), source)
    commit(session)
    return user


@use_case
def set_password(*, session: Session, actor: User, user_id: int, password: str) -> None:
    permissions.require_active(actor)
    if actor.id != user_id:
        permissions.require_role(actor, "admin", action="reset other people's passwords")
    _check_password(password)
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError.single("user", f"there is no user with id {user_id}")
    user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until = 0, None
    audit(session, actor, "update", "users", user.id, {"password": "***"}, {"password": "changed"})
    commit(session)


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            [FieldError("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")]
        )


def authenticate(*, session: Session, username: str, password: str) -> User:
    """The active user with these credentials; repeated failures lock the account for a while."""
    user = session.scalars(select(User).where(func.lower(User.username) == username.strip().lower())).first()
    refusal = AuthenticationError("Wrong username or password.")
    if user is None or user.deleted_at is not None or not user.password_hash:
        _hasher.hash(password or "x")  # same work as a real check, so timing reveals nothing
        raise refusal
    moment = now()
    if user.locked_until and user.locked_until > moment:
        raise AuthenticationError(
            f"Too many failed attempts: try again after {user.locked_until:%H:%M}, or ask an admin."
        )
    if not _verify(user.password_hash, password):
        _record_failure(session, user, moment)
        raise refusal
    if not user.active:
        raise AuthenticationError("Your account is inactive; ask an administrator.")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, moment
    session.commit()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def _record_failure(session: Session, user: User, moment: Any) -> None:
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = moment + LOCKOUT
        user.failed_logins = 0
    session.commit()


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()


def session_user(session: Session, user_id: int | None, last_seen: datetime | None,
                 at: datetime | None = None) -> User | None:
    """The user a sign-in session belongs to, or None: never signed in, idle for more than
    SESSION_IDLE_LIMIT, or the account deactivated or deleted since. `at` is the wall clock (not the
    business date: a pinned CRM_TODAY must not keep sessions alive)."""
    moment = at or datetime.now()
    if user_id is None or last_seen is None or moment - last_seen > SESSION_IDLE_LIMIT:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.deleted_at is not None:
        return None
    return user
