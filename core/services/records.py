"""The machinery every use case shares: validate, check permission, write, audit, commit once.

Entity modules (contacts.py, deals.py, ...) declare what is special about them and call these.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pydantic
from sqlalchemy import func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from core.config import now
from core.errors import ConflictError, FieldError, NotFound, ValidationError
from core.models import ENTITIES, AuditLog, Editable, User, singular
from core.services import batch_memo, custom_fields, permissions
from core.services.events import Event, emit
from core.services.schemas import Input

# Never copied into the audit log, exports or error messages.
SECRET_FIELDS = frozenset({"password_hash"})
SYSTEM_FIELDS = frozenset({"id", "created_at", "updated_at", "version", "deleted_at"})

Hook = Callable[[Session, User, Editable, dict[str, Any]], None]


@dataclass(frozen=True)
class EntityRules:
    """What is special about one entity: its input model and optional hooks."""

    name: str
    schema: type[Input]
    # Runs after field validation, before the write: cross-record checks (stage in pipeline, ...).
    before_save: Hook | None = None
    # Runs after the record is flushed (it has an id): follow-up writes such as stage history.
    after_save: Hook | None = None
    # Fields that only the entity's own use cases may set (e.g. a deal's status follows its stage).
    derived: frozenset[str] = field(default_factory=frozenset)

    @property
    def model(self) -> type[Editable]:
        return ENTITIES[self.name]


# ---- transactions --------------------------------------------------------------------------


def commit(session: Session) -> None:
    """Commit, unless a `batch()` is open: then its end commits all the writes at once."""
    if session.info.get("batch_depth", 0):
        session.flush()
        return
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise _conflict() from exc


@contextmanager
def batch(session: Session) -> Iterator[Session]:
    """Group several use cases into one transaction: all are written, or none."""
    session.info["batch_depth"] = session.info.get("batch_depth", 0) + 1
    batch_memo.open_memo(session)
    try:
        yield session
    except BaseException:
        _leave(session)
        session.rollback()
        raise
    if _leave(session) == 0:
        try:
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise _conflict() from exc


def _leave(session: Session) -> int:
    """One batch level less; the outermost one also forgets what the batch remembered."""
    session.info["batch_depth"] -= 1
    if session.info["batch_depth"] == 0:
        batch_memo.drop_memo(session)
    return int(session.info["batch_depth"])


def use_case(function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a use case: on any error the session is rolled back (nothing half-written stays in
    it), and SQLAlchemy's stale-version error, wherever a flush raises it, becomes ConflictError.
    Inside a `batch()` the batch rolls back instead, when it ends."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session: Session = kwargs["session"] if "session" in kwargs else args[0]
        try:
            return function(*args, **kwargs)
        except StaleDataError as exc:
            session.rollback()
            raise _conflict() from exc
        except IntegrityError as exc:
            # A unique value taken by another (perhaps deleted) record, found by the database
            # itself, e.g. by a concurrent insert that passed the service's own check.
            session.rollback()
            raise _duplicate(exc) from None
        except Exception:
            if not session.info.get("batch_depth", 0):
                session.rollback()
            raise

    return wrapper


def _duplicate(exc: IntegrityError) -> ValidationError:
    """The database's unique or foreign-key refusal as a message naming the field when it can."""
    message = str(exc.orig)
    found = re.search(r"constraint failed: ([\w.]+)", message) or re.search(
        r"Key \(([\w, ]+)\)=", message) or re.search(r'null value in column "(\w+)"', message)
    name = found.group(1).split(", ")[-1].split(".")[-1] if found else "record"
    if "NOT NULL" in message or "null value" in message:
        return ValidationError.single(name, "is required")
    if "UNIQUE" in message.upper() or "duplicate key" in message:
        return ValidationError.single(name, "is already used by another record (perhaps a deleted one)")
    return ValidationError.single(name, "refers to a record that does not exist")


def _conflict() -> ConflictError:
    return ConflictError(
        "Someone else saved this record after you opened it. Reload to see their change, "
        "then apply yours again."
    )


# ---- reading -------------------------------------------------------------------------------


def get_record(session: Session, user: User, entity: str, record_id: int,
               *, include_deleted: bool = False) -> Editable:
    """One record the user may read, or NotFound (also when it is hidden from them)."""
    model = ENTITIES[entity]
    record = session.get(model, record_id)
    label = singular(entity)
    if record is None or (record.deleted_at is not None and not include_deleted):
        raise NotFound(f"There is no {label} with id {record_id} (it may have been deleted).")
    if not permissions.can_read(session, user, record):
        raise NotFound(f"There is no {label} with id {record_id} that you may see.")
    return record


