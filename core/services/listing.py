"""Pages of records for grids: filter, search and sort in the database, fetch one page only.

Foreign keys come back as readable labels (owner -> username, company -> name, stage -> name) and
custom fields as their own columns, so a grid shows what a person would type.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlmodel import Session

from core.errors import ValidationError
from core.models import ENTITIES, Company, Contact, Pipeline, Product, Stage, User
from core.query.filters import Filter, condition, live_prefix_ids, prefix_match
from core.services import custom_fields
from core.services.permissions import reads_every_row, visible_clause

# Foreign key -> (label column name in grids, table, column shown).
LOOKUPS: dict[str, tuple[str, type[Any], str]] = {
    "owner_id": ("owner", User, "username"),
    "assignee_id": ("assignee", User, "username"),
    "company_id": ("company", Company, "name"),
    "contact_id": ("contact", Contact, "email"),
    "pipeline_id": ("pipeline", Pipeline, "name"),
    "stage_id": ("stage", Stage, "name"),
    "product_id": ("product", Product, "sku"),
}
LABEL_TO_KEY = {label: key for key, (label, _, _) in LOOKUPS.items()}
# Searched with a case-insensitive prefix match, per entity.
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "contacts": ("last_name", "first_name", "email"),
    "companies": ("name", "domain"),
    "deals": ("title",),
    "products": ("sku", "name"),
    "orders": ("order_number",),
    "activities": ("subject",),
    "tasks": ("title",),
    "cases": ("subject",),
    "campaigns": ("name",),
    "users": ("username", "display_name"),
}
# Entities whose search fields all have a partial lower(field) index of live rows (see Contact).
LIVE_PREFIX_INDEXED = {"contacts"}
HIDDEN_COLUMNS = {"password_hash", "deleted_at", "custom", "failed_logins", "locked_until"}
MAX_EXPORT_ROWS = 200_000
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    frame: pd.DataFrame
    total: int
    page: int
    page_size: int
    exact: bool = True  # False: there are more than `total` rows (counting stopped at the cap)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def list_page(
    session: Session,
    user: User,
    entity: str,
    *,
    filters: list[Filter] | None = None,
    search: str | None = None,
    sort: list[tuple[str, bool]] | None = None,
    page: int = 1,
    page_size: int = 50,
    deleted: bool = False,
    count_cap: int | None = COUNT_CAP,
) -> Page:
    """One page of `entity` the user may see; `sort` is [(column, descending)].

    Counting stops at `count_cap` rows (None: count them all), so a page of a million-row table
    opens as fast as one of a thousand; the grid then says "10,000+" and offers the exact count.
    """
    columns = _select(session, entity)
    base = _filtered(session, user, entity, filters or [], search, deleted, columns)
    model = ENTITIES[entity]
    every_row = reads_every_row(user, model) and not filters
    matches = _search_ids(entity, search, deleted, streamed=True) if every_row else None
    if matches is not None:  # the ids of the search's index ranges are the rows: count them alone
        total = _count_ids(session, matches, count_cap)
    else:
        total = _count(session, base, model, filters or [], count_cap)
    exact = count_cap is None or total <= count_cap
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    skip, joins, ids = (page - 1) * page_size, _uses_labels(filters or [], sort), None
    if _indexed_search(entity, search, deleted) and _dense(session, model, total, skip + page_size):
        base = _filtered(session, user, entity, filters or [], search, deleted, columns, ordered_scan=True)
    elif matches is not None:
        ids = _searched_page_ids(entity, search, sort or [], skip, page_size)
    query = _page_rows(session, entity, columns, base, sort, skip, page_size, joins, ids)
    return Page(_frame(session, entity, query), min(total, count_cap or total), page, page_size, exact)


def _page_rows(
    session: Session,
    entity: str,
    columns: Select[Any],
    query: Select[Any],
    sort: list[tuple[str, bool]] | None,
    skip: int,
    size: int,
    joins: bool,
    ids: Any = None,
) -> Select[Any]:
    """The rows of one page, found in two steps (a "deferred join").

    First the ids of the page: filter, sort, offset and limit on the id alone, which an index of
    the sort columns serves without reading the rows it skips (page 230 skips 22,900 of them).
    Then the full rows of those ids (`columns`: lookups, custom fields), sorted the same way. The
    result is the same rows in the same order as the one-step query: the sort ends with the id.
    `ids`, when given, is that first step already (a search's page from the name indexes).
    """
    model = ENTITIES[entity]
    if ids is None:
        order = _order(session, entity, query, sort)
        # PostgreSQL drops an unused outer join, but only after choosing its plan: with the lookup
        # joins in, it sorted every contact of the city where the index gives them in order.
        ids = query.with_only_columns(model.id) if joins else select(model.id).where(query.whereclause)
        ids = ids.order_by(*order).offset(skip).limit(size)
    return _sorted(session, entity, columns.where(model.id.in_(ids.scalar_subquery())), sort)


def _uses_labels(filters: list[Filter], sort: list[tuple[str, bool]] | None) -> bool:
    """Whether a filter or the sort reads a lookup label (owner, company...), i.e. needs its join."""
    fields = [item.field for item in filters] + [name for name, _ in sort or []]
    return any(field in LABEL_TO_KEY for field in fields)


def list_all(
    session: Session,
    user: User,
    entity: str,
    *,
    filters: list[Filter] | None = None,
    search: str | None = None,
    sort: list[tuple[str, bool]] | None = None,
) -> pd.DataFrame:
    """Every matching row (for downloads of the current view), up to MAX_EXPORT_ROWS."""
    base = _filtered(session, user, entity, filters or [], search, False)
    return _frame(session, entity, _sorted(session, entity, base, sort).limit(MAX_EXPORT_ROWS))


def grid_columns(session: Session, entity: str) -> list[str]:
    """The columns a grid of `entity` shows: fields, lookup labels, then custom fields."""
    model = ENTITIES[entity]
    names = []
    for column in model.__table__.columns:
        if column.name in HIDDEN_COLUMNS:
            continue
        names.append(LOOKUPS[column.name][0] if column.name in LOOKUPS else column.name)
    if model.has_custom_fields:
        names += [d.name for d in custom_fields.definitions(session, entity)]
    return names


def _select(session: Session, entity: str) -> Select[Any]:
    """SELECT fields, lookup labels (outer joins) and custom fields of `entity`."""
    model = ENTITIES[entity]
    selected: list[Any] = []
    joins = []
    for column in model.__table__.columns:
        if column.name in HIDDEN_COLUMNS:
            continue
        if column.name in LOOKUPS:
            label, _, shown = LOOKUPS[column.name]
            alias = _lookup_table(column.name)
            selected.append(alias.c[shown].label(label))
            joins.append((alias, column == alias.c.id))
        else:
            selected.append(column)
    selected += [expr.label(name) for name, expr in _custom_columns(session, entity).items()]
    query = select(*selected).select_from(model)
    for alias, on in joins:
        query = query.outerjoin(alias, on)
    return query


@functools.cache
def _lookup_table(key: str) -> Any:
    """The aliased table a lookup label comes from, built once: an ORM alias made per query cost
    several milliseconds a page (it copies every column of the aliased model)."""
    label, target, _ = LOOKUPS[key]
    return target.__table__.alias(f"lk_{label}")


def _custom_columns(session: Session, entity: str) -> dict[str, Any]:
    model = ENTITIES[entity]
    if not model.has_custom_fields:
        return {}
    return {d.name: model.custom[d.name].as_string() for d in custom_fields.definitions(session, entity)}


def filtered_select(session: Session, user: User, entity: str, filters: list[Filter]) -> Select[Any]:
    """The rows of `entity` the user may see that pass `filters`, as the grids compile them
    (automation rules use it too, so a rule's conditions mean what the same filter means in a view)."""
    return _filtered(session, user, entity, filters, None, False)


def _filtered(
    session: Session,
    user: User,
    entity: str,
    filters: list[Filter],
    search: str | None,
    deleted: bool,
    columns: Select[Any] | None = None,
    ordered_scan: bool = False,
) -> Select[Any]:
    model = ENTITIES[entity]
    state = model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None)
    columns = _select(session, entity) if columns is None else columns
    query = columns.where(state, visible_clause(user, model))
    for item in filters:
        if item.field == "segment":
            query = query.where(_in_segment(session, user, model, item))
            continue
        query = query.where(condition(_column(session, entity, query, item.field), item.op, item.value))
    if search and search.strip():
        query = query.where(_search_clause(entity, search.strip(), deleted or ordered_scan))
    return query


def _count(
    session: Session, query: Select[Any], model: type[Any], filters: list[Filter], cap: int | None
) -> int:
    """Count matching rows (at most cap + 1), without the lookup joins when no filter needs them.

    The joins only add labels; counting a million rows through them costs several times more.
    """
    if _uses_labels(filters, None):
        rows = select(literal(1)).select_from(query.subquery())
    else:
        rows = select(literal(1)).select_from(model).where(query.whereclause)
    if cap is not None:
        rows = rows.limit(cap + 1)
    return int(session.scalar(select(func.count()).select_from(rows.subquery())) or 0)


def _count_ids(session: Session, ids: Any, cap: int | None) -> int:
    rows = ids.subquery()
    counted = select(rows.c.id) if cap is None else select(rows.c.id).limit(cap + 1)
    return int(session.scalar(select(func.count()).select_from(counted.subquery())) or 0)


def _search_ids(
    entity: str, search: str | None, deleted: bool, carried: tuple[str, ...] = (), streamed: bool = False
) -> Any:
    """The ids (and the `carried` columns) of the live rows matching every word of `search`, read
    from the prefix indexes alone; None when the entity's search has no such indexes.

    No row is read: counting 10,000 matches through their rows cost three times as much, and
    PostgreSQL looked up every match to sort them by id. `streamed` (for counting): a DISTINCT over
    a UNION ALL, which a capped count stops reading at the cap (half the time at 22,000 matches).
    """
    words = (search or "").lower().split()
    if not words or deleted or entity not in LIVE_PREFIX_INDEXED:
        return None
    model = ENTITIES[entity]
    fields = SEARCH_FIELDS[entity]
    carried_columns = [model.__table__.c[name] for name in carried]
    first = live_prefix_ids(model, fields, words[0], carried_columns, repeats=streamed).subquery()
    others = [first.c.id.in_(live_prefix_ids(model, fields, word)) for word in words[1:]]
    ids = select(first.c.id, *[first.c[name] for name in carried]).where(*others)
    return ids.distinct() if streamed else ids


SCAN_LIMIT = 20_000  # rows an ordered scan may read to fill a page before the name indexes win


def _indexed_search(entity: str, search: str | None, deleted: bool) -> bool:
    return bool(search and search.strip()) and not deleted and entity in LIVE_PREFIX_INDEXED


def _dense(session: Session, model: Any, matches: int, needed: int) -> bool:
    """Whether a search matches so many rows that reading rows in the sort's order (checking each)
    fills the page sooner than collecting every match from the name indexes and sorting them.

    'rodr' matches 2% of a million contacts: a scan in id order finds the first 100 after about
    5,000 rows (4 ms), where the union of the name ranges gathers and sorts 22,000 ids (20 ms).
    'zzz' matches nothing: the same scan would read the whole table. The count says which it is.
    SQLite only: PostgreSQL plans the OR as a bitmap of the three name indexes, which gathers
    every match anyway (16 ms for 1,500 where the name indexes alone took 2 ms).
    """
    if matches == 0 or session.get_bind().dialect.name != "sqlite":
        return False
    rows = session.scalar(select(func.max(model.id))) or 0  # about the table's size: one index lookup
    return needed * rows / matches <= SCAN_LIMIT


def _searched_page_ids(entity: str, search: str | None, sort: list[tuple[str, bool]], skip: int,
                       size: int) -> Any:
    """The ids of a page of search results sorted by plain columns, from the prefix indexes (which
    hold the contacts grid's sort: last name, first name, id); None when the sort needs more."""
    table = ENTITIES[entity].__table__
    names = tuple(dict.fromkeys(name for name, _ in sort if name != "id"))
    if any(name not in table.c for name in names):
        return None
    matches = _search_ids(entity, search, False, names)
    if matches is None:
        return None
    rows = matches.subquery()
    order = [rows.c[name].desc() if descending else rows.c[name].asc() for name, descending in sort]
    return select(rows.c.id).order_by(*order, rows.c.id).offset(skip).limit(size)


def _in_segment(session: Session, user: User, model: Any, item: Filter) -> ColumnElement[bool]:
    """Rows whose contact is in the saved segment (a contact itself, or a record of one)."""
    from core.query.segments import segment_members  # the query package imports this module

    key = model.id if model is Contact else getattr(model, "contact_id", None)
    if key is None:
        raise ValidationError.single("filter", "only contacts and their records can be filtered by segment")
    members = key.in_(segment_members(session, user, str(item.value)))
    return ~members if item.op in ("!=", "not in") else members


def _search_clause(entity: str, text: str, as_or: bool = False) -> ColumnElement[bool]:
    """Every word must start one of the search fields: "ros mar" finds Maria Rossi. As a union of
    index ranges where the entity has them, else (or `as_or`: the trash, a dense search) an OR."""
    model = ENTITIES[entity]
    fields = SEARCH_FIELDS.get(entity, ())
    words = text.lower().split()
    if entity in LIVE_PREFIX_INDEXED and not as_or:
        return and_(*[model.id.in_(live_prefix_ids(model, fields, word)) for word in words])
    return and_(*[or_(*(prefix_match(getattr(model, f), word) for f in fields)) for word in words])


def _column(session: Session, entity: str, query: Select[Any], name: str) -> Any:
    """The SQL expression behind a grid column name (a field, a lookup label, a custom field)."""
    for column in query.selected_columns:
        if column.key == name:
            return column.element if hasattr(column, "element") else column
    known = ", ".join(grid_columns(session, entity))
    raise ValidationError.single("filter", f"{entity} have no column {name!r}; columns: {known}")


def _sorted(
    session: Session, entity: str, query: Select[Any], sort: list[tuple[str, bool]] | None
) -> Select[Any]:
    return query.order_by(*_order(session, entity, query, sort))


def _order(
    session: Session, entity: str, query: Select[Any], sort: list[tuple[str, bool]] | None
) -> list[Any]:
    """ORDER BY terms for `sort` on the columns of `query`, ending with the id (a total order)."""
    order = []
    for name, descending in sort or []:
        column = _column(session, entity, query, name)
        order.append(column.desc() if descending else column.asc())
    return [*order, ENTITIES[entity].id]


def _frame(session: Session, entity: str, query: Select[Any]) -> pd.DataFrame:
    result = session.execute(query)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return frame.set_index("id", drop=False) if "id" in frame else frame
