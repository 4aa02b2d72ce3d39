"""Realistic demo data: about three years of a small company's CRM history, written in bulk.

Everything is derived from one seed and `core.config.today()`, so a seed gives the same data on
SQLite and PostgreSQL. Each table is planned column-wise in memory (numpy for the many values,
`random.Random` for per-row picks) with explicit ids, so later tables point at earlier ones without
reading them back; rows are then written with chunked executemany inserts in one transaction.
Times are seconds since the start of the history; the history ends at today 00:00 and only due
dates, expected close dates and SLA deadlines lie beyond it.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from argon2 import PasswordHasher
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import demo_pools as pools
from core.config import get_settings, now, start_of_day, today
from core.errors import ValidationError
from core.models import Contact, Pipeline, Stage, metadata
from core.services.deals import ensure_default_pipeline, stages_of

DEMO_PASSWORD = "demo1234"
MIN_CONTACTS = 10
DAY = 86_400
SPAN = 3 * 365 * DAY  # seconds of history, ending at today 00:00
OFFICE_HOURS = (8 * 3600, 18 * 3600)
CHUNK = 5_000  # rows per executemany: big enough to be fast, small enough for the drivers
BUYER_SHARE = 0.45  # contacts who ever order
FORMER_AFTER = 450 * DAY  # a customer with no order for this long is a former customer
ACTIVITIES_PER_CONTACT = 5.0
STEPS = 16  # progress calls, one per table (pipelines and stages count as one)
Progress = Callable[[str, float], None]


@dataclass
class DemoSummary:
    """What `generate_demo` wrote: rows per table and how long it took."""

    counts: dict[str, int]
    seconds: float = 0.0

    def __str__(self) -> str:
        width = max([len(name) for name in self.counts] + [5])
        lines = [f"{name:<{width}}  {rows:>9,}" for name, rows in self.counts.items()]
        lines.append(f"{'total':<{width}}  {sum(self.counts.values()):>9,}")
        return "\n".join([*lines, f"written in {self.seconds:.1f} s"])


@dataclass(frozen=True)
class _Flow:
    """A pipeline as a deal walks it: open stages in order, then where won and lost deals end."""

    pipeline_id: int
    open: tuple[int, ...]
    won: int
    lost: int
    odds: tuple[tuple[float, int], ...]  # per open stage: chance to move on, mean days there


@dataclass
class _World:
    """The dice, the clock, the open transaction and the ids later tables refer to."""

    session: Session
    rng: np.random.Generator
    rnd: random.Random
    today: date
    progress: Progress | None
    start: datetime = field(init=False)
    currency: str = field(default_factory=lambda: get_settings().default_currency)
    counts: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    users: dict[str, int] = field(default_factory=dict)  # username -> id
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    owner_odds: np.ndarray = field(default_factory=lambda: np.zeros(0))
    flows: dict[str, _Flow] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.start = start_of_day(self.today) - timedelta(seconds=SPAN)


@dataclass
class _Companies:
    ids: np.ndarray
    names: list[str]
    domains: list[str]
    industry: list[str]
    country: list[pools.Country]
    city: list[str]
    owner: np.ndarray


@dataclass
class _People:
    """Contacts as columns; orders, deals and campaigns fill in the last fields before writing."""

    ids: np.ndarray
    created: np.ndarray  # seconds
    company: np.ndarray  # position in _Companies, -1 for a private person
    company_id: list[int | None]
    owner: np.ndarray
    country: list[pools.Country]
    city: list[str]
    gender: list[str]
    source: list[str]
    consent: dict[str, np.ndarray]  # channel (email, phone, sms) -> consent given
    unsubscribed: np.ndarray
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    email: list[str] = field(default_factory=list)
    spend: np.ndarray = field(default_factory=lambda: np.zeros(0))
    first_order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # -1: none
    last_order: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    in_deal: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    stage: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))


@dataclass(frozen=True)
class _Catalogue:
    specs: tuple[pools.ProductSpec, ...]
    ids: tuple[int, ...]
    options: tuple[dict[str, list[tuple[str, float]]], ...]  # per product: option -> (value, delta)
    bundles: tuple[tuple[int, ...], ...]  # positions in specs
    cum_weights: tuple[float, ...]


def generate_demo(engine: Engine, *, contacts: int = 2000, seed: int = 42,
                  progress: Progress | None = None) -> DemoSummary:
    """Fill an empty, migrated database with `contacts` contacts and about three years of history.

    One transaction: on any error nothing is written. Demo data mixed into real data would spoil
    both, so a database that already holds contacts is refused with a ValidationError.
    """
    if contacts < MIN_CONTACTS:
        raise ValidationError.single("contacts", f"must be at least {MIN_CONTACTS}")
    began = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        _refuse_non_empty(session)
        world = _World(session, np.random.default_rng(seed), random.Random(seed), today(), progress)
        _generate(world, contacts)
        session.commit()
    return DemoSummary(world.counts, round(time.perf_counter() - began, 3))


def _refuse_non_empty(session: Session) -> None:
    held = session.scalar(select(func.count()).select_from(Contact.__table__)) or 0
    if held:
        raise ValidationError.single(
            "database", f"this database already holds {held:,} contacts; "
                        "demo data goes into an empty database")


def _generate(w: _World, contacts: int) -> None:
    """Plan what depends on what (orders, deals and campaigns shape the contacts), then write."""
    _add_users(w)
    _add_pipelines(w)
    catalogue = _add_products(w)
    companies = _plan_companies(w, max(2, contacts // 8))
    people = _plan_people(w, contacts, companies)
    orders, lines = _plan_orders(w, people, catalogue)
    deals, history = _plan_deals(w, people, companies)
    campaigns, recipients = _plan_campaigns(w, people)
    _settle_lifecycle(w, people)
    _write(w, "companies", _company_rows(w, companies, people))
    _write(w, "contacts", _contact_rows(w, people))
    _write(w, "orders", orders)
    _write(w, "order_lines", lines)
    _write(w, "deals", deals)
    _write(w, "deal_stage_history", history)
    _add_activities(w, people)
    _write(w, "tasks", _task_rows(w, people))
    _write(w, "cases", _case_rows(w, people))
    _write(w, "campaigns", campaigns)
    _write(w, "campaign_recipients", recipients)
    _fix_sequences(w)
    _add_audit(w)


# ---- writing ---------------------------------------------------------------------------------


def _table(name: str) -> Table:
    return metadata.tables[name]


def _first_id(w: _World, name: str) -> int:
    """The first free id: demo rows follow whatever the table holds (normally nothing)."""
    return int(w.session.scalar(select(func.max(_table(name).c.id))) or 0) + 1


def _insert(w: _World, name: str, rows: Sequence[dict[str, Any]]) -> None:
    for begin in range(0, len(rows), CHUNK):
        w.session.execute(insert(_table(name)), list(rows[begin:begin + CHUNK]))
    w.counts[name] = w.counts.get(name, 0) + len(rows)


def _done(w: _World, label: str) -> None:
    w.steps += 1
    if w.progress is not None:
        w.progress(label, min(1.0, w.steps / STEPS))


def _write(w: _World, name: str, rows: Sequence[dict[str, Any]]) -> None:
    _insert(w, name, rows)
    _done(w, name)


def _rows(size: int, columns: dict[str, Any]) -> list[dict[str, Any]]:
    """Columns -> row dicts. Arrays become Python values (drivers cannot adapt numpy types);
    a list or array is a column, anything else one value for every row."""
    names = list(columns)
    values = [_as_list(columns[name], size) for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _as_list(value: Any, size: int) -> list[Any]:
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value if isinstance(value, list) else [value] * size


def _editable(created: Any, updated: Any = None) -> dict[str, Any]:
    """The columns every editable table carries (values or whole columns)."""
    return {"created_at": created, "updated_at": created if updated is None else updated,
            "version": 1, "deleted_at": None}


def _fix_sequences(w: _World) -> None:
    """Explicit ids leave PostgreSQL's sequences behind: move each to its table's highest id."""
    if w.session.get_bind().dialect.name != "postgresql":
        return
    for name in w.counts:  # our own table names, never user input
        w.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT max(id) FROM {name}))"))


def _add_audit(w: _World) -> None:
    """One audit row for the whole run: per-row audit of generated data would only be noise."""
    w.session.execute(insert(_table("audit_log")).values(
        at=now(), user_id=w.users.get("admin"), source="cli", action="bulk", entity="demo",
        entity_id=None, before=None, after=dict(w.counts)))
    w.counts["audit_log"] = 1
    _done(w, "audit_log")


# ---- time ------------------------------------------------------------------------------------


def _stamps(w: _World, secs: Any) -> list[datetime]:
    """Seconds since the start of the history -> naive datetimes (numpy does it in C)."""
    return (np.datetime64(w.start, "s") + np.asarray(secs, dtype="timedelta64[s]")).tolist()


def _stamp(w: _World, secs: int) -> datetime:
    return w.start + timedelta(seconds=int(secs))


def _office(w: _World, secs: np.ndarray) -> np.ndarray:
    """Move moments to office hours on a weekday (a weekend becomes the Friday before)."""
    day = secs // DAY
    weekday = (w.start.weekday() + day) % 7
    day = day - np.where(weekday >= 5, weekday - 4, 0)
    return day * DAY + w.rng.integers(*OFFICE_HOURS, secs.size)


def _moments(w: _World, low: Any, high: Any, office: bool = True) -> np.ndarray:
    """One random moment per row strictly between `low` and `high` (seconds)."""
    low = np.asarray(low, dtype=np.int64)
    high = np.broadcast_to(np.asarray(high, dtype=np.int64), low.shape)
    secs = (low + w.rng.random(low.size) * (high - low)).astype(np.int64)
    return np.clip(_office(w, secs) if office else secs, low + 60, high - 60)


def _nullable(values: list[Any], keep: np.ndarray) -> list[Any]:
    return [value if kept else None for value, kept in zip(values, keep.tolist(), strict=True)]


def _pick(w: _World, pairs: Sequence[tuple[str, float]], size: int) -> np.ndarray:
    """`size` values drawn from (value, weight) pairs."""
    values = np.array([value for value, _ in pairs])
    odds = np.array([weight for _, weight in pairs], dtype=float)
    return values[w.rng.choice(len(values), size, p=odds / odds.sum())]


# ---- users, pipelines, products ----------------------------------------------------------------


def _add_users(w: _World) -> None:
    """The demo team; a username that already exists is kept as it is and its id reused."""
    existing = set(w.session.scalars(select(_table("users").c.username)))
    missing = [spec for spec in pools.USERS if spec[0] not in existing]
    password_hash = _password_hash() if missing else None
    first, joined = _first_id(w, "users"), w.start - timedelta(days=30)
    _write(w, "users", [
        {"id": first + i, "username": username, "display_name": name, "email": f"{username}@demo.example",
         "role": role, "team": team, "password_hash": password_hash, "active": True, "failed_logins": 0,
         "locked_until": None, "last_login_at": None, **_editable(joined)}
        for i, (username, name, role, team) in enumerate(missing)])
    w.users = dict(w.session.execute(select(_table("users").c.username, _table("users").c.id)).all())
    sellers = [(w.users[username], role) for username, _, role, _ in pools.USERS if role != "admin"]
    w.owners = np.array([user_id for user_id, _ in sellers], dtype=np.int64)
    odds = np.array([1.0 if role == "manager" else 3.0 for _, role in sellers])  # staff do most
    w.owner_odds = odds / odds.sum()


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """argon2 is slow by design (~0.2 s): hash the shared demo password once per process."""
    return PasswordHasher().hash(DEMO_PASSWORD)


def _add_pipelines(w: _World) -> None:
    """The default Sales pipeline (through the deals service) and a small Renewals pipeline."""
    before = {name: _count(w, name) for name in ("pipelines", "stages")}
    sales = ensure_default_pipeline(w.session)
    renewals = w.session.scalars(select(Pipeline).where(Pipeline.name == "Renewals")).first()
    if renewals is None:
        renewals = Pipeline(name="Renewals", position=1, **_editable(w.start))
        w.session.add(renewals)
        w.session.flush()
        w.session.add_all([Stage(pipeline_id=renewals.id, name=name, position=position, probability=chance,
                                 is_won=won, is_lost=lost, **_editable(w.start))
                           for position, (name, chance, won, lost) in enumerate(pools.RENEWAL_STAGES)])
        w.session.flush()
    w.flows = {"Sales": _flow(w, sales.id, pools.SALES_FLOW),
               "Renewals": _flow(w, renewals.id, pools.RENEWAL_FLOW)}
    w.counts.update({name: _count(w, name) - rows for name, rows in before.items()})
    _done(w, "pipelines")


def _count(w: _World, name: str) -> int:
    return int(w.session.scalar(select(func.count()).select_from(_table(name))) or 0)


def _flow(w: _World, pipeline_id: Any, odds: Sequence[tuple[float, int]]) -> _Flow:
    stages = stages_of(w.session, int(pipeline_id))
    open_ids = tuple(int(s.id) for s in stages if not (s.is_won or s.is_lost) and s.id is not None)
    won = next((int(s.id) for s in stages if s.is_won and s.id is not None), None)
    lost = next((int(s.id) for s in stages if s.is_lost and s.id is not None), None)
    if won is None or lost is None or not open_ids:
        raise ValidationError.single("pipelines", "each demo pipeline needs open, won and lost stages")
    # An admin may have added stages: extra ones behave like the last known one.
    per_stage = tuple(odds[min(i, len(odds) - 1)] for i in range(len(open_ids)))
    return _Flow(int(pipeline_id), open_ids, won, lost, per_stage)


def _add_products(w: _World) -> _Catalogue:
    specs, first = pools.PRODUCTS, _first_id(w, "products")
    ids = tuple(range(first, first + len(specs)))
    born = w.start - timedelta(days=60)
    _write(w, "products", [
        {"id": ids[i], "sku": s.sku, "name": s.name, "category": s.category, "price": float(s.price),
         "active": True, "description": f"{s.name}: {s.category.lower()}", "custom": {}, **_editable(born)}
        for i, s in enumerate(specs)])
    options = [(ids[i], name, value, delta) for i, s in enumerate(specs) for name, value, delta in s.options]
    first_option = _first_id(w, "product_options")
    _write(w, "product_options", [
        {"id": first_option + k, "product_id": product_id, "name": name, "value": value,
         "price_delta": float(delta), **_editable(born)}
        for k, (product_id, name, value, delta) in enumerate(options)])
    return _catalogue(ids)


def _catalogue(ids: tuple[int, ...]) -> _Catalogue:
    specs = pools.PRODUCTS
    position = {spec.sku: i for i, spec in enumerate(specs)}
    options: list[dict[str, list[tuple[str, float]]]] = []
    for spec in specs:
        groups: dict[str, list[tuple[str, float]]] = {}
        for name, value, delta in spec.options:
            groups.setdefault(name, []).append((value, float(delta)))
        options.append(groups)
    bundles = tuple(tuple(position[sku] for sku in bundle) for bundle in pools.BUNDLES)
    weights = np.cumsum([spec.weight for spec in specs]).astype(float)
    return _Catalogue(specs, ids, tuple(options), bundles, tuple(weights.tolist()))


# ---- companies and contacts --------------------------------------------------------------------


def _countries(w: _World, size: int) -> list[pools.Country]:
    odds = np.array([c.weight for c in pools.COUNTRIES], dtype=float)
    return [pools.COUNTRIES[i] for i in w.rng.choice(len(odds), size, p=odds / odds.sum()).tolist()]


def _plan_companies(w: _World, size: int) -> _Companies:
    country = _countries(w, size)
    industry = w.rng.choice(list(pools.INDUSTRIES), size).tolist()
    taken: Counter[str] = Counter()
    names, domains = [], []
    for place, trade in zip(country, industry, strict=True):
        name, stem = _company_name(w.rnd, place, trade)
        taken[stem] += 1
        names.append(name)
        domains.append(f"{stem}{taken[stem] if taken[stem] > 1 else ''}.example")
    first = _first_id(w, "companies")
    return _Companies(np.arange(first, first + size), names, domains, industry, country,
                      [w.rnd.choice(c.cities) for c in country],
                      w.rng.choice(w.owners, size, p=w.owner_odds))


def _company_name(rnd: random.Random, country: pools.Country, industry: str) -> tuple[str, str]:
    """A local-sounding name and its ASCII stem for the web domain: "Müller & Weber GmbH"."""
    style, word = rnd.random(), rnd.choice(pools.INDUSTRIES[industry])
    if style < 0.4:
        core = rnd.choice(country.last)
    elif style < 0.6:
        core = f"{rnd.choice(country.last)} & {rnd.choice(country.last)}"
    elif style < 0.8:
        core = f"{rnd.choice(pools.BRANDS)} {word}"
    else:
        core = f"{rnd.choice(country.last)} {word}"
    return f"{core} {rnd.choice(country.forms)}", pools.ascii_fold(core)


def _plan_people(w: _World, size: int, companies: _Companies) -> _People:
    """Who the contacts are: 80% work for a company (a few companies employ many), the rest are private."""
    rng, company_odds = w.rng, _company_odds(w, companies.ids.size)
    company = np.where(rng.random(size) < 0.8, rng.choice(companies.ids.size, size, p=company_odds), -1)
    at_work = company >= 0
    private = iter(_countries(w, size))
    country = [companies.country[c] if c >= 0 else next(private) for c in company.tolist()]
    keep_city = rng.random(size) < 0.75
    city = [companies.city[c] if c >= 0 and keep_city[i] else w.rnd.choice(country[i].cities)
            for i, c in enumerate(company.tolist())]
    owner = np.where(at_work & (rng.random(size) < 0.8), companies.owner[np.maximum(company, 0)],
                     rng.choice(w.owners, size, p=w.owner_odds))
    # More contacts arrive as the business grows: density rises towards today.
    created = np.clip(_office(w, (rng.random(size) ** 0.75 * (SPAN - 2 * DAY)).astype(np.int64)),
                      60, SPAN - 2 * DAY)
    consent = {channel: rng.random(size) < share for channel, share in (("email", 0.8), ("phone", 0.6),
                                                                         ("sms", 0.35))}
    first = _first_id(w, "contacts")
    people = _People(
        np.arange(first, first + size), created, company,
        [int(companies.ids[c]) if c >= 0 else None for c in company.tolist()], owner, country, city,
        _pick(w, pools.GENDERS, size).tolist(), _pick(w, pools.SOURCES, size).tolist(), consent,
        rng.random(size) < 0.04, spend=np.zeros(size), first_order=np.full(size, -1, dtype=np.int64),
        last_order=np.full(size, -1, dtype=np.int64), in_deal=np.zeros(size, dtype=bool))
    _name_people(w, people, companies)
    return people


def _company_odds(w: _World, size: int) -> np.ndarray:
    """Skewed company sizes: a lognormal weight per company."""
    weights = w.rng.lognormal(0.0, 1.0, size)
    return weights / weights.sum()


def _name_people(w: _World, people: _People, companies: _Companies) -> None:
    taken: Counter[str] = Counter()
    for i, place in enumerate(people.country):
        first, last = _person_name(w.rnd, place, people.gender[i])
        c = int(people.company[i])
        domain = companies.domains[c] if c >= 0 else w.rnd.choice(pools.MAIL_DOMAINS)
        people.first.append(first)
        people.last.append(last)
        people.email.append(_unique_email(first, last, domain, w.rnd.randrange(4), taken))


def _person_name(rnd: random.Random, country: pools.Country, gender: str) -> tuple[str, str]:
    """Mostly a local name; one in ten comes from elsewhere, as in any real customer base."""
    origin = country if rnd.random() < 0.9 else rnd.choice(pools.COUNTRIES)
    female = gender == "female" or (gender != "male" and rnd.random() < 0.5)
    first = rnd.choice(origin.female if female else origin.male)
    return first, rnd.choice(origin.female_last if female and origin.female_last else origin.last)


def _unique_email(first: str, last: str, domain: str, style: int, taken: Counter[str]) -> str:
    """"zoe.muller@..." in one of four styles; a repeat gets a number ("zoe.muller2@...").
    Names hold no digits, so a numbered address can never equal a plain one."""
    given, family = pools.ascii_fold(first), pools.ascii_fold(last)
    local = (f"{given}.{family}", f"{given[:1]}.{family}", f"{given}{family}", f"{family}.{given}")[style]
    taken[f"{local}@{domain}"] += 1
    repeat = taken[f"{local}@{domain}"]
    return f"{local}{repeat if repeat > 1 else ''}@{domain}"


def _settle_lifecycle(w: _World, people: _People) -> None:
    """Lifecycle follows history: buyers are customers (former after a long silence), the rest
    prospects when talking to sales, else leads."""
    bought = people.last_order >= 0
    lapsed = bought & (people.last_order < SPAN - FORMER_AFTER)
    talking = people.in_deal | (w.rng.random(people.ids.size) < 0.15)
    people.stage = np.where(lapsed, "former", np.where(bought, "customer",
                                                        np.where(talking, "prospect", "lead")))


def _company_rows(w: _World, companies: _Companies, people: _People) -> list[dict[str, Any]]:
    """Companies were created a little before their first contact."""
    size = companies.ids.size
    earliest = np.full(size, SPAN - 3 * DAY, dtype=np.int64)
    at_work = people.company >= 0
    np.minimum.at(earliest, people.company[at_work], people.created[at_work])
    created = np.maximum(earliest - w.rng.integers(0, 30 * DAY, size), 0)
    employees = np.clip(w.rng.lognormal(3.5, 1.3, size), 2, 20_000).astype(np.int64)
    return _rows(size, {
        "id": companies.ids, "name": companies.names, "domain": companies.domains,
        "industry": companies.industry, "phone": [_digits(w.rnd, c.phone) for c in companies.country],
        "website": [f"https://www.{domain}" for domain in companies.domains],
        "address": [_address(w.rnd, c) for c in companies.country], "city": companies.city,
        "country": [c.name for c in companies.country], "employees": employees,
        "owner_id": companies.owner, "custom": {}, **_editable(_stamps(w, created))})


def _digits(rnd: random.Random, pattern: str) -> str:
    return pools.fill_digits(pattern, f"{rnd.randrange(10**15):015d}")


def _address(rnd: random.Random, country: pools.Country) -> str:
    return country.address.format(street=rnd.choice(country.streets), number=rnd.randint(1, 180))


def _contact_rows(w: _World, people: _People) -> list[dict[str, Any]]:
    size = people.ids.size
    income = np.round(w.rng.lognormal(np.log([c.income for c in people.country]), 0.55) / 500) * 500
    age_days = (np.clip(w.rng.normal(44, 12, size), 20, 75) * 365.25).astype(np.int64)
    vip = people.spend >= max(1.0, float(np.quantile(people.spend, 0.97)))
    last_seen = np.maximum(people.created, people.last_order)
    rows = _rows(size, {
        "id": people.ids, "first_name": people.first, "last_name": people.last, "email": people.email,
        "city": people.city, "country": [c.name for c in people.country], "company_id": people.company_id,
        "gender": people.gender, "household_income": _nullable(income.tolist(), w.rng.random(size) < 0.9),
        "birth_date": (np.datetime64(w.today) - age_days.astype("timedelta64[D]")).tolist(),
        "preferred_channel": _pick(w, pools.PREFERRED_CHANNELS, size), "lifecycle_stage": people.stage,
        "source": people.source, "owner_id": people.owner, "consent_email": people.consent["email"],
        "consent_phone": people.consent["phone"], "consent_sms": people.consent["sms"],
        "unsubscribed": people.unsubscribed, "custom": {},
        **_editable(_stamps(w, people.created), _stamps(w, last_seen))})
    for i, row in enumerate(rows):
        row.update(_contact_details(w.rnd, people.country[i], people.company[i] >= 0, bool(vip[i])))
    return rows


def _contact_details(rnd: random.Random, country: pools.Country, at_work: bool, vip: bool) -> dict[str, Any]:
    """The per-person odds and ends: phones, address, job, when to call, tags."""
    has_address = rnd.random() < 0.6
    tags = rnd.sample(pools.TAGS, rnd.choice((0, 0, 1, 1, 2)))
    return {
        "phone": _digits(rnd, country.phone) if rnd.random() < 0.75 else None,
        "mobile": _digits(rnd, country.mobile) if rnd.random() < 0.55 else None,
        "address": _address(rnd, country) if has_address else None,
        "postal_code": _digits(rnd, country.postal) if has_address else None,
        "job_title": rnd.choice(pools.JOB_TITLES) if at_work or rnd.random() < 0.3 else None,
        "best_time_to_call": rnd.choice(pools.CALL_TIMES) if rnd.random() < 0.7 else None,
        "tags": ["vip", *tags] if vip else tags,
    }


# ---- orders ------------------------------------------------------------------------------------


def _plan_orders(w: _World, people: _People, catalogue: _Catalogue) -> tuple[list[dict], list[dict]]:
    """Orders of the buyers: Pareto-like counts (a few buy a lot); some buyers stop buying."""
    size, created = people.ids.size, people.created
    buyers = np.flatnonzero(w.rng.random(size) < BUYER_SHARE)
    per_buyer = np.minimum(1 + np.floor(w.rng.pareto(1.6, buyers.size)), 30).astype(np.int64)
    churned = w.rng.random(buyers.size) < 0.3
    lifetime = SPAN - created[buyers]
    stop = np.where(churned, created[buyers] + lifetime * w.rng.uniform(0.2, 0.7, buyers.size), SPAN)
    who = np.repeat(buyers, per_buyer)
    when = _moments(w, created[who] + 3600, np.repeat(stop.astype(np.int64), per_buyer))
    chronological = np.argsort(when, kind="stable")
    who, when = who[chronological], when[chronological]
    buyers_seen, first_seen = np.unique(who, return_index=True)  # chronological: first = earliest
    people.first_order[buyers_seen] = when[first_seen]
    np.maximum.at(people.last_order, who, when)
    return _order_rows(w, people, catalogue, who, when)


def _order_rows(w: _World, people: _People, catalogue: _Catalogue, who: np.ndarray,
                when: np.ndarray) -> tuple[list[dict], list[dict]]:
    first_order, first_line = _first_id(w, "orders"), _first_id(w, "order_lines")
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for k, (person, moment, secs) in enumerate(zip(who.tolist(), _stamps(w, when), when.tolist(),
                                                   strict=True)):
        order_id = first_order + k
        basket = [_line(w.rnd, catalogue, position, order_id) for position in _basket(w.rnd, catalogue)]
        for line in basket:
            line["id"] = first_line + len(lines)
            lines.append(line)
        total = round(sum(line["quantity"] * line["unit_price"] for line in basket), 2)
        people.spend[person] += total
        orders.append({
            "id": order_id, "order_number": f"SO-{moment.year}-{order_id:06d}",  # as the order service
            "contact_id": int(people.ids[person]), "company_id": people.company_id[person],
            "ordered_at": moment, "status": _order_status(w.rnd, secs), "currency": w.currency,
            "total": total, "owner_id": int(people.owner[person]), "custom": {}, **_editable(moment)})
    return orders, lines


def _basket(rnd: random.Random, catalogue: _Catalogue) -> list[int]:
    """1-4 distinct products; most baskets grow from a bundle, so the same pairs keep recurring."""
    wanted = rnd.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]
    picked: list[int] = []
    if rnd.random() < 0.6:
        anchor, *extras = rnd.choice(catalogue.bundles)
        picked = [anchor, *(p for p in extras if rnd.random() < 0.55)]
    while len(picked) < wanted:
        position = rnd.choices(range(len(catalogue.specs)), cum_weights=catalogue.cum_weights)[0]
        if position not in picked:
            picked.append(position)
    return picked[:4]


def _line(rnd: random.Random, catalogue: _Catalogue, position: int, order_id: int) -> dict[str, Any]:
    """An order line: one value per option of the product, priced at list price plus deltas."""
    spec = catalogue.specs[position]
    chosen = {name: rnd.choice(values) for name, values in catalogue.options[position].items()}
    quantity = 1 if spec.max_qty == 1 or rnd.random() < 0.7 else rnd.randint(2, spec.max_qty)
    return {"order_id": order_id, "product_id": catalogue.ids[position], "quantity": float(quantity),
            "unit_price": round(spec.price + sum(delta for _, delta in chosen.values()), 2),
            "options": {name: value for name, (value, _) in chosen.items()}}


def _order_status(rnd: random.Random, secs: int) -> str:
    if SPAN - secs < 3 * DAY:
        return rnd.choice(("placed", "paid"))
    roll = rnd.random()
    return "cancelled" if roll < 0.03 else "paid" if roll < 0.33 else "shipped"


# ---- deals -------------------------------------------------------------------------------------


def _plan_deals(w: _World, people: _People, companies: _Companies) -> tuple[list[dict], list[dict]]:
    """Sales deals for anyone (company contacts more often); renewal deals for earlier buyers."""
    deals: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    first_deal, first_visit = _first_id(w, "deals"), _first_id(w, "deal_stage_history")
    for kind, who, start in _deal_starts(w, people):
        for person, moment in zip(who.tolist(), start.tolist(), strict=True):
            deal, visits = _deal(w, people, companies, kind, person, moment,
                                 (first_deal + len(deals), first_visit + len(history)))
            deals.append(deal)
            history.extend(visits)
        people.in_deal[who] = True
    return deals, history


def _deal_starts(w: _World, people: _People) -> list[tuple[str, np.ndarray, np.ndarray]]:
    size = people.ids.size
    total = max(2, size // 4)
    renewable = np.flatnonzero((people.first_order >= 0) & (people.first_order < SPAN - 30 * DAY))
    renewals = min(total // 5, renewable.size)
    weights = np.where(people.company >= 0, 3.0, 1.0)
    sales = w.rng.choice(size, total - renewals, p=weights / weights.sum())
    renewing = w.rng.choice(renewable, renewals) if renewals else np.zeros(0, dtype=np.int64)
    return [("Sales", sales, _moments(w, people.created[sales] + 3600, SPAN - DAY)),
            ("Renewals", renewing, _moments(w, people.first_order[renewing] + DAY, SPAN - DAY))]


def _walk(rnd: random.Random, flow: _Flow, start: int) -> tuple[list[tuple[int, int]], str]:
    """The stages a deal visits from the first one, with entry times; open while time runs out."""
    path, moment = [(flow.open[0], start)], start
    for position, (advance, mean_days) in enumerate(flow.odds):
        moment += int(rnd.lognormvariate(math.log(mean_days * DAY), 0.6))
        if moment >= SPAN - 60:
            return path, "open"
        if rnd.random() > advance:
            return [*path, (flow.lost, moment)], "lost"
        following = flow.open[position + 1] if position + 1 < len(flow.open) else flow.won
        path.append((following, moment))
    return path, "won"


def _deal(w: _World, people: _People, companies: _Companies, kind: str, person: int, start: int,
          ids: tuple[int, int]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A deal and one history row per stage visited; only the current stay is still open."""
    deal_id, first_visit = ids
    path, status = _walk(w.rnd, w.flows[kind], start)
    entered = [_stamp(w, secs) for _, secs in path]
    owner, closed = int(people.owner[person]), (entered[-1] if status != "open" else None)
    visits = [{"id": first_visit + j, "deal_id": deal_id, "stage_id": stage, "entered_at": entered[j],
               "exited_at": entered[j + 1] if j + 1 < len(path) else None, "changed_by_id": owner}
              for j, (stage, _) in enumerate(path)]
    median, sigma = pools.DEAL_AMOUNTS[kind]
    expected = closed.date() if closed else w.today + timedelta(days=w.rnd.randint(7, 120))
    return {
        "id": deal_id, "title": _deal_title(w.rnd, people, companies, kind, person, entered[0]),
        "contact_id": int(people.ids[person]), "company_id": people.company_id[person],
        "pipeline_id": w.flows[kind].pipeline_id, "stage_id": path[-1][0],
        "amount": max(100.0, round(w.rnd.lognormvariate(math.log(median), sigma) / 50) * 50.0),
        "currency": w.currency, "expected_close": expected, "owner_id": owner, "status": status,
        "closed_at": closed, "lost_reason": w.rnd.choice(pools.LOST_REASONS) if status == "lost" else None,
        "source": people.source[person], "custom": {}, **_editable(entered[0], entered[-1])}, visits


