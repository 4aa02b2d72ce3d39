"""A database that is locked or cannot be reached: the `crm` commands and the web app say so in a
sentence a person can act on (exit code 1), never with a traceback."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import event
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from app.cli import app
from core import config, db
from core.db_errors import explain

UNREACHABLE = "postgresql://crm:secret@127.0.0.1:1/crm"  # nothing listens on port 1
APP = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


@pytest.fixture
def crm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """`crm ARGS...` against CRM_DATABASE_URL=url, with a short SQLite busy timeout."""

    def run(url: str, *args: str) -> Result:
        monkeypatch.setenv("CRM_DATABASE_URL", url)
        monkeypatch.setenv("CRM_SQLITE_BUSY_TIMEOUT_MS", "200")
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
        return CliRunner().invoke(app, list(args))

    yield run
    db.get_engine.cache_clear()


def commands(tmp_path: Path) -> list[list[str]]:
    source = tmp_path / "contacts.csv"
    source.write_text("email,first_name\nnew@x.io,New\n", encoding="utf-8")
    return [["ask", "how many contacts"], ["report", "revenue"], ["export", "contacts"],
            ["backup", str(tmp_path / "backup.zip")], ["import", "contacts", str(source)]]


def assert_clear(result: Result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and not _unexpected(result)
    for word in words:
        assert word in result.output, result.output


def _unexpected(result: Result) -> bool:
    return result.exception is not None and not isinstance(result.exception, SystemExit)


@pytest.fixture
def sqlite_file(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "crm.db"
    shutil.copy(sqlite_template, path)
    connection = sqlite3.connect(path)
    connection.execute("INSERT INTO users (username, display_name, role, active, failed_logins, "
                       "created_at, updated_at, version) VALUES ('ada', 'Ada', 'admin', 1, 0, "
                       "'2026-01-01', '2026-01-01', 1)")
    connection.commit()
    connection.close()
    return path


def test_a_locked_sqlite_database_gets_a_clear_message(crm, sqlite_file: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{sqlite_file}"
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")  # another program keeps the whole file
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE users SET display_name = 'Held'")
    try:
        for command in commands(tmp_path):
            assert_clear(crm(url, *command), "is busy", "database is locked", "Try again")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert crm(url, "report", "revenue").exit_code == 0  # released: it works again


def test_a_writer_holding_sqlite_blocks_only_writes(crm, sqlite_file: Path, tmp_path: Path) -> None:
    """WAL: while another program writes, reading still works and a write waits, then says why."""
    url = f"sqlite:///{sqlite_file}"
    holder = sqlite3.connect(sqlite_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        report = crm(url, "report", "revenue")
        assert report.exit_code == 0, report.output
        assert_clear(crm(url, *commands(tmp_path)[-1]), "is busy", "database is locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert crm(url, *commands(tmp_path)[-1]).exit_code == 0


def test_an_unreachable_postgresql_gets_a_clear_message(crm, tmp_path: Path) -> None:
    for command in commands(tmp_path):
        result = crm(UNREACHABLE, *command)
        assert_clear(result, "cannot be reached", "Connection refused", "CRM_DATABASE_URL")
        assert "secret" not in result.output  # the password is never printed


def test_a_missing_sqlite_folder_gets_a_clear_message(crm, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no' / 'such' / 'crm.db'}"
    assert_clear(crm(url, "report", "revenue"), "cannot be reached", "unable to open database file")


def test_the_web_app_shows_a_message_when_the_database_cannot_be_reached(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", UNREACHABLE)
    config.get_settings.cache_clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert "cannot be reached" in at.error[0].value and "Connection refused" in at.error[0].value
    assert "secret" not in at.error[0].value


def test_explain_names_the_cause() -> None:
    class Fake(Exception):
        pass

    url = "sqlite:///crm.db"
    assert "run `crm init` first" in explain(Fake("no such table: contacts"), url)
    assert "does not exist" in explain(Fake('database "x" does not exist'), url)
    assert "is busy" in explain(Fake("canceling statement due to lock timeout"), url)


def connect_parameters(url: str) -> dict[str, object]:
    """What the engine would hand to psycopg.connect (captured, nothing is connected)."""
    engine, seen = db.make_engine(url), {}

    @event.listens_for(engine, "do_connect")
    def capture(dialect, record, cargs, cparams):  # type: ignore[no-untyped-def]
        seen.update(cparams)
        raise RuntimeError("captured")

    with pytest.raises(Exception, match="captured"):
        engine.connect()
    return seen


def test_postgresql_gives_up_connecting_after_a_bounded_time() -> None:
    assert connect_parameters("postgresql://crm@127.0.0.1:1/crm")["connect_timeout"] == 10
    assert connect_parameters("postgresql://crm@127.0.0.1:1/crm?connect_timeout=3")["connect_timeout"] == "3"
