"""Find the contact, company or deal a sentence names: "Maria Rossi", "rossi", "Acme", "Alpina deal".

Only records the user may see (visible_clause, not deleted). SQL narrows first, on the indexed
lower(name) prefixes (see core/migrations/versions/0002), so a name costs a few index range scans
even on a million contacts; rapidfuzz then ranks the few candidates in Python, case- and
accent-insensitively, which forgives typos ("Marai Rosi") and missing accents ("Muller").

An exact full name or email wins alone; otherwise every match about as good as the best one is
returned, so the caller asks back instead of guessing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlmodel import Session

from core.models import Campaign, Company, Contact, Deal, User
from core.query.filters import prefix_match
from core.services.permissions import visible_clause

MIN_SCORE = 78.0  # below this a candidate is a different person, not a typo
TIE_MARGIN = 4.0  # matches within this of the best are "equally good"
CANDIDATES = 400  # rows fetched per SQL narrowing step, ranked in Python


@dataclass(frozen=True)
class Match:
    id: int
    label: str
    detail: str
    score: float


def fold(text: str) -> str:
    """Lower case without accents or extra spaces: "  München " -> "munchen"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def name_score(typed: str, name: str) -> float:
    """How well `typed` names `name` (0-100): fuzzy over the whole name and over its words, with
    a typed prefix of each word ("mar ros") counting as a near-exact match."""
    typed, name = fold(typed), fold(name)
    if not typed or not name:
        return 0.0
    if typed == name:
        return 100.0
    words = name.replace(".", " ").replace(",", " ").split()
    if all(any(w.startswith(t) for w in words) for t in typed.split()):
        return 96.0 if len(typed) >= 3 else 80.0
    whole = fuzz.token_sort_ratio(typed, name)
    partial = fuzz.token_set_ratio(typed, name) - 3  # "rossi" inside "maria rossi", slightly lower
    return float(max(whole, partial))


def best(scored: Iterable[Match], limit: int) -> list[Match]:
    """The exact matches alone if any, else those close to the best score, best first."""
    ranked = sorted(
        {m.id: m for m in scored if m.score >= MIN_SCORE}.values(), key=lambda m: (-m.score, m.label, m.id)
    )
    if not ranked:
        return []
    top = ranked[0].score
    margin = 0.0 if top >= 100 else TIE_MARGIN
    return [m for m in ranked if m.score >= top - margin][:limit]


# ---- contacts ----------------------------------------------------------------------------------------


MAX_TYPED = 300  # characters: no stored name or title is longer (SQLite refuses huge LIKE patterns)


def typed_words(text: str) -> str:
    """What was typed, tidied: spaces collapsed, punctuation and NUL characters (which no stored
    name holds, and which PostgreSQL cannot compare with) left out, cut at the longest name."""
    return " ".join(text.replace("\x00", "").strip().strip("?.!,'\"").split())[:MAX_TYPED]


def find_contacts(session: Session, user: User, text: str, limit: int = 5) -> list[Match]:
    """Visible contacts named `text` (full name, a name's prefix, or email), best first."""
    typed = typed_words(text)
    if not typed:
        return []
    if "@" in typed:
        rows = _contact_rows(session, user, func.lower(Contact.email) == typed.lower())
        return [_contact_match(row, 100.0) for row in rows][:limit]
    for narrowing in (_all_words, _word_starts(2), _word_starts(1), _any_word):
        found = best(
            (
                _contact_match(row, name_score(typed, _full(row)))
                for row in _contact_rows(session, user, narrowing(typed.lower().split()))
            ),
            limit,
        )
        if found:
            return found
    return []


def _all_words(words: list[str]) -> ColumnElement[bool]:
    """Every typed word starts the first name, last name or email (the precise first try)."""
    return and_(
        *[
            or_(
                prefix_match(Contact.first_name, w),
                prefix_match(Contact.last_name, w),
                prefix_match(Contact.email, w),
            )
            for w in words
        ]
    )


def _word_starts(size: int) -> Any:
    """Typo-tolerant narrowing: first and last names starting like two typed words (either
    order), or a last name starting like a single typed word."""

    def clause(words: list[str]) -> ColumnElement[bool]:
        starts = [w[:size] for w in words if w[:size].isalpha()]
        if len(starts) < 2:
            return or_(*[prefix_match(Contact.last_name, s) for s in starts]) if starts else false()
        first, last = starts[0], starts[-1]
        return or_(
            and_(prefix_match(Contact.first_name, first), prefix_match(Contact.last_name, last)),
            and_(prefix_match(Contact.first_name, last), prefix_match(Contact.last_name, first)),
        )

    return clause


