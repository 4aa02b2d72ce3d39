"""`crm backup FILE` and `crm restore FILE`: the whole database to one file and back, verified."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.backup import BackupReport, backup, restore
from core.db import get_engine

console = Console(stderr=True, soft_wrap=True)


def backup_command(
    file: Annotated[Path, typer.Argument(help="The backup file to write (a zip archive).", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every table.")] = False,
) -> None:
    """Back up the whole database while the app keeps running; every table is checked afterwards."""
    report = backup(get_engine(), file, force=force)
    _summary(report, verbose)
    typer.echo(f"Backed up {len(report.tables)} tables, {report.rows:,} rows to {file} "
               "(row counts and checksums verified).")


def restore_command(
    file: Annotated[Path, typer.Argument(help="A file written by `crm backup`.", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that holds data.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every table.")] = False,
) -> None:
    """Restore a backup into the database (refused if it holds data, unless --force), then check it."""
    report = restore(get_engine(), file, force=force)
    _summary(report, verbose)
    typer.echo(f"Restored {len(report.tables)} tables, {report.rows:,} rows from {file} "
               "(row counts and checksums match the backup).")


def _summary(report: BackupReport, verbose: bool) -> None:
    if not verbose:
        return
    table = Table("table", "rows", "sha256")
    for name, found in report.tables.items():
        table.add_row(name, f"{found.rows:,}", found.sha256[:16])
    console.print(table)
