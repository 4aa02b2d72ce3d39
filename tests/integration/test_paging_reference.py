"""Grid pages and name search against an independent reference, on both backends.

The grid finds a page in two steps (the page's ids through an index, then their rows) and searches
names through a union of index ranges. Whatever the plan, walking every page must give exactly the
rows, the order and the total of one plain SQL statement (written here as text, without paging),
for each user's visible rows, with filters, both sort directions, ties and NULLs, and again after
soft deletes, restores and owner changes. The record picker's 20 names are checked the same way.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.models import Company, Contact, CustomFieldDefinition, User
from core.query.filters import Filter
from core.services import listing
from core.services.listing import list_page
from core.services.overview360 import search_contacts

LAST_NAMES = ["Rossi", "rossi", "Rossini", "Bianchi", "Rodriguez", "Rodrigues", "Ro", "", "Zed"]
FIRST_NAMES = ["Maria", "mario", "Rodrigo", "Anna", "Rosa", "Bianca"]
CITIES = ["Forlì", "Milano", "milano", None]
PAGE_SIZE = 16  # 150 rows: about ten pages, ties straddle their edges


@pytest.fixture
def crowd(engine, session: Session, admin, manager, staff, other_staff, outsider) -> dict[str, User]:
    """150 contacts full of ties (few names, cities, owners), some without owner or city, some
    with emails that start like names, a custom field, a company each for the label sort."""
    chooser = random.Random(8)
    companies = [Company(name=name) for name in ("Acme", "acme", "Beta")]
    session.add_all(companies)
    session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Tier"))
    session.flush()
    owners = [staff.id, other_staff.id, outsider.id, manager.id, None]
    for number in range(150):
        first, last = chooser.choice(FIRST_NAMES), chooser.choice(LAST_NAMES)
        session.add(Contact(
            first_name=first, last_name=last, city=chooser.choice(CITIES),
            email=chooser.choice([f"{last.lower() or 'x'}.{number}@x.io", f"{first.lower()}{number}@x.io",
                                  None]),
            owner_id=chooser.choice(owners), company_id=chooser.choice(companies).id,
            custom={"tier": chooser.choice(["gold", "silver"])} if number % 3 else {},
            deleted_at=datetime(2026, 1, 1) if number % 17 == 0 else None,
        ))
    session.commit()
    return {"admin": admin, "manager": manager, "staff": staff}


# ---- the reference: one plain SQL statement, no paging, visibility worked out in Python ------------


def visible_owner_sql(session: Session, user: User) -> str:
    """Which owners' rows the user may read, from the users table (admin all, manager the team and
    unowned rows, staff their own) as a SQL condition on c.owner_id."""
    if user.role == "admin":
        return "1 = 1"
    if user.role == "manager":
        team = session.execute(text("SELECT id FROM users WHERE team = :team"), {"team": user.team}).scalars()
        return f"(c.owner_id IS NULL OR c.owner_id IN ({', '.join(str(i) for i in team)}))"
    return f"c.owner_id = {int(user.id)}"


def order_sql(session: Session, column: str) -> str:
    expressions = {
        "owner": "(SELECT username FROM users u WHERE u.id = c.owner_id)",
        "company": "(SELECT name FROM companies k WHERE k.id = c.company_id)",
        "tier": ("c.custom ->> 'tier'" if session.get_bind().dialect.name == "postgresql"
                 else "json_extract(c.custom, '$.tier')"),
    }
    return expressions.get(column, f"c.{column}")


def reference_ids(session: Session, user: User, where: str = "1 = 1", sort: list[tuple[str, bool]] = (),
                  params: dict[str, Any] | None = None, limit: int | None = None) -> list[int]:
    order = [f"{order_sql(session, name)} {'DESC' if descending else 'ASC'}" for name, descending in sort]
    visible = visible_owner_sql(session, user)
    statement = (f"SELECT c.id FROM contacts c WHERE c.deleted_at IS NULL AND {visible}"
                 f" AND {where} ORDER BY {', '.join([*order, 'c.id'])}"
                 + (f" LIMIT {limit}" if limit else ""))
    return list(session.execute(text(statement), params or {}).scalars())


def name_prefix_sql(words: list[str]) -> tuple[str, dict[str, str]]:
    """Every word starts the first name, the last name or the email (case-insensitive), as an OR."""
    clauses, params = [], {}
    for position, word in enumerate(words):
        params[f"w{position}"] = word.lower() + "%"
        clauses.append("(" + " OR ".join(f"lower(c.{field}) LIKE :w{position}"
                                          for field in ("first_name", "last_name", "email")) + ")")
    return " AND ".join(clauses) or "1 = 1", params


# ---- walking the grid ---------------------------------------------------------------------------------


def walk(session: Session, user: User, **query: Any) -> tuple[list[int], int]:
    """Every page of the grid in turn: the ids in order, and the total the grid showed."""
    ids, page, totals = [], 1, set()
    while True:
        shown = list_page(session, user, "contacts", page=page, page_size=PAGE_SIZE, count_cap=None, **query)
        totals.add(shown.total)
        ids += [int(i) for i in shown.frame["id"]] if len(shown.frame) else []
        if page >= shown.pages:
            break
        page += 1
    assert len(totals) == 1, "every page shows the same total"
    return ids, totals.pop()


SORTS = [
    [("last_name", False), ("first_name", False)],  # the contacts grid's default
    [("last_name", True), ("first_name", True)],
    [("last_name", False)],
    [("city", True)],  # NULL cities: each backend puts them where its plain ORDER BY does
    [("owner", False)],  # a lookup label: the page's ids need the join
    [("company", True), ("last_name", False)],
    [("tier", False)],  # a custom field
]
FILTERS = [
    ([], "1 = 1", {}),
    ([Filter(field="city", value="Forlì")], "c.city = :city", {"city": "Forlì"}),
    ([Filter(field="city", op="in", value=["Milano", "milano"])], "c.city IN ('Milano', 'milano')", {}),
    ([Filter(field="owner", value="sam")], "c.owner_id = (SELECT id FROM users WHERE username = 'sam')", {}),
]


def check_every_view(session: Session, users: dict[str, User]) -> None:
    """Each sort with each filter for the admin; each sort unfiltered and by city for the others."""
    for user in users.values():
        for sort in SORTS:
            for filters, where, params in FILTERS if user.role == "admin" else FILTERS[:2]:
                expected = reference_ids(session, user, where, sort, params)
                ids, total = walk(session, user, filters=filters, sort=sort)
                assert (ids, total) == (expected, len(expected)), (user.role, sort, filters)


def test_every_page_equals_the_plain_query(session: Session, crowd) -> None:
    check_every_view(session, crowd)


def test_pages_follow_soft_deletes_restores_and_owner_changes(session: Session, crowd, staff) -> None:
    deleted_at = {"at": datetime(2026, 2, 1)}
    session.execute(text("UPDATE contacts SET deleted_at = :at WHERE id % 5 = 0"), deleted_at)
    session.execute(text("UPDATE contacts SET deleted_at = NULL WHERE id % 17 = 1"))
    session.execute(text("UPDATE contacts SET owner_id = :owner WHERE id % 4 = 1"), {"owner": staff.id})
    session.execute(text("UPDATE contacts SET owner_id = NULL, city = 'Forlì' WHERE id % 6 = 2"))
    session.commit()
    check_every_view(session, crowd)


@pytest.fixture(params=["ordered scan", "name indexes"])
def search_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A search's page is read by a scan in the sort's order when matches are dense, else from the
    name indexes (on SQLite; PostgreSQL always uses the indexes); at this size every search is
    dense, so each way is forced in turn."""
    monkeypatch.setattr(listing, "SCAN_LIMIT", 10**12 if request.param == "ordered scan" else -1)
    return str(request.param)


