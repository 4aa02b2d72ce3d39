"""`crm bench`: build (or reuse) a database at a scale and time what people wait for (benchmarks/)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def bench(
    scale: Annotated[str, typer.Option(
        help="small (2,000 contacts, a smoke run), medium (200,000) or large (1,000,000).")]
    = "small",
    url: Annotated[str | None, typer.Option(help="Database URL to use instead of a SQLite file "
                                                 "(an empty database is filled; one of this scale reused).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    only: Annotated[list[str] | None, typer.Option(help="Only this group (repeatable): demo, records, "
                                                         "analytics, assistant, throughput, pages, memory.")]
    = None,
    repeat: Annotated[int | None, typer.Option(help="Timed calls per operation (default: the scale's).")]
    = None,
) -> None:
    """Time each operation (median, p95) next to its floor, the bare SQL for the same rows."""
    root = str(Path(__file__).resolve().parent.parent)  # benchmarks/ sits beside app/ in the source
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        from benchmarks.bench import GROUPS, describe, run
        from benchmarks.harness import SCALES
    except ImportError as error:  # the benchmarks folder ships with the source, not the package
        raise typer.BadParameter(f"run crm bench from the project folder ({error})") from None
    if scale not in SCALES:
        raise typer.BadParameter(f"scale must be one of: {', '.join(sorted(SCALES))}")
    bad = sorted(set(only or []) - set(GROUPS))
    if bad:
        raise typer.BadParameter(f"unknown group(s) {', '.join(bad)}; groups: {', '.join(GROUPS)}")
    report = run(scale, url, only or (), repeat=repeat)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, default=str))
    else:
        typer.echo(describe(report) + "\n\n" + report.markdown())