def count_visible(session: Session, user: User, entity: str) -> int:
    model = ENTITIES[entity]
    query = select(func.count()).select_from(model).where(
        model.deleted_at.is_(None), permissions.visible_clause(user, model)
    )
    return int(session.scalar(query) or 0)


# ---- validation ----------------------------------------------------------------------------


def validate(session: Session, rules: EntityRules, values: dict[str, Any]) -> dict[str, Any]:
    """Validate values against the entity's input model and its custom field definitions."""
    unknown = set(values) - set(rules.schema.model_fields) - rules.derived
    if unknown:
        raise ValidationError([FieldError(name, "is not a field you can set") for name in sorted(unknown)])
    try:
        clean = rules.schema.model_validate(values).model_dump()
    except pydantic.ValidationError as exc:
        raise ValidationError(pydantic_errors(exc)) from None
    if "custom" in clean and rules.model.has_custom_fields:
        clean["custom"] = custom_fields.validate_values(session, rules.name, clean["custom"])
    return clean


def pydantic_errors(exc: pydantic.ValidationError, row: int | None = None) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "record"
        missing = error["type"] == "missing" or (
            error.get("input") is None and error["type"].endswith("_type")
        )
        message = "is required" if missing else error["msg"].removeprefix("Value error, ")
        errors.append(FieldError(name, message, row))
    return errors


# ---- snapshots and audit -------------------------------------------------------------------


def snapshot(record: Any) -> dict[str, Any]:
    """A JSON-ready copy of a record's columns (secrets left out) for the audit log."""
    data = {}
    for column in record.__table__.columns:
        if column.name in SECRET_FIELDS:
            continue
        data[column.name] = to_json(getattr(record, column.name))
    return data


def to_json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def audit(session: Session, user: User | None, action: str, entity: str, entity_id: int | None,
          before: dict[str, Any] | None, after: dict[str, Any] | None, source: str = "app") -> None:
    if before is not None and after is not None:
        changed = {key for key in after if before.get(key) != after.get(key)}
        before = {key: before.get(key) for key in changed | {"version"}}
        after = {key: after.get(key) for key in changed | {"version"}}
    session.add(AuditLog(
        at=now(), user_id=user.id if user else None, source=source, action=action,
        entity=entity, entity_id=entity_id, before=before, after=after,
    ))


# ---- writing -------------------------------------------------------------------------------


@use_case
def create(session: Session, user: User, rules: EntityRules, data: dict[str, Any],
           *, source: str = "app", extra: dict[str, Any] | None = None) -> Editable:
    """Validate `data`, check the user may create it, insert, audit, commit."""
    values = dict(data)
    owner_field = rules.model.owner_field
    if owner_field and values.get(owner_field) in (None, "") and owner_field in rules.schema.model_fields:
        values[owner_field] = user.id  # a new record belongs to whoever made it
    clean = validate(session, rules, values)
    permissions.require_write(session, user, rules.name, None,
                              new_owner_id=clean.get(owner_field) if owner_field else None)
    record = rules.model(**clean, **(extra or {}))
    run_before_save(session, user, rules, record, clean)
    session.add(record)
    session.flush()
    if rules.after_save:
        rules.after_save(session, user, record, {})
    audit(session, user, "create", rules.name, record.id, None, snapshot(record), source)
    emit(session, Event("created", rules.name, record, user, source=source))  # same transaction
    commit(session)
    return record


@use_case
def update(session: Session, user: User, rules: EntityRules, record_id: int,
           changes: dict[str, Any], *, expected_version: int | None = None,
           source: str = "app") -> Editable:
    """Apply `changes` to one record; `expected_version` is the version the person edited."""
    record = get_record(session, user, rules.name, record_id)
    check_version(record, expected_version)
    current = {name: getattr(record, name) for name in rules.schema.model_fields}
    merged = {**current, **{k: v for k, v in changes.items() if k not in rules.derived}}
    clean = validate(session, rules, merged)
    owner_field = rules.model.owner_field
    owner_changes = bool(owner_field) and clean.get(owner_field) != getattr(record, owner_field)
    permissions.require_write(session, user, rules.name, record,
                              new_owner_id=clean.get(owner_field) if owner_field else None,
                              owner_changes=owner_changes)
    before = snapshot(record)
    apply(record, {k: v for k, v in clean.items() if getattr(record, k) != v})
    derived = {k: v for k, v in changes.items() if k in rules.derived}
    run_before_save(session, user, rules, record, {**clean, **derived})
    return finish_update(session, user, rules, record, before, derived, source)


