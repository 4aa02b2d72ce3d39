"""`crm backup` / `crm restore`: every table round-trips exactly (row counts and checksums),
on SQLite and PostgreSQL; a database holding data is replaced only with --force."""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core import backup as backup_module
from core.analytics import summaries
from core.analytics.potential import potential_dashboard
from core.backup_sums import table_sums
from core.demo import generate_demo
from core.models import (
    AutomationRule,
    AutomationRun,
    CampaignRecipient,
    Contact,
    Conversation,
    ConversationMessage,
    CustomFieldDefinition,
    Notification,
    Order,
    OutboxMessage,
    SavedReport,
    SavedView,
    Segment,
    User,
)
from core.services.imports import import_rows


def fill_every_table(engine: Engine) -> None:
    """Demo data, plus a row in each table the demo generator leaves empty."""
    generate_demo(engine, contacts=25, seed=7)
    with Session(engine) as session:
        user = session.exec(select(User).order_by(User.id)).first()
        assert user is not None
        rule = AutomationRule(name="Onboard", entity="deals", trigger="created",
                              actions=[{"type": "notify", "text": "ünïcode ✓"}])
        conversation = Conversation(user_id=user.id, title="Q1")
        session.add_all([rule, conversation,
                         CustomFieldDefinition(entity="contacts", name="vip", label="VIP",
                                               field_type="checkbox"),
                         SavedView(entity="contacts", name="Mine", owner_id=user.id, config={"sort": "name"}),
                         Segment(name="Milano", owner_id=user.id, spec={"filters": [{"city": "Milano"}]}),
                         SavedReport(name="Revenue", owner_id=user.id, spec={"metrics": ["revenue"]}),
                         OutboxMessage(kind="reminder", to_address="a@example.com", subject="Hi", body="x"),
                         Notification(user_id=user.id, text="Call Ana back", kind="reminder")])
        session.flush()
        session.add_all([AutomationRun(rule_id=rule.id, entity="deals", entity_id=1, status="ok", chain=[1]),
                         ConversationMessage(conversation_id=conversation.id, role="user",
                                             content="revenue this year", payload={"n": 1.5})])
        session.commit()
        # An order a week after a recipient of a live contact was sent a campaign (a campaign follow-up).
        sent = session.exec(
            select(CampaignRecipient).join(Contact, Contact.id == CampaignRecipient.contact_id)
            .where(CampaignRecipient.sent_at.is_not(None), CampaignRecipient.status != "pending",
                   Contact.deleted_at.is_(None))).first()
        assert sent is not None and sent.sent_at is not None
        # Two of its orders taken by two owners: a customer shared between owners.
        owners = session.exec(select(User.id).order_by(User.id)).all()[:2]
        week_later = sent.sent_at + timedelta(days=7)
        session.add_all([Order(order_number=f"FOLLOW-UP-{n}", contact_id=sent.contact_id, owner_id=owner,
                               ordered_at=week_later) for n, owner in enumerate(owners)])
        session.commit()
        # A file import: its records share one audit entry, whose id ranges have a table of their own.
        frame = pd.DataFrame({"sku": ["IMP-1"], "name": ["Imported thing"], "price": ["9.5"]})
        import_rows(session=session, user=user, entity="products", frame=frame, file_name="products.csv")
        # The analytics' summary tables (and their state) are built on first read: build them now,
        # and fit the sales-potential model (kept in its table).
        for summary in summaries.registered().values():
            summaries.refresh(session, summary)
        potential_dashboard(session, user)


def sums(engine: Engine) -> dict:  # type: ignore[type-arg]
    raw = engine.raw_connection()
    try:
        return table_sums(raw.dbapi_connection, engine.dialect.name)
    finally:
        raw.rollback()
        raw.close()


