"""Companies and contacts: who they are, where they live, and the lifecycle their history gives them."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.demo import pools
from core.demo.world import DAY, FORMER_AFTER, SPAN, World, office, pick, pick_owners, stamps
from core.demo.writer import as_rows, editable, first_id, nullable

CONSENT_SHARES = (("email", 0.8), ("phone", 0.6), ("sms", 0.35))


@dataclass
class Companies:
    ids: np.ndarray
    names: list[str]
    domains: list[str]
    industry: list[str]
    country: list[pools.Country]
    city: list[str]
    owner: np.ndarray


@dataclass
class People:
    """Contacts as columns; orders, deals and campaigns fill in the last fields before writing."""

    ids: np.ndarray
    created: np.ndarray  # seconds
    company: np.ndarray  # position in Companies, -1 for a private person
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
    spend: np.ndarray = field(init=False)
    first_order: np.ndarray = field(init=False)  # seconds, -1: none
    last_order: np.ndarray = field(init=False)
    in_deal: np.ndarray = field(init=False)
    stage: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    def __post_init__(self) -> None:
        size = self.ids.size
        self.spend = np.zeros(size)
        self.first_order = np.full(size, -1, dtype=np.int64)
        self.last_order = np.full(size, -1, dtype=np.int64)
        self.in_deal = np.zeros(size, dtype=bool)


def _countries(w: World, size: int) -> list[pools.Country]:
    odds = np.array([c.weight for c in pools.COUNTRIES], dtype=float)
    return [pools.COUNTRIES[i] for i in w.rng.choice(len(odds), size, p=odds / odds.sum()).tolist()]


# ---- companies -------------------------------------------------------------------------------------


def plan_companies(w: World, size: int) -> Companies:
    country = _countries(w, size)
    industry = w.rng.choice(list(pools.INDUSTRIES), size).tolist()
    taken: Counter[str] = Counter()
    names, domains = [], []
    for place, trade in zip(country, industry, strict=True):
        name, stem = _company_name(w.rnd, place, trade)
        taken[stem] += 1
        names.append(name)
        domains.append(f"{stem}{taken[stem] if taken[stem] > 1 else ''}.example")
    first = first_id(w, "companies")
    return Companies(np.arange(first, first + size), names, domains, industry, country,
                     [w.rnd.choice(c.cities) for c in country], pick_owners(w, size))


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


def company_rows(w: World, companies: Companies, people: People) -> list[dict[str, Any]]:
    """Companies were created a little before their first contact."""
    size = companies.ids.size
    earliest = np.full(size, SPAN - 3 * DAY, dtype=np.int64)
    at_work = people.company >= 0
    np.minimum.at(earliest, people.company[at_work], people.created[at_work])
    created = np.maximum(earliest - w.rng.integers(0, 30 * DAY, size), 0)
    employees = np.clip(w.rng.lognormal(3.5, 1.3, size), 2, 20_000).astype(np.int64)
    return as_rows(size, {
        "id": companies.ids, "name": companies.names, "domain": companies.domains,
        "industry": companies.industry, "phone": [_digits(w.rnd, c.phone) for c in companies.country],
        "website": [f"https://www.{domain}" for domain in companies.domains],
        "address": [_address(w.rnd, c) for c in companies.country], "city": companies.city,
        "country": [c.name for c in companies.country], "employees": employees,
        "owner_id": companies.owner, "custom": {}, **editable(stamps(w, created))})


def _digits(rnd: random.Random, pattern: str) -> str:
    return pools.fill_digits(pattern, f"{rnd.randrange(10**15):015d}")


def _address(rnd: random.Random, country: pools.Country) -> str:
    return country.address.format(street=rnd.choice(country.streets), number=rnd.randint(1, 180))


# ---- contacts --------------------------------------------------------------------------------------


def plan_people(w: World, size: int, companies: Companies) -> People:
    """Who the contacts are: 80% work for a company (a few companies employ many), the rest are private."""
    company = _employers(w, size, companies)
    country, city = _homes(w, company, companies)
    owner = np.where((company >= 0) & (w.rng.random(size) < 0.8), companies.owner[np.maximum(company, 0)],
                     pick_owners(w, size))
    created = _arrivals(w, size)
    consent = {channel: w.rng.random(size) < share for channel, share in CONSENT_SHARES}
    first = first_id(w, "contacts")
    people = People(
        np.arange(first, first + size), created, company,
        [int(companies.ids[c]) if c >= 0 else None for c in company.tolist()], owner, country, city,
        pick(w, pools.GENDERS, size).tolist(), pick(w, pools.SOURCES, size).tolist(), consent,
        w.rng.random(size) < 0.04)
    _name_people(w, people, companies)
    return people


def _employers(w: World, size: int, companies: Companies) -> np.ndarray:
    """Each contact's position in `companies`, -1 for a private person. Skewed company sizes:
    a lognormal weight per company."""
    weights = w.rng.lognormal(0.0, 1.0, companies.ids.size)
    odds = weights / weights.sum()
    return np.where(w.rng.random(size) < 0.8, w.rng.choice(companies.ids.size, size, p=odds), -1)


def _homes(w: World, company: np.ndarray, companies: Companies) -> tuple[list[pools.Country], list[str]]:
    """Staff live in their company's country, mostly in its city; private people anywhere."""
    private = iter(_countries(w, company.size))
    country = [companies.country[c] if c >= 0 else next(private) for c in company.tolist()]
    keep_city = w.rng.random(company.size) < 0.75
    city = [companies.city[c] if c >= 0 and keep_city[i] else w.rnd.choice(country[i].cities)
            for i, c in enumerate(company.tolist())]
    return country, city


