"""Sentence -> intent, deterministically: a metric question (a QuerySpec in the making), a question
about one contact or company, the user's task list, or a proposed write. Pure: it needs the known
values (a Vocabulary) and the business date, never the database, so it is tested on its own.

Metric questions are read in passes over the words, each claiming the words it understands: the
period (the longest phrase parse_period accepts), top/bottom N, the dimensions after "by"/"per"
(or after "top N" and "which"), the metrics (the longest catalogue label or synonym), then filter
values from the vocabulary. A word after "in", "from", "for"... that nothing claims is reported as
not understood rather than ignored: a figure for the wrong filter is worse than no figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.people import fold
from bot.vocabulary import Value, Vocabulary
from core.errors import ValidationError
from core.query.catalog import DIMENSION_NAMES, METRIC_NAMES, METRICS, lookup, normalise
from core.query.filters import Filter
from core.query.spec import OrderBy
from core.query.timerange import MONTHS, parse_period

EXTRA_METRICS = {
    "sell": "revenue",
    "sold": "revenue",
    "sales revenue": "revenue",
    "earn": "revenue",
    "earned": "revenue",
    "spent": "revenue",
    "spend": "revenue",
    "bought": "revenue",
    "tasks": "open_tasks",
    "task": "open_tasks",
    "conversion": "win_rate",
    "win": "won_deals",
    "won": "won_deals",
    "lost": "lost_deals",
    "lose": "lost_deals",
    "closed": "closed_deals",
    "contact": "contacts",
    "customer": "customers",
    "deal size": "average_won_deal_size",
    "order value": "average_order_value",
    "basket": "average_order_value",
}
EXTRA_DIMENSIONS = {
    "salespeople": "owner",
    "sales people": "owner",
    "seller": "owner",
    "sellers": "owner",
    "customer": "contact",
    "customers": "contact",
    "client": "contact",
    "clients": "contact",
    "who": "owner",
    "people": "contact",
    "team member": "owner",
    "month": "month",
}
GROUP_WORDS = {"by", "per", "each", "every", "across", "between"}
SUPERLATIVES = {
    "most": True,
    "highest": True,
    "biggest": True,
    "largest": True,
    "best": True,
    "top": True,
    "greatest": True,
    "more": True,
    "lowest": False,
    "least": False,
    "fewest": False,
    "smallest": False,
    "worst": False,
    "bottom": False,
    "less": False,
}
NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
}
PREPOSITIONS = {"in", "from", "at", "for", "of", "by", "with", "on", "within"}
STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "our",
        "my",
        "we",
        "us",
        "i",
        "me",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "what",
        "whats",
        "what's",
        "how",
        "much",
        "many",
        "which",
        "who",
        "whom",
        "show",
        "me",
        "tell",
        "give",
        "list",
        "get",
        "total",
        "overall",
        "all",
        "number",
        "count",
        "of",
        "amount",
        "value",
        "worth",
        "sum",
        "please",
        "currently",
        "now",
        "so",
        "far",
        "to",
        "date",
        "and",
        "or",
        "it",
        "its",
        "that",
        "this",
        "there",
        "their",
        "per",
        "by",
        "in",
        "from",
        "for",
        "at",
        "on",
        "with",
        "any",
        "some",
        "new",
        "average",
        "avg",
        "mean",
        "rate",
        "size",
        "did",
        "make",
        "made",
        "since",
        "until",
        "about",
        "over",
        "last",
        "time",
        "trend",
        "up",
        "to",
        "figure",
        "figures",
        "total",
        "sales",
        "ever",
        "right",
        "much",
        "is",
        "euros",
        "eur",
        "euro",
        "money",
        "currently,",
        "today's",
        "current",
    ]
)
TIME_WORDS = {
    "today",
    "yesterday",
    "week",
    "month",
    "quarter",
    "year",
    "ytd",
    "since",
    "between",
    "last",
    "this",
    "past",
    "previous",
    "days",
    "weeks",
    "months",
    "years",
    "quarters",
    *MONTHS,
}
FIELD_WORDS = {
    "segment",
    "category",
    "stage",
    "pipeline",
    "campaign",
    "source",
    "channel",
    "industry",
    "city",
    "country",
    "owner",
    "product",
    "lifecycle",
}
PREFERENCE = (
    "segment",
    "stage",
    "pipeline",
    "owner",
    "product",
    "category",
    "campaign",
    "city",
    "country",
    "industry",
    "lifecycle_stage",
    "source",
    "channel",
    "gender",
)


@dataclass(frozen=True)
class MetricQuestion:
    metrics: list[str]
    dimensions: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    period: str | None = None
    order_by: list[OrderBy] = field(default_factory=list)
    limit: int | None = None


@dataclass(frozen=True)
class NotUnderstood:
    reason: str


@dataclass
class _Words:
    """The question's words and which of them a pass has already claimed."""

    words: list[str]
    used: list[bool]

    def free(self, start: int, end: int) -> bool:
        return end <= len(self.words) and not any(self.used[start:end])

    def claim(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def phrase(self, start: int, end: int) -> str:
        return " ".join(self.words[start:end])


def words_of(question: str) -> list[str]:
    text = fold(question).replace("’", "'").replace("'s ", " ").replace("what's", "what is")
    return re.findall(r"[a-z0-9][a-z0-9_\-./']*[a-z0-9]|[a-z0-9]", text)


# ---- passes ------------------------------------------------------------------------------------------


def find_period(w: _Words, today: date) -> str | None:
    """The longest run of words parse_period accepts (with its leading "in the"/"over the")."""
    best: tuple[int, int] | None = None
    n = len(w.words)
    for start in range(n):
        for end in range(min(n, start + 8), start, -1):
            if best and end - start <= best[1] - best[0]:
                break
            if w.free(start, end) and _is_period(w.words, start, end, today):
                best = (start, end)
    if best is None:
        return None
    start, end = best
    while start > 0 and w.words[start - 1] in ("in", "the", "over", "during", "for", "within", "of", "from"):
        start -= 1
    w.claim(start, end)
    return w.phrase(*best)


def _is_period(words: list[str], start: int, end: int, today: date) -> bool:
    chunk = words[start:end]
    if not any(c in TIME_WORDS or c[:1].isdigit() or re.fullmatch(r"q[1-4]", c) for c in chunk):
        return False
    if (
        len(chunk) == 1
        and chunk[0] in MONTHS
        and (start == 0 or words[start - 1] not in PREPOSITIONS | {"since"})
    ):
        return False  # "may" is a verb unless "in May", "since May"
    if chunk[0] in ("last", "this", "past") and len(chunk) == 1:
        return False
    try:
        parse_period(" ".join(chunk), today)
    except (ValidationError, ValueError):
        return False
    return True


def find_top(w: _Words) -> tuple[int | None, bool | None]:
    """(N, descending) of "top 5", "bottom 3", "best 10"; (None, None) when not asked."""
    for i, word in enumerate(w.words[:-1]):
        if word in ("top", "bottom", "best", "worst", "first") and not w.used[i]:
            number = _number(w.words[i + 1])
            if number is not None:
                w.claim(i, i + 2)
                return number, word in ("top", "best", "first")
    return None, None


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() and 0 < int(word) < 1000 else NUMBER_WORDS.get(word)


def match_phrase(
    w: _Words, start: int, index: dict[str, str], extra: dict[str, str]
) -> tuple[str, int] | None:
    """The catalogue id named by the longest phrase starting at `start`, and where it ends."""
    for end in range(min(len(w.words), start + 5), start, -1):
        if not w.free(start, end):
            continue
        phrase = normalise(w.phrase(start, end))
        found = (
            extra.get(phrase)
            or lookup(index, phrase)
            or (extra.get(phrase[:-1]) if phrase.endswith("s") else None)
        )
        if found:
            return found, end
    return None


def find_dimensions(w: _Words, top: bool) -> list[str]:
    """Dimensions named after a grouping word, after "top N", or after "which"/"what"."""
    found: list[str] = []
    for i, word in enumerate(w.words):
        starts = {"by", "per", "each", "every", "across"} | (
            {"which", "what", "top", "bottom", "who", "best", "worst"} if top else set()
        )
        after = i + 1
        if word not in starts or (w.used[i] and word not in ("top", "bottom")):
            continue
        while after < len(w.words) and w.words[after] in (
            "the",
            "each",
            "every",
            "single",
            "of",
            "down",
            "by",
        ):
            after += 1
        if word == "who":
            after = i
        if (
            word in ("top", "bottom", "best", "worst")
            and after < len(w.words)
            and _number(w.words[after]) is not None
        ):
            after += 1
        hit = match_phrase(w, after, DIMENSION_NAMES, EXTRA_DIMENSIONS)
        if hit and lookup(METRIC_NAMES, w.phrase(after, hit[1])) is None:
            found.append(hit[0])
            w.claim(i if word in GROUP_WORDS else after, hit[1])
    for i, word in enumerate(w.words):  # "monthly revenue", "revenue trend"
        grain = {
            "daily": "day",
            "weekly": "week",
            "monthly": "month",
            "quarterly": "quarter",
            "yearly": "year",
            "annual": "year",
            "trend": "month",
        }.get(word)
        if grain and not w.used[i] and grain not in found:
            found.append(grain)
            w.claim(i, i + 1)
    return found


def find_metrics(w: _Words) -> list[str]:
    found: list[str] = []
    for start in range(len(w.words)):
        hit = match_phrase(w, start, METRIC_NAMES, EXTRA_METRICS)
        if hit and hit[0] not in found:
            found.append(hit[0])
            w.claim(start, hit[1])
    return _combine(found, w.words)


def _combine(found: list[str], words: list[str]) -> list[str]:
    """ "how many deals did we win" is won deals; "value of deals won" the won amount."""
    verbs = [m for m in found if m in ("won_deals", "lost_deals", "closed_deals")]
    rest = [m for m in found if m not in verbs]
    if (verbs and rest in (["deals"], ["open_deals"], [])) or (verbs and rest == ["win_rate"]):
        if rest == ["win_rate"]:
            return rest
        if verbs[0] == "won_deals" and {"value", "amount", "worth", "total"} & set(words):
            return ["won_amount"]
        if verbs[0] == "won_deals" and {"average", "avg"} & set(words):
            return ["average_won_deal_size"]
        return verbs[:1]
    if rest == ["deals"] and {"value", "amount", "worth"} & set(words) and "open" in words:
        return ["open_pipeline_value"]
    return rest or verbs


def find_filters(
    w: _Words, vocab: Vocabulary, metrics: list[str], me: str | None
) -> tuple[list[Filter], list[str]]:
    """Filters from known values; and the phrases after a preposition that name nothing known."""
    chosen: list[Value] = []
    if me and (
        {"my", "mine"} & set(w.words) or re.search(r"\b(did|have|do|has) i\b|^i\b", " ".join(w.words))
    ):
        chosen.append(Value("owner", me))
        w.claim(0, 0)
    for i, word in enumerate(w.words):  # "category Bikes", "segment Champions", "stage Negotiation"
        dimension = {"lifecycle": "lifecycle_stage", "segment": "segment"}.get(word) or lookup(
            DIMENSION_NAMES, word
        )
        if word in FIELD_WORDS and dimension and not w.used[i]:
            hit = _value_at(w, i + 1 + (w.words[i + 1 : i + 2] == ["stage"]), vocab, {dimension}, fuzzy=True)
            if hit:
                chosen.append(hit)
                w.claim(i, i + 1)
            elif word == "segment" and i + 1 < len(w.words) and not w.used[i + 1]:
                return [], [f"segment {' '.join(w.words[i + 1 : i + 4])}"]
    for start in range(len(w.words)):  # any known value, exact spelling
        hit = _value_at(w, start, vocab, _dimensions(metrics), fuzzy=False)
        if hit:
            chosen.append(hit)
    unknown = []
    for i, word in enumerate(w.words[:-1]):  # "in Milno" (a typo) or "in Atlantis" (nothing)
        if word in PREPOSITIONS and not w.used[i + 1] and w.words[i + 1] not in STOPWORDS | TIME_WORDS:
            hit = _value_at(w, i + 1, vocab, _dimensions(metrics), fuzzy=True)
            if hit:
                chosen.append(hit)
            else:
                end = i + 2
                while (
                    end < len(w.words) and end < i + 4 and not w.used[end] and w.words[end] not in STOPWORDS
                ):
                    end += 1
                unknown.append(w.phrase(i + 1, end))
                w.claim(i + 1, end)
    return _as_filters(chosen), unknown


def _dimensions(metrics: list[str]) -> set[str] | None:
    from core.query.catalog import supported_dimensions

    if not metrics:
        return None
    allowed = set.intersection(*(set(supported_dimensions(METRICS[m])) for m in metrics))
    return allowed | {"segment"}


def _value_at(w: _Words, start: int, vocab: Vocabulary, dims: set[str] | None, fuzzy: bool) -> Value | None:
    for end in range(min(len(w.words), start + vocab.max_words), start, -1):
        phrase = w.phrase(start, end)
        if not w.free(start, end) or (end - start == 1 and phrase in STOPWORDS):
            continue
        values = vocab.fuzzy(phrase) if fuzzy else vocab.exact(phrase)
        values = [v for v in values if dims is None or v.dimension in dims]
        if values:
            w.claim(start, end)
            return min(
                values, key=lambda v: PREFERENCE.index(v.dimension) if v.dimension in PREFERENCE else 99
            )
    return None


def _as_filters(values: list[Value]) -> list[Filter]:
    grouped: dict[str, list[str]] = {}
    for value in values:
        if value.value not in grouped.setdefault(value.dimension, []):
            grouped[value.dimension].append(value.value)
    return [
        Filter(field=d, op="=", value=vs[0]) if len(vs) == 1 else Filter(field=d, op="in", value=vs)
        for d, vs in grouped.items()
    ]


# ---- the metric question -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """A metric question, and the phrases it could not place (resolved against the records, or refused)."""

    question: MetricQuestion
    unknown: list[str]


def parse_metric(
    question: str, vocab: Vocabulary, today: date, me: str | None = None
) -> Parsed | NotUnderstood:
    w = _Words(words_of(question), [False] * len(words_of(question)))
    period = find_period(w, today)
    limit, descending = find_top(w)
    superlative = next((SUPERLATIVES[x] for x in w.words if x in SUPERLATIVES), None)
    dimensions = find_dimensions(w, top=limit is not None or superlative is not None)
    metrics = find_metrics(w)
    filters, unknown = find_filters(w, vocab, metrics, me)
    metrics = metrics or _default_metric(w.words, filters, dimensions, superlative)
    if not metrics:
        return NotUnderstood("I could not tell which figure you want (revenue, deals, contacts...).")
    unexplained = _unexplained(w)
    if unexplained:  # "how many unicorns did we sell": answering "revenue" would be a guess
        return NotUnderstood(f"I do not know what “{unexplained[0]}” means here.")
    if limit is None and superlative is not None and dimensions:
        limit, descending = _implied_limit(w.words), superlative
    order = [OrderBy(name=metrics[0], descending=bool(descending))] if limit and dimensions else []
    spec = MetricQuestion(metrics, dimensions, filters, period, order, limit if dimensions else None)
    return Parsed(spec, unknown)


# Words that carry no meaning of their own in a question about figures.
FILLER = {
    "broken", "down", "breakdown", "split", "compare", "versus", "vs", "than", "more", "less", "then",
    "you", "your", "can", "could", "would", "should", "will", "see", "look", "like", "know", "want",
    "need", "let", "lets", "just", "also", "still", "yet", "report", "numbers", "stats", "statistics",
    "data", "both", "whole", "entire", "altogether", "together", "got", "get", "been", "having",
    "being", "very", "really", "only", "ones", "one", "view", "check", "calculate", "compute", "show",
    "display", "table", "chart", "graph", "plot", "result", "results", "thanks", "thank", "hey", "hi",
    "most", "least", "top", "bottom", "best", "worst", "highest", "lowest", "biggest", "smallest",
    "largest", "fewest", "greatest", "they", "them", "these", "those", "not", "exactly", "roughly",
    "approximately", "so", "far", "which", "where", "when", "else", "other", "same", "as", "if",
}


def _unexplained(w: _Words) -> list[str]:
    """Words no pass claimed and that are not filler, e.g. "unicorns" (digits count as understood)."""
    ignorable = STOPWORDS | FILLER | PREPOSITIONS | GROUP_WORDS | TIME_WORDS | set(NUMBER_WORDS)
    ignorable |= set(SUPERLATIVES)
    return [word for word, used in zip(w.words, w.used, strict=True)
            if not used and word not in ignorable and not word.isdigit()]


def _implied_limit(words: list[str]) -> int:
    """ "which rep has the most deals" is one; "best products" (plural after top/best) five."""
    for i, word in enumerate(words[:-1]):
        if word in ("top", "best", "worst", "bottom") and words[i + 1].endswith("s"):
            return 5
    return 1


def _default_metric(
    words: list[str], filters: list[Filter], dims: list[str], superlative: bool | None
) -> list[str]:
    people = {"leads", "prospects", "people", "persons", "women", "men", "customers", "clients"}
    if any(f.field in ("lifecycle_stage", "gender", "segment") for f in filters) or people & set(words):
        return ["new_contacts"] if "new" in words else ["contacts"]
    if superlative is not None and {"product", "category", "owner", "contact", "company"} & set(dims):
        return ["revenue"]
    return []


# ---- questions about one record, the task list, and writes -------------------------------------------


@dataclass(frozen=True)
class AboutRecord:
    """kind: last_activity, last_order, open_deals, contacts_at or bought; name as typed."""

    kind: str
    name: str


@dataclass(frozen=True)
class MyTasks:
    scope: str  # "today" (due today or overdue), "overdue" or "open"


@dataclass(frozen=True)
class LogActivity:
    channel: str
    name: str
    when: str | None
    subject: str | None
    notes: str | None
    follow_up: str | None  # the date phrase of "follow up next Tuesday"


@dataclass(frozen=True)
class CreateTask:
    text: str  # "email Ivan on Friday": the title and its date phrase, split by the engine


@dataclass(frozen=True)
class MoveDeal:
    deal: str
    stage: str


NAME = r"(?P<name>[^?]+?)"
ABOUT_PATTERNS = [
    (
        "last_activity",
        rf"what did (?:we|i) (?:last )?(?:discuss|talk about|speak about|talk|say)(?: with| to)? {NAME}"
        r"(?: last time| recently)?$",
    ),
    (
        "last_activity",
        rf"when did (?:we|i) last (?:talk to|talk with|speak to|speak with|contact|call|email|"
        rf"meet with|meet|hear from) {NAME}$",
    ),
    (
        "last_activity",
        rf"(?:last|latest|most recent|recent) (?:activity|activities|interactions?|contact|"
        rf"conversation|call|email|meeting|touchpoint) (?:with|for|of) {NAME}$",
    ),
    ("last_order", rf"when did {NAME} (?:last )?(?:order|buy|purchase)(?: last)?$"),
    ("last_order", rf"(?:last|latest|most recent) (?:order|purchase) (?:of|from|by|for) {NAME}$"),
    (
        "bought",
        rf"how much (?:has|have|did) {NAME} (?:bought|buy|spent|spend|ordered|order|purchased|purchase)",
    ),
    ("bought", rf"what (?:has|did) {NAME} (?:bought|buy|ordered|order|purchased|purchase)"),
    (
        "contacts_at",
        r"who (?:is|are) (?:the |our )?(?:main |key )?(?:contacts?|people|persons?) "
        rf"(?:at|for|of|in) {NAME}$",
    ),
    ("contacts_at", rf"(?:who do we know|contacts) at {NAME}$"),
    (
        "open_deals",
        rf"(?:what are |show |list )?(?:the )?open (?:deals|opportunities|opps) (?:of|for|with|at) {NAME}$",
    ),
]
TASK_PATTERNS = [
    (r"\boverdue\b", "overdue"),
    (r"who should i (?:call|contact|ring|phone|email)", "today"),
    (r"\b(?:today|this morning)\b", "today"),
    (r"\bmy (?:open )?(?:tasks|to-?dos|reminders|follow[- ]?ups)\b", "open"),
    (r"\bwhat(?: is|'s)? on my (?:plate|list|agenda)", "today"),
]
CHANNEL_WORDS = r"(?P<channel>phone call|call|e-mail|email|meeting|visit|sms|text|chat|whatsapp)"
LOG = re.compile(
    rf"^(?:please )?(?:log|record|add|note|register|save)(?: an?| the| my)? {CHANNEL_WORDS}"
    r"(?: with| to| from)? (?P<rest>.+)$",
    re.I,
)
DID = re.compile(
    r"^i (?:just )?(?P<verb>called|phoned|rang|emailed|e-mailed|met with|met|texted|visited|chatted with)"
    r" (?P<rest>.+)$",
    re.I,
)
VERB_CHANNEL = {
    "called": "phone",
    "phoned": "phone",
    "rang": "phone",
    "emailed": "email",
    "e-mailed": "email",
    "met": "meeting",
    "met with": "meeting",
    "visited": "meeting",
    "texted": "sms",
    "chatted with": "chat",
}
TASK = re.compile(
    r"^(?:please )?(?:remind me(?: to)?|create an? (?:task|reminder)(?: to)?|add an? (?:task|reminder)"
    r"(?: to)?|set an? reminder(?: to)?|new task:?|todo:?|to-do:?)\s+(?P<rest>.+)$",
    re.I,
)
MOVE = re.compile(
    r"^(?:please )?(?:move|advance|set|put|change|push|mark)\s+(?:the\s+)?(?:deal\s+)?(?P<deal>.+?)"
    r"(?:\s+deal|\s+opportunity)?\s+(?:to|into|as|in)\s+(?:the\s+)?(?P<stage>.+?)(?:\s+stage)?$",
    re.I,
)
FOLLOW = re.compile(
    r"[,;.]?\s*(?:and\s+)?(?:follow[- ]?up|call (?:him|her|them) back|check back)\s*(?:on|by|in)?\s*"
    r"(?P<when>[^,;.]*)$",
    re.I,
)


def parse_action(question: str) -> LogActivity | CreateTask | MoveDeal | None:
    text = question.strip().rstrip(".!")
    if (found := TASK.match(text)) is not None:
        return CreateTask(found.group("rest").strip())
    if (found := LOG.match(text)) is not None:
        channel = found.group("channel").lower()
        return _log(channel, found.group("rest"))
    if (found := DID.match(text)) is not None:
        return _log(VERB_CHANNEL[found.group("verb").lower()], found.group("rest"))
    if (found := MOVE.match(text)) is not None:
        return MoveDeal(found.group("deal").strip(" '\""), found.group("stage").strip(" '\""))
    return None


def _log(channel: str, rest: str) -> LogActivity:
    """ "Maria Rossi yesterday: discussed renewal, follow up next Tuesday" -> its parts."""
    head, _, notes = (
        re.split(r"(:| - | about )", rest, maxsplit=1)
        if re.search(r":| - | about ", rest)
        else (rest, "", "")
    )
    subject = None
    if " about " in rest and ":" not in rest and " - " not in rest:
        subject, notes = notes.strip(), ""
    follow = None
    for part in ("notes", "head"):
        value = notes if part == "notes" else head
        if (found := FOLLOW.search(value)) is not None:
            follow = found.group("when").strip() or "tomorrow"
            value = value[: found.start()].strip()
        notes, head = (value, head) if part == "notes" else (notes, value)
    when = None
    if found := re.search(r"\s+(today|yesterday|this morning|(?:on|last) \w+day)$", head.strip(), re.I):
        when, head = found.group(1), head.strip()[: found.start()]
    return LogActivity(channel, head.strip(" ,"), when, subject or None, notes.strip(" ,") or None, follow)


def parse_about(question: str) -> AboutRecord | None:
    text = " ".join(question.strip().rstrip("?.!").split())
    for kind, pattern in ABOUT_PATTERNS:
        if (found := re.search(pattern, text, re.I)) is not None:
            name = re.sub(r"^(?:the |our )|'s$|’s$", "", found.group("name").strip(), flags=re.I)
            return AboutRecord(kind, name.strip())
    return None


def parse_tasks(question: str) -> MyTasks | None:
    text = question.lower()
    if re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", text) or not re.search(
        r"\b(tasks?|to-?dos?|overdue|call|plate|agenda|reminders?|follow[- ]?ups?|do today)\b", text
    ):
        return None
    if not re.search(r"\b(i|my|me)\b", text) and "overdue" not in text:
        return None
    return next((MyTasks(scope) for pattern, scope in TASK_PATTERNS if re.search(pattern, text)), None)
