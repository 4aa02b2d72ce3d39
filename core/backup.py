"""`crm backup FILE` and `crm restore FILE`: one file holding the database and a manifest.

The file is a zip archive with `manifest.json` (backend, schema revision, and per table its row
count and a sha256 of its rows ordered by primary key) and the database itself:
- SQLite: `database.sqlite`, a copy made with SQLite's online backup API from one read snapshot,
  so it is consistent while the app keeps writing;
- PostgreSQL: `database.pgdump`, made by `pg_dump -Fc` from an exported snapshot, the same
  snapshot the checksums are read from; restored by `pg_restore --clean --if-exists` in one
  transaction.
Both commands check the copy afterwards by recomputing the counts and checksums from the rows.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.backup_sums import TableSum, differences, table_sums
from core.config import get_settings, now
from core.db_errors import explain
from core.errors import CRMError

FORMAT = "crm-backup"
MANIFEST = "manifest.json"
MEMBER = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}


class BackupError(CRMError):
    pass


@dataclass(frozen=True)
class BackupReport:
    path: Path
    backend: str
    tables: dict[str, TableSum]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables.values())


# ---- backup ----------------------------------------------------------------------------------


def backup(engine: Engine, path: Path, *, force: bool = False) -> BackupReport:
    """Write the whole database to `path` (refused if the file exists, unless `force`)."""
    with _driver_errors(engine):
        return _backup(engine, path, force)


def restore(engine: Engine, path: Path, *, force: bool = False) -> BackupReport:
    """Replace the database with the backup in `path`, then check every table against it."""
    with _driver_errors(engine):
        return _restore(engine, path, force)


@contextmanager
def _driver_errors(engine: Engine) -> Iterator[None]:
    """The drivers' own errors (raised here outside SQLAlchemy) become the usual sentence."""
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    if engine.dialect.name == "postgresql":
        import psycopg

        errors += (psycopg.Error,)
    try:
        yield
    except errors as error:
        raise BackupError(explain(error, engine.url.render_as_string(hide_password=False))) from None


def _backup(engine: Engine, path: Path, force: bool) -> BackupReport:
    backend = _backend(engine)
    if path.exists() and not force:
        raise BackupError(f"{path} already exists: choose another file name, or add --force to replace it.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent} to write the backup into.")
    with tempfile.TemporaryDirectory(prefix="crm-backup-", dir=path.parent) as work:
        copy = Path(work) / MEMBER[backend]
        sums = _sqlite_backup(engine, copy) if backend == "sqlite" else _pg_backup(engine, copy)
        manifest = {"format": FORMAT, "version": 1, "backend": backend, "created_at": now().isoformat(),
                    "revision": _revision(sums, engine),
                    "tables": {name: {"rows": s.rows, "sha256": s.sha256} for name, s in sums.items()}}
        partial = Path(work) / "backup.zip"
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            archive.write(copy, MEMBER[backend])
        os.replace(partial, path)  # a backup cut short never leaves a half-written FILE
    return BackupReport(path, backend, sums)


def _sqlite_backup(engine: Engine, copy: Path) -> dict[str, TableSum]:
    """Copy from one read transaction: the checksums and the copy see the same snapshot."""
    source = _sqlite_connect(_sqlite_path(engine, must_exist=True))
    try:
        source.execute("BEGIN")
        sums = table_sums(source, "sqlite")
        target = sqlite3.connect(copy)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            _sqlite_check(target, sums, "the copy")
        finally:
            target.close()
        source.execute("COMMIT")
    finally:
        source.close()
    return sums


def _pg_backup(engine: Engine, copy: Path) -> dict[str, TableSum]:
    """pg_dump reads the snapshot this transaction exports, so the checksums match the dump."""
    pg_dump = _tool("pg_dump")
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            sums = table_sums(connection.connection.dbapi_connection, "postgresql")
            _run([pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={copy}",
                  f"--dbname={_libpq_uri(engine)}"], engine)
    listing = _run([_tool("pg_restore"), "--list", str(copy)], engine)
    missing = [name for name in sums if f" TABLE DATA public {name} " not in listing]
    if missing:
        raise BackupError(f"pg_dump left out the rows of {', '.join(missing)}; the backup is incomplete.")
    return sums


# ---- restore ---------------------------------------------------------------------------------


