"""`crm bench`: build (or reuse) the database at a scale, run each group, gather one report.

    python -m benchmarks.bench --scale small [--url URL] [--json] [--only records --only pages]

Groups: demo (generation rate, from the build), records (grid page, search, grid save, contact
360), analytics (cold and warm), assistant (ten questions, `crm ask` start-up), throughput (CSV
import), pages (AppTest script runs, cold and warm), memory (`crm serve` + headless chromium).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import Any

from sqlmodel import Session

from benchmarks.harness import SCALES, Report, Result, machine, prepare

GROUPS = ("demo", "records", "analytics", "assistant", "throughput", "pages", "memory")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(scale_name: str, url: str | None = None, only: Sequence[str] = (),
        log: Callable[[str], None] = _log, repeat: int | None = None) -> Report:
    """Every group of `GROUPS` (or those in `only`) at `scale_name`, on SQLite or `url`;
    `repeat` overrides the scale's timed calls per operation (a quicker, rougher run)."""
    from core.db import make_engine
    from core.demo import DEMO_PASSWORD
    from core.models import User

    unknown = set(only) - set(GROUPS)
    if unknown:
        raise ValueError(f"unknown group(s): {', '.join(sorted(unknown))}; groups: {', '.join(GROUPS)}")
    wanted = [group for group in GROUPS if not only or group in only]
    scale = SCALES[scale_name]
    if repeat:
        scale = replace(scale, repeat=repeat)
    began = time.perf_counter()
    database = prepare(scale, url, log=log)
    report = Report(scale.name, _safe(database.url), machine(database.url), database.built)
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "No runtime found" on each AppTest
    engine = make_engine(database.url)
    try:
        with Session(engine) as session:
            from benchmarks.records import admin

            user: User = admin(session)
            steps: dict[str, Callable[[], list[Result]]] = {
                "demo": lambda: [_demo(database.built, database.reused)],
                "records": lambda: _records(session, scale),
                "analytics": lambda: _analytics(session, user, scale),
                "assistant": lambda: _assistant(session, user, database.url, scale),
                "throughput": lambda: [_import(session, database.url, scale)],
                "pages": lambda: _pages(database.url, session, DEMO_PASSWORD, scale),
                "memory": lambda: [_memory(database.url, DEMO_PASSWORD)],
            }
            for group in wanted:
                log(f"{group} …")
                started = time.perf_counter()
                results = steps[group]()
                report.add(results)
                session.rollback()
                log(f"{group}: {time.perf_counter() - started:,.1f} s")
                for result in results:  # as they come: a long run shows its figures early
                    log(f"  {json.dumps(asdict(result), ensure_ascii=False, default=str)}")
    finally:
        engine.dispose()
    after = machine("sqlite://")
    report.machine["load_average_after"] = after.get("load_average")
    report.machine["cpu_check_ms_after"] = after.get("cpu_check_ms")
    report.seconds = time.perf_counter() - began
    return report


def _demo(built: dict[str, Any], reused: bool) -> Result:
    from benchmarks.throughput import demo_rate

    return demo_rate(built, reused)


def _records(session: Session, scale: Any) -> list[Result]:
    from benchmarks import records
    from core.db import freeze_long_lived_objects

    freeze_long_lived_objects()  # as the app does once it has started (see app/ui/session.py)
    return records.run(session, page=scale.page, repeat=scale.repeat)


def _analytics(session: Session, user: Any, scale: Any) -> list[Result]:
    from benchmarks import analytics

    return analytics.bench(session, user, cold=min(3, scale.repeat), warm=scale.repeat)


def _assistant(session: Session, user: Any, url: str, scale: Any) -> list[Result]:
    from benchmarks import assistant

    return assistant.bench(session, user, url, repeat=min(scale.repeat, 5), startups=scale.reruns)


def _import(session: Session, url: str, scale: Any) -> Result:
    from benchmarks.throughput import import_rate

    return import_rate(session, url, scale.import_rows)


def _pages(url: str, session: Session, password: str, scale: Any) -> list[Result]:
    from benchmarks import pages

    return pages.bench(url, session, "admin", password, warm=scale.reruns)


def _memory(url: str, password: str) -> Result:
    from benchmarks import memory

    return memory.bench(url, "admin", password)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def describe(report: Report) -> str:
    """The machine and the data, in one paragraph above the table."""
    m, built = report.machine, report.built
    counts = built.get("counts", {})
    data = ", ".join(f"{counts[name]:,} {name}" for name in
                     ("contacts", "orders", "order_lines", "deals", "deal_stage_history", "activities")
                     if name in counts)
    versions = f"Python {m.get('python')}, SQLite {m.get('sqlite')}"
    if m.get("postgresql"):
        versions += f", PostgreSQL {m['postgresql']}"
    return (f"Scale **{report.scale}** on `{report.database}` ({data or 'reused database'}). "
            f"Machine: {m.get('cores')} cores, {m.get('ram_gb')} GB RAM, {versions}; load average "
            f"{m.get('load_average')} before, {m.get('load_average_after')} after; a fixed Python loop "
            f"took {m.get('cpu_check_ms')} ms before and {m.get('cpu_check_ms_after')} ms after (the "
            f"machine's speed: compare runs whose loop times agree). Run took {report.seconds:,.0f} s.")


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--url")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", action="append", default=[], choices=GROUPS)
    parser.add_argument("--repeat", type=int)
    args = parser.parse_args(argv)
    report = run(args.scale, args.url, args.only, repeat=args.repeat)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, default=str))
    else:
        print(describe(report) + "\n\n" + report.markdown())


if __name__ == "__main__":
    main()
