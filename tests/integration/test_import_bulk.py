"""The bulk contact import: what a person gets back for bad rows, what lands in the database for good
ones, and the audit trail, checked independently of the import code (the csv module and plain SQL)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import ImportRejected
from core.models import User
from core.services.audit import audit_page
from core.services.imports import import_file

HEADER = ["email", "first_name", "last_name", "phone", "company", "city", "country", "gender",
          "birth_date", "household_income", "lifecycle_stage", "source", "owner", "best_time_to_call",
          "created_at"]


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue()


def row(email: str, first: str = "Ana", **cells: str) -> list[str]:
    values = {"email": email, "first_name": first, **cells}
    return [values.get(name, "") for name in HEADER]


# Line 2 is the first data row. Tricky but valid addresses are mixed with refused ones.
BAD_CONTACTS_CSV = csv_text([
    row("ana@example.com", last_name="Rossi", company="Acme", city="Milano"),        # 2 good
    row("bo@example.com."),                                                          # 3 trailing dot
    row('"cy"@example.com'),                                                         # 4 quoted local
    row("dan@[192.168.0.1]"),                                                        # 5 IP literal
    row(f"eve@{'a' * 64}.com"),                                                      # 6 long label
    row("FINN@EXAMPLE.COM"),                                                         # 7 good, upper
    row("gus@bücher.example"),                                                       # 8 good, unicode
    row("hal..x@example.com"),                                                       # 9 double dot
    row("Ivy <ivy@example.com>"),                                                    # 10 good, name
    row("jo@localhost"),                                                             # 11 no dot
    row("kai@example.com", phone="abc", birth_date="31/03/1980"),                    # 12
    row("lu@example.com", household_income="-5", lifecycle_stage="vip"),             # 13
    row("mo@example.com", owner="nobody", gender="x"),                               # 14
    row("ned@example.com", owner="gone", company="C" * 201),                         # 15
    row("ola@example.com", first=""),                                                # 16 no first name
    row("ANA@example.com", first="Again"),                                           # 17 duplicate
    row("pia@example.com", created_at="yesterday"),                                  # 18
    row("qui@exa_mple.com"),                                                         # 19 underscore
    row("rémy@example.com", last_name="x" * 101),                                    # 20 long name
    row("sal@example.com", first="Sal\x00"),                                         # 21 NUL
])

# What the import reported for this file before the bulk import work (captured from main at 27dae2b):
# the same rows, columns and words must come back.
EXPECTED_REFUSALS = [
    (3, "email", "value is not a valid email address: An email address cannot end with a period."),
    (4, "email", "value is not a valid email address: Quoting the part before the @-sign is not "
                 "allowed here."),
    (5, "email", "value is not a valid email address: A bracketed IP address after the @-sign is not "
                 "allowed here."),
    (6, "email", "value is not a valid email address: After the @-sign, periods cannot be separated "
                 "by so many characters (1 character too many)."),
    (9, "email", "value is not a valid email address: An email address cannot have two periods in a "
                 "row."),
    (11, "email", "value is not a valid email address: The part after the @-sign is not valid. It "
                  "should have a period."),
    (12, "birth_date", "'31/03/1980' is not a date (use YYYY-MM-DD, e.g. 2026-03-31)"),
    (13, "household_income", "Input should be greater than or equal to 0"),
    (13, "lifecycle_stage", "Input should be 'lead', 'prospect', 'customer' or 'former'"),
    (14, "owner", "there is no user 'nobody'"),
    (15, "owner", "user gone is inactive"),
    (15, "company", "a company name has at most 200 characters"),
    (16, "first_name", "is required"),
    (17, "email", "email ana@example.com is also on line 2 of this file"),
    (18, "created_at", "'yesterday' is not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], e.g. "
                       "2026-03-31 14:30)"),
    (19, "email", "value is not a valid email address: The part after the @-sign contains invalid "
                  "characters: '_'."),
    (20, "last_name", "String should have at most 100 characters"),
    (21, "first_name", "must not contain the NUL character (\\x00)"),
]


def write(tmp_path: Path, content: str, name: str = "contacts.csv") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture
def gone(engine) -> None:
    with Session(engine) as session:
        session.add(User(username="gone", display_name="Gone", role="staff", active=False,
                         password_hash="-"))
        session.commit()


def test_bad_rows_are_refused_with_the_same_messages_as_before(session: Session, admin, gone,
                                                               tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, BAD_CONTACTS_CSV))
    got = [(error.row, error.field, error.message) for error in caught.value.errors]
    assert sorted(got, key=str) == sorted(EXPECTED_REFUSALS, key=str)
    assert session.execute(text("SELECT count(*) FROM contacts")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM companies")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0


def test_tricky_but_valid_addresses_are_stored_as_the_full_validator_normalizes_them(
        session: Session, admin, tmp_path: Path) -> None:
    lines = list(csv.reader(io.StringIO(BAD_CONTACTS_CSV)))
    good = [lines[number - 1] for number in (2, 7, 8, 10)]
    import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, csv_text(good)))
    stored = session.execute(text("SELECT email FROM contacts ORDER BY id")).scalars().all()
    assert stored == ["ana@example.com", "finn@example.com", "gus@bücher.example", "ivy@example.com"]


# ---- a bigger file, read back independently -------------------------------------------------------

CITIES = ["Milano", "Oslo", "Köln", "Lyon", "Porto"]


def generated_rows(count: int) -> list[list[str]]:
    """Rows with repeated and unique values, blanks, mixed case and spaces, as real files have."""
    rows = []
    for n in range(count):
        rows.append(row(
            f"Person.{n}@Company{n % 37}.Example" if n % 11 else f"p{n}@mail.example.org",
            first=f" Name{n % 50} ", last_name=f"Surname{n}" if n % 7 else "",
            phone=f"+39 02 {n:07d}" if n % 3 else "", company=f"Company {n % 37}" if n % 5 else "",
            city=CITIES[n % 5], country="Italy" if n % 2 else "", gender=("female", "male", "")[n % 3],
            birth_date=f"19{50 + n % 40}-0{1 + n % 9}-1{n % 9}" if n % 4 else "",
            household_income=f"{1000 + n}.5" if n % 6 else "",
            lifecycle_stage=("lead", "Customer", "")[n % 3],
            source="web" if n % 2 else "", owner="sam" if n % 10 == 0 else "",
            best_time_to_call="morning" if n % 8 == 0 else "",
            created_at=f"2024-02-{1 + n % 28:02d} 10:{n % 60:02d}" if n % 9 == 0 else ""))
    return rows


def expected_contact(cells: dict[str, str], admin_id: int, staff_id: int) -> dict[str, object]:
    """What the file says each stored column must be, worked out here by hand."""
    def blank(name: str) -> str | None:
        return cells[name].strip() or None

    return {
        "email": cells["email"].strip().lower(), "first_name": cells["first_name"].strip(),
        "last_name": cells["last_name"].strip(), "phone": blank("phone"), "company": blank("company"),
        "city": blank("city"), "country": blank("country"), "gender": blank("gender"),
        "birth_date": blank("birth_date"),
        "household_income": float(cells["household_income"]) if blank("household_income") else None,
        "lifecycle_stage": (blank("lifecycle_stage") or "lead").lower(), "source": blank("source"),
        "owner_id": staff_id if blank("owner") else admin_id,
        "best_time_to_call": blank("best_time_to_call"),
    }


def stored_contacts(session: Session) -> dict[str, dict[str, object]]:
    rows = session.execute(text(
        "SELECT c.email, c.first_name, c.last_name, c.phone, co.name AS company, c.city, c.country, "
        "c.gender, c.birth_date, c.household_income, c.lifecycle_stage, c.source, c.owner_id, "
        "c.best_time_to_call, c.created_at, c.version, c.deleted_at, c.tags, c.custom, c.id "
        "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id")).mappings()
    return {r["email"]: dict(r) for r in rows}


def as_json(value: object) -> object:
    return json.loads(value) if isinstance(value, str) else value


def test_imported_contacts_equal_the_file_with_companies_and_audit(session: Session, admin, staff,
                                                                   tmp_path: Path) -> None:
    content = csv_text(generated_rows(2500))
    progress: list[float] = []
    result = import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, content),
                         progress=progress.append)
    assert (result.created, result.updated, result.companies_created) == (2500, 0, 37)
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) > 2

    file_rows = list(csv.DictReader(io.StringIO(content)))
    stored = stored_contacts(session)
    assert len(stored) == len(file_rows)
    for cells in file_rows:
        want = expected_contact(cells, admin.id, staff.id)
        got = stored[want["email"]]
        assert {key: got[key] for key in want if key != "birth_date"} == \
            {key: value for key, value in want.items() if key != "birth_date"}
        assert (str(got["birth_date"])[:10] if got["birth_date"] else None) == want["birth_date"]
        created = cells["created_at"].strip()
        assert str(got["created_at"]).startswith(created or str(result_day(session)))
        assert (got["version"], got["deleted_at"], as_json(got["tags"]), as_json(got["custom"])) == \
            (1, None, [], {})

    companies = session.execute(text("SELECT id, name, owner_id FROM companies")).all()
    assert sorted(name for _, name, _ in companies) == sorted({f"Company {n % 37}" for n in range(2500)
                                                               if n % 5})
    assert {owner for _, _, owner in companies} == {admin.id}

    audit = session.execute(text(
        "SELECT entity, entity_id, action, source, user_id, \"after\" FROM audit_log")).all()
    assert sorted((entity, entity_id, action, source, user) for entity, entity_id, action, source, user, _
                  in audit) == [("companies", None, "create", "import", admin.id),
                                ("contacts", None, "create", "import", admin.id)]
    named = {entity: as_json(after) for entity, *_, after in audit}
    contact_ids = sorted(contact["id"] for contact in stored.values())
    assert ids_of(named["contacts"]) == contact_ids and named["contacts"]["records"] == 2500
    assert ids_of(named["companies"]) == sorted(company_id for company_id, _, _ in companies)
    assert named["contacts"]["file"] == named["companies"]["file"] == "contacts.csv"

    # Each record's history shows its creation by this import, with the values it was created with.
    for email in sorted(stored)[::250]:
        contact = stored[email]
        page = audit_page(session, admin, entity="contacts", entity_id=contact["id"])
        assert page.total == 1
        entry = page.frame.iloc[0]
        assert (entry["action"], entry["source"], entry["user"], entry["file"], entry["entity_id"]) == \
            ("create", "import", admin.username, "contacts.csv", contact["id"])
        assert entry["after"]["email"] == email and entry["after"]["first_name"] == contact["first_name"]
        assert entry["after"]["version"] == 1 and entry["after"]["city"] == contact["city"]


def ids_of(after: dict[str, object]) -> list[int]:
    """The ids a bulk creation entry names, read from its ranges."""
    return [n for first, last in after["ids"] for n in range(first, last + 1)]  # type: ignore[attr-defined]


def result_day(session: Session) -> str:
    """The import's own timestamp (rows without created_at get it): the newest updated_at."""
    return str(session.execute(text("SELECT max(updated_at) FROM contacts")).scalar())[:10]


