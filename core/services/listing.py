"""Pages of records for grids: filter, search and sort in the database, fetch one page only.

Foreign keys come back as readable labels (owner -> username, company -> name, stage -> name) and
custom fields as their own columns, so a grid shows what a person would type.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, literal, or_, select
from sqlalchemy.engine import Connection
from sqlmodel import Session

from core.errors import ValidationError
from core.models import ENTITIES, Company, Contact, CustomFieldDefinition, Pipeline, Product, Stage, User
from core.query.filters import BoundPrefix, Filter, bound_condition, live_prefix_ids, prefix_match
from core.services.permissions import reads_every_row, visible_clause, visible_key
from core.services.statements import Prepared, kept, prepared

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
    """One page of rows as plain tuples (`columns` names their values), with the count.

    The service stops at the rows: a frame is built only where one is needed (Streamlit's editor),
    and only of the columns shown (`frame_of`); building a pandas frame of every column cost more
    than fetching the page did.
    """

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    total: int
    page: int
    page_size: int
    exact: bool = True  # False: there are more than `total` rows (counting stopped at the cap)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """Every column, indexed by id (built on first use)."""
        frame = rows_frame(self.columns, self.rows)
        return frame.set_index("id", drop=False) if "id" in frame else frame

    def frame_of(self, names: list[str]) -> pd.DataFrame:
        """The columns `names` only, in that order, with a range index (as the grid's editor wants)."""
        return rows_frame(self.columns, self.rows, names)


def rows_frame(columns: tuple[str, ...], rows: list[tuple[Any, ...]], names: list[str] | None = None
               ) -> pd.DataFrame:
    """A frame of `rows` (only the columns `names`, if given). Built from one list per column: the
    same frame (same dtypes) as from the list of rows, in a fraction of the time pandas takes to
    transpose them."""
    chosen = list(columns if names is None else names)
    if not rows or len(set(columns)) != len(columns):
        frame = pd.DataFrame(rows, columns=list(columns))
        return frame if names is None else frame[chosen]
    position = {name: number for number, name in enumerate(columns)}
    values = list(zip(*rows, strict=True))
    return pd.DataFrame({name: list(values[position[name]]) for name in chosen}, copy=False)


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
    query = _query(session, user, entity, filters or [], search, deleted)
    sort_key = tuple(sort or ())
    model = ENTITIES[entity]
    connection = _connection(session)
    streamed = reads_every_row(user, model) and not filters and _indexed_search(entity, search, deleted)
    params = {**query.params, "cap": (count_cap or 0) + 1}
    if streamed:  # the ids of the search's index ranges are the rows: count them alone
        counting = query.prepared(("count ids", count_cap is None), lambda: _count_ids(query, count_cap),
                                  connection)
    else:
        counting = query.prepared(("count", count_cap is None), lambda: _count(query, count_cap), connection)
    total = int(counting.scalar(connection, params) or 0)
    exact = count_cap is None or total <= count_cap
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    params.update(skip=(page - 1) * page_size, size=page_size)
    searched = ("searched page", sort_key), lambda: _searched_page(session, query, sort_key)
    if _indexed_search(entity, search, deleted) and _dense(session, model, total, params["skip"] + page_size):
        rows = query.prepared(("dense page", sort_key), lambda: _page_rows(
            session, query, query.select(session, ordered_scan=True), sort_key), connection)
    elif streamed and query.statement(*searched) is not None:  # None: the sort needs more than the ids
        rows = query.prepared(*searched, connection)
    else:
        rows = query.prepared(("page", sort_key), lambda: _page_rows(session, query, query.base, sort_key),
                              connection)
    return Page(rows.columns, rows.rows(connection, params), min(total, count_cap or total), page, page_size,
                exact)


def _connection(session: Session) -> Connection:
    """The session's connection, after the flush an ORM query would do first (pending edits are
    part of what the page shows)."""
    if session.autoflush:
        session.flush()
    return session.connection()


# ---- statements built once per shape ---------------------------------------------------------------


@dataclass
class _Query:
    """The rows of `entity` a reader may see that pass filters and search: a statement kept per
    shape (`key`), the values of its parameters, and what it was built from."""

    entity: str
    key: Hashable | None  # None: not kept (a saved segment's definition can change)
    columns: Select[Any]
    clauses: list[ColumnElement[bool]]
    words: list[BoundPrefix]
    deleted: bool
    labels: bool  # a filter reads a lookup label: counting needs the joins
    params: dict[str, Any]
    visible: Callable[[], ColumnElement[bool]]

    def statement(self, variant: Hashable, build: Callable[[], Any]) -> Any:
        return kept(None if self.key is None else (self.key, variant), build)

    def prepared(self, variant: Hashable, build: Callable[[], Any], connection: Connection) -> Prepared:
        """The statement of `variant`, compiled for the connection's dialect (kept the same way)."""
        return prepared(None if self.key is None else (self.key, variant), build, connection)

    @property
    def base(self) -> Select[Any]:
        return self.statement("base", lambda: self.select(None))

    def select(self, session: Session | None, ordered_scan: bool = False) -> Select[Any]:
        model = ENTITIES[self.entity]
        state = model.deleted_at.is_not(None) if self.deleted else model.deleted_at.is_(None)
        query = self.columns.where(state, self.visible(), *self.clauses)
        if self.words:
            query = query.where(_search_clause(self.entity, self.words, self.deleted or ordered_scan))
        return query


def _query(session: Session, user: User, entity: str, filters: list[Filter], search: str | None,
           deleted: bool) -> _Query:
    """The filters and search bound as parameters, and the shape they make (see `_kept`)."""
    model = ENTITIES[entity]
    names = _custom_names(session, entity)
    columns = kept(("columns", entity, names), lambda: _select(session, entity, names))
    clauses, shapes, params = [], [], {}
    cacheable = True
    for number, item in enumerate(filters):
        if item.field == "segment":
            clauses.append(_in_segment(session, user, model, item))
            cacheable = False
            continue
        clause, shape, values = bound_condition(_column(session, entity, columns, item.field), item.op,
                                                item.value, f"filter_{number}")
        clauses.append(clause)
        shapes.append((item.field, *shape))
        params.update(values)
    typed = (search or "").lower().split()
    words = [BoundPrefix.of(word, f"word_{number}") for number, word in enumerate(typed)]
    for word in words:
        params.update(word.values)
    reader = visible_key(user, model)
    kinds = tuple(word.kind for word in words)
    key = (entity, names, reader, tuple(shapes), kinds, deleted) if cacheable else None
    return _Query(entity, key, columns, clauses, words, deleted, _uses_labels(filters, None), params,
                  lambda: visible_clause(user, model))


def _custom_names(session: Session, entity: str) -> tuple[str, ...]:
    """The names of the entity's custom fields, in their order (one small query, no ORM objects)."""
    if not ENTITIES[entity].has_custom_fields:
        return ()
    connection = _connection(session)
    names = prepared("custom field names", _custom_names_select, connection)
    return tuple(name for name, in names.rows(connection, {"entity": entity}))


def _custom_names_select() -> Select[Any]:
    table = CustomFieldDefinition.__table__  # type: ignore[attr-defined]
    return (select(table.c.name).where(table.c.entity == bindparam("entity"), table.c.deleted_at.is_(None))
            .order_by(table.c.position, table.c.id))


def _page_rows(session: Session, query: _Query, filtered: Select[Any], sort: tuple[tuple[str, bool], ...],
               ids: Any = None) -> Select[Any]:
    """The rows of one page, found in two steps (a "deferred join").

    First the ids of the page: filter, sort, offset and limit on the id alone, which an index of
    the sort columns serves without reading the rows it skips (page 230 skips 22,900 of them).
    Then the full rows of those ids (`columns`: lookups, custom fields), sorted the same way. The
    result is the same rows in the same order as the one-step query: the sort ends with the id.
    `ids`, when given, is that first step already (a search's page from the name indexes).
    """
    model = ENTITIES[query.entity]
    joins = query.labels or _uses_labels([], list(sort))
    if ids is None:
        order = _order(session, query.entity, filtered, sort)
        # PostgreSQL drops an unused outer join, but only after choosing its plan: with the lookup
        # joins in, it sorted every contact of the city where the index gives them in order.
        ids = filtered.with_only_columns(model.id) if joins else select(model.id).where(filtered.whereclause)
        ids = ids.order_by(*order).offset(bindparam("skip")).limit(bindparam("size"))
    page = query.columns.where(model.id.in_(ids.scalar_subquery()))
    return _sorted(session, query.entity, page, list(sort))


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
    base = filtered_select(session, user, entity, filters or [], search)
    return _frame(session, _sorted(session, entity, base, sort).limit(MAX_EXPORT_ROWS), {})


def grid_columns(session: Session, entity: str) -> list[str]:
    """The columns a grid of `entity` shows: fields, lookup labels, then custom fields."""
    model = ENTITIES[entity]
    names = []
    for column in model.__table__.columns:
        if column.name in HIDDEN_COLUMNS:
            continue
        names.append(LOOKUPS[column.name][0] if column.name in LOOKUPS else column.name)
    return names + list(_custom_names(session, entity))


def _select(session: Session, entity: str, custom: tuple[str, ...]) -> Select[Any]:
    """SELECT fields, lookup labels (outer joins) and the custom fields named `custom` of `entity`."""
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
    selected += [model.custom[name].as_string().label(name) for name in custom]
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


def filtered_select(session: Session, user: User, entity: str, filters: list[Filter],
                    search: str | None = None) -> Select[Any]:
    """The rows of `entity` the user may see that pass `filters`, as the grids compile them
    (automation rules use it too, so a rule's conditions mean what the same filter means in a view),
    with the values in the statement."""
    query = _query(session, user, entity, filters, search, False)
    return query.base.params(query.params) if query.params else query.base


def _count(query: _Query, cap: int | None) -> Select[Any]:
    """Count matching rows (at most cap + 1), without the lookup joins when no filter needs them.

    The joins only add labels; counting a million rows through them costs several times more.
    """
    model = ENTITIES[query.entity]
    if query.labels:
        rows = select(literal(1)).select_from(query.base.subquery())
    else:
        rows = select(literal(1)).select_from(model).where(query.base.whereclause)
    if cap is not None:
        rows = rows.limit(bindparam("cap"))
    return select(func.count()).select_from(rows.subquery())


def _count_ids(query: _Query, cap: int | None) -> Select[Any]:
    rows = _search_ids(query, streamed=True).subquery()
    counted = select(rows.c.id) if cap is None else select(rows.c.id).limit(bindparam("cap"))
    return select(func.count()).select_from(counted.subquery())


def _search_ids(query: _Query, carried: tuple[str, ...] = (), streamed: bool = False) -> Any:
    """The ids (and the `carried` columns) of the live rows matching every word of the search,
    read from the prefix indexes alone.

    No row is read: counting 10,000 matches through their rows cost three times as much, and
    PostgreSQL looked up every match to sort them by id. `streamed` (for counting): a DISTINCT over
    a UNION ALL, which a capped count stops reading at the cap (half the time at 22,000 matches).
    """
    model = ENTITIES[query.entity]
    fields = SEARCH_FIELDS[query.entity]
    carried_columns = [model.__table__.c[name] for name in carried]
    first_word, *other_words = query.words
    first = live_prefix_ids(model, fields, first_word, carried_columns, repeats=streamed).subquery()
    others = [first.c.id.in_(live_prefix_ids(model, fields, word)) for word in other_words]
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
    highest = kept(("highest id", model.__tablename__), lambda: select(func.max(model.__table__.c.id)))
    rows = session.scalar(highest) or 0  # about the table's size: one index lookup
    return needed * rows / matches <= SCAN_LIMIT


def _searched_page(session: Session, query: _Query, sort: tuple[tuple[str, bool], ...]) -> Any:
    """The rows of a page of search results sorted by plain columns, their ids taken from the
    prefix indexes (which hold the contacts grid's sort: last name, first name, id); None when the
    sort needs more than the indexes hold."""
    table = ENTITIES[query.entity].__table__
    names = tuple(dict.fromkeys(name for name, _ in sort if name != "id"))
    if any(name not in table.c for name in names):
        return None
    rows = _search_ids(query, names).subquery()
    order = [rows.c[name].desc() if descending else rows.c[name].asc() for name, descending in sort]
    ids = select(rows.c.id).order_by(*order, rows.c.id).offset(bindparam("skip")).limit(bindparam("size"))
    return _page_rows(session, query, query.base, sort, ids)


def _in_segment(session: Session, user: User, model: Any, item: Filter) -> ColumnElement[bool]:
    """Rows whose contact is in the saved segment (a contact itself, or a record of one)."""
    from core.query.segments import segment_members  # the query package imports this module

    key = model.id if model is Contact else getattr(model, "contact_id", None)
    if key is None:
        raise ValidationError.single("filter", "only contacts and their records can be filtered by segment")
    members = key.in_(segment_members(session, user, str(item.value)))
    return ~members if item.op in ("!=", "not in") else members


def _search_clause(entity: str, words: list[BoundPrefix], as_or: bool = False) -> ColumnElement[bool]:
    """Every word must start one of the search fields: "ros mar" finds Maria Rossi. As a union of
    index ranges where the entity has them, else (or `as_or`: the trash, a dense search) an OR."""
    model = ENTITIES[entity]
    fields = SEARCH_FIELDS.get(entity, ())
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
    session: Session, entity: str, query: Select[Any], sort: Any
) -> list[Any]:
    """ORDER BY terms for `sort` on the columns of `query`, ending with the id (a total order)."""
    order = []
    for name, descending in sort or []:
        column = _column(session, entity, query, name)
        order.append(column.desc() if descending else column.asc())
    return [*order, ENTITIES[entity].id]


def _frame(session: Session, query: Select[Any], params: dict[str, Any]) -> pd.DataFrame:
    """The rows as a frame indexed by id."""
    result = session.execute(query, params)
    frame = rows_frame(tuple(result.keys()), [tuple(row) for row in result])
    return frame.set_index("id", drop=False) if "id" in frame else frame
