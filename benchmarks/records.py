"""Records: the grid page, the name search, the grid save and the contact 360, each next to its floor.

    python -m benchmarks.records --url sqlite:////tmp/crm.db [--page 500] [--repeat 15]

The floor of each operation is the bare SQL statement (or statements) fetching or writing the same
rows, run on the same connection in the same run: what the services add is the ratio. Where the
operation also shows a count (the grid's "23,000 rows", search's "10,000+ matches"), the floor runs
the bare count too: a person sees both.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select, text
from sqlmodel import Session

from app.ui.views import VIEWS
from benchmarks.harness import Result, sample, timed
from core.db import make_engine
from core.models import Activity, Contact, Order, User
from core.query.filters import Filter
from core.services.bulk_edit import RowEdit, save_grid
from core.services.listing import COUNT_CAP, list_page
from core.services.overview360 import contact_360, search_contacts

GROUP = "records"
PAGE_SIZE = 100
SAVED_ROWS = 50


def admin(session: Session) -> User:
    return session.scalars(select(User).where(User.role == "admin").order_by(User.id)).first()


def _busiest(session: Session, column: Any, model: Any) -> Any:
    """The most common value of a column (the city with most contacts, ...)."""
    return session.execute(select(column, func.count()).select_from(model).group_by(column)
                           .order_by(func.count().desc()).limit(1)).one()


def run(session: Session, *, page: int, repeat: int) -> list[Result]:
    user = admin(session)
    return [*_grid_page(session, user, page, repeat), *_search(session, user, repeat),
            _grid_save(session, user, repeat), _contact_360(session, user, repeat)]


def _rows(session: Session, sql: str, **params: Any) -> Any:
    return lambda: session.execute(text(sql), params).fetchall()


def _then(*calls: Any) -> Any:
    """One timed call running each of `calls` in turn (a page of rows and its count)."""
    return lambda: [call() for call in calls]


def _best(*floors: list[float]) -> list[float]:
    """The floor is the best plain SQL for the rows: of several ways to write it, the fastest."""
    return min(floors, key=lambda times: sorted(times)[len(times) // 2])


def _grid_page(session: Session, user: User, page: int, repeat: int) -> list[Result]:
    """100 contacts of the biggest city, sorted by last name, page `page` (or the last one).

    Sorted as the grid sorts when a person picks "last_name": the chosen column, then the view's
    other sort keys (first name), then the id. A last-name-only sort is timed too.
    The service returns the page's rows as tuples; the grid's page builds the editor's pandas frame
    of the columns it shows from them: that frame is timed on its own, and with the rows.
    """
    city, held = _busiest(session, Contact.city, Contact)
    page = min(page, max(1, -(-held // PAGE_SIZE)))
    params = {"city": city, "size": PAGE_SIZE, "skip": (page - 1) * PAGE_SIZE}

    def open_page(cap: int | None, sort: list[tuple[str, bool]]) -> Any:
        return lambda: list_page(session, user, "contacts", filters=[Filter(field="city", value=city)],
                                 sort=sort, page=page, page_size=PAGE_SIZE, count_cap=cap)

    def floor(order: str) -> list[float]:
        where = "city = :city AND deleted_at IS NULL"
        one_step = f"SELECT * FROM contacts WHERE {where} ORDER BY {order} LIMIT :size OFFSET :skip"
        two_steps = (f"SELECT * FROM contacts WHERE id IN (SELECT id FROM contacts WHERE {where} "
                     f"ORDER BY {order} LIMIT :size OFFSET :skip) ORDER BY {order}")
        count = _rows(session, f"SELECT count(*) FROM contacts WHERE {where}", **params)
        return _best(sample(_then(_rows(session, one_step, **params), count), repeat),
                     sample(_then(_rows(session, two_steps, **params), count), repeat))

    grid_sort = [("last_name", False), ("first_name", False)]
    where = f"city = {city!r} ({held:,} contacts), sorted by last name"
    capped = open_page(10_000, grid_sort)().page
    shown = ["id", "version", *VIEWS["contacts"].columns]
    fetched = open_page(None, grid_sort)()
    grid_floor = floor("last_name, first_name, id")
    return [
        timed(GROUP, f"grid page: {where}, page {page} of 100 rows, exact count",
              sample(open_page(None, grid_sort), repeat), floor=grid_floor, under=50, ratio=2,
              note="the service's rows; as the grid after *Count all* (page 500 needs it)"),
        timed(GROUP, f"grid page: same, count capped at 10,000 (reaches page {capped})",
              sample(open_page(10_000, grid_sort), repeat), under=50, note="as the grid first opens"),
        timed(GROUP, "grid page: same, sorted by last name and id only, exact count",
              sample(open_page(None, [("last_name", False)]), repeat), floor=floor("last_name, id"),
              under=50, ratio=2, note="a sort no index holds in full"),
        timed(GROUP, f"grid page: the editor's frame of the {len(shown)} shown columns (page layer)",
              sample(lambda: fetched.frame_of(shown), repeat), note="pandas, built from the page's rows"),
        timed(GROUP, "grid page: rows and the editor's frame, as the page renders them",
              sample(lambda: open_page(None, grid_sort)().frame_of(shown), repeat), floor=grid_floor,
              under=50, ratio=2, note="the first grid line and the frame line in one call"),
    ]


def _prefix(session: Session) -> str:
    """A name prefix with many matches: the first four letters of the commonest last name."""
    name, _ = _busiest(session, Contact.last_name, Contact)
    return name.lower()[:4]


NAME_FIELDS = ("first_name", "last_name", "email")


def _matches(field: str) -> str:
    return f"lower({field}) >= :low AND lower({field}) < :high"


def _search(session: Session, user: User, repeat: int) -> list[Result]:
    """The grid's search (first page by id, with its count) and the record picker's 20 names.

    Each floor is the faster of two plain statements for the same rows: one WHERE with an OR of
    the three name ranges, or a UNION of the three ranges (one index each)."""
    prefix = _prefix(session)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    params = {"low": prefix, "high": upper, "size": PAGE_SIZE}
    any_name = " OR ".join(f"({_matches(field)})" for field in NAME_FIELDS)
    union = " UNION ".join(f"SELECT id FROM contacts WHERE deleted_at IS NULL AND {_matches(field)}"
                           for field in NAME_FIELDS)
    # The grid shows the number of matches, counted up to its cap (10,000+).
    count = _rows(session, f"SELECT count(*) FROM (SELECT id FROM ({union}) AS matches LIMIT :cap) AS capped",
                  cap=COUNT_CAP + 1, **params)
    one_where = f"SELECT * FROM contacts WHERE deleted_at IS NULL AND ({any_name}) ORDER BY id LIMIT :size"
    from_union = (f"SELECT * FROM contacts WHERE id IN (SELECT id FROM ({union}) AS matches "
                  "ORDER BY id LIMIT :size) ORDER BY id")
    grid_floor = _best(sample(_then(_rows(session, one_where, **params), count), repeat),
                       sample(_then(_rows(session, from_union, **params), count), repeat))
    names = "id, first_name, last_name, email"
    order = "ORDER BY last_name, first_name, id"
    firsts = " UNION ".join(f"SELECT id FROM (SELECT id FROM contacts WHERE deleted_at IS NULL AND "
                            f"{_matches(field)} {order} LIMIT 20) AS {field}_firsts" for field in NAME_FIELDS)
    picker_floor = _best(
        sample(_rows(session, f"SELECT {names} FROM contacts WHERE deleted_at IS NULL AND ({any_name}) "
                              f"{order} LIMIT 20", **params), repeat),
        sample(_rows(session, f"SELECT {names} FROM contacts WHERE id IN ({firsts}) {order} LIMIT 20",
                     **params), repeat))
    grid = sample(lambda: list_page(session, user, "contacts", search=prefix, page_size=PAGE_SIZE), repeat)
    picker = sample(lambda: search_contacts(session, user, prefix), repeat)
    return [timed(GROUP, f"search '{prefix}' (grid: count + 100 rows)", grid, floor=grid_floor,
                  under=50, ratio=2),
            timed(GROUP, f"search '{prefix}' (record picker: 20 names)", picker, floor=picker_floor,
                  under=50, ratio=2)]


def _grid_save(session: Session, user: User, repeat: int) -> Result:
    """50 edited contacts saved as the grid saves them: services, validation, audit, one commit.

    Each run flips the job title of the same 50 contacts, so the database stays the same size
    apart from the audit rows."""
    ids = session.scalars(select(Contact.id).where(Contact.deleted_at.is_(None))
                          .order_by(Contact.id).limit(SAVED_ROWS)).all()
    flip = {"n": 0}

    def edits() -> list[RowEdit]:
        flip["n"] += 1
        versions = dict(session.execute(select(Contact.id, Contact.version).where(Contact.id.in_(ids))).all())
        session.rollback()  # start the save in a fresh transaction, as a grid save does
        title = f"Buyer {flip['n'] % 2}"
        return [RowEdit(row, record_id, versions[record_id], {"job_title": title})
                for row, record_id in enumerate(ids)]

    prepared: dict[str, list[RowEdit]] = {}

    def prepare() -> None:
        prepared["edits"] = edits()

    def save() -> None:
        save_grid(session=session, user=user, entity="contacts", edits=prepared["edits"], added=[],
                  deleted=[])

    def floor_save() -> None:
        session.execute(text("UPDATE contacts SET job_title = :title, version = version + 1 WHERE id = :id"),
                        [{"title": prepared["edits"][0].changes["job_title"], "id": i} for i in ids])
        session.commit()

    times = sample(save, repeat, before=prepare)
    floor = sample(floor_save, repeat, before=prepare)
    return timed(GROUP, f"grid save: {SAVED_ROWS} edited contacts", times, floor=floor, under=500,
                 note="floor: one UPDATE per row, no validation or audit")


def _contact_360(session: Session, user: User, repeat: int) -> Result:
    """The contact 360 page's data for the contact with the most activities."""
    contact = session.scalar(select(Activity.contact_id).group_by(Activity.contact_id)
                             .order_by(func.count().desc()).limit(1))
    contact = contact or session.scalar(select(func.min(Order.contact_id)))
    statements = [
        "SELECT * FROM contacts WHERE id = :id",
        "SELECT * FROM activities WHERE contact_id = :id ORDER BY occurred_at DESC LIMIT 50",
        "SELECT count(*) FROM activities WHERE contact_id = :id",
        "SELECT * FROM orders WHERE contact_id = :id",
        "SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.contact_id = :id",
        "SELECT * FROM deals WHERE contact_id = :id",
        "SELECT * FROM tasks WHERE contact_id = :id",
        "SELECT * FROM cases WHERE contact_id = :id",
        "SELECT * FROM campaign_recipients WHERE contact_id = :id",
    ]

    def bare() -> None:
        for statement in statements:
            session.execute(text(statement), {"id": contact}).fetchall()

    return timed(GROUP, "contact 360 page data (contact with most activities)",
                 sample(lambda: contact_360(session, user, contact), repeat), floor=sample(bare, repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    engine = make_engine(args.url)
    with Session(engine) as session:
        for result in run(session, page=args.page, repeat=args.repeat):
            print(result)
    engine.dispose()


if __name__ == "__main__":
    main()