def test_reimport_updates_changed_rows_only_and_audits_them(session: Session, admin, staff,
                                                          tmp_path: Path) -> None:
    rows = generated_rows(300)
    import_file(session=session, user=admin, entity="contacts", path=write(tmp_path, csv_text(rows)))
    before = stored_contacts(session)
    for line in rows[:40]:
        line[HEADER.index("city")] = "Bergamo"
    result = import_file(session=session, user=admin, entity="contacts",
                         path=write(tmp_path, csv_text(rows), "again.csv"))
    assert (result.created, result.updated, result.unchanged) == (0, 40, 260)
    after = stored_contacts(session)
    changed = {email for email in after if after[email]["city"] != before[email]["city"]}
    assert len(changed) == 40 and {after[email]["city"] for email in changed} == {"Bergamo"}
    assert {after[email]["version"] for email in changed} == {2}
    updates = session.execute(text(
        "SELECT entity_id, \"before\", \"after\" FROM audit_log WHERE action = 'update'")).all()
    assert sorted(entity_id for entity_id, _, _ in updates) == sorted(after[email]["id"] for email in changed)
    for _, old, new in updates:
        assert as_json(new)["city"] == "Bergamo" and as_json(old)["city"] != "Bergamo"


# ---- indexes built after the rows when a file is larger than the table (PostgreSQL: empty) -------