def run_before_save(session: Session, user: User, rules: EntityRules, record: Editable,
                    values: dict[str, Any]) -> None:
    # No autoflush: the hook's lookups must not flush the pending change, or the hook could no
    # longer see which attributes changed (e.g. a deal's stage).
    if rules.before_save:
        with session.no_autoflush:
            rules.before_save(session, user, record, values)


def finish_update(session: Session, user: User, rules: EntityRules, record: Editable,
                  before: dict[str, Any], changes: dict[str, Any], source: str) -> Editable:
    after = snapshot(record)
    if after == before and not session.dirty:
        return record  # nothing changed: no new version, no audit entry
    record.updated_at = now()
    flush(session)
    if rules.after_save:
        rules.after_save(session, user, record, changes)
    after = snapshot(record)
    audit(session, user, "update", rules.name, record.id, before, after, source)
    changed = {key: (before.get(key), value) for key, value in after.items()
               if before.get(key) != value and key not in ("version", "updated_at")}
    emit(session, Event("updated", rules.name, record, user, changed, source))  # same transaction
    commit(session)
    return record


@use_case
def delete(session: Session, user: User, rules: EntityRules, record_id: int,
           *, expected_version: int | None = None, source: str = "app") -> Editable:
    """Soft delete: the row stays (hidden) so it can be restored from the audit log."""
    record = get_record(session, user, rules.name, record_id)
    check_version(record, expected_version)
    permissions.require_write(session, user, rules.name, record)
    before = snapshot(record)
    record.deleted_at = now()
    record.updated_at = record.deleted_at
    flush(session)
    audit(session, user, "delete", rules.name, record.id, before, snapshot(record), source)
    commit(session)
    return record


@use_case
def restore(session: Session, user: User, rules: EntityRules, record_id: int,
            *, source: str = "app") -> Editable:
    record = get_record(session, user, rules.name, record_id, include_deleted=True)
    permissions.require_write(session, user, rules.name, record)
    if record.deleted_at is None:
        return record
    before = snapshot(record)
    record.deleted_at = None
    record.updated_at = now()
    flush(session)
    audit(session, user, "restore", rules.name, record.id, before, snapshot(record), source)
    commit(session)
    return record


def check_version(record: Editable, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise _conflict()


def apply(record: Editable, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        raise _conflict() from exc


def check_references(session: Session, record: Any, references: dict[str, type[Any]],
                     reader: User | None = None) -> None:
    """Each named foreign key must point at an existing, not deleted row. With `reader`, a
    reference the record gains (new record, or a changed field) must also be to a record the
    reader may see: one hidden from them is reported exactly like a missing one, so nobody can
    attach their records to a colleague's customer or learn which ids exist."""
    errors = []
    for field_name, model in references.items():
        target_id = getattr(record, field_name)
        if target_id is None:
            continue
        target = session.get(model, target_id)
        hidden = (reader is not None and target is not None and _gained(record, field_name)
                  and not permissions.can_read(session, reader, target))
        if target is None or getattr(target, "deleted_at", None) is not None or hidden:
            label = singular(model.__tablename__)
            errors.append(FieldError(field_name, f"there is no {label} with id {target_id}"))
        elif isinstance(target, User) and not target.active:
            errors.append(FieldError(field_name, f"user {target.username} is inactive"))
    if errors:
        raise ValidationError(errors)


def _gained(record: Any, field_name: str) -> bool:
    """Whether the record is new or `field_name` changed in this unit of work."""
    state = sa_inspect(record)
    return not state.persistent or state.attrs[field_name].history.has_changes()


class EntityService:
    """The standard use cases of one entity, declared by its rules (as sqladmin declares views)."""

    def __init__(self, rules: EntityRules):
        self.rules = rules
        self.name = rules.name
        self.model = rules.model

    def create(self, *, session: Session, user: User, data: dict[str, Any],
               source: str = "app") -> Any:
        return create(session, user, self.rules, data, source=source)

    def update(self, *, session: Session, user: User, record_id: int, changes: dict[str, Any],
               expected_version: int | None = None, source: str = "app") -> Any:
        return update(session, user, self.rules, record_id, changes,
                      expected_version=expected_version, source=source)

    def delete(self, *, session: Session, user: User, record_id: int,
               expected_version: int | None = None, source: str = "app") -> Any:
        return delete(session, user, self.rules, record_id,
                      expected_version=expected_version, source=source)

    def restore(self, *, session: Session, user: User, record_id: int, source: str = "app") -> Any:
        return restore(session, user, self.rules, record_id, source=source)

    def get(self, *, session: Session, user: User, record_id: int) -> Any:
        return get_record(session, user, self.name, record_id)
