"""The `crm bench` harness: scales, the benchmark database (built once, reused), timing and the table.

A scale is a number of contacts and a shape (orders, deals, activities per contact). The database
for a scale is built with the demo generator into a SQLite file under `CRM_BENCH_DIR` (default
~/.cache/crm-bench), named by scale and a fingerprint of everything that decides its rows (scale,
seed, generator source), so a later run reuses it (upgraded to the newest schema first: a new index
is added, not rebuilt) and a changed generator rebuilds it.
With a URL (PostgreSQL) an empty database is filled; one that holds the scale's contacts is reused.

Each operation is timed `repeat` times after one warm-up call: median and p95 (nearest rank), next
to its floor, the bare SQL statement that fetches the same rows, timed the same way in the same run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine, make_url

ROOT = Path(__file__).resolve().parent.parent
SEED = 42


@dataclass(frozen=True)
class Scale:
    name: str
    contacts: int
    orders_per_contact: float
    deals_per_contact: float
    activities_per_contact: float
    import_rows: int  # contacts in the import CSV
    repeat: int  # timed calls per operation (after one warm-up)
    page: int  # the grid page to open (100 rows each)
    reruns: int  # warm runs of each page, fresh `crm ask` processes


SCALES = {
    "small": Scale("small", 2_000, 2.0, 0.5, 3.0, import_rows=2_000, repeat=3, page=5, reruns=1),
    # A fifth of large: built in about 8 minutes, for comparing two versions of the code in an hour.
    "medium": Scale("medium", 200_000, 2.0, 0.5, 3.0, import_rows=20_000, repeat=5, page=100, reruns=2),
    "large": Scale("large", 1_000_000, 2.0, 0.5, 3.0, import_rows=100_000, repeat=15, page=500, reruns=3),
}


# ---- the database ----------------------------------------------------------------------------------


def bench_dir() -> Path:
    folder = Path(os.environ.get("CRM_BENCH_DIR", Path.home() / ".cache" / "crm-bench"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fingerprint(scale: Scale) -> str:
    """What decides the rows: contacts, shape, seed and the generator's source (not the repeats)."""
    decisive = [scale.name, scale.contacts, scale.orders_per_contact, scale.deals_per_contact,
                scale.activities_per_contact, SEED]
    digest = hashlib.sha256(json.dumps(decisive).encode())
    sources = sorted((ROOT / "core" / "demo").rglob("*.py"))
    for path in sources:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class Database:
    url: str
    built: dict[str, Any]  # how it was built: rows per table, seconds, when (or reused)
    reused: bool


def sqlite_path(scale: Scale) -> Path:
    return bench_dir() / f"crm-bench-{scale.name}-{fingerprint(scale)}.db"


def prepare(scale: Scale, url: str | None = None, *, log: Callable[[str], None] = print) -> Database:
    """The benchmark database for `scale`: reused when it is there, built otherwise."""
    if url is None:
        return _prepare_sqlite(scale, log)
    return _prepare_url(scale, url, log)


def _prepare_sqlite(scale: Scale, log: Callable[[str], None]) -> Database:
    path = sqlite_path(scale)
    sidecar = path.with_suffix(".json")
    url = f"sqlite:///{path}"
    if path.exists() and sidecar.exists():
        log(f"reusing {path}")
        _upgrade(url)
        return Database(url, json.loads(sidecar.read_text()), reused=True)
    partial = path.with_suffix(".building")
    partial.unlink(missing_ok=True)
    log(f"building {path} ({scale.contacts:,} contacts)")
    built = _build(f"sqlite:///{partial}", scale, log)
    partial.rename(path)  # only a finished build is ever reused
    sidecar.write_text(json.dumps(built, indent=1))
    return Database(url, built, reused=False)


def _upgrade(url: str) -> None:
    from core.db import make_engine
    from core.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _prepare_url(scale: Scale, url: str, log: Callable[[str], None]) -> Database:
    from core.db import make_engine
    from core.models import Contact

    engine = make_engine(url)
    try:
        from core.migrate import upgrade

        upgrade(engine)
        with engine.connect() as connection:
            held = connection.scalar(select(func.count()).select_from(Contact.__table__)) or 0
    finally:
        engine.dispose()
    if held == scale.contacts:
        log(f"reusing {_safe(url)} ({held:,} contacts); vacuuming it (a no-op when autovacuum has)")
        engine = make_engine(url)
        try:
            analyse(engine)  # an upgrade may have added indexes and tables
        finally:
            engine.dispose()
        return Database(url, {"reused": True, "contacts": held}, reused=True)
    if held:
        raise SystemExit(f"{_safe(url)} holds {held:,} contacts, not the {scale.contacts:,} of the "
                         f"{scale.name} scale: give an empty database")
    log(f"building {_safe(url)} ({scale.contacts:,} contacts)")
    return Database(url, _build(url, scale, log), reused=False)


def _build(url: str, scale: Scale, log: Callable[[str], None]) -> dict[str, Any]:
    from core.db import make_engine
    from core.demo import Shape, generate_demo
    from core.migrate import upgrade

    engine = make_engine(url)
    try:
        upgrade(engine)
        shape = Shape(scale.orders_per_contact, scale.deals_per_contact, scale.activities_per_contact)
        summary = generate_demo(engine, contacts=scale.contacts, seed=SEED, shape=shape,
                                progress=lambda label, done: log(f"  {done:4.0%} {label}"))
        analyse(engine)
    finally:
        engine.dispose()
    rows = sum(summary.counts.values())
    log(f"built {rows:,} rows in {summary.seconds:,.1f} s")
    return {"counts": summary.counts, "seconds": summary.seconds, "rows": rows,
            "at": datetime.now(UTC).isoformat(timespec="seconds"), "fingerprint": fingerprint(scale)}


