"""The `crm` command against the test database: users, demo data, import and export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import app
from core import config, db


@pytest.fixture
def crm(engine, monkeypatch: pytest.MonkeyPatch) -> Iterator:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CRM_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    runner = CliRunner()
    yield lambda *args, stdin=None: runner.invoke(app, list(args), input=stdin)
    db.get_engine.cache_clear()


def _scalar(engine, sql: str):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def test_first_user_added_from_the_cli_is_an_admin(crm, engine) -> None:
    result = crm("user", "add", "boss", "--role", "staff", "--password-stdin", stdin="long-password\n")
    assert result.exit_code == 0, result.output
    assert "Added boss (admin)" in result.output
    assert _scalar(engine, "SELECT role FROM users WHERE username = 'boss'") == "admin"


def test_short_password_is_refused_with_the_reason(crm, engine) -> None:
    result = crm("user", "add", "boss", "--password-stdin", stdin="short\n")
    assert result.exit_code == 1
    assert _scalar(engine, "SELECT count(*) FROM users") == 0


def test_demo_prints_what_it_made_and_how_to_sign_in(crm, engine) -> None:
    result = crm("demo", "--contacts", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "contacts" in result.output and "demo1234" in result.output
    assert _scalar(engine, "SELECT count(*) FROM contacts") == 60


def test_import_then_export_round_trips(crm, engine, admin, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("email,first_name,last_name,city,owner\nana@x.io,Ana,Rossi,Milano,ada\n"
                      "zoe@x.io,Zoë,Müller,Köln,ada\n", encoding="utf-8")
    result = crm("import", "contacts", str(source))
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    exported = tmp_path / "out.csv"
    assert crm("export", "contacts", "-o", str(exported)).exit_code == 0
    again = crm("import", "contacts", str(exported))
    assert again.exit_code == 0, again.output
    assert _scalar(engine, "SELECT count(*) FROM contacts") == 2


def test_bad_file_lists_every_bad_line_and_writes_nothing(crm, engine, admin, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("email,first_name,owner\nana@x.io,Ana,ada\nbad-email,Bo,ada\nbo@x.io,Bo,nobody\n",
                      encoding="utf-8")
    result = crm("import", "contacts", str(source))
    assert result.exit_code == 1
    assert "line 3" in result.output and "line 4" in result.output
    assert _scalar(engine, "SELECT count(*) FROM contacts") == 0