def _restore(engine: Engine, path: Path, force: bool) -> BackupReport:
    backend = _backend(engine)
    with _opened(path) as (manifest, work):
        if manifest["backend"] != backend:
            raise BackupError(f"{path} is a {manifest['backend']} backup; this database is {backend}. "
                              "Restore it into a database of the same kind.")
        expected = {name: TableSum(t["rows"], t["sha256"]) for name, t in manifest["tables"].items()}
        copy = work / MEMBER[backend]
        rows = _rows_held(engine)
        if rows and not force:
            raise BackupError(f"This database is not empty ({rows:,} rows): restoring would replace "
                              "them. Add --force to replace them with the backup.")
        if backend == "sqlite":
            _sqlite_restore(engine, copy, expected)
        else:
            _pg_restore(engine, copy)
        engine.dispose()  # connections opened before the restore start afresh
        _verify(engine, expected)
    return BackupReport(path, backend, expected)


def _sqlite_restore(engine: Engine, copy: Path, expected: dict[str, TableSum]) -> None:
    backup_copy = sqlite3.connect(copy)
    try:
        _sqlite_check(backup_copy, expected, f"the database inside {copy.name}")
        target = _sqlite_connect(_sqlite_path(engine, must_exist=False))
        try:
            backup_copy.backup(target)  # waits for other connections' transactions to end
        finally:
            target.close()
    finally:
        backup_copy.close()


def _pg_restore(engine: Engine, copy: Path) -> None:
    engine.dispose()  # our own idle connections must not hold locks on the tables being replaced
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={_libpq_uri(engine)}", str(copy)], engine)


def _verify(engine: Engine, expected: dict[str, TableSum]) -> None:
    raw = engine.raw_connection()
    try:
        actual = table_sums(raw.dbapi_connection, _backend(engine))
        raw.rollback()
    finally:
        raw.close()
    problems = differences(expected, actual)
    if problems:
        raise BackupError("The restored database does not match the backup: " + "; ".join(problems))


@contextmanager
def _opened(path: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """The manifest and a folder holding the extracted database, removed afterwards."""
    if not path.is_file():
        raise BackupError(f"There is no backup file {path}.")
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("format") != FORMAT or manifest.get("backend") not in MEMBER:
                raise KeyError(MANIFEST)
            with tempfile.TemporaryDirectory(prefix="crm-restore-") as work:
                archive.extract(MEMBER[manifest["backend"]], work)
                yield manifest, Path(work)
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise BackupError(f"{path} is not a backup made by `crm backup` (or it is damaged).") from None


# ---- helpers ---------------------------------------------------------------------------------


def _backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in MEMBER:
        raise BackupError(f"Backups of {name} databases are not supported (SQLite and PostgreSQL are).")
    return name


def _sqlite_path(engine: Engine, *, must_exist: bool) -> Path:
    database = engine.url.database
    if database in (None, "", ":memory:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored: use a file.")
    path = Path(database)
    if must_exist and not path.is_file():
        raise BackupError(f"There is no database file {path}: check CRM_DATABASE_URL.")
    return path


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    timeout = get_settings().sqlite_busy_timeout_ms / 1000
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def _sqlite_check(connection: sqlite3.Connection, expected: dict[str, TableSum], what: str) -> None:
    verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    problems = [] if verdict == "ok" else [f"integrity check: {verdict}"]
    problems += differences(expected, table_sums(connection, "sqlite"))
    if problems:
        raise BackupError(f"{what[0].upper()}{what[1:]} does not match: " + "; ".join(problems))


def _rows_held(engine: Engine) -> int:
    """Rows in every table but Alembic's own (a database fresh from `crm init` holds none)."""
    if engine.dialect.name == "sqlite" and not _sqlite_path(engine, must_exist=False).exists():
        return 0
    raw = engine.raw_connection()
    try:
        sums = table_sums(raw.dbapi_connection, engine.dialect.name)
        raw.rollback()
    finally:
        raw.close()
    return sum(s.rows for name, s in sums.items() if name != "alembic_version")


def _revision(sums: dict[str, TableSum], engine: Engine) -> str | None:
    if "alembic_version" not in sums:
        return None
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools (the same major "
                          "version as the server, or newer) and make sure they are on the PATH.")
    return found


def _libpq_uri(engine: Engine) -> str:
    """The URL for pg_dump/pg_restore, without the password (that goes in PGPASSWORD)."""
    return engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], engine: Engine) -> str:
    env = {**os.environ, "PGOPTIONS": "-c lock_timeout=30s"}  # a busy table: a message, not a hang
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or "no message").splitlines()[:3]
        raise BackupError(f"{Path(command[0]).name} failed: {' / '.join(reason)}")
    return done.stdout