def _deal_title(rnd: random.Random, people: _People, companies: _Companies, kind: str, person: int,
                began: datetime) -> str:
    c = int(people.company[person])
    buyer = companies.names[c] if c >= 0 else f"{people.first[person]} {people.last[person]}"
    topic = f"renewal {began.year + 1}" if kind == "Renewals" else rnd.choice(pools.DEAL_TOPICS)
    return f"{buyer} – {topic}"


# ---- activities, tasks, cases ------------------------------------------------------------------


def _add_activities(w: _World, people: _People) -> None:
    """About five interactions per contact (customers more, leads fewer), a slice at a time so
    memory stays flat however many contacts there are."""
    stage = people.stage
    weight = np.select([stage == "customer", stage == "former", stage == "prospect"], [7.0, 5.0, 5.5], 2.5)
    counts = w.rng.poisson(weight * ACTIVITIES_PER_CONTACT / weight.mean())
    next_id, size = _first_id(w, "activities"), people.ids.size
    for begin in range(0, size, 2_000):
        chunk = np.arange(begin, min(size, begin + 2_000))
        rows = _activity_rows(w, people, np.repeat(chunk, counts[chunk]), next_id)
        _insert(w, "activities", rows)
        next_id += len(rows)
    _done(w, "activities")


def _activity_rows(w: _World, people: _People, who: np.ndarray, first_id: int) -> list[dict[str, Any]]:
    size, names = who.size, list(pools.ACTIVITY_CHANNELS)
    specs = [pools.ACTIVITY_CHANNELS[name] for name in names]
    weights = np.array([spec[0] for spec in specs], dtype=float)
    channel = w.rng.choice(len(specs), size, p=weights / weights.sum())
    picks = w.rng.integers(0, 1 << 30, (3, size))
    subject = (picks[0] % np.array([len(s[2]) for s in specs])[channel]).tolist()
    outcome = picks[1] % np.array([len(s[3]) for s in specs])[channel]
    when = _moments(w, people.created[who], SPAN)
    return _rows(size, {
        "id": np.arange(first_id, first_id + size), "contact_id": people.ids[who],
        "company_id": [people.company_id[i] for i in who.tolist()], "deal_id": None, "case_id": None,
        "channel": [names[c] for c in channel.tolist()],
        "direction": np.where(w.rng.random(size) < np.array([s[1] for s in specs])[channel],
                              "inbound", "outbound"),
        "occurred_at": _stamps(w, when),
        "subject": [specs[c][2][s] for c, s in zip(channel.tolist(), subject, strict=True)],
        "notes": [pools.NOTES[p % len(pools.NOTES)] if p % 3 == 0 else None for p in picks[2].tolist()],
        "outcome": [specs[c][3][o] for c, o in zip(channel.tolist(), outcome.tolist(), strict=True)],
        "duration_minutes": _durations(w, np.array(names)[channel], outcome),
        "owner_id": np.where(w.rng.random(size) < 0.8, people.owner[who],
                             w.rng.choice(w.owners, size, p=w.owner_odds)),
        "source": "demo", "custom": {}, **_editable(_stamps(w, when))})


