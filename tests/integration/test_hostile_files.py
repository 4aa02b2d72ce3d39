"""Hostile files: random and malicious cells, headers and encodings in CSV/XLSX imports are imported
exactly or rejected with a domain error (nothing written); exports never hand a spreadsheet a formula
to run (cells starting with = + - @ get a leading quote), and still import back unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import CRMError
from core.models import Contact, User
from core.services.exports import export_file, export_rows, spreadsheet_safe
from core.services.imports import import_rows, read_table
from tests.hostile_values import FORMULAS, HOSTILE, TEXTS, count, hostile_text

HEADERS = ["email", "first_name", "last_name", "city", "phone", "birth_date", "household_income", "owner"]
cells = st.one_of(hostile_text, st.sampled_from(TEXTS), st.just(""))
rows = st.lists(st.fixed_dictionaries({name: cells for name in HEADERS}), min_size=1, max_size=4)
headers = st.lists(st.one_of(st.sampled_from(HEADERS), hostile_text), min_size=1, max_size=5)


def csv_bytes(header: list[str], body: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(body)
    return buffer.getvalue().encode("utf-8")


def table(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT email, first_name, last_name, city FROM contacts ORDER BY id")))


def import_bytes(engine: Engine, user: User, data: bytes, name: str) -> Any:
    with Session(engine, expire_on_commit=False) as session:
        try:
            frame = read_table(data, filename=name)
            return import_rows(session=session, user=user, entity="contacts", frame=frame)
        except CRMError as error:
            assert str(error)
            count("file refused with a domain error")
            return None


def test_hostile_csv_cells_import_exactly_or_nothing(engine: Engine, admin: User) -> None:
    serial = iter(range(10**6))

    @HOSTILE
    @given(body=rows)
    def load(body: list[dict[str, str]]) -> None:
        count("csv import")
        for row in body:
            row["email"] = f"p{next(serial)}@example.com"  # a fresh key: every good row is created
        before = table(engine)
        result = import_bytes(engine, admin, csv_bytes(HEADERS, [[r[h] for h in HEADERS] for r in body]),
                              "hostile.csv")
        after = table(engine)
        if result is None:
            assert after == before  # all or nothing
            return
        new = after[len(before):]
        assert [row[1:] for row in new] == [
            tuple((r[h].strip() or None) if h != "last_name" else r[h].strip()
                  for h in ("first_name", "last_name", "city")) for r in body]

    load()


def test_hostile_headers_and_encodings(engine: Engine, admin: User) -> None:
    @HOSTILE
    @given(header=headers, encoding=st.sampled_from(["utf-8", "utf-16", "latin-1", "utf-8-sig", "cp1252"]),
           junk=st.binary(max_size=200))
    def load(header: list[str], encoding: str, junk: bytes) -> None:
        count("csv headers and encodings")
        content = ",".join(f'"{h}"' for h in header) + "\nAna,Rossi,x,y,z\n"
        try:
            data = content.encode(encoding)
        except UnicodeEncodeError:
            data = junk
        import_bytes(engine, admin, data, "hostile.csv")
        import_bytes(engine, admin, junk, "junk.xlsx")
        import_bytes(engine, admin, b"PK\x03\x04" + junk, "junk.csv")

    load()


def test_hostile_xlsx_cells(engine: Engine, admin: User) -> None:
    serial = iter(range(10**6))

    @HOSTILE
    @given(body=rows, numbers=st.lists(st.one_of(st.floats(), st.integers(-(2**70), 2**70)), max_size=2))
    def load(body: list[dict[str, str]], numbers: list[Any]) -> None:
        count("xlsx import")
        book = Workbook()
        sheet = book.active
        sheet.append(HEADERS)
        for row in body:
            row["email"] = f"x{next(serial)}@example.com"
            values: list[Any] = [row[h] for h in HEADERS]
            values[6] = numbers[0] if numbers else values[6]
            try:
                sheet.append(values)
            except IllegalCharacterError:  # openpyxl refuses control characters: no such file exists
                return
        buffer = io.BytesIO()
        book.save(buffer)
        before = table(engine)
        if import_bytes(engine, admin, buffer.getvalue(), "hostile.xlsx") is None:
            assert table(engine) == before

    load()


# ---- exports and formula injection ----------------------------------------------------------------


@pytest.fixture
def risky(engine: Engine, admin: User) -> list[Contact]:
    """Contacts whose texts a spreadsheet would run, inserted directly."""
    with Session(engine, expire_on_commit=False) as session:
        people = [Contact(first_name=formula, last_name="-2+3", city="@SUM(A1:A2)", phone="+39 02 1234 5678",
                          email=f"f{n}@example.com", owner_id=admin.id) for n, formula in enumerate(FORMULAS)]
        session.add_all(people)
        session.commit()
        return people


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_never_hand_a_spreadsheet_a_formula(engine: Engine, session: Session, admin: User,
                                                    risky: list[Contact], tmp_path: Path,
                                                    suffix: str) -> None:
    path = tmp_path / f"contacts{suffix}"
    export_file(session=session, user=admin, entity="contacts", path=path)
    if suffix == ".csv":
        grid = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    else:
        sheet = load_workbook(path).active
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
        grid = [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    header, *body = grid
    column = {name: header.index(name) for name in ("first_name", "last_name", "city", "phone")}
    for row, person in zip(body, risky, strict=True):
        assert row[column["first_name"]] == "'" + person.first_name
        assert row[column["last_name"]] == "'-2+3" and row[column["city"]] == "'@SUM(A1:A2)"
        assert row[column["phone"]] == "+39 02 1234 5678"  # a phone number computes nothing: as it is
        assert not any(cell.startswith(("=", "@")) or (cell.startswith(("+", "-")) and "|" in cell)
                       for cell in row)

    result = import_rows(session=session, user=admin, entity="contacts", frame=read_table(path))
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(risky))  # round trip


def test_grid_and_report_downloads_quote_formulas_too() -> None:
    import pandas as pd

    frame = pd.DataFrame({"name": ['=HYPERLINK("http://evil","x")', "Ana", "-1", "+39 02 1234"],
                          "amount": [1.5, -2, 3, 4]})
    safe = spreadsheet_safe(frame)
    assert safe["name"].tolist() == ['\'=HYPERLINK("http://evil","x")', "Ana", "-1", "+39 02 1234"]
    assert safe["amount"].tolist() == [1.5, -2, 3, 4]
    assert frame["name"][0].startswith("=")  # the shown frame is not changed


def test_export_rows_keep_the_stored_text(session: Session, admin: User, risky: list[Contact]) -> None:
    """The quote is added when writing a file, not to the data the screens show."""
    frame = export_rows(session=session, user=admin, entity="contacts")
    assert frame["first_name"].tolist() == FORMULAS


def test_control_characters_do_not_break_an_xlsx_export(engine: Engine, session: Session, admin: User,
                                                         tmp_path: Path) -> None:
    session.add(Contact(first_name="\x1b[31mRed\x1b[0m", last_name="Bell\x07", email="c@example.com",
                        owner_id=admin.id))
    session.commit()
    path = tmp_path / "contacts.xlsx"
    assert export_file(session=session, user=admin, entity="contacts", path=path) == 1
    row = list(load_workbook(path).active.iter_rows(values_only=True))[1]
    assert "\ufffd[31mRed\ufffd[0m" in row and "Bell\ufffd" in row
