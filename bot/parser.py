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

import functools
import re
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, process

from bot.people import fold
from bot.vocabulary import Value, Vocabulary
from core.errors import ValidationError
from core.query.catalog import DIMENSION_NAMES, METRIC_NAMES, METRICS, lookup, normalise
from core.query.filters import Filter
from core.query.spec import OrderBy
from core.query.timerange import MONTHS, parse_period


def _words(text: str) -> set[str]:
    return set(text.split())


TYPO_CUTOFF = 80.0  # "reveune" -> revenue (86), "ths" -> this (86), "vlaue" -> value (80)
# Phrases people use for a metric that the catalogue's synonyms do not cover.
EXTRA_METRICS = {
    "tasks": "open_tasks", "task": "open_tasks", "to-dos": "open_tasks", "todos": "open_tasks",
    "to-do": "open_tasks", "todo": "open_tasks",
    "conversion": "win_rate",
    "win": "won_deals", "won": "won_deals", "lost": "lost_deals", "lose": "lost_deals",
    "closed": "closed_deals",
    "contact": "contacts", "customer": "customers", "deal": "deals", "opp": "deals",
    "deal size": "average_won_deal_size", "order value": "average_order_value",
    "basket": "average_order_value",
    "items": "units_sold", "item": "units_sold",
    "sales cycle": "average_days_to_close", "time to close": "average_days_to_close",
    "reply rate": "response_rate", "response rate": "response_rate",
    "unresolved tickets": "open_cases", "unresolved": "open_cases", "ticket": "cases", "case": "cases",
    "resolve": "average_resolution_time",
}
# Verbs that ask for sales when nothing else names the figure: "how much did we sell" is revenue,
# "how many docking stations did we sell" is units sold.
SELL_VERBS = _words("sell sold selling sells seller earn earned spent spend bought make made brings bring "
                    "invoiced invoice billed")
# Counts that "open" narrows to their open records ("how many tickets are open?").
OPEN_METRIC = {"deals": "open_deals", "cases": "open_cases", "tasks": "open_tasks"}
EXTRA_DIMENSIONS = {
    "salespeople": "owner", "sales people": "owner", "seller": "owner", "sellers": "owner",
    "customer": "contact", "customers": "contact", "client": "contact", "clients": "contact",
    "who": "owner", "people": "contact", "team member": "owner", "month": "month",
    "lifecycle": "lifecycle_stage",
}
# Plain counts that a more specific figure of the same records replaces ("tasks are overdue").
GENERIC_COUNTS = {"open_tasks", "cases", "deals", "contacts", "orders", "activities", "campaign_recipients"}
# An entity counted as a metric, that after "top N" or "which" is the thing ranked instead.
RANKED_ENTITY = {"companies": "company", "contacts": "contact", "customers": "contact"}
GROUP_WORDS = {"by", "per", "each", "every", "across", "between"}
SUPERLATIVES = {
    **dict.fromkeys(_words("most highest biggest largest best top greatest more"), True),
    **dict.fromkeys(_words("lowest least fewest smallest worst bottom less"), False),
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twenty": 20,
}
PREPOSITIONS = {"in", "from", "at", "for", "of", "by", "with", "on", "within"}
STOPWORDS = _words(
    "a an the our my we us i me is are was were be been do does did done have has had what whats "
    "what's how much many which who whom show tell give list get total overall all number count of "
    "amount value worth sum please currently now so far to date and or it its that this there "
    "their per by in from for at on with any some new average avg mean rate size make made since "
    "until about over last time trend up figure figures sales ever right euros eur euro money "
    "today's current"
)
TIME_WORDS = {
    *_words("today yesterday week month quarter year ytd since between last this past previous days "
            "weeks months years quarters"),
    *MONTHS,
}
# Words that name a field: "category Bikes", "the Negotiation stage", "segment Champions".
FIELD_WORDS = _words("segment category stage pipeline campaign source channel industry city country "
                     "owner product lifecycle")
FIELD_OF_WORD = {"lifecycle": "lifecycle_stage", "stage": "stage", "segment": "segment"}
# When a value could belong to several dimensions, the first listed wins.
PREFERENCE = ("segment", "stage", "pipeline", "owner", "product", "category", "campaign", "city",
              "country", "industry", "lifecycle_stage", "source", "channel", "gender")


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


