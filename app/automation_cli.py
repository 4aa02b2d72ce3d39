"""`crm automation run`: the scheduled part of the automation rules, for cron (e.g. every 5 minutes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console

from core.db import session_scope

automation_app = typer.Typer(help="Automation rules.", no_args_is_help=True)
console = Console(soft_wrap=True)


@automation_app.command("run")
def run(
    at: Annotated[str | None, typer.Option(help="Treat this moment (ISO, e.g. 2026-06-15T09:00) as now.")]
    = None,
) -> None:
    """Fire task-overdue and case-SLA rules once per record, then run the queued rules."""
    from core.services.automation_engine import run_due_triggers

    try:
        moment = datetime.fromisoformat(at) if at else None
    except ValueError:
        raise typer.BadParameter(f"{at!r} is not a date and time like 2026-06-15T09:00") from None
    with session_scope() as session:
        result = run_due_triggers(session, moment)
    console.print(f"Rules fired: {result.fired}, failed: {result.failed}; queued runs done: "
                  f"{result.queued_done}, failed: {result.queued_failed}.")
    if result.failed or result.queued_failed:
        console.print("Failed runs are listed, with the error, under Settings > Automation.")
        raise typer.Exit(1)
