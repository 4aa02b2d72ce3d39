"""Writers for the stress test: each reads a few shared records and saves a change through the
services with the version it read, retrying on ConflictError, for a bounded time.

Run in threads of the test process, and as a second process:
    python -m tests.integration.stress_worker URL SECONDS FIRST_WORKER THREADS USER DEALS ACTIVITIES
(it prints "ready", waits for a line on stdin, works, then prints its tally as JSON).
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import make_engine
from core.errors import ConflictError
from core.models import Activity, Deal, Stage, User
from core.services import activities, deals
from core.services.listing import list_page
from core.services.records import count_visible

ATTEMPTS = 50  # per change: a writer that keeps losing the race gives up (and it is counted)


@dataclass
class Tally:
    reads: int = 0
    updates: int = 0  # saves that returned without error: each must be found at the end
    conflicts: int = 0
    gave_up: int = 0
    increments: dict[str, int] = field(default_factory=dict)  # deal id -> successful +1s
    tokens: dict[str, list[str]] = field(default_factory=dict)  # activity id -> tokens appended
    errors: list[str] = field(default_factory=list)  # anything but ConflictError

    def merge(self, other: Tally) -> None:
        self.reads += other.reads
        self.updates += other.updates
        self.conflicts += other.conflicts
        self.gave_up += other.gave_up
        for key, count in other.increments.items():
            self.increments[key] = self.increments.get(key, 0) + count
        for key, tokens in other.tokens.items():
            self.tokens.setdefault(key, []).extend(tokens)
        self.errors += other.errors


class Writer:
    def __init__(self, engine: Engine, number: int, user_id: int, deal_ids: list[int],
                 activity_ids: list[int]):
        self.engine, self.number, self.user_id = engine, number, user_id
        self.deal_ids, self.activity_ids = deal_ids, activity_ids
        self.random = random.Random(number)
        self.tally = Tally()
        self.serial = 0

    def run(self, seconds: float) -> Tally:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.step()
            except Exception:  # every error but the domain's conflict is a failure
                self.tally.errors.append(traceback.format_exc(limit=3))
        return self.tally

    def step(self) -> None:
        roll = self.random.random()
        if roll < 0.3:
            self.read()
        elif roll < 0.65:
            self.retry(self.increment_deal, self.random.choice(self.deal_ids))
        else:
            self.retry(self.append_token, self.random.choice(self.activity_ids))

    def retry(self, change: Any, record_id: int) -> None:
        for _ in range(ATTEMPTS):
            try:
                change(record_id)
                self.tally.updates += 1
                return
            except ConflictError:
                self.tally.conflicts += 1
        self.tally.gave_up += 1

    def read(self) -> None:
        with Session(self.engine) as session:
            user = session.get(User, self.user_id)
            count_visible(session, user, "deals")
            list_page(session, user, "activities", page_size=10)
            session.scalar(select(func.sum(Deal.amount)))
        self.tally.reads += 1

    def increment_deal(self, deal_id: int) -> None:
        """+1 on the amount, sometimes moving the deal to another stage in the same save."""
        with Session(self.engine, expire_on_commit=False) as session:
            user = session.get(User, self.user_id)
            deal = session.get(Deal, deal_id)
            changes: dict[str, Any] = {"amount": deal.amount + 1}
            if self.random.random() < 0.3:
                stages = session.scalars(select(Stage.id).where(Stage.pipeline_id == deal.pipeline_id))
                changes["stage_id"] = self.random.choice(list(stages))
            self.think()
            deals.update(session=session, user=user, record_id=deal_id, changes=changes,
                         expected_version=deal.version, source="stress")
        key = str(deal_id)
        self.tally.increments[key] = self.tally.increments.get(key, 0) + 1

    def append_token(self, activity_id: int) -> None:
        self.serial += 1
        token = f"{self.number}.{self.serial}"
        with Session(self.engine, expire_on_commit=False) as session:
            user = session.get(User, self.user_id)
            activity = session.get(Activity, activity_id)
            notes = f"{activity.notes or ''}{token};"
            self.think()
            activities.update(session=session, user=user, record_id=activity_id, changes={"notes": notes},
                              expected_version=activity.version, source="stress")
        self.tally.tokens.setdefault(str(activity_id), []).append(token)

    def think(self) -> None:
        """A moment between reading and saving, as a person editing has: races happen."""
        time.sleep(self.random.uniform(0, 0.004))


def run_writers(engine: Engine, first: int, threads: int, seconds: float, user_id: int,
                deal_ids: list[int], activity_ids: list[int]) -> Tally:
    writers = [Writer(engine, first + n, user_id, deal_ids, activity_ids) for n in range(threads)]
    workers = [threading.Thread(target=w.run, args=(seconds,)) for w in writers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    total = Tally()
    for writer in writers:
        total.merge(writer.tally)
    return total


def main(argv: list[str]) -> None:
    url, seconds, first, threads, user_id, deal_ids, activity_ids = argv
    engine = make_engine(url)
    print("ready", flush=True)
    sys.stdin.readline()
    tally = run_writers(engine, int(first), int(threads), float(seconds), int(user_id),
                        [int(x) for x in deal_ids.split(",")], [int(x) for x in activity_ids.split(",")])
    engine.dispose()
    print(json.dumps(asdict(tally)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