ORDINAL_QUARTERS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def words_of(question: str) -> list[str]:
    text = fold(question).replace("’", "'").replace("'s ", " ").replace("what's", "what is")
    # "the first quarter of 2025" is Q1 2025 to the period parser.
    text = re.sub(r"\b(first|1st|second|2nd|third|3rd|fourth|4th) quarter(?: of)?\b",
                  lambda m: f"q{ORDINAL_QUARTERS[m.group(1)]}", text)
    return re.findall(r"[a-z0-9][a-z0-9_\-./']*[a-z0-9]|[a-z0-9]", text)


def capitalised(question: str) -> set[str]:
    """The folded words typed with a capital letter: candidates for names ("Acme", "Batman")."""
    return {fold(word) for word in re.findall(r"\b[^\W\d_][\w\-]*", question) if word[0].isupper()}


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


def find_period_in(text: str, today: date) -> str | None:
    """The period a phrase names, if any ("with us this year" -> "this year")."""
    words = words_of(text)
    return find_period(_Words(words, [False] * len(words)), today)


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
    ranking = ("top", "bottom", "best", "worst", "first", "biggest", "largest", "smallest")
    for i, word in enumerate(w.words):
        if word not in ranking or w.used[i]:
            continue
        for at in (i + 1, i - 1):  # "top 5" and "our 5 biggest"
            number = _number(w.words[at]) if 0 <= at < len(w.words) else None
            if number is not None:
                w.claim(min(i, at), max(i, at) + 1)
                return number, word in ("top", "best", "first", "biggest", "largest")
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
        while after < len(w.words) and (w.words[after] in ("the", "each", "every", "single", "of",
                                                             "down", "by") or w.words[after] in SELL_VERBS):
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
            found += [hit[0]] if hit[0] not in found else []
            w.claim(i if word in GROUP_WORDS else after, hit[1])
    if top and not found:  # "city with the most contacts", "most sold product by quantity"
        found += _first_dimension_word(w)
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


def _first_dimension_word(w: _Words) -> list[str]:
    for i, word in enumerate(w.words):
        dimension = lookup(DIMENSION_NAMES, word) or EXTRA_DIMENSIONS.get(word)
        if w.free(i, i + 1) and dimension and lookup(METRIC_NAMES, word) is None and word != "who":
            w.claim(i, i + 1)
            return [dimension]
    return []


def find_metrics(w: _Words) -> list[str]:
    found: list[str] = []
    for start in range(len(w.words)):
        hit = match_phrase(w, start, METRIC_NAMES, EXTRA_METRICS)
        if hit and hit[0] not in found:
            found.append(hit[0])
            w.claim(start, hit[1])
    return _combine(found, w.words)


def _combine(found: list[str], words: list[str]) -> list[str]:
    """ "how many deals did we win" is won deals; "value of deals won" the won amount; "how long
    does it take to close a deal" the days to close; "contacts added" new contacts."""
    said = set(words)
    verbs = [m for m in found if m in ("won_deals", "lost_deals", "closed_deals")]
    rest = [m for m in found if m not in verbs]
    if "long" in said and {"deals", "closed_deals", "won_deals"} & set(found):
        return ["average_days_to_close"]
    if "long" in said and {"cases", "open_cases"} & set(found):
        return ["average_resolution_time"]
    if (verbs and rest in (["deals"], ["open_deals"], [])) or (verbs and rest == ["win_rate"]):
        if rest == ["win_rate"]:
            return rest
        if verbs[0] == "won_deals" and {"value", "amount", "worth", "total", "much"} & said:
            return ["won_amount"]
        if verbs[0] == "won_deals" and {"average", "avg"} & said:
            return ["average_won_deal_size"]
        return verbs[:1]
    if rest == ["deals"] and {"value", "amount", "worth"} & said:
        return ["open_pipeline_value"]  # what deals are worth is the open pipeline's value
    if len(rest) == 1 and rest[0] in OPEN_METRIC and "open" in said:
        return [OPEN_METRIC[rest[0]]]
    if rest[:1] == ["contacts"] and {"added", "add", "created", "create", "joined", "new"} & said:
        return ["new_contacts", *rest[1:]]
    return rest or verbs


