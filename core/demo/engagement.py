"""Engagement: activities, follow-up tasks, support cases and campaigns with their recipients."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from typing import Any

import numpy as np

from core.demo import pools
from core.demo.people import People
from core.demo.world import (
    ACTIVITIES_PER_CONTACT,
    DAY,
    SPAN,
    World,
    moments,
    pick,
    pick_owners,
    stamp,
    stamps,
)
from core.demo.writer import as_rows, done, editable, first_id, insert_rows, nullable

ACTIVITY_SLICE = 2_000  # contacts whose activities are planned and written at a time
STILL_SENDING = 3  # days: a campaign sent this recently is still going out

# ---- activities ------------------------------------------------------------------------------------


def add_activities(w: World, people: People) -> None:
    """About five interactions per contact (customers more, leads fewer), a slice at a time so
    memory stays flat however many contacts there are."""
    stage = people.stage
    weight = np.select([stage == "customer", stage == "former", stage == "prospect"], [7.0, 5.0, 5.5], 2.5)
    per_contact = w.shape.activities_per_contact
    per_contact = ACTIVITIES_PER_CONTACT if per_contact is None else per_contact
    counts = w.rng.poisson(weight * per_contact / weight.mean())
    next_id, size = first_id(w, "activities"), people.ids.size
    for begin in range(0, size, ACTIVITY_SLICE):
        chunk = np.arange(begin, min(size, begin + ACTIVITY_SLICE))
        rows = _activity_rows(w, people, np.repeat(chunk, counts[chunk]), next_id)
        insert_rows(w, "activities", rows)
        next_id += len(rows)
    done(w, "activities")


def _activity_rows(w: World, people: People, who: np.ndarray, first: int) -> list[dict[str, Any]]:
    size, names = who.size, list(pools.ACTIVITY_CHANNELS)
    specs = [pools.ACTIVITY_CHANNELS[name] for name in names]
    weights = np.array([spec[0] for spec in specs], dtype=float)
    channel = w.rng.choice(len(specs), size, p=weights / weights.sum())
    picks = w.rng.integers(0, 1 << 30, (3, size))
    outcome = picks[1] % np.array([len(s[3]) for s in specs])[channel]
    when = moments(w, people.created[who], SPAN)
    inbound = np.array([s[1] for s in specs])[channel]
    return as_rows(size, {
        "id": np.arange(first, first + size), "contact_id": people.ids[who],
        "company_id": [people.company_id[i] for i in who.tolist()], "deal_id": None, "case_id": None,
        "channel": [names[c] for c in channel.tolist()],
        "direction": np.where(w.rng.random(size) < inbound, "inbound", "outbound"),
        "occurred_at": stamps(w, when), **_activity_texts(specs, channel, picks[0], picks[2], outcome),
        "duration_minutes": _durations(w, np.array(names)[channel], outcome),
        "owner_id": np.where(w.rng.random(size) < 0.8, people.owner[who], pick_owners(w, size)),
        "source": "demo", "custom": {}, **editable(stamps(w, when))})


def _activity_texts(specs: list[Any], channel: np.ndarray, subject_picks: np.ndarray,
                    note_picks: np.ndarray, outcome: np.ndarray) -> dict[str, list[Any]]:
    """Subject and outcome from the channel's own words; a note on about one in three."""
    subject = (subject_picks % np.array([len(s[2]) for s in specs])[channel]).tolist()
    return {
        "subject": [specs[c][2][s] for c, s in zip(channel.tolist(), subject, strict=True)],
        "notes": [pools.NOTES[p % len(pools.NOTES)] if p % 3 == 0 else None for p in note_picks.tolist()],
        "outcome": [specs[c][3][o] for c, o in zip(channel.tolist(), outcome.tolist(), strict=True)]}


def _durations(w: World, channel: np.ndarray, outcome: np.ndarray) -> list[int | None]:
    """Minutes for calls (1 when nobody answered) and meetings; other channels have none."""
    talk = np.clip(w.rng.lognormal(math.log(6), 0.7, channel.size), 1, 90).astype(np.int64)
    meeting = w.rng.choice(np.array([30, 45, 60, 90]), channel.size)
    minutes = np.where(channel == "phone", np.where(outcome < 2, 1, talk),
                       np.where(channel == "meeting", meeting, -1))
    return [m if m >= 0 else None for m in minutes.tolist()]


# ---- tasks -----------------------------------------------------------------------------------------


