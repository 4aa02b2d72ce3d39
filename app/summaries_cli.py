"""`crm summaries rebuild` / `refresh`: the derived summary tables the analytics read.

They refresh themselves on read; `rebuild` recomputes them from scratch, for data changed outside
the services (an UPDATE typed into the database) or to build them ahead of the first reader.
`refresh` also refits the sales-potential model once a day (readers score with the kept model and
never refit it): run it from cron, e.g. nightly.
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
    """Fold in what changed since the last refresh (what a dashboard does before reading), and refit
    the sales-potential model when it was fitted before today. Meant for cron, e.g. nightly."""
    from core.analytics import summaries

    for name, summary in summaries.registered().items():
        began = time.perf_counter()
        with session_scope() as session:
            summaries.refresh(session, summary)
        console.print(f"{name} up to date ({time.perf_counter() - began:.1f} s).")
    _refit_potential()


def _refit_potential() -> None:
    from core.analytics import potential

    began = time.perf_counter()
    with session_scope() as session:
        refitted = potential.refit_stale(session)
    took = time.perf_counter() - began
    for horizon, fitted in refitted.items():
        if fitted is None:
            console.print(f"sales potential ({horizon} days): today's model kept.")
        elif fitted.problem:
            console.print(f"sales potential ({horizon} days): no model. {fitted.problem}")
        else:
            console.print(f"sales potential ({horizon} days) refitted on {fitted.contacts:,} contacts.")
    console.print(f"sales potential up to date ({took:.1f} s).")
