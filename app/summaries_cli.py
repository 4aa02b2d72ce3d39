"""`crm summaries rebuild|refresh`: the derived summaries kept in the database (basket counts).

They are brought up to date on read anyway; `rebuild` recounts them from the raw rows (after an
upgrade, a restore, or rows changed by hand), `refresh` folds in what changed (e.g. from cron,
so that no reader waits for a large fold).
"""

from __future__ import annotations

import time

import typer
from rich.console import Console

from core.db import session_scope

summaries_app = typer.Typer(help="Derived summaries (basket counts), refreshed on read.",
                            no_args_is_help=True)
console = Console(soft_wrap=True)


@summaries_app.command("rebuild")
def rebuild() -> None:
    """Recount every summary from the raw rows."""
    _run(rebuild=True)


@summaries_app.command("refresh")
def refresh() -> None:
    """Fold in what changed since the last refresh (builds a summary not built yet)."""
    _run(rebuild=False)


def _run(*, rebuild: bool) -> None:
    from core.analytics import basket_summary

    began = time.perf_counter()
    with session_scope() as session:
        changed = basket_summary.refresh(session, rebuild=rebuild)
    what = "rebuilt" if rebuild else ("refreshed" if changed else "already up to date")
    console.print(f"Basket counts {what} in {time.perf_counter() - began:.1f} s.")