def wipe(engine: Engine) -> None:
    """Change the database after the backup: rows deleted, updated and added."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM notifications"))
        connection.execute(text("UPDATE contacts SET city = 'Changed'"))
        connection.execute(text("INSERT INTO outbox_messages (created_at, kind, to_address, subject, "
                                "body, status) VALUES ('2026-01-01', 'reminder', 'b@example.com', "
                                "'New', 'y', 'queued')"))


def test_every_table_round_trips_through_the_cli(cli, engine, tmp_path: Path) -> None:
    fill_every_table(engine)
    before = sums(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(before) == tables and all(before[name].rows > 0 for name in tables), before
    target = tmp_path / "crm-backup.zip"

    made = cli("backup", str(target), "--verbose")
    assert made.exit_code == 0, made.output
    assert f"Backed up {len(tables)} tables" in made.output
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["backend"] == engine.dialect.name
    assert {name: (t["rows"], t["sha256"]) for name, t in manifest["tables"].items()} == \
        {name: (s.rows, s.sha256) for name, s in before.items()}

    wipe(engine)
    assert sums(engine) != before
    refused = cli("restore", str(target))
    assert refused.exit_code == 1 and "--force" in refused.output and "Traceback" not in refused.output

    restored = cli("restore", str(target), "--force")
    assert restored.exit_code == 0, restored.output
    assert "checksums match" in restored.output
    assert sums(engine) == before  # every table: same row count, same checksum


def test_restore_into_an_empty_database_needs_no_force(cli, engine, tmp_path: Path) -> None:
    fill_every_table(engine)
    before = sums(engine)
    target = tmp_path / "b.zip"
    assert cli("backup", str(target)).exit_code == 0
    names = ", ".join(f'"{t}"' for t in before if t != "alembic_version")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            connection.execute(text("PRAGMA foreign_keys=OFF"))
            for name in before:
                if name != "alembic_version":
                    connection.execute(text(f'DELETE FROM "{name}"'))
    result = cli("restore", str(target))
    assert result.exit_code == 0, result.output
    assert sums(engine) == before
    with Session(engine) as session:  # the app's own model reads the restored rows
        assert len(session.exec(select(Contact)).all()) == 25


def test_backup_while_writers_run_is_a_consistent_snapshot(engine, tmp_path: Path) -> None:
    fill_every_table(engine)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO notifications (user_id, created_at, kind, text) "
                                        "VALUES (1, '2026-01-01', 'info', 'busy')"))
                connection.execute(text("UPDATE contacts SET version = version + 1"))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        report = backup_module.backup(engine, tmp_path / "live.zip")
    finally:
        stop.set()
        writer.join()
    # The manifest was read from the same snapshot as the copy; restore re-checks the copy.
    assert report.tables["notifications"].rows >= 1
    backup_module.restore(engine, tmp_path / "live.zip", force=True)
    assert sums(engine)["notifications"].rows == report.tables["notifications"].rows


def test_existing_file_and_foreign_files_are_refused_with_a_message(cli, engine, tmp_path: Path) -> None:
    fill_every_table(engine)
    target = tmp_path / "b.zip"
    target.write_text("not a backup")
    exists = cli("backup", str(target))
    assert exists.exit_code == 1 and "already exists" in exists.output
    foreign = cli("restore", str(target), "--force")
    assert foreign.exit_code == 1 and "not a backup made by `crm backup`" in foreign.output
    missing = cli("restore", str(tmp_path / "nope.zip"))
    assert missing.exit_code == 1 and "There is no backup file" in missing.output
    assert "Traceback" not in exists.output + foreign.output + missing.output


def test_a_backup_of_the_other_backend_is_refused(engine, tmp_path: Path) -> None:
    target = tmp_path / "b.zip"
    other = "postgresql" if engine.dialect.name == "sqlite" else "sqlite"
    with zipfile.ZipFile(target, "w") as archive:
        manifest = {"format": "crm-backup", "backend": other, "tables": {}}
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr(backup_module.MEMBER[other], b"")
    with pytest.raises(backup_module.BackupError, match=f"is a {other} backup"):
        backup_module.restore(engine, target, force=True)


def test_a_damaged_backup_is_reported(engine, tmp_path: Path) -> None:
    fill_every_table(engine)
    target = tmp_path / "b.zip"
    backup_module.backup(engine, target)
    before = sums(engine)
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        member = backup_module.MEMBER[engine.dialect.name]
        database = archive.read(member)
    manifest["tables"]["contacts"]["rows"] += 1  # the manifest no longer matches the copy
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr(member, database)
    with pytest.raises(backup_module.BackupError, match="contacts: 25 rows instead of 26"):
        backup_module.restore(engine, target, force=True)
    if engine.dialect.name == "sqlite":  # the copy is checked before it replaces anything
        assert sums(engine) == before


def test_without_pg_dump_postgresql_says_what_to_install(engine, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    if engine.dialect.name == "sqlite":  # SQLite backups need no external tool
        assert backup_module.backup(engine, tmp_path / "b.zip").rows > 0
        return
    with pytest.raises(backup_module.BackupError, match="pg_dump was not found: install the PostgreSQL"):
        backup_module.backup(engine, tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()
