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


def _registry() -> dict[str, object]:
    import core.analytics.basket_summary
    import core.analytics.campaign_summary
    import core.analytics.funnel_summary
    import core.analytics.potential_scores
    import core.analytics.purchases
    import core.query.rollup  # noqa: F401
    from core.analytics import summaries

    return summaries.REGISTRY  # type: ignore[return-value]


@summaries_app.command("rebuild")
def rebuild() -> None:
    """Recompute every summary from the source tables."""
    from core.analytics import summaries

    _registry()
    with session_scope() as session:
        for name, seconds in summaries.rebuild_all(session).items():
            console.print(f"Rebuilt {name} in {seconds:.1f} s.")


@summaries_app.command("refresh")
def refresh() -> None:
    """Fold in what changed since the last refresh (what a dashboard does before reading)."""
    from core.analytics import summaries

    for name, summary in _registry().items():
        began = time.perf_counter()
        with session_scope() as session:
            summaries.refresh(session, summary)  # type: ignore[arg-type]
        console.print(f"{name} up to date ({time.perf_counter() - began:.1f} s).")
