"""Throughput: importing contacts from a CSV file (rows/s), into an empty scratch database.

The CSV holds real-looking rows: the first N contacts of the benchmark database (with their
company names, so the import also creates companies), in the import format. The scratch database
is a temporary SQLite file, or a temporary PostgreSQL database on the same server.
"""

from __future__ import annotations

import csv
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from benchmarks.harness import Result, rate
from core.db import make_engine
from core.migrate import upgrade
from core.models import User
from core.services.imports import import_file

COLUMNS = ["email", "first_name", "last_name", "phone", "company", "city", "country", "gender",
           "birth_date", "household_income", "lifecycle_stage", "source", "best_time_to_call"]
CSV_SQL = ("SELECT c.email, c.first_name, c.last_name, c.phone, co.name, c.city, c.country, c.gender, "
           "c.birth_date, c.household_income, c.lifecycle_stage, c.source, c.best_time_to_call "
           "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id ORDER BY c.id LIMIT :rows")


def write_csv(session: Session, rows: int, path: Path) -> int:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        written = 0
        for row in session.execute(text(CSV_SQL), {"rows": rows}):
            writer.writerow(["" if value is None else value for value in row])
            written += 1
    return written


@contextmanager
def scratch_database(url: str, folder: Path) -> Iterator[str]:
    """An empty, migrated database beside `url`'s (a file for SQLite, a database on the same
    PostgreSQL server), with one admin user; dropped afterwards."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        scratch = f"sqlite:///{folder / 'scratch.db'}"
        _ready(scratch)
        yield scratch
        return
    server = parsed.set(drivername="postgresql+psycopg")
    name = f"crm_bench_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = server.set(database=name).render_as_string(hide_password=False)
    try:
        _ready(scratch)
        yield scratch
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _ready(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        session.add(User(username="bench", display_name="Bench", role="admin", password_hash="-"))
        session.commit()
    engine.dispose()


def import_rate(session: Session, url: str, rows: int) -> Result:
    """Contacts per second through `crm import contacts FILE` (checks, duplicates, companies, audit)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        written = write_csv(session, rows, path)
        with scratch_database(url, Path(folder)) as scratch:
            engine = make_engine(scratch)
            with Session(engine) as target:
                user = target.get(User, 1)
                began = time.perf_counter()
                result = import_file(session=target, user=user, entity="contacts", path=path)
                seconds = time.perf_counter() - began
            engine.dispose()
    return rate("throughput", f"import {written:,} contacts from CSV ({result.created:,} created)",
                written, seconds, at_least=20_000, note=f"{seconds:.1f} s, into an empty database")


def demo_rate(built: dict[str, object], reused: bool) -> Result:
    """`crm demo` rows per second, from the build of the benchmark database."""
    rows, seconds = int(built.get("rows", 0) or 0), float(built.get("seconds", 0) or 0)
    when = f"measured when the database was built, {built.get('at', '?')}" if reused else "this run"
    return rate("throughput", f"crm demo generation ({rows:,} rows)", rows, seconds,
                note=f"{seconds:,.1f} s; {when}")