@pytest.mark.parametrize("search", ["ros", "ROSS mar", "rod", "ro", "bianchi anna", "r", "zzz", "rossi.1"])
def test_search_pages_equal_the_plain_query(session: Session, crowd, search: str, search_plan: str) -> None:
    where, params = name_prefix_sql(search.split())
    for user in crowd.values():
        for sort in ([], [("last_name", False), ("first_name", False)], [("email", True)]):
            expected = reference_ids(session, user, where, sort, params)
            ids, total = walk(session, user, search=search, sort=sort)
            assert (ids, total) == (expected, len(expected)), (user.role, search, sort)


@pytest.mark.parametrize("search", ["ros", "ROSS mar", "rod", "ro", "ma", "r", "rossi.1", "zzz"])
def test_picker_names_equal_the_plain_query(session: Session, crowd, search: str) -> None:
    where, params = name_prefix_sql(search.split())
    for user in crowd.values():
        expected = reference_ids(session, user, where, [("last_name", False), ("first_name", False)],
                                 params, limit=20)
        assert [match.id for match in search_contacts(session, user, search)] == expected, (user.role, search)


def test_a_capped_count_is_honest(session: Session, crowd, search_plan: str) -> None:
    everyone = reference_ids(session, crowd["admin"])
    capped = list_page(session, crowd["admin"], "contacts", page_size=PAGE_SIZE, count_cap=40)
    assert (capped.total, capped.exact) == (40, False) and len(everyone) > 40
    small = list_page(session, crowd["admin"], "contacts", filters=[Filter(field="city", value="Forlì")],
                      count_cap=1_000)
    in_forli = reference_ids(session, crowd["admin"], "c.city = 'Forlì'")
    assert (small.total, small.exact) == (len(in_forli), True)
    where, params = name_prefix_sql(["r"])
    for user in crowd.values():  # the admin's search is counted from the name indexes alone
        matches = len(reference_ids(session, user, where, params=params))
        searched = list_page(session, user, "contacts", search="r", count_cap=10)
        assert (searched.total, searched.exact) == ((10, False) if matches > 10 else (matches, True))


def test_the_trash_is_searched_and_paged_too(session: Session, crowd) -> None:
    expected = list(session.execute(text(
        "SELECT id FROM contacts c WHERE deleted_at IS NOT NULL AND (lower(last_name) LIKE 'ro%'"
        " OR lower(first_name) LIKE 'ro%' OR lower(email) LIKE 'ro%') ORDER BY last_name, id")).scalars())
    page = list_page(session, crowd["admin"], "contacts", search="ro", sort=[("last_name", False)],
                     deleted=True, page_size=500)
    assert [int(i) for i in page.frame["id"]] == expected and page.total == len(expected)
