"""`columns.fetch_columns` (numbers as arrays: packed bytea on PostgreSQL) on both backends,
against the same rows fetched as plain tuples."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.analytics.columns import fetch_columns

TYPES = {"id": "int64", "big": "int64", "amount": "float64", "maybe": "float64"}


@pytest.fixture
def numbers(session: Session) -> list[tuple]:
    session.execute(text("CREATE TABLE numbers_probe (id INTEGER PRIMARY KEY, big BIGINT NOT NULL, "
                         "amount DOUBLE PRECISION NOT NULL, maybe DOUBLE PRECISION)"))
    chance = np.random.default_rng(4)
    rows = [{"id": i, "big": int(chance.integers(-2**62, 2**62)) if i % 7 else -i,
             "amount": float(chance.normal() * 10.0 ** (i % 12)) if i % 5 else 0.25,
             "maybe": None if i % 3 == 0 else float(i) / 3} for i in range(1, 3001)]
    session.execute(text("INSERT INTO numbers_probe VALUES (:id, :big, :amount, :maybe)"), rows)
    return [(r["id"], r["big"], r["amount"], r["maybe"]) for r in rows]


def test_columns_equal_the_rows_fetched_as_tuples(session: Session, numbers: list[tuple]) -> None:
    sql = "SELECT id, big, amount, maybe FROM numbers_probe WHERE id > :low"
    columns = fetch_columns(session.connection(), sql, {"low": 10}, TYPES)
    expected = session.execute(text(sql), {"low": 10}).all()
    order = np.argsort(columns["id"])
    assert columns["id"][order].tolist() == [row[0] for row in expected]
    # large integers would lose digits through a float on the way: they must come back exact
    assert columns["big"][order].tolist() == [row[1] for row in expected]
    assert columns["amount"][order].tolist() == [row[2] for row in expected]
    maybe = columns["maybe"][order]
    assert np.isnan(maybe).tolist() == [row[3] is None for row in expected]
    assert maybe[~np.isnan(maybe)].tolist() == [row[3] for row in expected if row[3] is not None]
    assert {name: column.dtype.name for name, column in columns.items()} == TYPES


def test_no_rows_give_empty_columns(session: Session, numbers: list[tuple]) -> None:
    columns = fetch_columns(session.connection(), "SELECT id, amount FROM numbers_probe WHERE id < 0", {},
                            {"id": "int64", "amount": "float64"})
    assert [len(column) for column in columns.values()] == [0, 0]


def test_a_null_integer_is_refused(session: Session, numbers: list[tuple]) -> None:
    with pytest.raises(ValueError, match="NULL"):
        fetch_columns(session.connection(), "SELECT CAST(maybe AS BIGINT) AS maybe FROM numbers_probe", {},
                      {"maybe": "int64"})


def test_a_percent_sign_and_a_parameter_in_the_statement(session: Session, numbers: list[tuple]) -> None:
    columns = fetch_columns(session.connection(), "SELECT id FROM numbers_probe WHERE id % 1000 = :rest "
                            "AND 'a%' LIKE 'a%'", {"rest": 7}, {"id": "int64"})
    assert sorted(columns["id"].tolist()) == [7, 1007, 2007]


def test_postgresql_plans_without_jit(session: Session) -> None:
    """The app's connections have PostgreSQL's JIT off: compiling cost the summaries' reads more
    than running them (core.db.make_engine)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        assert connection.execute(text("SHOW jit")).scalar_one() == "off"
