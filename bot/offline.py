"""The offline engine: sentence -> intent (bot.parser) -> answer, deterministic and without network.

Order of reading: a proposed write (log a call, remind me, move a deal), a question about one record
(people are resolved against what the user may see, and asked back when ambiguous), the user's task
list, then a metric question run through the semantic layer. Whatever it cannot read with
confidence is refused with suggestions: it never guesses a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot import lookups
from bot.dates import parse_when
from bot.intents import (
    AboutRecord,
    CreateTask,
    LogActivity,
    MoveDeal,
    RecordResponse,
    parse_about,
    parse_action,
    parse_tasks,
)
from bot.parser import MetricQuestion, NotUnderstood, find_period_in, parse_metric
from bot.people import find_campaigns, find_companies, find_contacts, find_deals
from bot.proposals import (
    ask_which,
    propose_activity,
    propose_campaign_response,
    propose_deal_move,
    propose_task,
)
from bot.reply import Chart, Reply, Turn
from bot.vocabulary import load_vocabulary
from core.config import now, today
from core.errors import CRMError
from core.models import User
from core.query.catalog import DIMENSIONS, METRICS
from core.query.engine import QueryResult, run_query
from core.query.filters import Filter
from core.query.spec import QuerySpec

SUGGESTIONS = [
    "Revenue by month this year",
    "How many new contacts this month?",
    "Win rate last quarter",
    "Top 5 products by revenue",
    "Who should I call today?",
]
TIME_DIMENSIONS = {"day", "week", "month", "quarter", "year"}


def answer(session: Session, user: User, question: str, history: Sequence[Turn] = ()) -> Reply:
    """Answer `question` for `user`; writes are only proposed (status needs_confirmation)."""
    text = " ".join(question.split())
    try:
        return _answer(session, user, text)
    except CRMError as error:  # the semantic layer's own explanation (unknown segment, bad filter...)
        session.rollback()
        return Reply("refused", f"I could not answer that: {error}", suggestions=SUGGESTIONS)


def _answer(session: Session, user: User, text: str) -> Reply:
    action = parse_action(text)
    if action is not None:
        return _propose(session, user, action)
    about = parse_about(text)
    if about is not None and not _names_a_value(session, about.name):
        return _about(session, user, about)
    tasks = parse_tasks(text)
    if tasks is not None:
        return lookups.my_tasks(session, user, tasks.scope)
    parsed = parse_metric(text, load_vocabulary(session), today(), me=user.display_name)
    if isinstance(parsed, NotUnderstood):
        return Reply(
            "refused", f"Sorry, I did not understand “{text}”. {parsed.reason}", suggestions=SUGGESTIONS
        )
    question = parsed.question
    if parsed.unknown:
        resolved = _records_as_filters(session, user, [_as_typed(p, text) for p in parsed.unknown])
        if isinstance(resolved, Reply):
            return resolved
        question = MetricQuestion(
            question.metrics,
            question.dimensions,
            [*question.filters, *resolved],
            question.period,
            question.order_by,
            question.limit,
        )
    return _run(session, user, question)


def _as_typed(phrase: str, text: str) -> str:
    """The phrase as the person typed it (the parser works on folded lower-case words)."""
    found = re.search(re.escape(phrase), text, re.I)
    return found.group(0) if found else phrase


def _names_a_value(session: Session, name: str) -> bool:
    """ "open deals of Luca" is about an owner (a metric filter), not a record called Luca."""
    return bool(load_vocabulary(session).exact(name))


# ---- metric questions -------------------------------------------------------------------------------


def _records_as_filters(session: Session, user: User, phrases: list[str]) -> list[Filter] | Reply:
    """Unknown phrases may name a company or contact ("revenue from Acme"); otherwise refuse."""
    filters = []
    for phrase in phrases:
        companies = find_companies(session, user, phrase)
        contacts = [] if companies else find_contacts(session, user, phrase)
        if len(companies) == 1 or len(contacts) == 1:
            field, match = ("company", companies[0]) if companies else ("contact", contacts[0])
            filters.append(Filter(field=field, value=match.label))
            continue
        if companies or contacts:
            return ask_which("company" if companies else "contact", companies or contacts, phrase)
        kinds = "city, country, stage, product, category, owner, segment, company or contact"
        return Reply(
            "refused",
            f"I did not understand “{phrase}”: there is no {kinds} named “{phrase}” "
            "among the records you can see, so I will not guess a figure.",
            suggestions=SUGGESTIONS,
        )
    return filters


def _run(session: Session, user: User, question: MetricQuestion) -> Reply:
    spec = QuerySpec(
        metrics=question.metrics,
        dimensions=question.dimensions,
        filters=question.filters,
        period=question.period,
        order_by=question.order_by,
        limit=question.limit,
    )
    result = run_query(session, spec, user)
    return Reply(
        "answered",
        describe(result),
        columns=result.columns,
        rows=result.rows,
        chart=_chart(result),
        query=spec.model_dump(mode="json"),
        sql=result.sql,
    )


def describe(result: QueryResult) -> str:
    """ "Revenue in Milano, last quarter (2026-01-01 to 2026-03-31): €12,340.00"."""
    spec = result.spec
    title = " and ".join(METRICS[m].label for m in result.metrics)
    title += "".join(f", {_filter_text(f)}" for f in spec.filters)
    if result.period is not None:
        title += f", {result.period.label}"
    elif any(METRICS[m].date for m in result.metrics):
        title += ", all time"
    notes = "".join(f"\n{note}" for note in result.notes)
    if not spec.dimensions:
        figures = ", ".join(
            f"{METRICS[m].label}: {fmt(result.value(m), result.units[m])}" for m in result.metrics
        )
        return (
            f"{title}: {fmt(result.value(), result.units[result.metrics[0]])}"
            if len(result.metrics) == 1
            else f"{title} — {figures}"
        ) + notes
    by = ", ".join(DIMENSIONS[d].label.lower() if d in DIMENSIONS else d for d in spec.dimensions)
    if not result.rows:
        return f"{title} by {by}: nothing found." + notes
    first = result.rows[0]
    keys = ", ".join(str(v) for v in first[: len(spec.dimensions)])
    lead = (
        f"{'Top' if spec.order_by and spec.order_by[0].descending else 'Bottom'}"
        if spec.order_by
        else "First"
    )
    unit = result.units[result.metrics[0]]
    return (
        f"{title} by {by} ({len(result.rows)} rows). {lead}: {keys} — "
        f"{fmt(first[len(spec.dimensions)], unit)}.{notes}"
    )


def _filter_text(item: Filter) -> str:
    value = ", ".join(map(str, item.value)) if isinstance(item.value, list) else str(item.value)
    field = "segment" if item.field == "segment" else DIMENSIONS[item.field].label.lower()
    return f"in {value}" if item.field in ("city", "country") else f"{field} {value}"


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "currency":
        return f"€{value:,.2f}"
    if unit == "percent":
        return f"{value * 100:.1f}%"
    if unit == "days":
        return f"{value:,.1f} days"
    return f"{value:,}"


def _chart(result: QueryResult) -> Chart | None:
    dims = result.spec.dimensions
    if not dims or not result.rows:
        return None
    kind = "line" if dims[0] in TIME_DIMENSIONS else "bar"
    metric = result.columns[len(dims)]
    return Chart(kind, result.columns[0], metric, f"{metric} by {result.columns[0].lower()}")


# ---- records and actions ----------------------------------------------------------------------------


def _about(session: Session, user: User, about: AboutRecord) -> Reply:
    found = lookups.resolve(
        session, user, about.name, companies_first=about.kind in ("contacts_at", "last_order", "open_deals")
    )
    if isinstance(found, Reply):
        return found
    kind, match = found
    if about.kind == "contacts_at":
        if kind != "company":
            return Reply("refused", f"{match.label} is a contact, not a company.", suggestions=SUGGESTIONS)
        return lookups.contacts_at(session, user, match)
    if about.kind == "bought":  # a figure: the semantic layer, with the period asked for
        whose = Filter(field=kind, value=match.label)
        period = find_period_in(about.rest, today())
        return _run(session, user, MetricQuestion(["orders", "revenue"], [], [whose], period))
    handler = {
        "last_activity": lookups.last_activity,
        "last_order": lookups.last_order,
        "open_deals": lookups.open_deals,
    }[about.kind]
    return handler(session, user, kind, match)


def _propose(session: Session, user: User,
             action: LogActivity | CreateTask | MoveDeal | RecordResponse) -> Reply:
    if isinstance(action, RecordResponse):
        return _propose_response(session, user, action)
    if isinstance(action, MoveDeal):
        deals = find_deals(session, user, action.deal)
        if len(deals) != 1:
            return ask_which("deal", deals, action.deal)
        return propose_deal_move(session, user, deal_id=deals[0].id, stage_name=action.stage)
    if isinstance(action, CreateTask):
        return _propose_task(session, user, action.text)
    contacts = find_contacts(session, user, action.name)
    if len(contacts) != 1:
        return ask_which("contact", contacts, action.name)
    moment = now()
    when = parse_when(action.when, moment) if action.when else None
    occurred = when.replace(hour=moment.hour, minute=moment.minute) if when else moment
    follow = parse_when(action.follow_up, moment) if action.follow_up else None
    if action.follow_up and follow is None:
        return Reply("refused", f"I did not understand the follow-up date “{action.follow_up}”.")
    follow_up = (f"Follow up with {contacts[0].label}", follow) if follow else None
    return propose_activity(
        session,
        user,
        contact_id=contacts[0].id,
        channel=action.channel,
        occurred_at=occurred,
        subject=action.subject,
        notes=action.notes,
        follow_up=follow_up,
    )


def _propose_response(session: Session, user: User, action: RecordResponse) -> Reply:
    contacts = find_contacts(session, user, action.name)
    if len(contacts) != 1:
        return ask_which("contact", contacts, action.name)
    campaigns = find_campaigns(session, user, action.campaign)
    if len(campaigns) != 1:
        return ask_which("campaign", campaigns, action.campaign)
    return propose_campaign_response(session, user, campaign_id=campaigns[0].id, contact_id=contacts[0].id,
                                     response=action.response)


def _propose_task(session: Session, user: User, text: str) -> Reply:
    """ "email Ivan on Friday", "tomorrow to send the proposal to Chiara": the date phrase at the
    end (the longest) or before "to" at the start is the due date; a person named after the verb,
    or after the last "with"/"to"/"for", becomes the task's contact when exactly one visible
    contact matches (several: asked back)."""
    title, due = _split_due(re.sub(r"^(?:an?|the)\s+", "", text, flags=re.I))
    person = _person_in(title)
    contact_id = None
    if person:
        matches = find_contacts(session, user, person)
        if len(matches) > 1:
            return ask_which("contact", matches, person)
        contact_id = matches[0].id if matches else None
    return propose_task(session, user, title=title[:1].upper() + title[1:], due_at=due, contact_id=contact_id)


def _split_due(text: str) -> tuple[str, datetime | None]:
    leading = re.match(r"^(?P<when>.+?)\s+to\s+(?P<title>.+)$", text)
    if leading and (due := parse_when(leading["when"])) is not None:
        return leading["title"].strip(" ,"), due
    words = text.split()
    for start in range(max(1, len(words) - 5), len(words)):
        due = parse_when(" ".join(words[start:]))
        if due is not None:
            return " ".join(words[:start]).strip(" ,"), due
    return text.strip(" ,"), None


TASK_VERBS = ("call", "email", "e-mail", "phone", "ring", "meet", "contact", "text", "write to",
              "follow up with", "check in with", "visit")


def _person_in(title: str) -> str | None:
    """Who a task is about: "email Ivan about X" -> Ivan; "send the proposal to Chiara" -> Chiara."""
    for verb in TASK_VERBS:
        if title.lower().startswith(verb + " "):
            return title[len(verb) + 1 :].split(" about ")[0].strip() or None
    found = re.search(r"\b(?:with|to|for)\s+(?P<person>[^,;]+?)(?:\s+about\b.*)?$", title, re.I)
    return found["person"].strip() if found else None
