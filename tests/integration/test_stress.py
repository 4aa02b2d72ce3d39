"""Concurrency: writers in threads and in a second process save the same few records through the
services for a bounded time. Every save that returned is found at the end (no lost update), and
the only error a writer ever sees is the domain's ConflictError.

CRM_STRESS_SECONDS sets the time per backend (default 20).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.models import Activity, AuditLog, Deal, Stage, User
from core.services.deals import ensure_default_pipeline
from tests.integration.stress_worker import Tally, run_writers

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("CRM_STRESS_SECONDS", "20"))
THREADS = 6  # in this process
PROCESS_THREADS = 2  # in the second process
DEALS, ACTIVITIES = 4, 8
PROJECT = Path(__file__).resolve().parents[2]


def shared_records(engine: Engine, admin: User) -> tuple[list[int], list[int], dict[int, float]]:
    """The records every writer fights over, inserted directly (not through the services)."""
    with Session(engine, expire_on_commit=False) as session:
        pipeline = ensure_default_pipeline(session)
        stage = session.scalars(select(Stage).where(Stage.pipeline_id == pipeline.id)
                                .order_by(Stage.position)).first()
        found_deals = [Deal(title=f"Shared deal {n}", pipeline_id=pipeline.id, stage_id=stage.id,
                            amount=1000.0 * n, owner_id=admin.id) for n in range(DEALS)]
        found_activities = [Activity(channel="phone", subject=f"Shared call {n}", notes="",
                                     owner_id=admin.id) for n in range(ACTIVITIES)]
        session.add_all(found_deals + found_activities)
        session.commit()
        return ([d.id for d in found_deals], [a.id for a in found_activities],
                {d.id: d.amount for d in found_deals})


def start_second_process(engine: Engine, admin: User, deal_ids: list[int],
                         activity_ids: list[int]) -> subprocess.Popen[str]:
    url = engine.url.render_as_string(hide_password=False)
    args = [url, str(SECONDS), "100", str(PROCESS_THREADS), str(admin.id),
            ",".join(map(str, deal_ids)), ",".join(map(str, activity_ids))]
    process = subprocess.Popen([sys.executable, "-m", "tests.integration.stress_worker", *args],
                               cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def test_concurrent_writers_lose_no_update(engine, admin) -> None:
    deal_ids, activity_ids, amounts = shared_records(engine, admin)
    process = start_second_process(engine, admin, deal_ids, activity_ids)
    assert process.stdin is not None
    process.stdin.write("go\n")
    process.stdin.flush()
    began = time.monotonic()
    tally = run_writers(engine, 0, THREADS, SECONDS, admin.id, deal_ids, activity_ids)
    out, _ = process.communicate(timeout=SECONDS + 60)
    elapsed = time.monotonic() - began
    assert process.returncode == 0, out
    tally.merge(Tally(**json.loads(out.strip().splitlines()[-1])))

    assert tally.errors == [], tally.errors[:3]
    lost = lost_updates(engine, tally, amounts)
    writers = THREADS + PROCESS_THREADS
    print(f"\nSTRESS {engine.dialect.name}: {writers} writers ({THREADS} threads + {PROCESS_THREADS} in a "
          f"second process) for {elapsed:.0f} s: {tally.updates + tally.reads} operations "
          f"({tally.updates} saves, {tally.reads} reads), {tally.conflicts} conflicts reported, "
          f"{tally.gave_up} gave up, {lost} updates lost, {len(tally.errors)} unexpected errors")
    assert lost == 0
    assert tally.updates > 50 and tally.conflicts > 0  # the writers did race each other


def lost_updates(engine: Engine, tally: Tally, amounts: dict[int, float]) -> int:
    """Saves acknowledged but not in the database, checked three ways: each deal's amount against
    its +1s, each activity's notes against its tokens, and one audit row per save."""
    lost = 0
    with Session(engine) as session:
        for deal_id, start in amounts.items():
            done = tally.increments.get(str(deal_id), 0)
            amount = session.get(Deal, deal_id).amount
            lost += abs(round(amount - start) - done)
        for activity in session.scalars(select(Activity).where(Activity.id.in_(
                [int(key) for key in tally.tokens] or [0]))):
            stored = [token for token in (activity.notes or "").split(";") if token]
            acknowledged = tally.tokens.get(str(activity.id), [])
            assert len(stored) == len(set(stored)), "a token was written twice"
            lost += len(set(acknowledged) - set(stored))
            assert set(stored) <= set(acknowledged), "a save reported as failed was written"
        audited = session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.source == "stress", AuditLog.action == "update"))
        assert audited == tally.updates
    return lost
