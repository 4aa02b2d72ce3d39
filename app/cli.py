"""The `crm` command: set up the database, fill it with demo data, manage users, import, export, serve."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from typer.core import TyperGroup

from core.config import get_settings
from core.db import get_engine, session_scope
from core.errors import CRMError
from core.models import Contact, User


class FriendlyErrors(TyperGroup):
    """Domain errors become one clear message (and each listed problem) with exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CRMError as error:
            console.print(f"[red]Error:[/red] {error}")
            details = getattr(error, "errors", [])
            for detail in details[:200] if len(details) > 1 else []:  # one is already in the message
                console.print(f"  - {detail}")
            raise typer.Exit(1) from None
        except (OperationalError, ProgrammingError) as error:  # no tables yet, locked, unreachable
            from rich.markup import escape

            from core.db_errors import explain

            console.print(f"[red]Error:[/red] {escape(explain(error, get_settings().database_url))}")
            raise typer.Exit(1) from None


app = typer.Typer(help="A low-code CRM. Database: CRM_DATABASE_URL (default sqlite:///crm.db).",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=FriendlyErrors)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(user_app, name="user")
console = Console(stderr=True, soft_wrap=True)  # long messages stay whole lines
APP_ENTRYPOINT = Path(__file__).parent / "main.py"
PROJECT_ROOT = APP_ENTRYPOINT.parent.parent


def main() -> None:
    app()


def upgrade(engine: Any) -> None:
    """Bring the schema to the newest revision. Alembic is imported here, not at start-up: the
    commands that only read (ask, report, export) start faster without it."""
    from core.migrate import upgrade as migrate

    migrate(engine)


def _register_report() -> None:
    from app.report_cli import report

    app.command("report")(report)


def _register_ask() -> None:
    from app.ask_cli import ask

    app.command("ask")(ask)


def _register_reminders() -> None:
    from app.reminders_cli import reminders

    app.command("reminders")(reminders)


def _register_backup() -> None:
    from app.backup_cli import backup_command, restore_command

    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


def _register_bench() -> None:
    from app.bench_cli import bench

    app.command("bench")(bench)


def _register_summaries() -> None:
    from app.summaries_cli import summaries_app

    app.add_typer(summaries_app, name="summaries")


def _register_automation() -> None:
    from app.automation_cli import automation_app

    app.add_typer(automation_app, name="automation")


@app.command()
def init() -> None:
    """Create the database, or upgrade it to the newest schema."""
    engine = get_engine()
    upgrade(engine)
    console.print(f"Database ready: {_safe_url()}")


