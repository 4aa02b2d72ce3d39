"""What every imported row is checked against: owners, companies, contacts, custom fields, dates and
permissions, and the plan of writes the checks produce.

Everything is looked up once per file and kept in a `Context` shared by the entity planners: one query
per row would cap an import at a few thousand rows per second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from core.config import now
from core.errors import FieldError, PermissionDenied
from core.models import ENTITIES, Company, Contact, CustomFieldDefinition, User
from core.services import custom_fields, permissions
from core.services.import_columns import SchemaChecker, remembered
from core.services.schemas import ContactIn, Input

# Input-model fields that a file names differently (errors must name the file's column).
SCHEMA_COLUMNS = {"owner_id": "owner", "company_id": "company", "contact_id": "contact_email",
                  "product_id": "sku", "pipeline_id": "pipeline", "stage_id": "stage"}
LOOKUP_CHUNK = 500  # values per IN (...) list: well under SQLite's and PostgreSQL's limits
DATE_HINT = "use YYYY-MM-DD, e.g. 2026-03-31"
DATETIME_HINT = "use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], e.g. 2026-03-31 14:30"

Row = tuple[int, dict[str, Any]]  # (line of the file, {field: cell})


@dataclass(frozen=True)
class NewCompany:
    """A company the file names that does not exist yet: created once, when the rows are written."""

    key: str  # its name in lower case


@dataclass
class Planned:
    """One record to write: every column (a creation) or only the changed ones (an update)."""

    line: int
    values: dict[str, Any]
    current: dict[str, Any] | None = None  # the row as it is now (updates only)
    extra: Any = None  # entity specific: an order's lines, a deal's first stage entry


@dataclass
class Plan:
    creates: list[Planned] = field(default_factory=list)
    updates: list[Planned] = field(default_factory=list)
    skipped: int = 0
    unchanged: int = 0
    promotions: list[Planned] = field(default_factory=list)  # contacts that become customers


class Context:
    """The lookups, the collected row errors and the settings of one import."""

    def __init__(self, session: Session, user: User, entity: str, *, headers: dict[str, str],
                 definitions: list[CustomFieldDefinition], on_duplicate: str, source: str,
                 progress: Callable[[float], None] | None = None, file_name: str | None = None):
        self.session, self.user, self.entity = session, user, entity
        self.file_name = file_name
        self.headers, self.on_duplicate, self.source = headers, on_duplicate, source
        self.definitions = {d.name: d for d in definitions}
        self.progress = progress or (lambda _fraction: None)
        self.now = now()
        self.errors: list[FieldError] = []
        self.users = {u.username.lower(): (u.id, u.active) for u in session.execute(
            select(User.id, User.username, User.active).where(User.deleted_at.is_(None)))}
        self.companies: dict[str, int] = {}
        self.company_names: dict[int, str] = {}
        self.new_companies: dict[str, str] = {}  # lower name -> name as first written
        self._permission: dict[tuple[Any, ...], str | None] = {}
        self._checkers: dict[type[Input], SchemaChecker] = {}
        self._moments = {date_only: remembered(partial(read_moment, date_only=date_only))
                         for date_only in (False, True)}
        self.to_write = self.written = 0  # rows, for the progress of the writing half

    # ---- errors --------------------------------------------------------------------------------

    def error(self, line: int, name: str, message: str) -> None:
        """Record a bad cell, named by the file's own column header."""
        column = SCHEMA_COLUMNS.get(name, name)
        self.errors.append(FieldError(self.headers.get(column, column), message, line))

    def validate(self, line: int, schema: type[Input], values: dict[str, Any]) -> dict[str, Any] | None:
        """The services' own input model checks the row (a field at a time, each distinct value
        once: import_columns); None (and errors recorded) when it fails."""
        clean, problems = self.checker(schema).check(values)
        for name, message in problems:
            self.error(line, name, message)
        return clean

    def checker(self, schema: type[Input]) -> SchemaChecker:
        checker = self._checkers.get(schema)
        if checker is None:
            checker = self._checkers[schema] = SchemaChecker(schema)
        return checker

    def email_key(self, value: Any) -> str:
        """The address a cell names as it is stored (ContactIn's normalized form: "Ana <ANA@x.com>"
        is ana@x.com), to match it with other rows and stored contacts; a cell that is no address
        only stripped and lowered (its row is refused anyway); "" for a blank cell."""
        if value is None:
            return ""
        address = self.checker(ContactIn).field("email", value)
        return address if isinstance(address, str) else str(value).strip().lower()

    def first_time(self, seen: dict[Any, int], key: Any, line: int, name: str, label: str) -> bool:
        """False (and an error on this line) when an earlier line of the file has the same key."""
        if key in seen:
            self.error(line, name, f"{label} is also on line {seen[key]} of this file")
            return False
        seen[key] = line
        return True

    # ---- references ----------------------------------------------------------------------------

    def owner(self, line: int, username: str | None) -> int | None:
        if username is None:
            return None
        found = self.users.get(username.strip().lower())
        if found is None:
            self.error(line, "owner", f"there is no user {username!r}")
            return None
        if not found[1]:
            self.error(line, "owner", f"user {username} is inactive")
        return found[0]

    def load_companies(self) -> None:
        """Every live company's id and name: one scan beats a case-insensitive query per name."""
        query = select(Company.id, Company.name).where(Company.deleted_at.is_(None)).order_by(Company.id)
        for company_id, name in self.session.execute(query):
            self.companies.setdefault(name.lower(), company_id)
            self.company_names[company_id] = name

    def company(self, line: int, name: str | None, current_id: int | None = None) -> Any:
        """The id of the named company, a NewCompany to create, or the current one when blank."""
        if name is None:
            return current_id
        key = name.strip().lower()
        if len(key) > 200:
            self.error(line, "company", "a company name has at most 200 characters")
            return current_id
        if current_id is not None and self.company_names.get(current_id, "").lower() == key:
            return current_id  # same name: keep the record's company even if two share that name
        if key in self.companies:
            return self.companies[key]
        self.new_companies.setdefault(key, name.strip())
        return NewCompany(key)

    def contacts_named(self, rows: list[Row]) -> dict[str, dict[str, Any]]:
        """The live contacts the rows' contact_email cells name, among those the importer may see."""
        keys = (self.email_key(raw.get("contact_email")) for _, raw in rows)
        return contacts_by_email(self.session, keys, self.user)

    def contact(self, line: int, contacts: dict[str, dict[str, Any]], email: str | None,
                *, required: bool = False) -> dict[str, Any] | None:
        if email is None:
            if required:
                self.error(line, "contact_email", "is required")
            return None
        found = contacts.get(self.email_key(email))
        if found is None:
            self.error(line, "contact_email", f"there is no contact with email {email}")
        return found

    # ---- values --------------------------------------------------------------------------------

    def when(self, line: int, name: str, value: Any, *, date_only: bool = False) -> Any:
        """A date or datetime cell in ISO form; None (and an error recorded) otherwise."""
        if value is None:
            return None
        moment, problem = self._moments[date_only](value)  # files repeat their dates: read each once
        if problem is not None:
            self.error(line, name, problem)
        return moment

    def custom(self, line: int, raw: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        """The record's custom values after the file's cells, checked as custom_fields.validate_values
        checks them (mirrored here: validate_values reads the definitions with a query per call)."""
        values = dict(current or {})
        if not self.definitions:
            return values
        values.update({name: raw[f"custom.{name}"] for name in self.definitions
                       if raw.get(f"custom.{name}") is not None})
        clean = {key: value for key, value in values.items() if key not in self.definitions}
        for name, definition in self.definitions.items():
            value = values.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                if definition.required:
                    self.error(line, f"custom.{name}", f"{definition.label} is required")
                continue
            try:
                clean[name] = custom_fields.coerce(definition, value)
            except ValueError as exc:
                self.error(line, f"custom.{name}", str(exc))
        return clean

    # ---- permissions ---------------------------------------------------------------------------

    def may_write(self, line: int, current_owner: Any, new_owner: int | None, *, creating: bool) -> bool:
        """permissions.require_write for one row, remembered per owner pair (few distinct pairs)."""
        key = (creating, current_owner, new_owner)
        if key not in self._permission:
            self._permission[key] = self._write_refusal(current_owner, new_owner, creating)
        refusal = self._permission[key]
        if refusal is not None:
            self.error(line, "owner", refusal)
        return refusal is None

    def _write_refusal(self, current_owner: Any, new_owner: int | None, creating: bool) -> str | None:
        model = ENTITIES[self.entity]
        record = None if creating else model(**{str(model.owner_field): current_owner})
        try:
            permissions.require_write(self.session, self.user, self.entity, record, new_owner_id=new_owner,
                                      owner_changes=not creating and current_owner != new_owner)
        except PermissionDenied as exc:
            return str(exc)
        return None

    # ---- rows ----------------------------------------------------------------------------------

    def new_row(self, values: dict[str, Any], created_at: datetime | None = None) -> dict[str, Any]:
        """`values` (a dict of its own) made a full row for INSERT: the bulk path fills what the ORM
        would (timestamps, version)."""
        values.update(created_at=created_at or self.now, updated_at=self.now, version=1, deleted_at=None)
        return values

    def changes(self, current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any] | None:
        """The changed columns with a new version, or None when the row already says all this."""
        changed = {key: value for key, value in values.items() if current[key] != value}
        if not changed:
            return None
        return {**changed, "updated_at": self.now, "version": current["version"] + 1}

    def tick(self, done: int, total: int, start: float = 0.0, span: float = 0.5) -> None:
        if done % 2000 == 0:
            self.progress(start + span * done / max(total, 1))


def cells(raw: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The non-blank cells among `names`: a blank cell never overwrites a stored value."""
    return {name: raw[name] for name in names if raw.get(name) is not None}


def settle(ctx: Context, plan: Plan, line: int, schema: type[Input], data: dict[str, Any],
           current: dict[str, Any] | None, extra: dict[str, Any], created_at: Any = None) -> Planned | None:
    """Validate the row (merged over the stored record for an update), check permission, plan it."""
    if current is not None:
        data = {**{k: current[k] for k in schema.model_fields if k != "custom"}, **data}
    elif "owner_id" in schema.model_fields and data.get("owner_id") is None:
        data["owner_id"] = ctx.user.id  # a new record belongs to whoever imports it
    clean = ctx.validate(line, schema, data)
    if clean is None:
        return None
    values = clean  # a dict of its own (fresh from the checks): completed in place
    values.update(extra)
    owner = values.get("owner_id")
    if current is None:
        if "owner_id" in values and not ctx.may_write(line, None, owner, creating=True):
            return None
        plan.creates.append(Planned(line, ctx.new_row(values, created_at)))
        return plan.creates[-1]
    if "owner_id" in values and not ctx.may_write(line, current["owner_id"], owner, creating=False):
        return None
    changes = ctx.changes(current, values)
    if changes is None:
        plan.unchanged += 1
        return None
    plan.updates.append(Planned(line, changes, current))
    return plan.updates[-1]


def read_moment(value: Any, *, date_only: bool) -> tuple[Any, str | None]:
    """(the date or datetime a cell holds, None), or (None, what is wrong with it)."""
    try:
        moment = parse_datetime(value)
    except ValueError:
        hint = DATE_HINT if date_only else DATETIME_HINT
        return None, f"{str(value)[:40]!r} is not a date ({hint})"
    if not date_only:
        return moment, None
    if moment.time() != time.min:
        return None, f"{value!r} is not a date ({DATE_HINT})"
    return moment.date(), None


def parse_datetime(value: Any) -> datetime:
    """ISO dates and datetimes only: 31/03 and 03/31 cannot be told apart, so neither is guessed."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time.min)
    else:
        moment = datetime.fromisoformat(str(value).strip())
    if moment.tzinfo is not None:
        raise ValueError("time zones are not stored")
    return moment


def fetch_in(session: Session, table: Any, column: Any, keys: Iterable[Any], *where: Any) -> list[Any]:
    """Rows whose `column` is one of `keys`, in chunks, as mappings (ordered by id per chunk).
    A key with a NUL character matches nothing (no stored text holds one) and is left out:
    PostgreSQL refuses it as a parameter, which failed the whole file with a raw error."""
    unique = sorted({key for key in keys if key is not None and not (isinstance(key, str) and "\x00" in key)})
    found: list[Any] = []
    for start in range(0, len(unique), LOOKUP_CHUNK):
        query = select(table).where(column.in_(unique[start:start + LOOKUP_CHUNK]), *where)
        found.extend(session.execute(query.order_by(table.c.id)).mappings())
    return found


def contacts_by_email(session: Session, emails: Iterable[str],
                      reader: User | None = None) -> dict[str, dict[str, Any]]:
    """Live contacts by email, given addresses as stored (Context.email_key; with `reader`: only
    those the reader may see, so a row about a contact hidden from them reads "there is no
    contact"). Emails are stored normalized, so a plain IN (...) uses the email index where
    lower(email) would scan the table once per chunk."""
    table = Contact.__table__  # type: ignore[attr-defined]
    found: dict[str, dict[str, Any]] = {}
    where = [table.c.deleted_at.is_(None)]
    if reader is not None:
        where.append(permissions.visible_clause(reader, Contact))
    for row in fetch_in(session, table, table.c.email, (email for email in emails if email), *where):
        found.setdefault(row["email"], dict(row))  # the oldest contact wins, as in the services
    return found
