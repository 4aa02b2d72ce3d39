"""`crm ask`: answers as text or JSON lines, reads questions from stdin, writes only with --yes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from core.models import Contact
from tests.integration.test_cli import _sales


@pytest.fixture
def crm(cli):  # type: ignore[no-untyped-def]
    """`crm ARGS...` on the test database (the shared `cli` fixture of tests/integration/conftest.py)."""
    return cli


def _count(engine, table: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0


def test_json_line_has_numbers_and_the_query(crm, engine, admin) -> None:
    _sales(engine, admin)  # Milano 100 + 50, Roma 30, all in March 2026
    result = crm("ask", "--json", "revenue by city this year")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"status", "text", "columns", "rows", "query", "sql"}
    assert payload["status"] == "answered"
    assert sorted(payload["rows"]) == [["Milano", 150.0], ["Roma", 30.0]]
    assert payload["query"]["dimensions"] == ["city"] and "SELECT" in payload["sql"]


def test_questions_from_stdin_answer_one_json_line_each(crm, engine, admin) -> None:
    _sales(engine, admin)
    result = crm("ask", "--json", stdin="how many orders in March 2026\n\nwhat is the weather in Paris\n")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["status"] for line in lines] == ["answered", "refused"]
    assert lines[0]["rows"] == [[3]]
    assert lines[1]["rows"] == []  # a refusal never carries a number


def test_a_write_needs_yes(crm, engine, admin, session) -> None:
    session.add(Contact(first_name="Ivan", last_name="Petrov", owner_id=admin.id))
    session.commit()
    proposed = crm("ask", "remind me to email Ivan Petrov on Friday")
    assert proposed.exit_code == 0, proposed.output
    assert "--yes" in proposed.output and _count(engine, "tasks") == 0
    done = crm("ask", "--yes", "--json", "remind me to email Ivan Petrov on Friday")
    assert json.loads(done.output)["status"] == "done"
    assert _count(engine, "tasks") == 1
    with engine.connect() as connection:
        due = connection.execute(text("SELECT due_at FROM tasks")).scalar()
    assert str(due).startswith("2026-06-19")  # the Friday after Monday 15 June (CRM_TODAY)


def test_a_yes_on_the_next_line_confirms(crm, engine, admin, session) -> None:
    session.add(Contact(first_name="Ivan", last_name="Petrov", owner_id=admin.id))
    session.commit()
    result = crm("ask", "--json", stdin="log a call with Ivan Petrov: asked for a quote\nyes\n")
    statuses = [json.loads(line)["status"] for line in result.output.splitlines()]
    assert statuses == ["needs_confirmation", "done"]
    assert _count(engine, "activities") == 1