def _arrivals(w: World, size: int) -> np.ndarray:
    """More contacts arrive as the business grows: density rises towards today."""
    created = office(w, (w.rng.random(size) ** 0.75 * (SPAN - 2 * DAY)).astype(np.int64))
    return np.clip(created, 60, SPAN - 2 * DAY)


def _name_people(w: World, people: People, companies: Companies) -> None:
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


def settle_lifecycle(w: World, people: People) -> None:
    """Lifecycle follows history: buyers are customers (former after a long silence), the rest
    prospects when talking to sales, else leads."""
    bought = people.last_order >= 0
    lapsed = bought & (people.last_order < SPAN - FORMER_AFTER)
    talking = people.in_deal | (w.rng.random(people.ids.size) < 0.15)
    people.stage = np.where(lapsed, "former", np.where(bought, "customer",
                                                        np.where(talking, "prospect", "lead")))


def contact_rows(w: World, people: People) -> list[dict[str, Any]]:
    rows = as_rows(people.ids.size, _contact_columns(w, people))
    vip = people.spend >= max(1.0, float(np.quantile(people.spend, 0.97)))
    for i, row in enumerate(rows):
        row.update(_contact_details(w.rnd, people.country[i], people.company[i] >= 0, bool(vip[i])))
    return rows


def _contact_columns(w: World, people: People) -> dict[str, Any]:
    size = people.ids.size
    income = np.round(w.rng.lognormal(np.log([c.income for c in people.country]), 0.55) / 500) * 500
    age_days = (np.clip(w.rng.normal(44, 12, size), 20, 75) * 365.25).astype(np.int64)
    last_seen = np.maximum(people.created, people.last_order)
    return {
        "id": people.ids, "first_name": people.first, "last_name": people.last, "email": people.email,
        "city": people.city, "country": [c.name for c in people.country], "company_id": people.company_id,
        "gender": people.gender, "household_income": nullable(income.tolist(), w.rng.random(size) < 0.9),
        "birth_date": (np.datetime64(w.today) - age_days.astype("timedelta64[D]")).tolist(),
        "preferred_channel": pick(w, pools.PREFERRED_CHANNELS, size), "lifecycle_stage": people.stage,
        "source": people.source, "owner_id": people.owner, "consent_email": people.consent["email"],
        "consent_phone": people.consent["phone"], "consent_sms": people.consent["sms"],
        "unsubscribed": people.unsubscribed, "custom": {},
        **editable(stamps(w, people.created), stamps(w, last_seen))}


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
