"""`crm reminders [--send]`: the task reminders due now; with --send, one email digest per
assignee (SMTP when CRM_SMTP_HOST is set, else the outbox table). Meant for cron."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core.db import session_scope
from core.services.reminders import Reminder, SendReport, due_reminders, send_reminders


def reminders(
    send: Annotated[bool, typer.Option("--send", help="Email each assignee a digest of theirs.")] = False,
) -> None:
    """List the task reminders that are due; with --send, email them to their assignees."""
    with session_scope() as session:
        due = due_reminders(session)
        _print_table(due)
        if not send:
            return
        report = send_reminders(session)
    _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _print_table(due: list[Reminder]) -> None:
    console = Console(file=sys.stdout, soft_wrap=True)
    if not due:
        console.print("No reminders due.")
        return
    table = Table("Assignee", "Task", "Due", "Contact", "Email")
    for reminder in due:
        table.add_row(reminder.assignee, reminder.title, f"{reminder.due_at:%Y-%m-%d %H:%M}",
                      reminder.contact or "", reminder.email or "(no email address)")
    console.print(table)
    console.print(f"{len(due)} reminder(s) due.")


def _print_report(report: SendReport) -> None:
    typer.echo(f"Sent {report.emails_sent} email(s) covering {report.reminders_sent} reminder(s); "
               f"{len(report.failed)} failed.")
    for failure in report.failed:
        typer.echo(f"  failed: {failure} (will be retried on the next run)")
    for username in report.without_email:
        typer.echo(f"  not emailed: {username} has no email address (reminded in the app instead)")
