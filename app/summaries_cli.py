"""`crm summaries rebuild` / `refresh`: the derived summary tables the analytics read.

They refresh themselves on read; `rebuild` recomputes them from scratch, for data changed outside
the services (an UPDATE typed into the database) or to build them ahead of the first reader.
"""

from __future__ import annotations

import time

import typer
from rich.console import Console

from core.db import session_scope

summaries_app = typer.Typer(help="Derived summary tables for the analytics.", no_args_is_help=True)
console = Console(soft_wrap=True)


@summaries_app.command("rebuild")
def rebuild() -> None:
    """Recompute every summary from the source tables."""
    from core.analytics import summaries

    with session_scope() as session:
        for name, seconds in summaries.rebuild_all(session).items():
            console.print(f"Rebuilt {name} in {seconds:.1f} s.")


@summaries_app.command("refresh")
def refresh() -> None:
    """Fold in what changed since the last refresh (what a dashboard does before reading)."""
    from core.analytics import summaries

    for name, summary in summaries.registered().items():
        began = time.perf_counter()
        with session_scope() as session:
            summaries.refresh(session, summary)
        console.print(f"{name} up to date ({time.perf_counter() - began:.1f} s).")
