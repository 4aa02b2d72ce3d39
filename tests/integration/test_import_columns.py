"""The column-wise checks of an import give exactly what the row-by-row checks gave: on a large file
of tricky values (bad dates, numbers, choices, e-mails, lengths, duplicates, blanks, custom fields),
the same refusals row for row and message for message; on the file's good rows, the same records
planned, and stored rows that say what the file says (read back with plain SQL)."""

from __future__ import annotations

import copy
import csv
import io
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import ImportRejected
from core.models import Contact, CustomFieldDefinition, User
from core.services import email_check, import_checks, imports
from core.services.import_columns import SchemaChecker
from tests.unit.test_email_check import TRICKY as TRICKY_EMAILS

POOLS: dict[str, list[str]] = {
    "first_name": ["", " ", "  Ana  ", "x" * 100, "x" * 101, "A\x00na", "'=1+1", "Forlì", "Zoë"],
    "last_name": ["", " Rossi ", "x" * 100, "x" * 101, "=cmd", "O'Brien"],
    "phone": ["", "abc", "+39 02 1234 5678", "12345", "123456", "(02) 1234-567", "1" * 26, "+-------1"],
    "company": ["", "Acme", "acme", " ACME ", "C" * 200, "C" * 201, "Nuova S.p.A."],
    "city": ["", "Forlì", "x" * 100, "x" * 101], "country": ["", "Italy", "x" * 101],
    "gender": ["", "female", "Female", " MALE ", "x", "other", "unknown"],
    "birth_date": ["", "1980-03-31", "31/03/1980", "1899-12-31", "1900-01-01", "2026-06-15", "2026-06-16",
                   "1980-02-30", "1980-03-31 00:00", "1980-03-31 10:00", "20200101", "2020-1-1"],
    "household_income": ["", "0", "-5", "12.345", "1e12", "1e13", "1,000", "nan", "inf", "abc", "7"],
    "lifecycle_stage": ["", "lead", "LEAD", " Customer ", "vip", "former"],
    "source": ["", "web", "x" * 40, "x" * 41], "best_time_to_call": ["", "morning", "x" * 40, "x" * 41],
    "owner": ["", "sam", "SAM ", "nobody", "gone", "ada"],
    "created_at": ["", "2024-02-01", "2024-02-01 10:00", "yesterday", "2024-02-30",
                   "2024-02-01T10:00:00+01:00", "2024-02-01 25:00"],
    "Score": ["", "12", "1,200", "-3.5", "abc", "2e5"],
    "Since": ["", "2024-01-01", "01/02/2024", "2024-13-01"],
    "Tier": ["", "gold", " silver ", "Gold", "bronze"], "VIP": ["", "yes", "N", "maybe", "1"],
    "Region": ["", "north", "x" * 2001],
}
HEADER = ["email", *POOLS]


def tricky_file(rows: int, seed: int) -> list[list[str]]:
    """Mostly good rows, each cell tricky one time in five; e-mails repeat in other cases."""
    rnd = random.Random(seed)
    lines = []
    for n in range(rows):
        cells = {name: rnd.choice(pool) if rnd.random() < 0.2 else good(name, n)
                 for name, pool in POOLS.items()}
        roll = rnd.random()
        email = (rnd.choice(TRICKY_EMAILS) if roll < 0.1 else "" if roll < 0.15
                 else f"Person{rnd.randrange(rows * 2)}@Mail{n % 7}.Example")
        lines.append([email, *cells.values()])
    return lines


def good(name: str, n: int) -> str:
    return {"first_name": f"Name{n % 40}", "last_name": f"Surname{n % 300}", "city": "Milano",
            "company": f"Company {n % 23}", "gender": "female",
            "birth_date": f"19{50 + n % 40}-05-0{1 + n % 9}",
            "household_income": f"{1000 + n % 90}.5", "lifecycle_stage": "lead", "Score": str(n % 17),
            "Region": "south"}.get(name, "")


def write(tmp_path: Path, lines: list[list[str]], name: str) -> Path:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *lines])
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def world(engine, admin, staff) -> User:
    """Custom fields of every type (one required), an inactive user, and a contact already there."""
    with Session(engine) as session:
        session.add(User(username="gone", display_name="Gone", role="staff", active=False, password_hash="-"))
        for name, label, kind, options, required in [
                ("score", "Score", "number", [], False), ("since", "Since", "date", [], False),
                ("tier", "Tier", "select", ["gold", "silver"], False), ("vip", "VIP", "checkbox", [], False),
                ("region", "Region", "text", [], True)]:
            session.add(CustomFieldDefinition(entity="contacts", name=name, label=label, field_type=kind,
                                              options=options, required=required))
        session.add(Contact(first_name="Old", email="person3@mail3.example", owner_id=staff.id,
                            custom={"region": "west"}))
        session.commit()
    return admin


