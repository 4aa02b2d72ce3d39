"""Benchmark: the offline assistant's answer time, beyond the query it runs, and `crm ask` start-up.

    python -m benchmarks.assistant --url sqlite:////tmp/dash.db [--user admin] [--repeat 5]

Runs against an existing database (fill one with `crm demo --contacts N`). For each question: the
median time of `Assistant.ask` (parse + vocabulary + query + reply) and of running the same
QuerySpec alone through the semantic layer; their difference is what the assistant adds. Then the
wall time of `crm ask --json` in a fresh process (interpreter start, imports, one answer).
Not a test: numbers go in the README.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.assistant import Assistant
from core.db import make_engine
from core.models import User
from core.query.engine import run_query
from core.query.spec import QuerySpec

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = (
    "how many contacts do we have",
    "revenue this year",
    "revenue by month this year",
    "win rate by owner",
    "top 5 products by revenue last quarter",
    "which city has the most customers",
    "average order value in 2025",
    "open pipeline by stage",
    "calls last 30 days",
    "who should I call today?",
)


def _median_ms(call, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _question_rows(session: Session, user: User, repeat: int) -> list[tuple[str, str, float, float]]:
    assistant = Assistant(session, use_llm=False, log_conversation=False)
    rows = []
    for question in QUESTIONS:
        reply = assistant.ask(question, user)  # warms the vocabulary cache, as a running app has it
        total = _median_ms(lambda q=question: assistant.ask(q, user), repeat)
        spec = QuerySpec.model_validate(reply.query) if reply.query else None
        query = _median_ms(lambda s=spec: run_query(session, s, user), repeat) if spec else 0.0
        rows.append((question, reply.status, total, query))
    return rows


def _startup_ms(url: str, user: str) -> float:
    """`crm ask` as `python -m app.cli ask` from this checkout (the `crm` script may point at another)."""
    env = {**os.environ, "CRM_DATABASE_URL": url}
    env.pop("OPENAI_API_KEY", None)
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app.cli", "ask", "--json", "--as", user,
                    "how many contacts do we have"], env=env, check=True, capture_output=True, cwd=ROOT)
    return (time.perf_counter() - began) * 1000


def bench(session: Session, user: User, url: str, repeat: int, startups: int = 3) -> list[Any]:
    """Rows for `crm bench`: each question's answer time next to its query alone (the floor), and
    the start-up of `crm ask` in a fresh process."""
    from benchmarks.harness import sample, timed

    assistant = Assistant(session, use_llm=False, log_conversation=False)
    results = []
    for question in QUESTIONS:
        reply = assistant.ask(question, user)
        spec = QuerySpec.model_validate(reply.query) if reply.query else None
        floor = sample(lambda s=spec: run_query(session, s, user), repeat) if spec else None
        times = sample(lambda q=question: assistant.ask(q, user), repeat)
        results.append(timed("assistant", f"“{question}” ({reply.status})", times, floor=floor))
    startup = [_startup_ms(url, user.username) for _ in range(startups)]
    results.append(timed("assistant", "crm ask start-up + one answer (fresh process)", startup))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(args.url)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == args.user)).one()
        rows = _question_rows(session, user, args.repeat)
    print(f"{args.url} as {args.user}, median of {args.repeat}:\n")
    print("| question | status | answer ms | its query ms | assistant adds ms |")
    print("|---|---|---:|---:|---:|")
    for question, status, total, query in rows:
        print(f"| {question} | {status} | {total:,.1f} | {query:,.1f} | {total - query:,.1f} |")
    startup = statistics.median(_startup_ms(args.url, args.user) for _ in range(3))
    print(f"\n`crm ask` in a fresh process (start-up + one answer): {startup:,.0f} ms")


if __name__ == "__main__":
    main()
