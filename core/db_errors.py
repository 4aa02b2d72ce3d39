"""What to tell a person when the database itself fails: locked, unreachable, or not set up.

The CLI and the web app show the same sentences; the driver's own reason is kept in brackets.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url

LOCKED = ("database is locked", "database table is locked", "lock timeout", "lock_timeout")
UNREACHABLE = ("connection failed", "could not connect", "connection refused", "failed to resolve host",
               "timeout expired", "unable to open database file", "server closed the connection",
               "connection is closed", "terminating connection")
NO_TABLES = ("no such table", "undefinedtable", "relation \"")


def reason_of(error: BaseException) -> str:
    """The driver's message, first line only (psycopg adds hints on further lines)."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0].strip() if text else type(error).__name__


def is_locked(error: BaseException) -> bool:
    """Another program holds the write lock (SQLite) or a lock timed out (PostgreSQL)."""
    return any(mark in reason_of(error).lower() for mark in LOCKED)


def explain(error: BaseException, url: str) -> str:
    where = make_url(url).render_as_string(hide_password=True)
    reason = reason_of(error)
    lower = reason.lower()
    if is_locked(error):
        return (f"The database at {where} is busy: another program is writing to it ({reason}). "
                "Try again in a moment; if it stays locked, close the program that holds it.")
    if "database" in lower and "does not exist" in lower:
        return (f"The database at {where} does not exist ({reason}). Create it on the server "
                "(e.g. createdb), then run `crm init`.")
    if any(mark in lower for mark in UNREACHABLE):
        check = ("that its folder exists and may be written" if where.startswith("sqlite")
                 else "that the database server is running")
        return f"The database at {where} cannot be reached ({reason}). Check CRM_DATABASE_URL and {check}."
    if any(mark in lower for mark in NO_TABLES):
        return f"The database at {where} has no CRM tables yet ({reason}): run `crm init` first."
    return (f"The database at {where} could not be used: {reason}. A new database needs `crm init` "
            "first; otherwise check CRM_DATABASE_URL and that the server is running.")