def _any_word(words: list[str]) -> ColumnElement[bool]:
    """The last resort: any typed word starts a first or last name. SQLite's lower() folds only
    ASCII, so "łukasz" never prefixes lower("Łukasz") there; "nowak" still finds the row and the
    ranking in Python, which folds every letter, decides."""
    return or_(*[or_(prefix_match(Contact.first_name, w), prefix_match(Contact.last_name, w))
                 for w in words if len(w) >= 3] or [false()])


def _contact_rows(session: Session, user: User, where: ColumnElement[bool]) -> list[Any]:
    query = (
        select(
            Contact.id,
            Contact.first_name,
            Contact.last_name,
            Contact.email,
            Contact.city,
            Company.name.label("company"),
        )
        .outerjoin(Company, Company.id == Contact.company_id)
        .where(where, Contact.deleted_at.is_(None), visible_clause(user, Contact))
        .limit(CANDIDATES)
    )
    return list(session.execute(query))


def _full(row: Any) -> str:
    return f"{row.first_name} {row.last_name or ''}".strip()


def _contact_match(row: Any, score: float) -> Match:
    detail = " · ".join(str(part) for part in (row.company, row.email, row.city) if part)
    return Match(int(row.id), _full(row), detail, score)


# ---- companies and deals ----------------------------------------------------------------------------


def find_companies(session: Session, user: User, text: str, limit: int = 5) -> list[Match]:
    """Visible companies named `text` (prefix, any word of the name, or a typo of it)."""
    typed = typed_words(text)
    if not typed:
        return []
    words = typed.lower().split()
    for where in (
        prefix_match(Company.name, typed.lower()),
        prefix_match(Company.name, words[0][:2]),
        func.lower(Company.name).contains(words[0], autoescape=True),
    ):
        query = (
            select(Company.id, Company.name, Company.city, Company.country)
            .where(where, Company.deleted_at.is_(None), visible_clause(user, Company))
            .limit(CANDIDATES)
        )
        found = best(
            (
                Match(int(r.id), r.name, _place(r.city, r.country), name_score(typed, r.name))
                for r in session.execute(query)
            ),
            limit,
        )
        if found:
            return found
    return []


def _place(*parts: str | None) -> str:
    return ", ".join(p for p in parts if p)


def find_deals(session: Session, user: User, text: str, limit: int = 5) -> list[Match]:
    """Visible deals named by `text`: words of the title ("Fjord expansion" for "Fjord – Expansion"),
    or the company's name alone. A deal named by its own title beats its company's other deals;
    open deals come first among equals."""
    typed = typed_words(text)
    if not typed:
        return []
    companies = {m.id: m for m in find_companies(session, user, typed, limit=20)}
    words = [w for w in typed.lower().split() if len(w) >= 3 or w.isdigit()]
    by_title = or_(*[func.lower(Deal.title).contains(w, autoescape=True) for w in words] or [false()])
    where = or_(Deal.company_id.in_(list(companies)), by_title) if companies else by_title
    query = (
        select(Deal.id, Deal.title, Deal.status, Deal.amount, Deal.company_id)
        .where(where, Deal.deleted_at.is_(None), visible_clause(user, Deal))
        .limit(CANDIDATES)
    )
    matches = []
    for row in session.execute(query):
        score = max(_company_score(typed, companies.get(row.company_id)), name_score(typed, row.title))
        score -= 0.0 if row.status == "open" else 1.0  # moving or asking about a deal means an open one
        matches.append(Match(int(row.id), row.title, f"{row.status}, €{row.amount:,.2f}", score))
    return best(matches, limit)


def _company_score(typed: str, company: Match | None) -> float:
    """How well `typed` names a deal through its company: fully when it says no more than the
    company's name, much less when it adds words the company's name lacks (a title's words)."""
    if company is None:
        return 0.0
    extra = set(fold(typed).split()) - set(fold(company.label).split())
    return company.score - (10.0 if extra else 0.0)


def find_campaigns(session: Session, user: User, text: str, limit: int = 5) -> list[Match]:
    """Visible campaigns named by `text` (words of the name, typos forgiven), newest first among equals."""
    typed = typed_words(text)
    words = [w for w in typed.lower().split() if len(w) >= 3 or w.isdigit()]
    if not words:
        return []
    query = (select(Campaign.id, Campaign.name, Campaign.status, Campaign.channel)
             .where(or_(*[func.lower(Campaign.name).contains(w, autoescape=True) for w in words]),
                    Campaign.deleted_at.is_(None), visible_clause(user, Campaign))
             .order_by(Campaign.id.desc()).limit(CANDIDATES))
    return best((Match(int(r.id), r.name, f"{r.channel}, {r.status}", name_score(typed, r.name))
                 for r in session.execute(query)), limit)
