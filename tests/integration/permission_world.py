"""The small world the permission tests share: two teams, every role, and the rule of the README
written out as plain functions (the expectations are derived from these, never from running the code).

Actors: ada (admin, no team), mia (manager, north), max (manager, south), sam (staff, north: the owner
of the "north" records), olga (staff, north: a colleague of the owner), sven (staff, south: the owner
of the "south" records) and ghost (an inactive admin: even an admin who is deactivated may do nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.models import User
from tests.conftest import insert_user

# Who acts in the matrix, and the roles the issue names (admin, manager of the owner's team,
# manager of another team, staff owner, other staff, inactive).
ACTORS = {
    "admin": "ada",
    "manager_owner_team": "mia",
    "manager_other_team": "max",
    "staff_owner": "sam",
    "other_staff": "olga",
    "inactive": "ghost",
}
# Whose records the matrix touches: the north staff member's, the south staff member's, nobody's.
OWNERS = {"north": "sam", "south": "sven", "unowned": None}

SETTINGS = {"users", "pipelines", "stages", "custom_field_definitions", "automation_rules"}
MANAGER_REFERENCE = {"products", "product_options", "segments"}


@dataclass
class World:
    engine: Engine
    users: dict[str, User]  # by username

    def actor(self, role: str) -> User:
        return self.users[ACTORS[role]]

    def owner(self, ownership: str) -> User | None:
        name = OWNERS[ownership]
        return self.users[name] if name else None


def build_world(engine: Engine) -> World:
    """The users, inserted directly (not through the services under test)."""
    people = [("ada", "admin", None, True), ("mia", "manager", "north", True),
              ("max", "manager", "south", True), ("sam", "staff", "north", True),
              ("olga", "staff", "north", True), ("sven", "staff", "south", True),
              ("ghost", "admin", None, False)]
    users = {name: insert_user(engine, name, role, team=team, active=active)
             for name, role, team, active in people}
    return World(engine, users)


# ---- the rule, as the README states it ------------------------------------------------------


def in_reach(actor: User, owner: User | None) -> bool:
    """Staff: what they own; managers: their team's and unowned; admins: everything; inactive: nothing."""
    if not actor.active:
        return False
    if actor.role == "admin":
        return True
    if owner is None:
        return actor.role == "manager"
    if owner.id == actor.id:
        return True
    return actor.role == "manager" and actor.team is not None and owner.team == actor.team


def relation(actor: User, owner: User | None) -> str:
    """How the record relates to the actor: own, team's, other team's, unowned."""
    if owner is None:
        return "unowned"
    if owner.id == actor.id:
        return "own"
    return "team's" if owner.team is not None and owner.team == actor.team else "other team's"


def may_read(entity: str, owned: bool, actor: User, owner: User | None) -> bool:
    if not actor.active:
        return False
    if not owned:  # reference data and settings are read by every active user
        return True
    return in_reach(actor, owner)


def may_write(entity: str, owned: bool, actor: User, owner: User | None) -> bool:
    """Change an existing record (update, delete, restore)."""
    if not actor.active:
        return False
    if entity in SETTINGS:
        return actor.role == "admin"
    if entity in MANAGER_REFERENCE and actor.role not in ("admin", "manager"):
        return False
    return may_read(entity, owned, actor, owner)


def may_create(entity: str, owned: bool, actor: User, new_owner: User | None) -> bool:
    """Create a record given to `new_owner` (None: the field is left empty, so the creator owns it)."""
    if not actor.active:
        return False
    if entity in SETTINGS:
        return actor.role == "admin"
    if entity in MANAGER_REFERENCE and actor.role not in ("admin", "manager"):
        return False
    return not owned or in_reach(actor, new_owner or actor)


# ---- the database, read with plain SQL ------------------------------------------------------


def table_state(engine: Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(f'SELECT * FROM "{table}" ORDER BY id'))]


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())


def ids(engine: Engine, sql: str, **params: Any) -> set[int]:
    with engine.connect() as connection:
        return {int(row[0]) for row in connection.execute(text(sql), params)}