class Stop(Exception):
    pass


def outcome(session: Session, user: User, path: Path, monkeypatch: pytest.MonkeyPatch, *,
            row_by_row: bool) -> tuple[list[tuple[Any, ...]], list[Any] | None]:
    """(refusals, planned records) of importing `path`; row_by_row runs the checks as before this
    work (the whole model per row, every date read again, every domain through the full e-mail
    validator) and writes nothing."""
    with monkeypatch.context() as patch:
        planned: list[Any] = []

        def capture(ctx: Any, plan: Any) -> None:
            records = plan.creates + plan.updates
            planned.extend(copy.deepcopy([(p.line, p.values, p.current) for p in records]))
            for items in planned:
                for key in ("created_at", "updated_at"):  # the import's own clock
                    if items[1].get(key) == ctx.now:
                        items[1][key] = "now"
            if row_by_row:
                raise Stop
            real_write_plan(ctx, plan)

        real_write_plan = imports.write_plan
        patch.setattr(imports, "write_plan", capture)
        if row_by_row:
            patch.setattr(SchemaChecker, "check", SchemaChecker._whole)
            patch.setattr(import_checks, "remembered", lambda check: check)
            patch.setattr(email_check, "_plain_domain", lambda domain: None)
            email_check._domain.cache_clear()
        try:
            imports.import_file(session=session, user=user, entity="contacts", path=path)
        except ImportRejected as refused:
            return [(e.row, e.field, e.message) for e in refused.errors], None
        except Stop:
            pass
        finally:
            email_check._domain.cache_clear()
        return [], planned


def test_checks_by_column_refuse_and_plan_exactly_as_row_by_row(session: Session, world: User,
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    lines = tricky_file(3000, seed=8)
    path = write(tmp_path, lines, "tricky.csv")
    before, _ = outcome(session, world, path, monkeypatch, row_by_row=True)
    after, _ = outcome(session, world, path, monkeypatch, row_by_row=False)
    assert len({row for row, _, _ in before}) > 500  # plenty of bad rows, of every kind
    assert {field for _, field, _ in before} >= {"email", "first_name", "last_name", "phone", "company",
                                                 "birth_date", "household_income", "lifecycle_stage",
                                                 "owner", "created_at", "Score", "Since", "Tier", "VIP",
                                                 "Region", "gender", "source", "best_time_to_call"}
    assert after == before

    refused = {row for row, _, _ in before}
    good_lines = [line for number, line in enumerate(lines, start=2) if number not in refused]
    good_path = write(tmp_path, good_lines, "good.csv")
    no_errors, planned_before = outcome(session, world, good_path, monkeypatch, row_by_row=True)
    still_none, planned_after = outcome(session, world, good_path, monkeypatch, row_by_row=False)
    assert no_errors == still_none == [] and planned_before is not None
    assert planned_after == planned_before
    assert len(planned_before) > 600
    assert_stored_as_the_file_says(session, good_lines, world)


def unquoted(cell: str) -> str:
    """An export's '=... cell reads back as =... (formula injection guard, undone on import)."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def assert_stored_as_the_file_says(session: Session, lines: list[list[str]], admin: User) -> None:
    """Each row's cells, worked out here by hand, against the stored contact (plain SQL)."""
    stored = {row["email"]: row for row in session.execute(text(
        "SELECT c.email, c.first_name, c.last_name, c.phone, co.name AS company, c.gender, "
        "c.lifecycle_stage, c.household_income, c.owner_id, c.custom FROM contacts c "
        "LEFT JOIN companies co ON co.id = c.company_id WHERE c.deleted_at IS NULL")).mappings()}
    owners = dict(session.execute(text("SELECT lower(username), id FROM users")).all())
    checked = 0
    for line in lines:
        cells = {name: unquoted(cell.strip()) for name, cell in zip(HEADER, line, strict=True)}
        email = cells["email"].strip().lower()
        if not email or not email.isascii() or "<" in email or email == "person3@mail3.example":
            continue  # normalized by the e-mail validator, or an update of the contact already there
        got = stored[email]
        assert got["first_name"] == cells["first_name"].strip()
        assert got["last_name"] == cells["last_name"].strip()
        assert got["phone"] == (cells["phone"].strip() or None)
        assert (got["company"] or "").lower() == cells["company"].strip().lower()
        assert got["gender"] == (cells["gender"].strip().lower() or None)
        assert got["lifecycle_stage"] == (cells["lifecycle_stage"].strip().lower() or "lead")
        income = cells["household_income"].strip()
        assert got["household_income"] == (float(income.replace(",", "")) if income else None)
        assert got["owner_id"] == owners.get(cells["owner"].strip().lower(), admin.id)
        checked += 1
    assert checked > 500
