"""The audit of records an import creates: one entry per import and entity, a history per record.

An import's creations share one entry (file, user, time, the ids as ranges). These tests check,
against plain SQL, that each record's history still shows its creation by that file with the
values it was created with (also after later edits, a delete and a restore), that the entry's ids
are exactly the new rows, and that the summaries fold such an import without a full rebuild and
with the same figures as a rebuild.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from core.analytics import summaries
from core.services import SERVICES
from core.services.audit import audit_page, initial_values
from core.services.imports import import_file

CONTACTS_CSV = (
    "email,first_name,last_name,phone,company,city,gender,birth_date,household_income,created_at\n"
    "ana@example.com,Ana,Alves,+39 02 1234 5678,Acme,Milano,female,1980-04-02,52000.5,2021-03-04 10:20\n"
    "bo@example.com,Bo,Berg,,,Torino,,,,\n"
    "cy@example.com,Cy,Costa,06 555 1234,Beta,Roma,male,1975-01-31,,2022-11-30\n"
)


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def plain(value: Any) -> Any:
    """A value as the audit's JSON holds it (dates in ISO form; JSON text read back)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(("[", "{")):
        return json.loads(value)
    return value


def raw_rows(session: Session, table: str) -> dict[int, dict[str, Any]]:
    rows = session.execute(text(f'SELECT * FROM "{table}" ORDER BY id')).mappings()
    return {row["id"]: {key: plain(value) for key, value in row.items()} for row in rows}


def same_moment(a: Any, b: Any) -> bool:
    """Timestamps compared as instants (SQLite text and PostgreSQL datetimes print differently)."""
    return a == b or datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))


def assert_same_row(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert set(got) == set(want)
    for key, value in want.items():
        if key.endswith("_at") and value is not None and got[key] is not None:
            assert same_moment(got[key], value), key
        elif isinstance(value, float) or isinstance(got[key], float):
            assert got[key] == pytest.approx(value), key
        else:
            assert got[key] == value, key


def test_history_shows_the_import_with_the_values_created(session: Session, admin, tmp_path: Path) -> None:
    import_file(session=session, user=admin, entity="contacts",
                path=write(tmp_path, "people.csv", CONTACTS_CSV))
    as_imported = raw_rows(session, "contacts")
    ana, bo, cy = sorted(as_imported)

    # Later changes through the services: an edit of two fields, then a delete and a restore.
    SERVICES["contacts"].update(session=session, user=admin, record_id=ana,
                                changes={"city": "Bergamo", "phone": None})
    SERVICES["contacts"].delete(session=session, user=admin, record_id=bo)
    SERVICES["contacts"].restore(session=session, user=admin, record_id=bo)
    session.expire_all()
    assert session.execute(text("SELECT city, version FROM contacts WHERE id = :id"), {"id": ana}).one() == \
        ("Bergamo", 2)

    for record_id in (ana, bo, cy):
        page = audit_page(session, admin, entity="contacts", entity_id=record_id)
        oldest = page.frame.iloc[-1]
        assert (oldest["action"], oldest["source"], oldest["user"], oldest["file"], oldest["entity_id"]) == \
            ("create", "import", admin.username, "people.csv", record_id)
        assert_same_row(oldest["after"], as_imported[record_id])
        assert page.frame["id"].is_monotonic_decreasing  # newest first, the creation last
    assert list(audit_page(session, admin, entity="contacts", entity_id=ana).frame["action"]) == \
        ["update", "create"]
    assert list(audit_page(session, admin, entity="contacts", entity_id=bo).frame["action"]) == \
        ["restore", "delete", "create"]
    # Asked without the entity, the record's id still finds its creation (and the filters apply).
    assert "create" in list(audit_page(session, admin, entity_id=cy).frame["action"])
    assert audit_page(session, admin, entity_id=cy, action="update").total == 0
    assert initial_values(session, "contacts", 10_000) is None


def test_the_entry_names_exactly_the_new_rows(session: Session, admin, tmp_path: Path) -> None:
    SERVICES["contacts"].create(session=session, user=admin,
                                data={"first_name": "Old", "email": "ana@example.com"})
    before = set(raw_rows(session, "contacts"))
    result = import_file(session=session, user=admin, entity="contacts",
                         path=write(tmp_path, "people.csv", CONTACTS_CSV))
    assert (result.created, result.updated) == (2, 1)
    new = set(raw_rows(session, "contacts")) - before
    entries = session.execute(text(
        "SELECT entity_id, action, \"after\" FROM audit_log "
        "WHERE source = 'import' AND entity = 'contacts' ORDER BY id")).all()
    bulk = [plain(after) for entity_id, action, after in entries if entity_id is None]
    assert len(bulk) == 1 and bulk[0]["records"] == 2 and bulk[0]["file"] == "people.csv"
    assert {n for first, last in bulk[0]["ids"] for n in range(first, last + 1)} == new
    # the update keeps an entry of its own, with the values before and after
    updates = [(entity_id, action) for entity_id, action, _ in entries if entity_id is not None]
    assert updates == [(min(before), "update")]
    # the listing shows the bulk entry as it is, with its file
    listing = audit_page(session, admin, entity="contacts", action="create").frame
    assert [None if pd.isna(name) else name for name in listing["file"]] == ["people.csv", None]


def _creators(session: Session) -> dict[tuple[str, int], tuple[int, str]]:
    """(entity, id) -> (entry id, file) of every record an import created, read from the entries'
    own JSON with plain SQL."""
    entries = session.execute(text(
        "SELECT id, entity, \"after\" FROM audit_log WHERE entity_id IS NULL AND action = 'create'")).all()
    return {(entity, record): (entry_id, plain(after)["file"])
            for entry_id, entity, after in entries
            for first, last in plain(after)["ids"] for record in range(first, last + 1)}


def test_each_record_finds_the_import_that_created_it_among_many(session: Session, admin,
                                                                  tmp_path: Path) -> None:
    """Imports with records made in the app between them: every record's history shows its own
    creation (the right file, or the app's entry), found through the kept id ranges."""
    import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, "a.csv", CONTACTS_CSV))
    by_hand = SERVICES["contacts"].create(session=session, user=admin, data={"first_name": "Hand"}).id
    import_file(session=session, user=admin, entity="contacts", path=write(
        tmp_path, "b.csv", "email,first_name,company\nd@example.com,Di,Gamma\ne@example.com,Ed,\n"))
    import_file(session=session, user=admin, entity="contacts", path=write(
        tmp_path, "c.csv", "email,first_name,city\nana@example.com,Ana,Lecco\nf@example.com,Fa,\n"))
    creators = _creators(session)
    ranges = session.execute(text("SELECT entity, first_id, last_id, entry_id FROM audit_id_ranges")).all()
    assert {(entity, record): entry_id for entity, first, last, entry_id in ranges
            for record in range(first, last + 1)} == {key: entry for key, (entry, _) in creators.items()}

    for table in ("contacts", "companies"):
        for record in session.execute(text(f"SELECT id FROM {table}")).scalars():
            created = audit_page(session, admin, entity=table, entity_id=record).frame
            created = created[created["action"] == "create"]
            assert len(created) == 1, (table, record)
            if (table, record) in creators:
                assert created.iloc[0]["file"] == creators[table, record][1]
            else:
                assert (table, record) == ("contacts", by_hand) and pd.isna(created.iloc[0]["file"])
    files = {file for _, file in creators.values()}
    assert files == {"a.csv", "b.csv", "c.csv"} and len(creators) == 2 + 3 + 1 + 2 + 1  # companies too