def analyse(engine: Engine) -> None:
    """The database as the app's own has it in steady state: PostgreSQL's autovacuum analyses every
    table and sets the visibility map after a bulk load (without it an index-only scan still reads
    every row it finds from the table: the grid page's bare SQL took 93 ms instead of a few); the
    app never runs ANALYZE on SQLite, so neither does the benchmark (with statistics, SQLite took the
    demo's all-NULL activities.deal_id index for useless and scanned 3M activities for each deal
    page: 15 s instead of milliseconds)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE)")


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ---- timing ----------------------------------------------------------------------------------------


def sample(call: Callable[[], Any], repeat: int, *, warm_up: bool = True,
           before: Callable[[], Any] | None = None) -> list[float]:
    """Milliseconds per call; `before` runs untimed before each call (e.g. emptying a cache)."""
    if warm_up:
        if before:
            before()
        call()
    times = []
    for _ in range(repeat):
        if before:
            before()
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return times


def median(times: list[float]) -> float:
    return statistics.median(times)


def p95(times: list[float]) -> float:
    """Nearest rank: with 15 samples, the 15th; with 5, the 5th (the worst)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Result:
    """One row of the table: a timed operation (ms), a throughput (rows/s) or a size (MB)."""

    group: str
    name: str
    unit: str = "ms"  # ms | rows/s | MB
    median: float | None = None
    p95: float | None = None
    floor: float | None = None  # median ms of the bare SQL fetching the same rows
    target: str = ""  # e.g. "< 50 ms, <= 2x floor"
    ok: bool | None = None
    note: str = ""
    samples: int = 0

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.floor:
            return None
        return self.median / self.floor


def timed(group: str, name: str, times: list[float], *, floor: list[float] | None = None,
          under: float | None = None, ratio: float | None = None, note: str = "") -> Result:
    """A timed result checked against `under` ms (median) and `ratio` x its floor."""
    result = Result(group, name, median=median(times), p95=p95(times),
                    floor=median(floor) if floor else None, note=note, samples=len(times))
    checks, targets = [], []
    if under is not None:
        targets.append(f"< {under:,g} ms")
        checks.append(result.median is not None and result.median < under)
    if ratio is not None and result.ratio is not None:
        targets.append(f"≤ {ratio:g}× floor")
        checks.append(result.ratio <= ratio)
    result.target = ", ".join(targets)
    result.ok = all(checks) if checks else None
    return result


def rate(group: str, name: str, rows: int, seconds: float, *, at_least: float | None = None,
         note: str = "") -> Result:
    value = rows / seconds if seconds else 0.0
    target = f"≥ {at_least:,.0f} rows/s" if at_least else ""
    ok = None if at_least is None else value >= at_least
    return Result(group, name, unit="rows/s", median=value, target=target, ok=ok, note=note, samples=1)


@dataclass
class Report:
    scale: str
    database: str
    machine: dict[str, Any]
    built: dict[str, Any]
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, results: Iterable[Result]) -> None:
        self.results.extend(results)

    def to_json(self) -> dict[str, Any]:
        return {"scale": self.scale, "database": self.database, "machine": self.machine,
                "built": self.built, "seconds": round(self.seconds, 1),
                "results": [{**asdict(r), "ratio": r.ratio} for r in self.results]}

    def markdown(self) -> str:
        lines = [
            "| group | operation | median | p95 | floor | ratio | target | met |",
            "|---|---|---:|---:|---:|---:|---|:-:|",
        ]
        for r in self.results:
            lines.append(" | ".join([
                f"| {r.group}", r.name + (f" ({r.note})" if r.note else ""), _figure(r.median, r.unit),
                _figure(r.p95, r.unit), _figure(r.floor, "ms"),
                f"{r.ratio:.1f}×" if r.ratio is not None else "", r.target,
                {True: "✓", False: "✗", None: ""}[r.ok] + " |"]))
        return "\n".join(lines)


def _figure(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ms":
        return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"
    return f"{value:,.0f} {unit}"


def cpu_check_ms() -> float:
    """Milliseconds a fixed pure-Python loop takes (best of three): the machine's speed at that
    moment. A shared host's speed moved by up to 40 % within an hour here (the same loop took
    0.64-1.17 s), so two runs' figures compare only when their checks agree."""
    best = math.inf
    for _ in range(3):
        began = time.perf_counter()
        total = 0
        for number in range(2_000_000):
            total += number
        best = min(best, time.perf_counter() - began)
    return round(best * 1000, 1)


def machine(url: str) -> dict[str, Any]:
    """What the figures were measured on: cores, memory, load, the speed of the moment, Python and
    database versions."""
    import platform
    import sqlite3

    info: dict[str, Any] = {"cores": os.cpu_count(), "python": platform.python_version(),
                            "sqlite": sqlite3.sqlite_version, "platform": platform.platform(),
                            "cpu_check_ms": cpu_check_ms()}
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next(line for line in meminfo.read_text().splitlines() if line.startswith("MemTotal"))
        info["ram_gb"] = round(int(total.split()[1]) / 1024 / 1024, 1)
    if url.startswith("postgresql"):
        from core.db import make_engine

        engine = make_engine(url)
        with engine.connect() as connection:
            info["postgresql"] = connection.exec_driver_sql("SHOW server_version").scalar()
        engine.dispose()
    return info
