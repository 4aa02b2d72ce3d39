"""`crm ask`: questions to the assistant from the shell, one per argument or per line of stdin."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.assistant import Assistant
from bot.reply import Reply, Turn
from core.db import session_scope

console = Console(soft_wrap=True)


def ask(
    question: Annotated[str | None, typer.Argument(help="The question; without it, one per line of stdin.")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per answer.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Carry out proposed writes without asking.")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Ask as this user (default: an admin).")] = None,
) -> None:
    """Ask the assistant: a number, a table, or a proposed write (made only with --yes or a "yes")."""
    from app.cli import acting_user  # the cli module registers this command: import it lazily

    questions = [question] if question is not None else (line.strip() for line in sys.stdin)
    with session_scope() as session:
        user = acting_user(session, as_user)
        assistant = Assistant(session)
        history: list[Turn] = []
        for text in questions:
            if not text:
                continue
            reply = assistant.ask(text, user, history)
            if reply.status == "needs_confirmation" and yes and reply.action is not None:
                reply = assistant.confirm(reply.action, user)
            history += [Turn("user", text), Turn("assistant", reply.text, reply)]
            _print(reply, as_json)


def _print(reply: Reply, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(reply.to_json(), ensure_ascii=False, default=str))
        return
    console.print(reply.text, markup=False, highlight=False)
    if reply.rows:
        table = Table(*reply.columns)
        for row in reply.rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        console.print(table)
    if reply.action is not None:
        for line in reply.action.summary:
            console.print(f"  - {line}", markup=False, highlight=False)
        console.print("Nothing was written: run again with --yes, or answer “yes” on the next line.",
                      markup=False)
    for suggestion in reply.suggestions:
        console.print(f"  try: {suggestion}", markup=False, highlight=False)