def index_definitions(session: Session) -> list[tuple[str, str]]:
    if session.connection().dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts'"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts'"
    return sorted(session.execute(text(query)).all())


def test_a_large_import_into_a_small_table_keeps_every_index(session: Session, admin, staff,
                                                             tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from core.services import import_writes

    monkeypatch.setattr(import_writes, "REBUILD_INDEXES_AFTER", 100)  # 20,000 rows in real use
    before = index_definitions(session)
    assert len(before) >= 10
    path = write(tmp_path, csv_text(generated_rows(400)))

    real_write_creation = import_writes.write_bulk_creation

    def fail(ctx: object, entity: str, ids: list[int]) -> None:  # after the contacts are in
        if entity == "contacts":
            assert len(index_definitions(session)) < len(before)  # dropped meanwhile
            raise RuntimeError("disk full")
        real_write_creation(ctx, entity, ids)

    with monkeypatch.context() as patch:  # a failure once the rows are in: all of it rolls back
        patch.setattr(import_writes, "write_bulk_creation", fail)
        with pytest.raises(RuntimeError):
            import_file(session=session, user=admin, entity="contacts", path=path)
    assert index_definitions(session) == before
    assert session.execute(text("SELECT count(*) FROM contacts")).scalar() == 0

    result = import_file(session=session, user=admin, entity="contacts", path=path)
    assert result.created == 400 and index_definitions(session) == before
    if session.connection().dialect.name == "sqlite":
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        by_index = session.execute(text("SELECT count(*) FROM contacts INDEXED BY ix_contacts_email "
                                        "WHERE email IS NOT NULL")).scalar()
        assert by_index == 400
