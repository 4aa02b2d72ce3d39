"""The `crm` command against the test database: users, demo data, import and export."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import app
from core import config, db


def _scalar(engine, sql: str):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text(sql)).scalar()


def test_first_user_added_from_the_cli_is_an_admin(cli, engine) -> None:
    result = cli("user", "add", "boss", "--role", "staff", "--password-stdin", stdin="long-password\n")
    assert result.exit_code == 0, result.output
    assert "Added boss (admin)" in result.output
    assert _scalar(engine, "SELECT role FROM users WHERE username = 'boss'") == "admin"


def test_short_password_is_refused_with_the_reason(cli, engine) -> None:
    result = cli("user", "add", "boss", "--password-stdin", stdin="short\n")
    assert result.exit_code == 1
    assert _scalar(engine, "SELECT count(*) FROM users") == 0


def test_demo_prints_what_it_made_and_how_to_sign_in(cli, engine) -> None:
    result = cli("demo", "--contacts", "60", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "contacts" in result.output and "demo1234" in result.output
    assert _scalar(engine, "SELECT count(*) FROM contacts") == 60


def test_import_then_export_round_trips(cli, engine, admin, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("email,first_name,last_name,city,owner\nana@x.io,Ana,Rossi,Milano,ada\n"
                      "zoe@x.io,Zoë,Müller,Köln,ada\n", encoding="utf-8")
    result = cli("import", "contacts", str(source))
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    exported = tmp_path / "out.csv"
    assert cli("export", "contacts", "-o", str(exported)).exit_code == 0
    again = cli("import", "contacts", str(exported))
    assert again.exit_code == 0, again.output
    assert _scalar(engine, "SELECT count(*) FROM contacts") == 2


def test_bad_file_lists_every_bad_line_and_writes_nothing(cli, engine, admin, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text("email,first_name,owner\nana@x.io,Ana,ada\nbad-email,Bo,ada\nbo@x.io,Bo,nobody\n",
                      encoding="utf-8")
    result = cli("import", "contacts", str(source))
    assert result.exit_code == 1
    assert "line 3" in result.output and "line 4" in result.output
    assert _scalar(engine, "SELECT count(*) FROM contacts") == 0


def _sales(engine, admin) -> None:  # type: ignore[no-untyped-def]
    """Two paid orders in Milano (100 + 50) and one in Roma (30), inserted directly."""
    from datetime import datetime

    from sqlmodel import Session

    from core.models import Contact, Order, OrderLine, Product

    with Session(engine) as session:
        product = Product(sku="A", name="A", price=10)
        milano = Contact(first_name="M", city="Milano", owner_id=admin.id)
        roma = Contact(first_name="R", city="Roma", owner_id=admin.id)
        session.add_all([product, milano, roma])
        session.flush()
        for number, (contact, amount) in enumerate([(milano, 100), (milano, 50), (roma, 30)]):
            order = Order(order_number=f"O{number}", contact_id=contact.id, owner_id=admin.id,
                          ordered_at=datetime(2026, 3, 1 + number), status="paid", total=amount)
            session.add(order)
            session.flush()
            session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=1, unit_price=amount))
        session.commit()


def test_report_json_has_numbers_and_the_query(cli, engine, admin) -> None:
    import json

    _sales(engine, admin)
    result = cli("report", "sales", "--by", "city", "--period", "this year", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["columns"] == ["City", "Revenue"]
    assert sorted(payload["rows"]) == [["Milano", 150.0], ["Roma", 30.0]]
    assert payload["query"]["dimensions"] == ["city"] and "SELECT" in payload["sql"]


def test_report_filters_tops_and_writes_csv(cli, engine, admin, tmp_path: Path) -> None:
    _sales(engine, admin)
    target = tmp_path / "r.csv"
    result = cli("report", "orders", "--by", "city", "--where", "city!=Roma", "--top", "1",
                 "--csv", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").splitlines() == ["City,Orders", "Milano,2"]


def test_report_with_an_unknown_metric_lists_the_known_ones(cli, admin) -> None:
    result = cli("report", "revenu")
    assert result.exit_code == 1
    assert "Did you mean 'revenue'" in result.output and "win_rate" in result.output


def test_a_database_without_tables_gets_a_message_not_a_traceback(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    try:
        for command in (["ask", "revenue this year"], ["report", "revenue"]):
            result = CliRunner().invoke(app, command)
            assert result.exit_code == 1, result.output
            assert "crm init" in result.output and "Traceback" not in result.output
            assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    finally:
        db.get_engine.cache_clear()


SOLD_LINES = ("order_lines l JOIN orders o ON o.id = l.order_id JOIN contacts c ON c.id = o.contact_id "
              "WHERE o.deleted_at IS NULL AND c.deleted_at IS NULL "
              "AND o.status NOT IN ('quote', 'cancelled')")
REVENUE_SQL = f"SELECT round(CAST(sum(l.quantity * l.unit_price) AS numeric), 2) FROM {SOLD_LINES}"
SUMMARY_REVENUE_SQL = "SELECT round(CAST(sum(revenue) AS numeric), 2) FROM contact_purchases"
BASKET_ORDERS_SQL = ("SELECT count(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id "
                     "WHERE o.deleted_at IS NULL AND o.status NOT IN ('quote', 'cancelled')")


def test_summaries_refresh_builds_and_rebuild_catches_changes_made_outside_the_app(cli, engine) -> None:
    assert cli("demo", "--contacts", "60", "--seed", "3").exit_code == 0
    refreshed = cli("summaries", "refresh")
    assert refreshed.exit_code == 0, refreshed.output
    assert "purchases up to date" in refreshed.output and "baskets up to date" in refreshed.output
    assert _scalar(engine, SUMMARY_REVENUE_SQL) == _scalar(engine, REVENUE_SQL)
    assert _scalar(engine, "SELECT sum(orders) FROM basket_counts WHERE kind = 'orders'") == \
        _scalar(engine, BASKET_ORDERS_SQL)

    # A price typed straight into the database writes no audit entry: a refresh cannot see it...
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE order_lines SET unit_price = unit_price + 100 "
            f"WHERE id = (SELECT min(l.id) FROM {SOLD_LINES})"))
    before = _scalar(engine, SUMMARY_REVENUE_SQL)
    assert cli("summaries", "refresh").exit_code == 0
    assert _scalar(engine, SUMMARY_REVENUE_SQL) == before != _scalar(engine, REVENUE_SQL)
    # ...a rebuild recomputes everything from the rows.
    rebuilt = cli("summaries", "rebuild")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "Rebuilt purchases" in rebuilt.output and "Rebuilt baskets" in rebuilt.output
    assert _scalar(engine, SUMMARY_REVENUE_SQL) == _scalar(engine, REVENUE_SQL)