def task_rows(w: World, people: People) -> list[dict[str, Any]]:
    """Follow-ups: done and cancelled ones in the past, some overdue, some due today, some upcoming."""
    size = max(2, people.ids.size // 5)
    who = w.rng.choice(people.ids.size, size)
    kind = pick(w, pools.TASK_KINDS, size)
    due, created, completed = _task_times(w, kind, people.created[who])
    is_done = kind == "done"
    first = first_id(w, "tasks")
    return as_rows(size, {
        "id": np.arange(first, first + size),
        **_task_texts(w.rnd, [f"{people.first[i]} {people.last[i]}" for i in who.tolist()]),
        "due_at": stamps(w, due), "assignee_id": people.owner[who], "contact_id": people.ids[who],
        "deal_id": None, "case_id": None,
        "status": np.where(is_done, "done", np.where(kind == "cancelled", "cancelled", "open")),
        "priority": pick(w, pools.PRIORITIES, size),
        "recurrence": pick(w, [("none", 0.92), ("weekly", 0.05), ("monthly", 0.03)], size),
        "completed_at": nullable(stamps(w, completed), is_done), "reminder_sent_at": None,
        "custom": {}, **editable(stamps(w, created), stamps(w, np.where(is_done, completed, created)))})


def _task_times(w: World, kind: np.ndarray, contact_created: np.ndarray) -> tuple[np.ndarray, ...]:
    """When each task is due, was created (days before, after its contact) and would be completed."""
    due = _task_due(w, kind, contact_created)
    created = np.minimum(due, SPAN - 60) - w.rng.integers(DAY, 14 * DAY, kind.size)
    created = np.maximum(created, contact_created + 60)
    completed = moments(w, created, np.minimum(due + 2 * DAY, SPAN))
    return due, created, completed


def _task_due(w: World, kind: np.ndarray, contact_created: np.ndarray) -> np.ndarray:
    size = kind.size
    past = moments(w, contact_created + 3600, SPAN - DAY)
    overdue = moments(w, np.maximum(contact_created + 3600, SPAN - 30 * DAY), SPAN)
    hour = w.rng.integers(9, 17, size) * 3600
    today = SPAN + hour
    upcoming = SPAN + w.rng.integers(1, 31, size) * DAY + hour
    return np.select([kind == "overdue", kind == "today", kind == "upcoming"],
                     [overdue, today, upcoming], past)


def _task_texts(rnd: random.Random, names: list[str]) -> dict[str, list[Any]]:
    """A title naming the contact; a note on three tasks in ten."""
    return {"title": [rnd.choice(pools.TASK_TITLES).format(name=name) for name in names],
            "notes": [rnd.choice(pools.NOTES) if rnd.random() < 0.3 else None for _ in names]}


# ---- cases -----------------------------------------------------------------------------------------


def case_rows(w: World, people: People) -> list[dict[str, Any]]:
    """Support cases, mostly from buyers after a purchase; resolution time depends on priority."""
    size = max(1, people.ids.size // 10)
    who = _case_contacts(w, people, size)
    opened, priority, resolved = _case_times(w, people, who)
    status = [_case_status(w.rnd, SPAN - o, r < SPAN - 60)
              for o, r in zip(opened.tolist(), resolved.tolist(), strict=True)]
    is_resolved = np.isin(status, ("resolved", "closed"))
    sla = opened + np.array([pools.SLA_HOURS[p] * 3600 for p in priority])
    picked = [w.rnd.choice(pools.CASES) for _ in range(size)]
    first = first_id(w, "cases")
    return as_rows(size, {
        "id": np.arange(first, first + size),
        "subject": [s for s, _ in picked], "description": [d for _, d in picked],
        "contact_id": people.ids[who], "company_id": [people.company_id[i] for i in who.tolist()],
        "status": status, "priority": priority, "channel": pick(w, pools.CASE_CHANNELS, size),
        "opened_at": stamps(w, opened), "resolved_at": nullable(stamps(w, resolved), is_resolved),
        "sla_due_at": stamps(w, sla),
        "assignee_id": np.where(w.rng.random(size) < 0.7, people.owner[who], pick_owners(w, size)),
        "custom": {}, **editable(stamps(w, opened), stamps(w, np.where(is_resolved, resolved, opened)))})


def _case_contacts(w: World, people: People, size: int) -> np.ndarray:
    """Three cases in four come from buyers (when there are any), the rest from anyone."""
    bought = np.flatnonzero(people.first_order >= 0)
    pool = bought if bought.size else np.arange(people.ids.size)
    return np.where(w.rng.random(size) < 0.75, w.rng.choice(pool, size), w.rng.choice(people.ids.size, size))


def _case_times(w: World, people: People, who: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """When each case opens (after the first order, if any), its priority, and when it would be resolved."""
    since = np.where(people.first_order[who] >= 0, people.first_order[who], people.created[who])
    opened = moments(w, np.minimum(since + 3600, SPAN - 2 * 3600), SPAN, in_office=False)
    priority = pick(w, pools.PRIORITIES, who.size).tolist()
    median = np.array([pools.RESOLUTION_HOURS[p] * 3600 for p in priority])
    resolved = opened + w.rng.lognormal(np.log(median), 0.8).astype(np.int64)
    return opened, priority, resolved


def _case_status(rnd: random.Random, age: int, can_be_resolved: bool) -> str:
    odds = next(chances for days, chances in pools.CASE_STATUS_BY_AGE if age < days * DAY)
    status = rnd.choices([s for s, _ in odds], [p for _, p in odds])[0]
    return "open" if status in ("resolved", "closed") and not can_be_resolved else status


# ---- campaigns -------------------------------------------------------------------------------------


def plan_campaigns(w: World, people: People) -> tuple[list[dict], list[dict]]:
    """Campaigns in date order, so whoever unsubscribes is left out of the later ones."""
    first_campaign, first_recipient = first_id(w, "campaigns"), first_id(w, "campaign_recipients")
    managers = [w.users[u] for u, _, role, _ in pools.USERS if role == "manager"]
    campaigns: list[dict[str, Any]] = []
    recipients: list[dict[str, Any]] = []
    for k, spec in enumerate(pools.CAMPAIGNS):
        campaign_id, channel, days_ago = first_campaign + k, spec[1], spec[2]
        campaigns.append(_campaign(w, campaign_id, spec, managers[k % len(managers)]))
        recipients += _recipients(w, people, (campaign_id, first_recipient + len(recipients)),
                                  channel, _sent(days_ago), days_ago <= STILL_SENDING)
    return campaigns, recipients


def _sent(days_ago: int) -> int:
    """Campaigns go out at 10:00, `days_ago` days before today."""
    return SPAN - days_ago * DAY + 10 * 3600


def _campaign(w: World, campaign_id: int, spec: tuple[Any, ...], owner: int) -> dict[str, Any]:
    name, channel, days_ago, budget, subject = spec
    sent_at = stamp(w, _sent(days_ago))
    return {
        "id": campaign_id, "name": f"{name} {sent_at.year}", "channel": channel,
        "status": "sending" if days_ago <= STILL_SENDING else "sent", "subject": subject, "body": None,
        "segment_id": None, "owner_id": owner, "budget": budget,
        "sent_at": sent_at, **editable(sent_at - timedelta(days=10), sent_at)}


def _recipients(w: World, people: People, ids: tuple[int, int], channel: str, sent: int,
                sending: bool) -> list[dict[str, Any]]:
    """Those who consented on the channel (and had not unsubscribed), with their response."""
    campaign_id, first = ids
    eligible = people.consent[channel] & ~people.unsubscribed & (people.created < sent)
    chosen = np.flatnonzero(eligible & (w.rng.random(people.ids.size) < 0.6))
    status = _responses(w, channel, sending, chosen.size)
    people.unsubscribed[chosen[status == "unsubscribed"]] = True
    went_out = sent + w.rng.integers(0, 3600, chosen.size)
    reply_after = w.rng.lognormal(math.log(6 * 3600), 1.0, chosen.size).astype(np.int64)
    answered = np.minimum(went_out + reply_after, SPAN - 60)
    return as_rows(chosen.size, {
        "id": np.arange(first, first + chosen.size), "campaign_id": campaign_id,
        "contact_id": people.ids[chosen], "status": status,
        "sent_at": nullable(stamps(w, went_out), status != "pending"),
        "responded_at": nullable(stamps(w, answered), ~np.isin(status, ("pending", "sent", "bounced"))),
        "response_note": None, **editable(stamp(w, sent - 10 * DAY))})


def _responses(w: World, channel: str, sending: bool, size: int) -> np.ndarray:
    """How each recipient responded, with the channel's odds; many of a campaign still going out wait."""
    odds = np.array(pools.RESPONSE_ODDS[channel], dtype=float)
    odds[0] += 1.0 if sending else 0.0
    return np.array(pools.RESPONSES)[w.rng.choice(odds.size, size, p=odds / odds.sum())]