def find_filters(
    w: _Words, vocab: Vocabulary, metrics: list[str], me: str | None, named: list[Value]
) -> tuple[list[Filter], list[str]]:
    """Filters from known values; and the phrases after a preposition that name nothing known."""
    chosen: list[Value] = list(named)
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


def _value_at(w: _Words, start: int, vocab: Vocabulary, dims: set[str] | None, fuzzy: bool,
              end: int | None = None) -> Value | None:
    """The known value the longest phrase at `start` names (only the phrase up to `end` if given)."""
    ends = [end] if end else range(min(len(w.words), start + vocab.max_words), start, -1)
    for stop in ends:
        phrase = w.phrase(start, stop)
        if not w.free(start, stop) or (stop - start == 1 and phrase in STOPWORDS):
            continue
        values = vocab.fuzzy(phrase) if fuzzy else vocab.exact(phrase) or _singular(vocab, phrase)
        values = [v for v in values if dims is None or v.dimension in dims]
        if values:
            # "the Negotiation stage", "the DACH customers segment": the field word goes with it
            trailing = stop < len(w.words) and w.words[stop] in FIELD_WORDS and not w.used[stop]
            w.claim(start, stop + trailing)
            return min(values, key=_preference)
    return None


def _preference(value: Value) -> int:
    return PREFERENCE.index(value.dimension) if value.dimension in PREFERENCE else len(PREFERENCE)


def _singular(vocab: Vocabulary, phrase: str) -> list[Value]:
    """ "docking stations" names the product "Docking Station"."""
    return vocab.exact(phrase[:-1]) if phrase.endswith("s") and len(phrase) > 4 else []


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
    names = capitalised(question)
    words = correct_typos(words_of(question), vocab, names)
    w = _Words(words, [False] * len(words))
    named = find_named_values(w, vocab)  # before the period: "Summer Launch 2026", "Laptop Pro 14"
    period = find_period(w, today)
    limit, descending = find_top(w)
    superlative = next((SUPERLATIVES[x] for x in w.words if x in SUPERLATIVES), None)
    ranking = limit is not None or superlative is not None
    dimensions = find_dimensions(w, top=ranking)
    metrics = find_metrics(w)
    if metrics == ["closed_deals"] and "owner" in dimensions:
        metrics = ["won_deals"]  # a salesperson who "closed the most deals" won them
    if ranking and not dimensions and len(metrics) > 1 and metrics[0] in RANKED_ENTITY:
        dimensions, metrics = [RANKED_ENTITY[metrics[0]]], metrics[1:]  # "top 3 companies by revenue"
    metrics = _one_unless_joined(metrics, w.words, question)
    _claim_subject(w, metrics)
    filters, unknown = find_filters(w, vocab, metrics, me, named)
    metrics = metrics or _default_metric(w.words, filters, dimensions, superlative)
    if not metrics:
        return NotUnderstood("I could not tell which figure you want (revenue, deals, contacts...).")
    _claim_subject(w, metrics)
    unknown += find_names(w, names)  # "open deals does Acme have": a record's name, checked later
    unexplained = _unexplained(w)
    if unexplained:  # "how many unicorns did we sell": answering "revenue" would be a guess
        return NotUnderstood(f"I do not know what “{unexplained[0]}” means here.")
    if limit is None and superlative is not None and dimensions:
        limit, descending = _implied_limit(w.words), superlative
    order = [OrderBy(name=metrics[0], descending=bool(descending))] if limit and dimensions else []
    spec = MetricQuestion(metrics, dimensions, filters, period, order, limit if dimensions else None)
    return Parsed(spec, unknown)


def _one_unless_joined(metrics: list[str], words: list[str], question: str) -> list[str]:
    """Several figures only when asked together ("revenue and orders"); otherwise the first one
    named is the figure and the others describe it ("revenue from customers in Paris")."""
    joined = {"and", "plus", "vs", "versus"} & set(words) or "," in question or "&" in question
    if joined:
        return metrics
    specific = {METRICS[m].fact for m in metrics if m not in GENERIC_COUNTS}
    return [m for m in metrics if m not in GENERIC_COUNTS or METRICS[m].fact not in specific][:1]


