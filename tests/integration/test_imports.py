"""Import and export of CSV/XLSX files: all or nothing, every bad line listed, audited, round-trips."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from sqlmodel import Session

from core.errors import ImportRejected, PermissionDenied
from core.models import CustomFieldDefinition
from core.services import contacts, products
from core.services.exports import export_file, export_rows
from core.services.imports import IMPORT_FORMATS, auto_mapping, import_file, read_table

CONTACTS_CSV = "\n".join([
    "email,first_name,last_name,phone,company,city,country,gender,birth_date,household_income,"
    "lifecycle_stage,source,owner,best_time_to_call,created_at",
    "ana@example.com,Ana,Rossi,+39 02 1234 5678,Acme,Milano,Italy,female,1980-04-02,52000.5,lead,"
    "website,SAM,morning,2021-03-04 10:20",
    "bo@example.com,Bo,Berg,,ACME ,Oslo,Norway,male,,,customer,referral,ada,,2022-11-30",
    "cy@example.com,Cy,,,Beta GmbH,Köln,Germany,,,,,,,,",
]) + "\n"


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def count(session: Session, table: str) -> int:
    return session.scalar(text(f"SELECT count(*) FROM {table}"))


def counts(session: Session) -> dict[str, int]:
    tables = ("contacts", "companies", "deals", "deal_stage_history", "pipelines", "stages", "orders",
              "order_lines", "products", "activities", "audit_log")
    return {table: count(session, table) for table in tables}


def rejected_lines(error: ImportRejected) -> dict[int, set[str]]:
    lines: dict[int, set[str]] = {}
    for problem in error.errors:
        lines.setdefault(problem.row, set()).add(problem.field)
    return lines


def add_product(session: Session, admin, sku: str, price: float) -> None:
    products.create(session=session, user=admin, data={"sku": sku, "name": f"Product {sku}", "price": price})


# ---- contacts ------------------------------------------------------------------------------------


def test_contacts_import_with_companies_owners_and_historic_dates(session: Session, admin, staff,
                                                                  tmp_path: Path) -> None:
    result = import_file(session=session, user=admin, entity="contacts",
                         path=write(tmp_path, "contacts.csv", CONTACTS_CSV))
    assert (result.created, result.updated, result.skipped, result.rows) == (3, 0, 0, 3)
    assert result.companies_created == 2
    rows = session.execute(text(
        "SELECT c.email, c.first_name, c.last_name, co.name, u.username, c.birth_date, c.household_income, "
        "c.lifecycle_stage, c.created_at, c.version, c.deleted_at FROM contacts c "
        "LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id "
        "ORDER BY c.email")).all()
    assert [tuple(row[:5]) for row in rows] == [
        ("ana@example.com", "Ana", "Rossi", "Acme", "sam"),
        ("bo@example.com", "Bo", "Berg", "Acme", "ada"),
        ("cy@example.com", "Cy", "", "Beta GmbH", "ada"),  # no owner given: whoever imported it
    ]
    assert str(rows[0].birth_date) == "1980-04-02" and rows[0].household_income == 52000.5
    assert [row.lifecycle_stage for row in rows] == ["lead", "customer", "lead"]
    assert str(rows[0].created_at).startswith("2021-03-04 10:20")
    assert str(rows[1].created_at).startswith("2022-11-30 00:00")
    assert {row.version for row in rows} == {1} and {row.deleted_at for row in rows} == {None}
    assert count(session, "companies") == 2  # "Acme" and "ACME " are one company, made once


def test_imported_records_are_audited_as_import(session: Session, admin, staff, tmp_path: Path) -> None:
    """The records an import creates share one entry per entity naming the file and their ids."""
    import_file(session=session, user=admin, entity="contacts",
                path=write(tmp_path, "contacts.csv", CONTACTS_CSV))
    entries = session.execute(text(
        "SELECT entity, action, source, user_id, entity_id, \"after\" FROM audit_log ORDER BY id")).all()
    assert sorted((e.entity, e.action, e.source, e.user_id, e.entity_id) for e in entries) == sorted(
        [("companies", "create", "import", admin.id, None), ("contacts", "create", "import", admin.id, None)])
    after = {e.entity: e.after if isinstance(e.after, dict) else json.loads(e.after) for e in entries}
    contact_ids = sorted(session.scalars(text("SELECT id FROM contacts")))
    named = [n for first, last in after["contacts"]["ids"] for n in range(first, last + 1)]
    assert named == contact_ids and after["contacts"]["records"] == 3
    assert after["contacts"]["file"] == "contacts.csv"
    company_ids = sorted(session.scalars(text("SELECT id FROM companies")))
    assert [n for first, last in after["companies"]["ids"] for n in range(first, last + 1)] == company_ids


def test_existing_email_is_updated_not_duplicated_or_skipped(session: Session, admin, tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com",
                                                       "city": "Roma", "phone": "+39 06 1111 2222"})
    path = write(tmp_path, "update.csv", "Email,First Name,City,Phone\nANA@example.com,Ana,Torino,\n")
    skipped = import_file(session=session, user=admin, entity="contacts", path=path, on_duplicate="skip")
    assert (skipped.created, skipped.updated, skipped.skipped) == (0, 0, 1)
    assert session.execute(text("SELECT city, version FROM contacts")).one() == ("Roma", 1)

    result = import_file(session=session, user=admin, entity="contacts", path=path)
    assert (result.created, result.updated, result.skipped) == (0, 1, 0)
    row = session.execute(text("SELECT count(*), max(city), max(phone), max(version) FROM contacts")).one()
    assert tuple(row) == (1, "Torino", "+39 06 1111 2222", 2)  # a blank cell keeps the stored phone
    entry = session.execute(text("SELECT before, after, source FROM audit_log WHERE action = 'update'")).one()
    assert "Roma" in str(entry.before) and "Torino" in str(entry.after) and entry.source == "import"


def test_same_email_twice_in_a_file_is_refused_on_the_second_line(session: Session, admin,
                                                                 tmp_path: Path) -> None:
    path = write(tmp_path, "twice.csv", "email,first_name\na@x.io,A\nb@x.io,B\nA@X.io,A again\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="contacts", path=path)
    assert rejected_lines(caught.value) == {4: {"email"}}
    assert "line 2" in str(caught.value)


def test_an_address_written_with_a_display_name_is_the_same_address(session: Session, admin,
                                                                     tmp_path: Path) -> None:
    """"Ana Rossi <ANA@example.com>" is stored as ana@example.com: it matches the contact already
    there and the same address on another line, as a plain spelling does (it used to make a
    second contact with the same address)."""
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com"})
    update = write(tmp_path, "named.csv", 'email,first_name,city\n"Ana Rossi <ANA@example.com>",Ana,Lecco\n')
    assert import_file(session=session, user=admin, entity="contacts", path=update).updated == 1
    assert session.execute(text("SELECT count(*), max(city) FROM contacts")).one() == (1, "Lecco")

    twice = write(tmp_path, "twice.csv",
                  'email,first_name\n"Bo <bo@example.com>",Bo\nBO@example.com,Bo again\n')
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="contacts", path=twice)
    assert rejected_lines(caught.value) == {3: {"email"}} and "line 2" in str(caught.value)

    deal = write(tmp_path, "deal.csv", 'title,contact_email,amount\nBig,"A. Rossi <Ana@Example.com>",100\n')
    assert import_file(session=session, user=admin, entity="deals", path=deal).created == 1
    linked = session.execute(text("SELECT c.email FROM deals d JOIN contacts c ON c.id = d.contact_id"))
    assert linked.scalar() == "ana@example.com"


def test_bad_rows_are_all_listed_and_nothing_is_written(session: Session, admin, staff,
                                                        tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Old", "email": "old@example.com"})
    before = counts(session)
    path = write(tmp_path, "bad.csv", "\n".join([
        "email,first_name,company,owner,created_at",
        "good@example.com,Good,New Co,sam,2020-01-01",
        "not-an-email,Bad,,sam,",
        "old@example.com,Updated,,,",
        "x@example.com,X,,nobody,",
        "y@example.com,Y,,,31/12/2020",
        "z@example.com,,,,",
    ]) + "\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="contacts", path=path)
    assert rejected_lines(caught.value) == {3: {"email"}, 5: {"owner"}, 6: {"created_at"}, 7: {"first_name"}}
    message = str(caught.value)
    assert "nothing was written" in message and "there is no user 'nobody'" in message
    assert "YYYY-MM-DD" in message
    assert counts(session) == before
    assert session.scalar(text("SELECT first_name FROM contacts")) == "Old"


def test_the_garbage_collector_pauses_while_a_file_is_checked_and_written_and_resumes_after(
        session: Session, admin, staff, tmp_path: Path) -> None:
    """Each planned row is a dict the cyclic collector would walk over and over (40 % of the
    checking time at 30,000 rows); it is paused for the import, and back on afterwards whether the
    file is accepted or refused."""
    import gc

    during: list[bool] = []

    def watch(_fraction: float) -> None:
        during.append(gc.isenabled())

    good = write(tmp_path, "good.csv", CONTACTS_CSV)
    bad = write(tmp_path, "bad.csv", "email,first_name\nnot-an-email,Bad\n")
    import_file(session=session, user=admin, entity="contacts", path=good, progress=watch)
    assert during[:-1] and not any(during[:-1]) and gc.isenabled()  # the last report comes once it is done
    with pytest.raises(ImportRejected):
        import_file(session=session, user=admin, entity="contacts", path=bad)
    assert gc.isenabled()


def test_dry_run_counts_without_writing(session: Session, admin, staff, tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com"})
    before = counts(session)
    progress: list[float] = []
    result = import_file(session=session, user=admin, entity="contacts", dry_run=True,
                         path=write(tmp_path, "contacts.csv", CONTACTS_CSV), progress=progress.append)
    assert (result.created, result.updated, result.dry_run, result.companies_created) == (2, 1, True, 2)
    assert counts(session) == before
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_xlsx_with_typed_cells_and_explicit_mapping(session: Session, admin, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["E-mail Address", "Given name", "Born", "Income", "Notes"])
    sheet.append(["eve@example.com", "Eve", date(1990, 5, 17), 48000, "ignored"])
    sheet.append([None, None, None, None, None])  # a blank row is not an error
    path = tmp_path / "people.xlsx"
    book.save(path)
    frame = read_table(path)
    assert frame.iloc[0].tolist() == ["eve@example.com", "Eve", "1990-05-17", "48000", "ignored"]
    result = import_file(session=session, user=admin, entity="contacts", path=path, mapping={
        "E-mail Address": "email", "Given name": "first_name", "Born": "birth_date",
        "Income": "household_income"})
    assert (result.created, result.rows, result.ignored_columns) == (1, 1, ["Notes"])
    row = session.execute(text("SELECT email, first_name, birth_date, household_income FROM contacts")).one()
    assert (row[0], row[1], str(row[2]), row[3]) == ("eve@example.com", "Eve", "1990-05-17", 48000.0)


def test_semicolon_csv_with_byte_order_mark_and_headers_in_any_case(session: Session, admin,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffFIRST-NAME;E_Mail;City\nZoë;zoe@example.com;Köln\n".encode())
    assert auto_mapping("contacts", ["FIRST-NAME", "E_Mail", "City", "Id"]) == {
        "FIRST-NAME": "first_name", "E_Mail": "email", "City": "city"}
    import_file(session=session, user=admin, entity="contacts", path=path)
    assert tuple(session.execute(text("SELECT first_name, email, city FROM contacts")).one()) == (
        "Zoë", "zoe@example.com", "Köln")


def test_a_missing_required_column_or_unknown_mapping_target_rejects_the_file(session: Session, admin,
                                                                            tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "email,city\na@x.io,Roma\n")
    with pytest.raises(ImportRejected, match="no first_name column"):
        import_file(session=session, user=admin, entity="contacts", path=path)
    with pytest.raises(ImportRejected, match="'shoe_size' is not a field of contacts"):
        import_file(session=session, user=admin, entity="contacts", path=path,
                    mapping={"city": "shoe_size", "email": "first_name"})


def test_custom_fields_are_mapped_by_name_or_label_and_checked(session: Session, admin,
                                                               tmp_path: Path) -> None:
    session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Loyalty Tier",
                                      field_type="select", options=["gold", "silver"], required=True))
    session.add(CustomFieldDefinition(entity="contacts", name="score", label="Score", field_type="number"))
    session.commit()
    bad = write(tmp_path, "bad.csv", "first_name,Loyalty Tier,score\nAna,gold,x\nBo,,1\nCy,bronze,2\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="contacts", path=bad)
    assert rejected_lines(caught.value) == {2: {"score"}, 3: {"Loyalty Tier"}, 4: {"Loyalty Tier"}}
    assert "Loyalty Tier is required" in str(caught.value)
    good = write(tmp_path, "good.csv", "first_name,Loyalty Tier,score\nAna,gold,42\n")
    import_file(session=session, user=admin, entity="contacts", path=good)
    stored = session.execute(text("SELECT custom FROM contacts")).scalar_one()
    assert "gold" in str(stored) and "42" in str(stored)
    exported = export_rows(session=session, user=admin, entity="contacts")
    assert exported[["tier", "score"]].iloc[0].tolist() == ["gold", 42.0]


def test_a_custom_number_must_be_finite(session: Session, admin, tmp_path: Path) -> None:
    """'nan' and '1e400' parse as floats but no JSON column can store them: the rows are refused
    with a message, and nothing is written (PostgreSQL used to fail the whole file with a raw error)."""
    session.add(CustomFieldDefinition(entity="contacts", name="score", label="Score", field_type="number"))
    session.commit()
    bad = write(tmp_path, "bad.csv", "first_name,score\nAna,nan\nBo,1e400\nCy,-inf\nDi,1e300\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="contacts", path=bad)
    assert rejected_lines(caught.value) == {2: {"score"}, 3: {"score"}, 4: {"score"}}
    assert "Score must be a finite number, not '1e400'" in str(caught.value)
    assert count(session, "contacts") == 0


# ---- export and permissions ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_then_import_changes_nothing(session: Session, admin, staff, tmp_path: Path,
                                            suffix: str) -> None:
    import_file(session=session, user=admin, entity="contacts",
                path=write(tmp_path, "contacts.csv", CONTACTS_CSV))
    before = counts(session)
    snapshot = session.execute(text("SELECT * FROM contacts ORDER BY id")).all()
    path = tmp_path / f"export{suffix}"
    assert export_file(session=session, user=admin, entity="contacts", path=path) == 3
    frame = read_table(path)
    assert list(frame.columns) == ["id", *IMPORT_FORMATS["contacts"]]
    result = import_file(session=session, user=admin, entity="contacts", path=path)
    assert (result.created, result.updated, result.unchanged, result.ignored_columns) == (0, 0, 3, ["id"])
    assert counts(session) == before
    assert session.execute(text("SELECT * FROM contacts ORDER BY id")).all() == snapshot


def test_staff_cannot_import_products_and_export_only_their_own_contacts(
        session: Session, admin, staff, other_staff, manager, tmp_path: Path) -> None:
    path = write(tmp_path, "products.csv", "sku,name,category,price\nP-1,Chair,Furniture,99.5\n")
    with pytest.raises(PermissionDenied):
        import_file(session=session, user=staff, entity="products", path=path)
    assert count(session, "products") == 0
    assert import_file(session=session, user=manager, entity="products", path=path).created == 1
    people = write(tmp_path, "people.csv",
                   "email,first_name,owner\na@x.io,A,sam\nb@x.io,B,olga\nc@x.io,C,sam\n")
    import_file(session=session, user=admin, entity="contacts", path=people)
    mine = export_rows(session=session, user=staff, entity="contacts")
    assert mine["email"].tolist() == ["a@x.io", "c@x.io"]
    assert len(export_rows(session=session, user=admin, entity="contacts")) == 3


def test_staff_may_not_give_records_to_others_or_change_theirs(session: Session, admin, staff, other_staff,
                                                               tmp_path: Path) -> None:
    contacts.create(session=session, user=other_staff, data={"first_name": "Olga's", "email": "o@x.io"})
    path = write(tmp_path, "c.csv", "email,first_name,owner\nmine@x.io,Mine,\ngift@x.io,Gift,olga\n"
                                    "o@x.io,Taken,\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=staff, entity="contacts", path=path)
    assert rejected_lines(caught.value) == {3: {"owner"}, 4: {"owner"}}
    assert count(session, "contacts") == 1


def test_products_are_matched_by_sku(session: Session, admin, tmp_path: Path) -> None:
    add_product(session, admin, "P-1", 10)
    path = write(tmp_path, "p.csv", "SKU,Name,Category,Price\np-1,Chair,Furniture,12.5\nP-2,Desk,,300\n")
    result = import_file(session=session, user=admin, entity="products", path=path)
    assert (result.created, result.updated) == (1, 1)
    rows = session.execute(text("SELECT sku, name, category, price, version FROM products ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [
        ("P-1", "Chair", "Furniture", 12.5, 2), ("P-2", "Desk", None, 300.0, 1)]  # stored SKU spelling kept


# ---- deals, orders, activities -------------------------------------------------------------------


def test_deals_import_with_stages_status_and_history(session: Session, admin, staff, tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com"})
    path = write(tmp_path, "deals.csv", "\n".join([
        "title,contact_email,company,pipeline,stage,amount,owner,status,created_at,closed_at",
        "Rollout,ana@example.com,Acme,,Proposal,1200.5,sam,,2025-01-10 09:00,",
        "Renewal,,acme,Sales,won,800,,won,2024-02-01,2024-03-15 16:30",
        "Pilot,,,,,0,,,,",
    ]) + "\n")
    result = import_file(session=session, user=admin, entity="deals", path=path)
    assert (result.created, result.companies_created) == (3, 1)
    rows = session.execute(text(
        "SELECT d.title, s.name, d.status, d.amount, u.username, d.created_at, d.closed_at, d.contact_id, "
        "d.company_id FROM deals d JOIN stages s ON s.id = d.stage_id JOIN users u ON u.id = d.owner_id "
        "ORDER BY d.id")).all()
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        ("Rollout", "Proposal", "open", 1200.5, "sam"), ("Renewal", "Won", "won", 800.0, "ada"),
        ("Pilot", "Lead", "open", 0.0, "ada")]
    assert str(rows[0].created_at).startswith("2025-01-10 09:00") and rows[0].closed_at is None
    assert str(rows[1].closed_at).startswith("2024-03-15 16:30")
    assert rows[0].company_id == rows[1].company_id is not None and rows[0].contact_id is not None
    history = session.execute(text(
        "SELECT s.name, h.entered_at, h.exited_at, h.changed_by_id FROM deal_stage_history h "
        "JOIN stages s ON s.id = h.stage_id ORDER BY h.deal_id")).all()
    assert [(h[0], str(h[1])[:16], h[2], h[3]) for h in history] == [
        ("Proposal", "2025-01-10 09:00", None, admin.id), ("Won", "2024-03-15 16:30", None, admin.id),
        ("Lead", str(history[2][1])[:16], None, admin.id)]


def test_bad_deals_list_every_line_and_leave_no_pipeline_behind(session: Session, admin,
                                                                tmp_path: Path) -> None:
    before = counts(session)
    path = write(tmp_path, "deals.csv", "\n".join([
        "title,stage,status,amount,closed_at,contact_email,pipeline",
        "A,Dreaming,,,,,",
        "B,Proposal,won,,,,",
        "C,Won,,-5,,,",
        "D,Lead,,,2024-01-01,,",
        "E,,,,,nobody@example.com,",
        "F,,,,,,Enterprise",
    ]) + "\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="deals", path=path)
    assert rejected_lines(caught.value) == {2: {"stage"}, 3: {"status"}, 4: {"amount"}, 5: {"closed_at"},
                                            6: {"contact_email"}, 7: {"pipeline"}}
    assert "its stages: Lead, Qualified, Proposal, Negotiation, Won, Lost" in str(caught.value)
    assert counts(session) == before  # the default pipeline made while checking was rolled back


def test_orders_group_lines_keep_dates_and_refuse_or_skip_existing_numbers(session: Session, admin,
                                                                          tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com"})
    add_product(session, admin, "P-1", 10)
    add_product(session, admin, "P-2", 25)
    path = write(tmp_path, "orders.csv", "\n".join([
        "order_number,contact_email,ordered_at,sku,quantity,unit_price",
        "SO-1,ana@example.com,2023-05-06 11:00,P-1,2,",
        "SO-1,,,p-2,1,20",
        "SO-2,ana@example.com,2024-01-02,P-2,3,",
    ]) + "\n")
    result = import_file(session=session, user=admin, entity="orders", path=path)
    assert (result.created, result.rows) == (2, 3)
    orders = session.execute(text(
        "SELECT order_number, total, ordered_at, status FROM orders ORDER BY id")).all()
    assert [(o[0], o[1], str(o[2])[:16], o[3]) for o in orders] == [
        ("SO-1", 40.0, "2023-05-06 11:00", "placed"), ("SO-2", 75.0, "2024-01-02 00:00", "placed")]
    assert count(session, "order_lines") == 3
    assert session.scalar(text("SELECT lifecycle_stage FROM contacts")) == "customer"
    assert session.scalar(text("SELECT count(*) FROM audit_log WHERE entity = 'orders'")) == 2

    again = import_file(session=session, user=admin, entity="orders", path=path, on_duplicate="skip")
    assert (again.created, again.skipped) == (0, 2)
    with pytest.raises(ImportRejected, match="order SO-1 already exists"):
        import_file(session=session, user=admin, entity="orders", path=path)
    assert count(session, "orders") == 2


def test_order_lines_must_agree_and_name_known_products(session: Session, admin, tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com"})
    add_product(session, admin, "P-1", 10)
    path = write(tmp_path, "orders.csv", "\n".join([
        "order_number,contact_email,ordered_at,sku,quantity,unit_price",
        "SO-1,ana@example.com,2023-05-06,P-1,2,",
        "SO-1,bo@example.com,,P-9,0,",
        ",ana@example.com,,P-1,1,",
    ]) + "\n")
    with pytest.raises(ImportRejected) as caught:
        import_file(session=session, user=admin, entity="orders", path=path)
    assert rejected_lines(caught.value) == {3: {"contact_email", "sku"}, 4: {"order_number"}}


def test_activities_import_keeps_when_and_who(session: Session, admin, staff, tmp_path: Path) -> None:
    contacts.create(session=session, user=admin, data={"first_name": "Ana", "email": "ana@example.com"})
    path = write(tmp_path, "activities.csv", "\n".join([
        "contact_email,channel,direction,occurred_at,subject,notes,owner,outcome",
        "ana@example.com,Phone,inbound,2024-06-01 15:45,Pricing,Asked for a quote,sam,callback",
        "ana@example.com,email,,,Follow-up,,,",
    ]) + "\n")
    assert import_file(session=session, user=admin, entity="activities", path=path).created == 2
    rows = session.execute(text(
        "SELECT a.channel, a.direction, a.occurred_at, a.source, u.username, a.outcome FROM activities a "
        "JOIN users u ON u.id = a.owner_id ORDER BY a.id")).all()
    assert (rows[0][0], rows[0][1], str(rows[0][2])[:16], rows[0][3], rows[0][4], rows[0][5]) == (
        "phone", "inbound", "2024-06-01 15:45", "import", "sam", "callback")
    assert (rows[1][0], rows[1][1], rows[1][3], rows[1][4]) == ("email", "outbound", "import", "ada")
    bad = write(tmp_path, "bad.csv", "contact_email,channel\nana@example.com,fax\n")
    with pytest.raises(ImportRejected, match="line 2, channel"):
        import_file(session=session, user=admin, entity="activities", path=bad)