def _never_rebuilt(connection: Connection) -> None:
    raise AssertionError("an import made a summary rebuild everything")


def test_summaries_fold_an_import_without_rebuilding(session: Session, admin, tmp_path: Path) -> None:
    """Contacts, products and deals created by files: each summary folds them (no rebuild), and
    its tables then equal a rebuild from scratch."""
    import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, "a.csv", CONTACTS_CSV))
    for module in summaries.SUMMARY_MODULES:
        __import__(module)
    registry = dict(summaries.REGISTRY)
    for summary in registry.values():
        summaries.refresh(session, summary)  # built once, before the imports below

    more = "email,first_name,city\n" + "".join(f"p{n}@example.com,P{n},Como\n" for n in range(40))
    import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, "b.csv", more))
    import_file(session=session, user=admin, entity="products",
                path=write(tmp_path, "p.csv", "sku,name,price\nX1,Thing,3\nX2,Other,4\n"))
    import_file(session=session, user=admin, entity="deals",
                path=write(tmp_path, "d.csv", "title,contact_email,amount\nBig,p1@example.com,100\n"))
    for summary in registry.values():
        assert summaries.refresh(session, dataclasses.replace(summary, build=_never_rebuilt)) in (True, False)
    live = session.execute(text("SELECT count(*) FROM contacts WHERE deleted_at IS NULL")).scalar_one()
    assert session.execute(text("SELECT count(*) FROM contact_features")).scalar_one() == live == 43
    assert session.execute(text("SELECT count(*) FROM funnel_deals")).scalar_one() == 1

    folded = {name: _tables(session, name) for name in registry}
    summaries.rebuild_all(session)
    assert {name: _tables(session, name) for name in registry} == folded


def _tables(session: Session, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a summary's own tables, sorted (to compare a fold with a rebuild)."""
    owned = {"purchases": ["order_facts", "contact_purchases", "contact_months"],
             "contact_features": ["contact_features"], "funnel": ["funnel_deals", "funnel_stays"]}
    return {table: sorted(map(tuple, session.execute(text(f"SELECT * FROM {table}")).all()), key=repr)
            for table in owned.get(name, [])}
