"""The demo team and the pipelines its deals walk through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from argon2 import PasswordHasher
from sqlalchemy import select

from core.demo import pools
from core.demo.world import DEMO_PASSWORD, Flow, World
from core.demo.writer import count, done, editable, first_id, table, write
from core.errors import ValidationError
from core.models import Pipeline, Stage
from core.services.deals import ensure_default_pipeline, stages_of


def add_users(w: World) -> None:
    """The demo team; a username that already exists is kept as it is and its id reused."""
    _add_missing_users(w)
    users = table("users")
    w.users = dict(w.session.execute(select(users.c.username, users.c.id)).all())
    sellers = [(w.users[username], role) for username, _, role, _ in pools.USERS if role != "admin"]
    w.owners = np.array([user_id for user_id, _ in sellers], dtype=np.int64)
    odds = np.array([1.0 if role == "manager" else 3.0 for _, role in sellers])  # staff do most
    w.owner_odds = odds / odds.sum()


def _add_missing_users(w: World) -> None:
    existing = set(w.session.scalars(select(table("users").c.username)))
    missing = [spec for spec in pools.USERS if spec[0] not in existing]
    password_hash = _password_hash() if missing else None
    first, joined = first_id(w, "users"), w.start - timedelta(days=30)
    write(w, "users", [
        {"id": first + i, "username": username, "display_name": name, "email": f"{username}@demo.example",
         "role": role, "team": team, "password_hash": password_hash, "active": True, "failed_logins": 0,
         "locked_until": None, "last_login_at": None, **editable(joined)}
        for i, (username, name, role, team) in enumerate(missing)])


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """argon2 is slow by design (~0.2 s): hash the shared demo password once per process."""
    return PasswordHasher().hash(DEMO_PASSWORD)


def add_pipelines(w: World) -> None:
    """The default Sales pipeline (through the deals service) and a small Renewals pipeline."""
    before = {name: count(w, name) for name in ("pipelines", "stages")}
    sales = ensure_default_pipeline(w.session)
    renewals = _renewals_pipeline(w)
    w.flows = {"Sales": _flow(w, sales.id, pools.SALES_FLOW),
               "Renewals": _flow(w, renewals.id, pools.RENEWAL_FLOW)}
    w.counts.update({name: count(w, name) - rows for name, rows in before.items()})
    done(w, "pipelines")


def _renewals_pipeline(w: World) -> Pipeline:
    """The Renewals pipeline, created with its stages unless it already exists."""
    renewals = w.session.scalars(select(Pipeline).where(Pipeline.name == "Renewals")).first()
    if renewals is not None:
        return renewals
    renewals = Pipeline(name="Renewals", position=1, **editable(w.start))
    w.session.add(renewals)
    w.session.flush()
    w.session.add_all([Stage(pipeline_id=renewals.id, name=name, position=position, probability=chance,
                             is_won=won, is_lost=lost, **editable(w.start))
                       for position, (name, chance, won, lost) in enumerate(pools.RENEWAL_STAGES)])
    w.session.flush()
    return renewals


def _flow(w: World, pipeline_id: Any, odds: Sequence[tuple[float, int]]) -> Flow:
    stages = stages_of(w.session, int(pipeline_id))
    open_ids = tuple(int(s.id) for s in stages if not (s.is_won or s.is_lost) and s.id is not None)
    won = next((int(s.id) for s in stages if s.is_won and s.id is not None), None)
    lost = next((int(s.id) for s in stages if s.is_lost and s.id is not None), None)
    if won is None or lost is None or not open_ids:
        raise ValidationError.single("pipelines", "each demo pipeline needs open, won and lost stages")
    # An admin may have added stages: extra ones behave like the last known one.
    per_stage = tuple(odds[min(i, len(odds) - 1)] for i in range(len(open_ids)))
    return Flow(int(pipeline_id), open_ids, won, lost, per_stage)
