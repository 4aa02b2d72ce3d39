"""Sentences that are not about figures: a question about one contact or company, the user's own
task list, or a write to propose (log a call, remind me, move a deal). Regular expressions over the
sentence as typed; the engine (bot/offline.py) resolves the names against the records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ---- questions about one record, the task list, and writes -------------------------------------------


@dataclass(frozen=True)
class AboutRecord:
    """kind: last_activity, last_order, open_deals, contacts_at or bought; name as typed."""

    kind: str
    name: str
    rest: str = ""  # what follows the name: "with us this year"


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
class RecordResponse:
    """ "Maria Rossi is interested in the Summer Launch campaign": who, which campaign, what."""

    name: str
    campaign: str
    response: str  # replied, interested, not_interested, unsubscribed


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
    ("last_order",
     rf"(?:what|when) (?:was|is) {NAME}(?:'s|’s) (?:last|latest|most recent) (?:order|purchase)$"),
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
    ("open_deals", rf"(?:what|which) (?:deals|opportunities|opps) are open (?:of|for|with|at) {NAME}$"),
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
    r"(?: to)?|set an? reminder(?: to)?|new task:?|todo:?|to-do:?|schedule(?= an? ))\s+(?P<rest>.+)$",
    re.I,
)
MOVE = re.compile(
    r"^(?:please )?(?:move|advance|set|put|change|push|mark)\s+(?:the\s+)?(?:deal\s+)?(?P<deal>.+?)"
    r"(?:\s+deal|\s+opportunity)?\s+(?:to|into|as|in)\s+(?:the\s+)?(?P<stage>.+?)(?:\s+stage)?$",
    re.I,
)
RESPONSE_WORDS = {"interested": "interested", "not interested": "not_interested", "replied": "replied",
                  "responded": "replied", "answered": "replied", "unsubscribed": "unsubscribed",
                  "opted out": "unsubscribed"}
RESPONSE = re.compile(
    r"^(?:please )?(?:(?:record|log|note|mark|save)(?: that)?\s+)?(?P<name>.+?)\s+(?:is |was |has |as )?"
    r"(?P<response>not interested|interested|replied|responded|answered|unsubscribed|opted out)\s+"
    r"(?:in|to|from|on|for|of)\s+(?:the\s+)?(?P<campaign>.+?)(?:\s+campaign)?$",
    re.I,
)
QUESTION_START = re.compile(r"^(?:how|what|which|who|when|where|why|show|list|give|tell)\b", re.I)
FOLLOW = re.compile(
    r"[,;.]?\s*(?:and\s+)?(?:remind me to\s+)?(?:follow[- ]?up|call (?:him|her|them) back|check back)"
    r"\s*(?:with (?:him|her|them)\s*)?(?:on|by|in)?\s*"
    r"(?P<when>[^,;.]*)$",
    re.I,
)


def parse_action(question: str) -> LogActivity | CreateTask | MoveDeal | RecordResponse | None:
    text = question.strip().rstrip(".!")
    if not QUESTION_START.match(text) and (found := RESPONSE.match(text)) is not None:
        return RecordResponse(found["name"].strip(" ,"), found["campaign"].strip(" '\""),
                              RESPONSE_WORDS[found["response"].lower()])
    if (found := TASK.match(text)) is not None:
        return CreateTask(found.group("rest").strip())
    if (found := LOG.match(text)) is not None:
        channel = found.group("channel").lower()
        return _log(channel, found.group("rest"))
    if (found := DID.match(text)) is not None:  # "I called X about Y, please log it"
        rest = re.sub(r"[,;]?\s*(?:please\s+|can you\s+)?(?:log|record|note|save) (?:it|this|that)"
                      r"(?: for me)?$", "", found.group("rest"), flags=re.I)
        return _log(VERB_CHANNEL[found.group("verb").lower()], rest)
    if (found := MOVE.match(text)) is not None:
        return MoveDeal(found.group("deal").strip(" '\""), found.group("stage").strip(" '\""))
    return None


def _log(channel: str, rest: str) -> LogActivity:
    """ "Maria Rossi yesterday: discussed renewal, follow up next Tuesday" -> its parts: the person,
    when, the subject ("about the renewal") or notes (after ":" or " - "), and the follow-up date."""
    follow = None
    if (found := FOLLOW.search(rest)) is not None:
        follow = found.group("when").strip() or "tomorrow"
        rest = rest[: found.start()].strip()
    head, separator, body = re.split(r"(:| - | about )", rest, maxsplit=1) if re.search(
        r":| - | about ", rest) else (rest, "", "")
    subject, notes = None, body
    if separator == " about ":  # "about the invoice: he will pay" -> subject and notes
        subject, _, notes = body.partition(":")
    when = None
    if found := re.search(r"\s+(today|yesterday|this morning|(?:on|last) \w+day)$", head.strip(), re.I):
        when, head = found.group(1), head.strip()[: found.start()]
    return LogActivity(channel, head.strip(" ,"), when, (subject or "").strip(" ,") or None,
                       notes.strip(" ,") or None, follow)


def parse_about(question: str) -> AboutRecord | None:
    text = " ".join(question.strip().rstrip("?.!").split())
    for kind, pattern in ABOUT_PATTERNS:
        if (found := re.search(pattern, text, re.I)) is not None:
            name = re.sub(r"^(?:the |our )|'s$|’s$", "", found.group("name").strip(), flags=re.I)
            name = re.sub(r"\s+and (?:what|about what)\b.*$", "", name, flags=re.I)  # "... and what about?"
            return AboutRecord(kind, name.strip(), text[found.end():].strip())
    return None


def parse_tasks(question: str) -> MyTasks | None:
    text = question.lower()
    if re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", text) or not re.search(
        r"\b(tasks?|to-?dos?|overdue|call|plate|agenda|reminders?|follow[- ]?ups?|do today)\b", text
    ):
        return None
    personal = re.search(r"\b(i|my|me)\b", text) or (
        "overdue" in text and not re.search(r"\b(by|per|each|every|all|team|everyone)\b", text))
    if not personal:
        return None  # "overdue tasks by owner" is a figure, "what's overdue" the asker's own list
    return next((MyTasks(scope) for pattern, scope in TASK_PATTERNS if re.search(pattern, text)), None)
