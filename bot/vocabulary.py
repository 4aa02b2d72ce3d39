"""The values a question may name: stage, pipeline, owner, city, country, industry, product, category,
channel, lifecycle stage, source, campaign, segment, gender.

Read from the database once per data version (a cheap fingerprint), so a question costs no table
scan. Matching is case- and accent-insensitive ("munchen" finds "München") and forgives small typos
through rapidfuzz; a value keeps its stored spelling for the Filter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlmodel import Session

from bot.people import fold
from core.analytics.version import data_version
from core.models import AuditLog, Campaign, Company, Contact, Deal, Pipeline, Product, Segment, Stage, User
from core.models.base import CHANNELS, CONTACT_SOURCES, GENDERS, LIFECYCLE_STAGES
from core.query.distinct import distinct_live_values

FUZZY_CUTOFF = 86.0  # "Milno" -> Milano, but "Rome" never becomes "Roma"-like neighbours by chance
VERSION_MODELS = (Contact, Company, Deal, Stage, Pipeline, Product, User, Campaign, Segment, AuditLog)
# Words people use for a stored value.
ALIASES = {
    "channel": {
        "phone": ("call", "calls", "phone call", "phone calls", "telephone"),
        "email": ("e-mail", "mail"),
    },
    "lifecycle_stage": {
        "lead": ("leads",),
        "prospect": ("prospects",),
        "customer": ("customers", "clients"),
        "former": ("former customers", "churned"),
    },
    "gender": {"female": ("women", "woman"), "male": ("men", "man")},
    # Adjectives of countries: "italian contacts", "German customers".
    "country": {
        "Italy": ("italian",), "Germany": ("german",), "France": ("french",), "Spain": ("spanish",),
        "Poland": ("polish",), "Sweden": ("swedish",), "Norway": ("norwegian",), "Denmark": ("danish",),
        "Switzerland": ("swiss",), "Austria": ("austrian",), "Portugal": ("portuguese",),
        "Greece": ("greek",), "Ireland": ("irish",), "Czechia": ("czech",), "Latvia": ("latvian",),
        "Turkey": ("turkish",), "Netherlands": ("dutch",), "Belgium": ("belgian",),
        "United Kingdom": ("british", "uk"), "United States": ("american", "usa"),
    },
    # English names of cities stored in their own language.
    "city": {
        "München": ("munich",), "Köln": ("cologne",), "Nürnberg": ("nuremberg",), "Milano": ("milan",),
        "Roma": ("rome",), "Torino": ("turin",), "Napoli": ("naples",), "Firenze": ("florence",),
        "Venezia": ("venice",), "Wien": ("vienna",), "Praha": ("prague",), "Warszawa": ("warsaw",),
        "Kraków": ("cracow",), "Lisboa": ("lisbon",), "København": ("copenhagen",),
        "Genève": ("geneva",), "Bruxelles": ("brussels",), "Göteborg": ("gothenburg",),
        "Athína": ("athens",), "Sevilla": ("seville",), "Den Haag": ("the hague",),
    },
}


@dataclass(frozen=True)
class Value:
    """A known value: which dimension it belongs to, in its stored spelling."""

    dimension: str
    value: str


@dataclass
class Vocabulary:
    by_phrase: dict[str, list[Value]] = field(default_factory=dict)  # folded phrase -> values
    max_words: int = 1
    _words: frozenset[str] | None = field(default=None, repr=False)

    def add(self, dimension: str, value: str, *phrases: str) -> None:
        for phrase in (value, *phrases):
            key = fold(phrase.replace("_", " "))
            if len(key) < 2:
                continue
            self._words = None
            known = self.by_phrase.setdefault(key, [])
            if Value(dimension, value) not in known:
                known.append(Value(dimension, value))
            self.max_words = max(self.max_words, len(key.split()))

    def words(self) -> frozenset[str]:
        """Every single word of every known value ("laptop", "pro", "14", ...)."""
        if self._words is None:
            self._words = frozenset(word for phrase in self.by_phrase for word in phrase.split())
        return self._words

    def exact(self, phrase: str) -> list[Value]:
        return list(self.by_phrase.get(fold(phrase), []))

    def fuzzy(self, phrase: str) -> list[Value]:
        """The values spelled like `phrase` (exact first, else the closest within a typo or two)."""
        found = self.exact(phrase)
        key = fold(phrase)
        if found or len(key) < 4:
            return found
        best = process.extract(
            key, list(self.by_phrase), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=3
        )
        if not best:
            return []
        top = best[0][1]
        return [v for phrase_key, score, _ in best if score >= top for v in self.by_phrase[phrase_key]]

    def values(self, dimension: str) -> list[str]:
        return sorted({v.value for vs in self.by_phrase.values() for v in vs if v.dimension == dimension})


def build_vocabulary(values: dict[str, Iterable[str]], owners: Iterable[tuple[str, str]] = ()) -> Vocabulary:
    """A vocabulary from plain lists (dimension -> stored values) and owners (username, display name).
    Pure, so the parser's tests need no database."""
    vocabulary = Vocabulary()
    for dimension, items in values.items():
        for item in items:
            if item:
                vocabulary.add(dimension, item, *ALIASES.get(dimension, {}).get(item, ()))
    first_names: dict[str, list[str]] = {}
    for username, display in owners:
        vocabulary.add("owner", display, username)
        first_names.setdefault(fold(display.split()[0]), []).append(display)
    for first, displays in first_names.items():  # "by Luca" names Luca Bianchi when he is the only Luca
        if len(displays) == 1 and first not in vocabulary.by_phrase:
            vocabulary.add("owner", displays[0], first)
    return vocabulary


def fixed_values() -> dict[str, list[str]]:
    return {
        "channel": list(CHANNELS),
        "lifecycle_stage": list(LIFECYCLE_STAGES),
        "gender": list(GENDERS),
        "source": list(CONTACT_SOURCES),
    }


def read_values(session: Session) -> dict[str, list[str]]:
    """Every distinct value of the named columns (reference tables are small; contacts' city and
    country are read once per data version)."""
    columns = {
        "stage": [Stage.name],
        "pipeline": [Pipeline.name],
        "city": [Contact.city, Company.city],
        "country": [Contact.country, Company.country],
        "industry": [Company.industry],
        "product": [Product.name],
        "category": [Product.category],
        "campaign": [Campaign.name],
        "segment": [Segment.name],
        "source": [Contact.source, Deal.source],
    }
    values = fixed_values()
    for dimension, cols in columns.items():
        found = values.setdefault(dimension, [])
        for column in cols:
            found.extend(str(v) for v in distinct_live_values(session, column) if v)
    return values


_cache: dict[str, Vocabulary] = {}
_lock = threading.Lock()


def load_vocabulary(session: Session) -> Vocabulary:
    """The vocabulary of the database behind `session`, rebuilt only when its data version moves."""
    version = data_version(session, VERSION_MODELS)
    with _lock:
        cached = _cache.get(version)
    if cached is not None:
        return cached
    owners = [
        (u.username, u.display_name) for u in session.scalars(select(User).where(User.active.is_(True)))
    ]
    vocabulary = build_vocabulary(read_values(session), owners)
    with _lock:
        _cache.clear()  # one database per process in practice; keep only the newest
        _cache[version] = vocabulary
    return vocabulary