def _durations(w: _World, channel: np.ndarray, outcome: np.ndarray) -> list[int | None]:
    """Minutes for calls (1 when nobody answered) and meetings; other channels have none."""
    talk = np.clip(w.rng.lognormal(math.log(6), 0.7, channel.size), 1, 90).astype(np.int64)
    meeting = w.rng.choice(np.array([30, 45, 60, 90]), channel.size)
    minutes = np.where(channel == "phone", np.where(outcome < 2, 1, talk),
                       np.where(channel == "meeting", meeting, -1))
    return [m if m >= 0 else None for m in minutes.tolist()]


def _task_rows(w: _World, people: _People) -> list[dict[str, Any]]:
    """Follow-ups: done and cancelled ones in the past, some overdue, some due today, some upcoming."""
    size = max(2, people.ids.size // 5)
    who = w.rng.choice(people.ids.size, size)
    kind = _pick(w, pools.TASK_KINDS, size)
    due = _task_due(w, kind, people.created[who])
    created = np.minimum(due, SPAN - 60) - w.rng.integers(DAY, 14 * DAY, size)
    created = np.maximum(created, people.created[who] + 60)
    done = kind == "done"
    completed = _moments(w, created, np.minimum(due + 2 * DAY, SPAN))
    names = [f"{people.first[i]} {people.last[i]}" for i in who.tolist()]
    return _rows(size, {
        "id": np.arange(_first_id(w, "tasks"), _first_id(w, "tasks") + size),
        "title": [w.rnd.choice(pools.TASK_TITLES).format(name=name) for name in names],
        "notes": [w.rnd.choice(pools.NOTES) if w.rnd.random() < 0.3 else None for _ in names],
        "due_at": _stamps(w, due), "assignee_id": people.owner[who], "contact_id": people.ids[who],
        "deal_id": None, "case_id": None,
        "status": np.where(done, "done", np.where(kind == "cancelled", "cancelled", "open")),
        "priority": _pick(w, pools.PRIORITIES, size),
        "recurrence": _pick(w, [("none", 0.92), ("weekly", 0.05), ("monthly", 0.03)], size),
        "completed_at": _nullable(_stamps(w, completed), done), "reminder_sent_at": None,
        "custom": {}, **_editable(_stamps(w, created), _stamps(w, np.where(done, completed, created)))})


def _task_due(w: _World, kind: np.ndarray, contact_created: np.ndarray) -> np.ndarray:
    size = kind.size
    past = _moments(w, contact_created + 3600, SPAN - DAY)
    overdue = _moments(w, np.maximum(contact_created + 3600, SPAN - 30 * DAY), SPAN)
    hour = w.rng.integers(9, 17, size) * 3600
    today = SPAN + hour
    upcoming = SPAN + w.rng.integers(1, 31, size) * DAY + hour
    return np.select([kind == "overdue", kind == "today", kind == "upcoming"],
                     [overdue, today, upcoming], past)


def _case_rows(w: _World, people: _People) -> list[dict[str, Any]]:
    """Support cases, mostly from buyers after a purchase; resolution time depends on priority."""
    size = max(1, people.ids.size // 10)
    bought = np.flatnonzero(people.first_order >= 0)
    pool = bought if bought.size else np.arange(people.ids.size)
    who = np.where(w.rng.random(size) < 0.75, w.rng.choice(pool, size), w.rng.choice(people.ids.size, size))
    since = np.where(people.first_order[who] >= 0, people.first_order[who], people.created[who])
    opened = _moments(w, np.minimum(since + 3600, SPAN - 2 * 3600), SPAN, office=False)
    priority = _pick(w, pools.PRIORITIES, size).tolist()
    median = np.array([pools.RESOLUTION_HOURS[p] * 3600 for p in priority])
    resolved = opened + w.rng.lognormal(np.log(median), 0.8).astype(np.int64)
    status = [_case_status(w.rnd, SPAN - o, r < SPAN - 60) for o, r in zip(opened.tolist(), resolved.tolist(),
                                                                             strict=True)]
    is_resolved = np.isin(status, ("resolved", "closed"))
    sla = opened + np.array([pools.SLA_HOURS[p] * 3600 for p in priority])
    picked = [w.rnd.choice(pools.CASES) for _ in range(size)]
    return _rows(size, {
        "id": np.arange(_first_id(w, "cases"), _first_id(w, "cases") + size),
        "subject": [s for s, _ in picked], "description": [d for _, d in picked],
        "contact_id": people.ids[who], "company_id": [people.company_id[i] for i in who.tolist()],
        "status": status, "priority": priority, "channel": _pick(w, pools.CASE_CHANNELS, size),
        "opened_at": _stamps(w, opened), "resolved_at": _nullable(_stamps(w, resolved), is_resolved),
        "sla_due_at": _stamps(w, sla),
        "assignee_id": np.where(w.rng.random(size) < 0.7, people.owner[who],
                                w.rng.choice(w.owners, size, p=w.owner_odds)),
        "custom": {}, **_editable(_stamps(w, opened), _stamps(w, np.where(is_resolved, resolved, opened)))})


def _case_status(rnd: random.Random, age: int, can_be_resolved: bool) -> str:
    odds = next(chances for days, chances in pools.CASE_STATUS_BY_AGE if age < days * DAY)
    status = rnd.choices([s for s, _ in odds], [p for _, p in odds])[0]
    return "open" if status in ("resolved", "closed") and not can_be_resolved else status


# ---- campaigns ---------------------------------------------------------------------------------


def _plan_campaigns(w: _World, people: _People) -> tuple[list[dict], list[dict]]:
    """Campaigns in date order, so whoever unsubscribes is left out of the later ones."""
    first_campaign, first_recipient = _first_id(w, "campaigns"), _first_id(w, "campaign_recipients")
    managers = [w.users[u] for u, _, role, _ in pools.USERS if role == "manager"]
    campaigns: list[dict[str, Any]] = []
    recipients: list[dict[str, Any]] = []
    for k, (name, channel, days_ago, budget, subject) in enumerate(pools.CAMPAIGNS):
        sent = SPAN - days_ago * DAY + 10 * 3600
        campaign_id, sending = first_campaign + k, days_ago <= 3
        sent_at = _stamp(w, sent)
        campaigns.append({
            "id": campaign_id, "name": f"{name} {sent_at.year}", "channel": channel,
            "status": "sending" if sending else "sent", "subject": subject, "body": None,
            "segment_id": None, "owner_id": managers[k % len(managers)], "budget": budget,
            "sent_at": sent_at, **_editable(sent_at - timedelta(days=10), sent_at)})
        recipients += _recipients(w, people, (campaign_id, first_recipient + len(recipients)),
                                  channel, sent, sending)
    return campaigns, recipients


def _recipients(w: _World, people: _People, ids: tuple[int, int], channel: str, sent: int,
                sending: bool) -> list[dict[str, Any]]:
    """Those who consented on the channel (and had not unsubscribed), with their response."""
    campaign_id, first_id = ids
    eligible = people.consent[channel] & ~people.unsubscribed & (people.created < sent)
    chosen = np.flatnonzero(eligible & (w.rng.random(people.ids.size) < 0.6))
    odds = np.array(pools.RESPONSE_ODDS[channel], dtype=float)
    odds[0] += 1.0 if sending else 0.0  # still going out: many not sent yet
    status = np.array(pools.RESPONSES)[w.rng.choice(odds.size, chosen.size, p=odds / odds.sum())]
    people.unsubscribed[chosen[status == "unsubscribed"]] = True
    went_out = sent + w.rng.integers(0, 3600, chosen.size)
    answered = np.minimum(went_out + w.rng.lognormal(math.log(6 * 3600), 1.0, chosen.size).astype(np.int64),
                          SPAN - 60)
    created = _stamp(w, sent - 10 * DAY)
    return _rows(chosen.size, {
        "id": np.arange(first_id, first_id + chosen.size), "campaign_id": campaign_id,
        "contact_id": people.ids[chosen], "status": status,
        "sent_at": _nullable(_stamps(w, went_out), status != "pending"),
        "responded_at": _nullable(_stamps(w, answered), ~np.isin(status, ("pending", "sent", "bounced"))),
        "response_note": None, **_editable(created)})