@app.command()
def demo(
    contacts: Annotated[int, typer.Option(help="How many contacts to generate.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    orders_per_contact: Annotated[float | None, typer.Option(help="Orders per contact (about).")] = None,
    deals_per_contact: Annotated[float | None, typer.Option(help="Deals per contact (about).")] = None,
    activities_per_contact: Annotated[float | None, typer.Option(help="Activities per contact.")] = None,
) -> None:
    """Fill an empty database with realistic multilingual demo data (with history)."""
    from core.demo import DEMO_PASSWORD, USERS, Shape, generate_demo

    engine = get_engine()
    upgrade(engine)
    with _progress() as progress:
        task = progress.add_task("demo data", total=1.0)
        summary = generate_demo(
            engine,
            contacts=contacts,
            seed=seed,
            shape=Shape(orders_per_contact, deals_per_contact, activities_per_contact),
            progress=lambda label, done: progress.update(task, completed=done, description=label),
        )
    typer.echo(str(summary))
    people = ", ".join(f"{name} ({role}{', ' + team if team else ''})" for name, _, role, team in USERS)
    typer.echo(f"Sign in with the password {DEMO_PASSWORD} as one of: {people}.")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="admin, manager or staff")] = "staff",
    name: Annotated[str | None, typer.Option(help="Display name (default: the username).")] = None,
    team: Annotated[str | None, typer.Option(help="Team, for managers' reach.")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Add a user (the first user of a fresh database is always an admin)."""
    from core.services.users import create_user

    password = (
        sys.stdin.readline().rstrip("\n")
        if password_stdin
        else typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    )
    upgrade(get_engine())
    with session_scope() as session:
        actor = _first_admin(session)
        user = create_user(
            session=session,
            actor=actor,
            password=password,
            source="cli",
            data={"username": username, "display_name": name or username, "role": role, "team": team},
        )
        typer.echo(f"Added {user.username} ({user.role}).")


@app.command("import")
def import_(
    entity: Annotated[str, typer.Argument(help="contacts, products, orders, deals or activities")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv or .xlsx file.")],
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False,
    skip_existing: Annotated[bool, typer.Option(help="Leave existing records unchanged.")] = False,
    as_user: Annotated[str | None, typer.Option("--as", help="Act as this user (default: an admin).")] = None,
) -> None:
    """Import a file: all rows or none; every bad row is listed with its line and reason."""
    from core.services.imports import import_file

    upgrade(get_engine())
    with session_scope() as session, _progress() as progress:
        task = progress.add_task(f"importing {file.name}", total=1.0)
        result = import_file(
            session=session,
            user=acting_user(session, as_user),
            entity=entity,
            path=file,
            dry_run=dry_run,
            on_duplicate="skip" if skip_existing else "update",
            progress=lambda done: progress.update(task, completed=done),
        )
    verb = "Would import" if dry_run else "Imported"
    typer.echo(
        f"{verb} {result.rows} rows of {entity}: {result.created} created, "
        f"{result.updated} updated, {result.skipped} skipped."
    )


@app.command()
def export(
    entity: Annotated[str, typer.Argument(help="contacts, products, orders, deals or activities")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help=".csv or .xlsx; default: stdout CSV")
    ] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Act as this user (default: an admin).")] = None,
) -> None:
    """Export an entity in its import format (plus ids and custom fields), in a stable order."""
    from core.services.exports import export_file, export_rows, spreadsheet_safe

    with session_scope() as session:
        user = acting_user(session, as_user)
        if output is None:
            spreadsheet_safe(export_rows(session=session, user=user, entity=entity)).to_csv(
                sys.stdout, index=False)
            return
        count = export_file(session=session, user=user, entity=entity, path=output)
    console.print(f"Exported {count} {entity} to {output}")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501,
    demo_data: Annotated[
        bool, typer.Option("--demo", help="Fill an empty database with demo data first.")
    ] = False,
    headless: Annotated[bool, typer.Option(help="Do not open a browser.")] = True,
) -> None:
    """Start the web app (upgrading the database first)."""
    engine = get_engine()
    upgrade(engine)
    with session_scope(engine) as session:
        empty = not session.scalar(select(func.count()).select_from(Contact))
        users = session.scalar(select(func.count()).select_from(User))
    if demo_data and empty:
        demo(contacts=2000, seed=42, orders_per_contact=None, deals_per_contact=None,
             activities_per_contact=None)
    elif not users:
        typer.echo("No users yet: the app will ask you to create the first admin.")
    typer.echo(f"Open http://localhost:{port}")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_ENTRYPOINT),
        "--server.port",
        str(port),
        "--server.headless",
        str(headless).lower(),
    ]
    # Streamlit reads .streamlit/config.toml from its working directory, so it runs from the
    # project folder; the database URL is made absolute first so it still means the same file.
    env = {**os.environ, "CRM_DATABASE_URL": _absolute_url(get_settings().database_url)}
    engine.dispose()
    os.chdir(PROJECT_ROOT)
    # The process becomes Streamlit (same pid): a service manager's or a test's stop signal reaches
    # the server itself, instead of leaving an orphaned server behind a stopped `crm serve`.
    os.execve(sys.executable, command, env)


def acting_user(session, username: str | None) -> User:  # type: ignore[no-untyped-def]
    from core.services.users import find_user

    user = find_user(session, username) if username else _first_admin(session)
    if user is None:
        raise CRMError(
            f"There is no user {username!r}."
            if username
            else "There are no users yet: add one with `crm user add NAME --role admin`."
        )
    return user


def _first_admin(session) -> User | None:  # type: ignore[no-untyped-def]
    query = select(User).where(User.role == "admin", User.active, User.deleted_at.is_(None))
    return session.scalars(query.order_by(User.id)).first()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _absolute_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return parsed.render_as_string(hide_password=False)


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


_register_report()
_register_ask()
_register_reminders()
_register_automation()
_register_summaries()
_register_backup()
_register_bench()
_register_summaries()


if __name__ == "__main__":
    main()
