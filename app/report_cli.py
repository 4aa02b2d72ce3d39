"""`crm report`: ad-hoc reports from the shell over the semantic layer."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.db import session_scope
from core.errors import ValidationError
from core.query.engine import QueryResult, run_query
from core.query.filters import Filter
from core.query.spec import OrderBy, QuerySpec

OPERATORS = (">=", "<=", "!=", "=", ">", "<")  # longest first, so ">=" is not read as ">"


def parse_where(text: str) -> Filter:
    """ "city=Milano", "amount>=1000", "stage!=Lost", "channel=phone,email" (a list means "in")."""
    for op in OPERATORS:
        field, found, value = text.partition(op)
        if found and field.strip():
            values = [part.strip() for part in value.split(",")]
            if len(values) > 1:
                return Filter(field=field.strip(), op="in" if op == "=" else "not in", value=values)
            return Filter(field=field.strip(), op=op, value=value.strip())
    raise ValidationError.single("--where", f"{text!r} is not FIELD=VALUE (or !=, >, >=, <, <=)")


def build_spec(
    metrics: list[str], by: list[str], where: list[str], period: str | None, top: int | None
) -> QuerySpec:
    order = [OrderBy(name=metrics[0], descending=True)] if top else []
    return QuerySpec(
        metrics=metrics,
        dimensions=by,
        filters=[parse_where(w) for w in where],
        period=period,
        order_by=order,
        limit=top,
    )


def report(
    metric: Annotated[
        list[str], typer.Argument(help="Metric(s): names or synonyms, e.g. revenue, 'win rate'")
    ],
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Break down by: month, owner, city, ...")
    ] = None,
    where: Annotated[
        list[str] | None, typer.Option("--where", help="FIELD=VALUE (also !=, >, >=, <, <=)")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="e.g. 'this year', 'last quarter', 'since March'")
    ] = None,
    top: Annotated[int | None, typer.Option(help="Only the N largest rows by the first metric")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: columns, rows, query, sql")
    ] = False,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Also write the table to this CSV file")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Act as this user (default: an admin)")] = None,
) -> None:
    """Compute a report, e.g. `crm report revenue --by month --period "this year"`."""
    from app.cli import acting_user

    spec = build_spec(metric, by or [], where or [], period, top)
    with session_scope() as session:
        result = run_query(session, spec, acting_user(session, as_user))
    if csv_file is not None:
        _write_csv(result, csv_file)
    if as_json:
        typer.echo(json.dumps(as_payload(result), ensure_ascii=False, default=str))
    else:
        _print_table(result)


def as_payload(result: QueryResult) -> dict[str, Any]:
    return {
        "columns": result.columns,
        "rows": result.rows,
        "query": result.spec.model_dump(mode="json"),
        "sql": result.sql,
    }


def _write_csv(result: QueryResult, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(result.columns)
        writer.writerows(result.rows)


def _print_table(result: QueryResult) -> None:
    console = Console(file=sys.stdout)
    if result.period:
        console.print(f"[dim]{result.period.label}[/dim]")
    table = Table(*result.columns)
    for row in result.rows:
        table.add_row(*(_cell(value, unit) for value, unit in zip(row, _units(result), strict=True)))
    console.print(table)
    for note in result.notes:
        console.print(f"[dim]Note: {note}[/dim]")


def _units(result: QueryResult) -> list[str | None]:
    return [result.units.get(column_id) for column_id in result.ids]


def _cell(value: Any, unit: str | None) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "currency":
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)
