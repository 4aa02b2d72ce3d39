"""An import or a grid save killed halfway (SIGKILL, once it has started writing) leaves the
database consistent and exactly as it was: every table has the same rows and checksums."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from core.backup_sums import TableSum, table_sums
from core.models import Contact, User

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
EXISTING = 1500  # contacts before the change (the grid save edits them all)
BEFORE = datetime(2026, 1, 1, 9, 30)
HEADSTART = 0.3  # seconds of writing before the kill (the writes take several seconds)
IMPORTED = 20_000  # rows in the file that is imported (a few hundred of them update existing ones)


def seed(engine: Engine, admin: User) -> None:
    """Earlier data, inserted directly."""
    rows = [{"first_name": "Old", "last_name": f"Contact {n}", "email": f"old{n}@example.com",
             "city": "Before", "owner_id": admin.id, "lifecycle_stage": "lead", "consent_email": False,
             "consent_phone": False, "consent_sms": False, "unsubscribed": False, "tags": [], "custom": {},
             "created_at": BEFORE, "updated_at": BEFORE, "version": 1} for n in range(EXISTING)]
    with engine.begin() as connection:
        connection.execute(insert(Contact.__table__), rows)  # type: ignore[attr-defined]


def big_file(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["email", "first_name", "last_name", "city", "owner"])
        for n in range(300):  # updates of existing contacts
            out.writerow([f"old{n}@example.com", "Old", f"Contact {n}", "Changed by import", "ada"])
        for n in range(IMPORTED - 300):
            out.writerow([f"new{n}@example.com", "New", f"Person {n}", "Milano", "ada"])
    return path


def sums(engine: Engine) -> dict[str, TableSum]:
    raw = engine.raw_connection()
    try:
        return table_sums(raw.dbapi_connection, engine.dialect.name)
    finally:
        raw.rollback()
        raw.close()


def writing_started(engine: Engine) -> Callable[[], bool]:
    """True once another connection holds a write lock: SQLite's database write lock, or
    PostgreSQL's row-exclusive lock on the contacts table."""
    if engine.dialect.name == "sqlite":
        probe = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)

        def sqlite_locked() -> bool:
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                return "locked" in str(error)
            probe.execute("ROLLBACK")
            return False

        return sqlite_locked
    watcher = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    return lambda: bool(watcher.execute(text(LOCKS_ON_CONTACTS)).scalar())


LOCKS_ON_CONTACTS = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                     "WHERE c.relname = 'contacts' AND l.mode = 'RowExclusiveLock' AND l.granted "
                     "AND l.pid <> pg_backend_pid()")


def kill_once_writing(command: list[str], engine: Engine) -> float:
    """Start `command`, SIGKILL it as soon as it writes; the seconds it ran."""
    started = writing_started(engine)
    env = {**os.environ, "CRM_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    began = time.monotonic()
    while time.monotonic() - began < 120:
        if process.poll() is not None:
            pytest.fail(f"it finished before it could be killed: {process.stdout.read()}")  # type: ignore[union-attr]
        if started():
            time.sleep(HEADSTART)  # let it write a while: killed in the middle, not at the start
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=30) == -signal.SIGKILL, "it had finished: kill it sooner"
            return time.monotonic() - began
        time.sleep(0.01)
    process.kill()
    pytest.fail("it never started writing")


def assert_as_before(engine: Engine, before: dict[str, TableSum]) -> None:
    engine.dispose()
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(engine.url.database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    else:
        wait_for_rollback(engine)
    assert sums(engine) == before  # every table: same rows, same checksums


def wait_for_rollback(engine: Engine) -> None:
    """PostgreSQL rolls a dead client's transaction back when it notices the closed socket."""
    with engine.connect() as connection:
        for _ in range(200):
            if not connection.execute(text(LOCKS_ON_CONTACTS)).scalar():
                return
            time.sleep(0.05)
    pytest.fail("the killed client's transaction still holds its locks")


def test_an_import_killed_halfway_leaves_nothing(cli, engine, admin, tmp_path: Path) -> None:
    seed(engine, admin)
    before = sums(engine)
    source = big_file(tmp_path / "contacts.csv")
    ran = kill_once_writing([sys.executable, "-m", "app.cli", "import", "contacts", str(source)], engine)
    assert_as_before(engine, before)
    print(f"\nKILL import {engine.dialect.name}: killed after {ran:.1f} s while writing; "
          f"{len(before)} tables unchanged")
    again = cli("import", "contacts", str(source))  # nothing is left locked: the same file imports
    assert again.exit_code == 0, again.output
    assert f"{IMPORTED - 300} created, 300 updated" in again.output


def test_a_grid_save_killed_halfway_leaves_nothing(engine, admin) -> None:
    seed(engine, admin)
    before = sums(engine)
    ran = kill_once_writing([sys.executable, "-m", "tests.integration.grid_save_worker",
                             engine.url.render_as_string(hide_password=False), str(admin.id)], engine)
    assert_as_before(engine, before)
    print(f"\nKILL grid save {engine.dialect.name}: killed after {ran:.1f} s while writing; "
          f"{len(before)} tables unchanged")
