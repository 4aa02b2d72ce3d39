"""Who may read and write what. Enforced here, in core, for every front end.

- admin: everything, including users and settings;
- manager: every record owned by a member of their team, and unowned records;
- staff: the records they own (or are assigned);
- an inactive user: nothing.
Reference data (products, pipelines, stages) is readable by all; products are written by
managers and admins, settings (pipelines, custom fields, rules, users) by admins only.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true

from core.errors import PermissionDenied
from core.models import ENTITIES, Editable, User, singular

SETTINGS_ENTITIES = {
    "users",
    "pipelines",
    "stages",
    "custom_field_definitions",
    "automation_rules",
}
MANAGER_REFERENCE_ENTITIES = {"products", "product_options", "segments"}


def require_active(user: User) -> None:
    if user is None or not user.active:
        raise PermissionDenied("Your account is inactive; ask an administrator to reactivate it.")


def require_role(user: User, *roles: str, action: str = "do this") -> None:
    require_active(user)
    if user.role not in roles:
        allowed = " or ".join(roles)
        raise PermissionDenied(f"Only {allowed} users may {action}; you are signed in as {user.role}.")


def team_member_ids(user: User) -> Any:
    """A subquery of the ids of the user's team (just the user when they have no team)."""
    if not user.team:
        return select(User.id).where(User.id == user.id)
    return select(User.id).where(User.team == user.team)


def reads_every_row(user: User, model: type[Editable]) -> bool:
    """Whether `user` may read every row of `model` (an admin, or a model nobody owns)."""
    return user is not None and user.active and (user.role == "admin" or model.owner_field is None)


def visible_clause(user: User, model: type[Editable]) -> ColumnElement[bool]:
    """The WHERE clause limiting `model` to the rows `user` may read."""
    if user is None or not user.active:
        return false()
    if reads_every_row(user, model):
        return true()
    return owner_visible_clause(user, getattr(model, model.owner_field))


def visible_key(user: User, model: type[Editable]) -> Hashable:
    """What of `user` decides `visible_clause(user, model)`: equal keys, equal clauses. A statement
    kept for reuse (core.services.statements) holds it in its key."""
    if user is None or not user.active:
        return "nobody"
    if reads_every_row(user, model):
        return "every row"
    return (user.role, user.id, user.team)


def owner_visible_clause(user: User, owner: Any) -> ColumnElement[bool]:
    """`visible_clause` on any column holding an owner's user id, e.g. a summary table's copy of
    the owner: admin all, manager the team's and unowned rows, staff their own."""
    if user is None or not user.active:
        return false()
    if user.role == "admin":
        return true()
    if user.role == "manager":
        return or_(owner.is_(None), owner.in_(team_member_ids(user)))
    return owner == user.id  # type: ignore[no-any-return]


def _owner_in_reach(session: Any, user: User, owner_id: int | None) -> bool:
    if user.role == "admin":
        return True
    if owner_id == user.id:
        return True
    if user.role != "manager":
        return False
    if owner_id is None:
        return True
    owner = session.get(User, owner_id)
    return owner is not None and owner.team is not None and owner.team == user.team


def can_read(session: Any, user: User, record: Editable) -> bool:
    if user is None or not user.active:
        return False
    if record.owner_field is None or user.role == "admin":
        return True
    return _owner_in_reach(session, user, getattr(record, record.owner_field))


def require_write(
    session: Any,
    user: User,
    entity: str,
    record: Editable | None,
    new_owner_id: int | None = None,
    owner_changes: bool = False,
) -> None:
    """Raise PermissionDenied unless `user` may create (record None) or change `record`."""
    require_active(user)
    if entity in SETTINGS_ENTITIES:
        require_role(user, "admin", action=f"change {entity.replace('_', ' ')}")
        return
    if entity in MANAGER_REFERENCE_ENTITIES:
        require_role(user, "admin", "manager", action=f"change {entity.replace('_', ' ')}")
        if ENTITIES[entity].owner_field is None:
            return  # products and options: nobody owns them
    if record is not None and not can_read(session, user, record):
        raise PermissionDenied(f"You may not change this {singular(entity)}: it belongs to someone else.")
    assigns_owner = (record is None or owner_changes) and ENTITIES[entity].owner_field is not None
    if assigns_owner and not _owner_in_reach(session, user, new_owner_id):
        raise PermissionDenied(
            "You may only assign records to yourself"
            + (" or to members of your team." if user.role == "manager" else ".")
        )