def _claim_subject(w: _Words, metrics: list[str]) -> None:
    """Words that only repeat what the figure is about: "open" of open deals, "campaigns" of the
    response rate. Claimed so they are neither filters nor unexplained."""
    subject = {"open"} if any(m.startswith("open_") for m in metrics) else set()
    for metric in metrics:
        for noun in METRICS[metric].fact.split("_"):
            subject |= {noun, noun.rstrip("s"), noun + "s"}
    for i, word in enumerate(w.words):
        if word in subject and not w.used[i]:
            w.claim(i, i + 1)


def find_named_values(w: _Words, vocab: Vocabulary) -> list[Value]:
    """Known values of several words, spelt exactly: claimed first, so that no other pass takes
    their words ("2026" of "Summer Launch 2026" is not a period, "customers" of the segment "DACH
    customers" is not the customers metric)."""
    found = []
    for start in range(len(w.words)):
        for end in range(min(len(w.words), start + vocab.max_words), start + 1, -1):
            if not w.free(start, end) or lookup(METRIC_NAMES, w.phrase(start, end)):
                continue  # "phone calls" is the calls metric before it is the phone channel
            hit = _value_at(w, start, vocab, None, fuzzy=False, end=end)
            if hit:
                found.append(hit)
                break
    return found


def find_names(w: _Words, names: set[str]) -> list[str]:
    """Runs of unclaimed words typed with capitals, taken as a name to look up ("Acme", "Batman")."""
    phrases: list[str] = []
    start = None
    for i, word in enumerate([*w.words, ""]):
        is_name = word in names and not w.used[i] if word else False
        if is_name and start is None:
            start = i
        elif not is_name and start is not None:
            if not all(x in STOPWORDS | FILLER for x in w.words[start:i]):
                phrases.append(w.phrase(start, i))
                w.claim(start, i)
            start = None
    return phrases


def correct_typos(words: list[str], vocab: Vocabulary, names: set[str]) -> list[str]:
    """Words the parser does not know, replaced by the known word they misspell ("reveune" ->
    "revenue", "ths" -> "this"); unknown hyphenated words split ("best-selling"). Names and known
    values are left alone; a correction keeps the first letter, which rules out most accidental
    ones."""
    known = known_words() | vocab.words()
    split = [part for word in words for part in (
        word.split("-") if _splittable(word, known, names) else [word])]
    return [word if word in known or word in names or len(word) < 3 or not word.isalpha()
            else _closest(word) or word for word in split if word]


def _splittable(word: str, known: frozenset[str], names: set[str]) -> bool:
    """ "best-selling", "close-win" split; "to-do", "2026-01-31" and names stay whole."""
    return "-" in word and word.replace("-", "").isalpha() and word not in known and word not in names


def _closest(word: str) -> str | None:
    candidates = [k for k in known_words() if k[:1] == word[:1] and len(k) > 2]
    best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
    return best[0] if best else None


@functools.cache
def known_words() -> frozenset[str]:
    """Every word the parser understands (catalogue names and synonyms, time words, filler...)."""
    phrases = [*METRIC_NAMES, *DIMENSION_NAMES, *EXTRA_METRICS, *EXTRA_DIMENSIONS]
    words = {word for phrase in phrases for word in phrase.split()}
    words |= STOPWORDS | FILLER | PREPOSITIONS | GROUP_WORDS | TIME_WORDS | set(NUMBER_WORDS)
    return frozenset(words | set(SUPERLATIVES) | SELL_VERBS | FIELD_WORDS)


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
    "crm", "database", "system", "based", "break", "support", "opened", "created", "create", "added",
    "add", "send", "sent", "joined", "long", "take", "takes", "it", "cycle", "length", "come", "came",
    "brought", "close", "placed", "probability", "group", "grouped", "live", "lives", "living",
    "located", "paying", "big",
}


def _unexplained(w: _Words) -> list[str]:
    """Words no pass claimed and that are not filler, e.g. "unicorns" (digits count as understood)."""
    ignorable = STOPWORDS | FILLER | PREPOSITIONS | GROUP_WORDS | TIME_WORDS | set(NUMBER_WORDS)
    ignorable |= set(SUPERLATIVES) | SELL_VERBS
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
    if SELL_VERBS & set(words):
        return ["units_sold"] if "many" in words else ["revenue"]
    if superlative is not None and {"product", "category", "owner", "contact", "company"} & set(dims):
        return ["revenue"]
    return []
