"""Benchmark: does a grid page open as fast on 1,000,000 contacts as on 1,000?

    python -m benchmarks.grid_open [--sizes 1000 1000000] [--repeat 15]

Builds one SQLite file per size (bulk inserts, not part of the timing), then times the grid's
data calls (`core.services.listing.list_page`: count + one page with labels) as an admin and as a
staff member, and prints the median and p95 per size. Not a test: numbers go in the README.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

from benchmarks.harness import median, p95, sample
from core.db import make_engine
from core.migrate import upgrade
from core.models import Company, Contact, User
from core.query.filters import Filter
from core.services.listing import list_page

CITIES = ["Milano", "Roma", "Köln", "Łódź", "Lyon", "Sevilla", "Porto", "Malmö", "İzmir", "Brno"]
LAST = ["Rossi", "Müller", "Nowak", "Dubois", "García", "Silva", "Öberg", "Çelik", "Novák", "Smith"]
CREATED = datetime(2026, 1, 1)
FIRST = ["Maria", "Jan", "Zoë", "Łukasz", "Chloé", "José", "Ana", "Åsa", "Emre", "Tereza"]


def build(path: Path, size: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rng = random.Random(size)
    with Session(engine) as session:
        session.add_all(
            [User(username=f"user{i}", display_name=f"User {i}", role="staff", team="t") for i in range(10)]
        )
        session.add_all([Company(name=f"Company {i}") for i in range(100)])
        session.commit()
        for start in range(0, size, 50_000):
            rows = [_contact(rng, n) for n in range(start, min(size, start + 50_000))]
            session.execute(insert(Contact.__table__), rows)
        session.commit()
    engine.dispose()


def _contact(rng: random.Random, n: int) -> dict[str, object]:
    return {
        "first_name": rng.choice(FIRST),
        "last_name": f"{rng.choice(LAST)}{n % 997}",
        "email": f"c{n}@example.com",
        "city": rng.choice(CITIES),
        "company_id": rng.randint(1, 100),
        "owner_id": rng.randint(1, 10),
        "lifecycle_stage": "lead",
        "tags": [],
        "custom": {},
        "consent_email": True,
        "consent_phone": False,
        "consent_sms": False,
        "unsubscribed": False,
        "version": 1,
        "created_at": CREATED,
        "updated_at": CREATED,
    }


def timings(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = sample(call, repeat)  # after one call that warms the page cache, as an open app has it
    return median(samples), p95(samples)


def measure(path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        admin = User(id=0, username="bench", display_name="Bench", role="admin", active=True)
        staff = session.get(User, 1)
        sort = [("last_name", False), ("first_name", False)]
        cases = {
            "open grid (admin, page 1)": lambda: list_page(session, admin, "contacts", sort=sort),
            "open grid (staff, page 1)": lambda: list_page(session, staff, "contacts", sort=sort),
            "city filter, page 5": lambda: list_page(
                session, admin, "contacts", sort=sort, page=5, filters=[Filter(field="city", value="Milano")]
            ),
            "search 'rossi1'": lambda: list_page(session, admin, "contacts", search="rossi1"),
        }
        return {name: timings(call, repeat) for name, call in cases.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            path = Path(folder) / f"grid{size}.db"
            started = time.perf_counter()
            build(path, size)
            print(f"built {size:,} contacts in {time.perf_counter() - started:.1f} s")
            results[size] = measure(path, args.repeat)
    print(f"\n| operation | {' | '.join(f'{s:,} contacts: median / p95 (ms)' for s in args.sizes)} |")
    print(f"|---|{'---|' * len(args.sizes)}")
    for name in results[args.sizes[0]]:
        cells = " | ".join(f"{results[s][name][0]:.1f} / {results[s][name][1]:.1f}" for s in args.sizes)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
