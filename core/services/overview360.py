"""Record pages ("360° views") and the pipeline board: narrow reads, limited to what the user may see.

Each function returns plain dataclasses and pandas frames built from a few SELECTs of the columns
shown; nothing here loads more than one ORM object (the record itself, read through `get_record`,
which raises NotFound when the record is hidden from the user). Related rows (activities, deals,
orders, ...) are filtered with the same `visible_clause` the grids use; labels of referenced
records (company name, campaign name, stage name) are shown as the grids show them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select, union
from sqlalchemy.orm import aliased
from sqlmodel import Session

from core.analytics.cache import cached, user_scope
from core.analytics.version import QUERY_MODELS, data_version
from core.config import now
from core.errors import NotFound
from core.models import (
    Activity,
    Campaign,
    CampaignRecipient,
    Case,
    Company,
    Contact,
    Deal,
    DealStageHistory,
    Editable,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Stage,
    Task,
    User,
)
from core.models.base import NOT_SOLD_ORDER_STATUSES
from core.query.filters import BoundPrefix, live_prefix_ids, prefix_match
from core.services.permissions import visible_clause, visible_key
from core.services.records import get_record
from core.services.statements import kept

TIMELINE_LIMIT = 200
LIST_LIMIT = 200
OPEN_CASE_STATUSES = ("new", "open", "waiting")


@dataclass(frozen=True)
class Figures:
    """Simple figures about a contact or company (cancelled orders and quotes do not count)."""

    lifetime_revenue: float
    orders: int
    last_order_at: datetime | None
    last_interaction_at: datetime | None
    open_deals: int
    open_deals_amount: float
    open_cases: int


@dataclass(frozen=True)
class Contact360:
    contact: Contact
    company_name: str | None
    owner_name: str | None
    figures: Figures
    timeline: pd.DataFrame  # newest first, at most TIMELINE_LIMIT rows
    timeline_total: int
    deals: pd.DataFrame
    orders: pd.DataFrame
    products: pd.DataFrame  # products held: quantity, spent, last bought
    tasks: pd.DataFrame  # open tasks and reminders
    cases: pd.DataFrame
    campaigns: pd.DataFrame


@dataclass(frozen=True)
class Company360:
    company: Company
    owner_name: str | None
    figures: Figures
    contacts: pd.DataFrame
    contacts_total: int
    timeline: pd.DataFrame
    timeline_total: int
    deals: pd.DataFrame
    orders: pd.DataFrame
    cases: pd.DataFrame  # open cases only


@dataclass(frozen=True)
class StageInfo:
    id: int
    name: str
    probability: int
    is_won: bool
    is_lost: bool


@dataclass(frozen=True)
class Deal360:
    deal: Deal
    pipeline_name: str
    stage: StageInfo
    stages: list[StageInfo]  # the pipeline's stages, in order (where the deal can move)
    company_name: str | None
    contact_name: str | None
    owner_name: str | None
    history: pd.DataFrame  # stage, entered_at, exited_at, days
    activities: pd.DataFrame
    tasks: pd.DataFrame


@dataclass(frozen=True)
class BoardColumn:
    stage: StageInfo
    count: int  # every visible deal of the stage, not only the ones shown
    amount: float
    deals: pd.DataFrame  # id, title, company, amount, currency, owner, version, days_in_stage


@dataclass(frozen=True)
class Board:
    pipeline_id: int | None
    pipeline_name: str
    columns: list[BoardColumn]
    per_stage: int


@dataclass(frozen=True)
class Match:
    id: int
    label: str


# ---- the record pages ------------------------------------------------------------------------------


def contact_360(session: Session, user: User, contact_id: int) -> Contact360:
    """Everything about one contact; NotFound when the user may not see the contact."""
    contact: Contact = get_record(session, user, "contacts", contact_id)  # type: ignore[assignment]
    mine = Activity.contact_id == contact_id
    timeline, total = _timeline(session, user, mine)
    return Contact360(
        contact=contact,
        company_name=_label(session, Company.name, Company.id, contact.company_id),
        owner_name=_label(session, User.display_name, User.id, contact.owner_id),
        figures=_figures(session, user, Order.contact_id == contact_id, mine,
                         Deal.contact_id == contact_id, Case.contact_id == contact_id),
        timeline=timeline, timeline_total=total,
        deals=_deals(session, user, Deal.contact_id == contact_id),
        orders=_orders(session, user, Order.contact_id == contact_id),
        products=_products_held(session, user, contact_id),
        tasks=_open_tasks(session, user, Task.contact_id == contact_id),
        cases=_cases(session, user, Case.contact_id == contact_id),
        campaigns=_campaign_responses(session, contact_id),
    )


def company_360(session: Session, user: User, company_id: int) -> Company360:
    """A company with its contacts, deals, orders, the timeline across its contacts, open cases."""
    company: Company = get_record(session, user, "companies", company_id)  # type: ignore[assignment]
    # Its own interactions and its contacts', as one id list each index serves (an OR with a
    # subquery made PostgreSQL scan every activity).
    of_people = (select(Activity.id).join(Contact, Contact.id == Activity.contact_id)
                 .where(Contact.company_id == company_id))
    ours = Activity.id.in_(union(select(Activity.id).where(Activity.company_id == company_id), of_people))
    timeline, total = _timeline(session, user, ours)
    contacts, contacts_total = _company_contacts(session, user, company_id)
    open_case = and_(Case.company_id == company_id, Case.status.in_(OPEN_CASE_STATUSES))
    return Company360(
        company=company,
        owner_name=_label(session, User.display_name, User.id, company.owner_id),
        figures=_figures(session, user, Order.company_id == company_id, ours,
                         Deal.company_id == company_id, Case.company_id == company_id),
        contacts=contacts, contacts_total=contacts_total, timeline=timeline, timeline_total=total,
        deals=_deals(session, user, Deal.company_id == company_id),
        orders=_orders(session, user, Order.company_id == company_id),
        cases=_cases(session, user, open_case),
    )


def deal_360(session: Session, user: User, deal_id: int) -> Deal360:
    """A deal with its stage history (days in each stage), its activities and tasks."""
    deal: Deal = get_record(session, user, "deals", deal_id)  # type: ignore[assignment]
    stages = _stages(session, deal.pipeline_id)
    current = next((s for s in stages if s.id == deal.stage_id), None) or _stage_info(session, deal.stage_id)
    return Deal360(
        deal=deal, stage=current, stages=stages,
        pipeline_name=_label(session, Pipeline.name, Pipeline.id, deal.pipeline_id) or "",
        company_name=_label(session, Company.name, Company.id, deal.company_id),
        contact_name=_label(session, full_name(Contact), Contact.id, deal.contact_id),
        owner_name=_label(session, User.display_name, User.id, deal.owner_id),
        history=_stage_history(session, deal_id),
        activities=_timeline(session, user, Activity.deal_id == deal_id)[0],
        tasks=_tasks(session, user, Task.deal_id == deal_id),
    )


# ---- the pipeline board ----------------------------------------------------------------------------


def pipeline_choices(session: Session) -> list[Match]:
    """The pipelines, the default one first."""
    query = select(Pipeline.id, Pipeline.name).where(Pipeline.deleted_at.is_(None)).order_by(
        Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)
    return [Match(row.id, row.name) for row in session.execute(query)]


def pipeline_board(session: Session, user: User, pipeline_id: int | None = None,
                   *, per_stage: int = 50) -> Board:
    """The stages in order, each with its visible deals (at most `per_stage` shown) and totals.

    Counts and amounts are SQL aggregates over every visible deal of a stage; the deals shown are
    ranked in SQL per stage (open stages: biggest first; won/lost stages: most recently closed
    first), each stage's top read through the (stage, closed_at, amount) index. The board is kept
    per data version and reader; only the days in stage are worked out on each call (the clock moves).
    """
    choices = pipeline_choices(session)
    chosen = next((p for p in choices if p.id == pipeline_id), choices[0] if choices else None)
    if pipeline_id is not None and (chosen is None or chosen.id != pipeline_id):
        raise NotFound(f"There is no pipeline with id {pipeline_id}.")
    if chosen is None:
        return Board(None, "", [], per_stage)
    board = cached("pipeline-board", data_version(session, QUERY_MODELS), user_scope(user),
                   (chosen.id, per_stage), lambda: _board(session, user, chosen, per_stage))
    moment = now()
    return replace(board, columns=[replace(column, deals=_with_days(column.deals, moment))
                                   for column in board.columns])


def _board(session: Session, user: User, chosen: Match, per_stage: int) -> Board:
    scope = and_(Deal.pipeline_id == chosen.id, Deal.deleted_at.is_(None), visible_clause(user, Deal))
    totals = {row.stage_id: (int(row.count), float(row.amount)) for row in session.execute(
        select(Deal.stage_id, func.count().label("count"),
               func.coalesce(func.sum(Deal.amount), 0).label("amount")).where(scope).group_by(Deal.stage_id))}
    stages = _stages(session, chosen.id)
    shown = _board_deals(session, scope, [stage.id for stage in stages], per_stage)
    columns = []
    for stage in stages:
        count, amount = totals.get(stage.id, (0, 0.0))
        deals = shown[shown["stage_id"] == stage.id].drop(columns=["stage_id"]).reset_index(drop=True)
        columns.append(BoardColumn(stage, count, amount, deals))
    return Board(chosen.id, chosen.label, columns, per_stage)


BOARD_ORDER = (Deal.closed_at.desc(), Deal.amount.desc(), Deal.id)


def _board_deals(session: Session, scope: ColumnElement[bool], stage_ids: list[int],
                 per_stage: int) -> pd.DataFrame:
    """The top `per_stage` deals of each stage (one small indexed query per stage), with their
    company, owner and when they entered their current stage."""
    ids: list[int] = []
    for stage_id in stage_ids:
        ids += session.scalars(select(Deal.id).where(scope, Deal.stage_id == stage_id)
                               .order_by(*BOARD_ORDER).limit(per_stage)).all()
    owner = aliased(User, name="deal_owner")
    query = (select(Deal.id, Deal.stage_id, Deal.title, Company.name.label("company"), Deal.amount,
                    Deal.currency, owner.display_name.label("owner"), Deal.version)
             .outerjoin(Company, Company.id == Deal.company_id)
             .outerjoin(owner, owner.id == Deal.owner_id).where(Deal.id.in_(ids)))
    frame = _frame(session, query)
    order = {deal_id: place for place, deal_id in enumerate(ids)}
    frame = frame.sort_values("id", key=lambda column: column.map(order)).reset_index(drop=True)
    entered = _entered_current_stage(session, ids)
    frame["entered_at"] = [entered.get(int(i)) for i in frame["id"]]
    return frame


def _with_days(deals: pd.DataFrame, moment: datetime) -> pd.DataFrame:
    """The deals with days_in_stage as of `moment` instead of when they entered it."""
    days = [_days(entered, moment) for entered in deals["entered_at"]]
    return deals.drop(columns=["entered_at"]).assign(days_in_stage=days)


def _entered_current_stage(session: Session, deal_ids: list[int]) -> dict[int, datetime]:
    if not deal_ids:
        return {}
    query = select(DealStageHistory.deal_id, func.max(DealStageHistory.entered_at)).where(
        DealStageHistory.deal_id.in_(deal_ids), DealStageHistory.exited_at.is_(None)
    ).group_by(DealStageHistory.deal_id)
    return {deal_id: entered for deal_id, entered in session.execute(query)}


# ---- pickers ---------------------------------------------------------------------------------------


CONTACT_NAME_FIELDS = ("last_name", "first_name", "email")


def search_contacts(session: Session, user: User, text: str, limit: int = 20) -> list[Match]:
    """Visible contacts whose first name, last name or email starts with each word of `text`,
    the first `limit` by last name, first name, id."""
    words = [BoundPrefix.of(word, f"word_{number}")  # no stored name holds a NUL
             for number, word in enumerate(text.replace("\x00", "").lower().split())]
    if not words:
        return []
    key = ("record picker", visible_key(user, Contact), tuple(word.kind for word in words))
    query = kept(key, lambda: _picker_select(user, words))
    params = {"limit": limit}
    for word in words:
        params.update(word.values)
    return [Match(row.id, f"{row.name} · {row.email}" if row.email else row.name)
            for row in session.execute(query, params)]


def _picker_select(user: User, words: list[BoundPrefix]) -> Select[Any]:
    """The record picker's statement for words of this shape (values bound: built once per shape).

    The first `limit` of each field's matches for the first word, then the first `limit` of those:
    the same names as sorting every match, but each field's share is sorted from its own
    lower(field) index (which holds the names), never the 15,000 rows a common prefix matches."""
    order = (Contact.last_name, Contact.first_name, Contact.id)
    others = [Contact.id.in_(live_prefix_ids(Contact, CONTACT_NAME_FIELDS, w)) for w in words[1:]]
    firsts = [select(Contact.id).where(Contact.deleted_at.is_(None), visible_clause(user, Contact),
                                       prefix_match(getattr(Contact, field), words[0]), *others)
              .order_by(*order).limit(bindparam("limit")).subquery()
              for field in CONTACT_NAME_FIELDS]
    candidates = union(*[select(first.c.id) for first in firsts])
    name = full_name(Contact)
    return (select(Contact.id, name.label("name"), Contact.email)
            .where(Contact.id.in_(candidates)).order_by(*order).limit(bindparam("limit")))


def search_companies(session: Session, user: User, text: str, limit: int = 20) -> list[Match]:
    return _search_titles(session, user, Company, Company.name, text, limit)


def search_deals(session: Session, user: User, text: str, limit: int = 20) -> list[Match]:
    return _search_titles(session, user, Deal, Deal.title, text, limit)


def _search_titles(session: Session, user: User, model: type[Editable], column: Any, text: str,
                   limit: int) -> list[Match]:
    words = text.replace("\x00", "").lower().split()  # no stored name holds a NUL
    if not words:
        return []
    query = (select(model.id, column).where(model.deleted_at.is_(None), visible_clause(user, model),
                                            *[func.lower(column).contains(w, autoescape=True) for w in words])
             .order_by(column, model.id).limit(limit))
    return [Match(row_id, label) for row_id, label in session.execute(query)]


# ---- the pieces ------------------------------------------------------------------------------------


def _frame(session: Session, query: Select[Any]) -> pd.DataFrame:
    result = session.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _count(session: Session, model: type[Editable], user: User, where: ColumnElement[bool]) -> int:
    query = select(func.count()).select_from(model).where(
        where, model.deleted_at.is_(None), visible_clause(user, model))
    return int(session.scalar(query) or 0)


def _label(session: Session, column: Any, key: Any, value: int | None) -> str | None:
    return None if value is None else session.scalar(select(column).where(key == value))


def full_name(model: Any) -> Any:
    """first_name last_name in SQL (a missing last name leaves no trailing space)."""
    return func.trim(model.first_name + " " + func.coalesce(model.last_name, ""))


def _days(start: Any, end: Any) -> float | None:
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        return None
    return round((end - start).total_seconds() / 86_400, 1)


def activity_select() -> Any:
    """Activities with who handled them and the contact's name: the columns of every timeline
    (a contact's, a company's, a deal's, a support case's thread)."""
    handler = aliased(User, name="handler")
    return (select(Activity.id, Activity.occurred_at, Activity.channel, Activity.direction,
                   Activity.subject, Activity.outcome, Activity.notes, Activity.duration_minutes,
                   handler.display_name.label("handled_by"), Activity.source,
                   full_name(Contact).label("contact"))
            .outerjoin(handler, handler.id == Activity.owner_id)
            .outerjoin(Contact, Contact.id == Activity.contact_id))


def _timeline(session: Session, user: User, where: ColumnElement[bool],
              limit: int = TIMELINE_LIMIT) -> tuple[pd.DataFrame, int]:
    """Interactions on every channel, newest first, with who handled them; and how many in all.

    The matching interactions are found first, through the indexes `where` names, then sorted. A
    company's "its own or its contacts'" is an OR that PostgreSQL cannot estimate: asked for the
    newest 50 directly, it walked every activity backwards by time (5 s at 3M activities)."""
    matched = (select(Activity.id, Activity.occurred_at)
               .where(where, Activity.deleted_at.is_(None), visible_clause(user, Activity))
               .cte("matched").prefix_with("MATERIALIZED", dialect="postgresql"))
    newest = select(matched.c.id).order_by(matched.c.occurred_at.desc(), matched.c.id.desc()).limit(limit)
    query = (activity_select().where(Activity.id.in_(newest))
             .order_by(Activity.occurred_at.desc(), Activity.id.desc()))
    return _frame(session, query), int(session.scalar(select(func.count()).select_from(matched)) or 0)


def _figures(session: Session, user: User, orders: ColumnElement[bool], activities: ColumnElement[bool],
             deals: ColumnElement[bool], cases: ColumnElement[bool]) -> Figures:
    sold = select(func.coalesce(func.sum(Order.total), 0), func.count(), func.max(Order.ordered_at)).where(
        orders, Order.status.not_in(NOT_SOLD_ORDER_STATUSES), Order.deleted_at.is_(None),
        visible_clause(user, Order))
    revenue, order_count, last_order = session.execute(sold).one()
    last_interaction = session.scalar(select(func.max(Activity.occurred_at)).where(
        activities, Activity.deleted_at.is_(None), visible_clause(user, Activity)))
    open_deals = select(func.count(), func.coalesce(func.sum(Deal.amount), 0)).where(
        deals, Deal.status == "open", Deal.deleted_at.is_(None), visible_clause(user, Deal))
    deal_count, deal_amount = session.execute(open_deals).one()
    open_cases = _count(session, Case, user, and_(cases, Case.status.in_(OPEN_CASE_STATUSES)))
    return Figures(float(revenue), int(order_count), last_order, last_interaction, int(deal_count),
                   float(deal_amount), open_cases)


def _deals(session: Session, user: User, where: ColumnElement[bool]) -> pd.DataFrame:
    owner = aliased(User, name="deal_owner")
    query = (select(Deal.id, Deal.title, Stage.name.label("stage"), Deal.status, Deal.amount, Deal.currency,
                    Deal.expected_close, Deal.closed_at, owner.display_name.label("owner"))
             .join(Stage, Stage.id == Deal.stage_id).outerjoin(owner, owner.id == Deal.owner_id)
             .where(where, Deal.deleted_at.is_(None), visible_clause(user, Deal))
             .order_by((Deal.status == "open").desc(), Deal.created_at.desc(), Deal.id.desc())
             .limit(LIST_LIMIT))
    return _frame(session, query)


def _orders(session: Session, user: User, where: ColumnElement[bool]) -> pd.DataFrame:
    query = (select(Order.id, Order.order_number, Order.ordered_at, Order.status, Order.total, Order.currency)
             .where(where, Order.deleted_at.is_(None), visible_clause(user, Order))
             .order_by(Order.ordered_at.desc(), Order.id.desc()).limit(LIST_LIMIT))
    return _frame(session, query)


def _products_held(session: Session, user: User, contact_id: int) -> pd.DataFrame:
    """What the contact bought (cancelled orders and quotes left out): quantity, amount spent, last bought."""
    query = (select(Product.id, Product.name.label("product"), Product.category,
                    func.sum(OrderLine.quantity).label("quantity"),
                    func.sum(OrderLine.quantity * OrderLine.unit_price).label("spent"),
                    func.count(func.distinct(Order.id)).label("orders"),
                    func.max(Order.ordered_at).label("last_bought"))
             .select_from(OrderLine).join(Order, Order.id == OrderLine.order_id)
             .join(Product, Product.id == OrderLine.product_id)
             .where(Order.contact_id == contact_id, Order.status.not_in(NOT_SOLD_ORDER_STATUSES),
                    Order.deleted_at.is_(None), visible_clause(user, Order))
             .group_by(Product.id, Product.name, Product.category)
             .order_by(func.max(Order.ordered_at).desc(), Product.name))
    return _frame(session, query)


def _tasks(session: Session, user: User, where: ColumnElement[bool]) -> pd.DataFrame:
    assignee = aliased(User, name="assignee")
    query = (select(Task.id, Task.title, Task.due_at, Task.status, Task.priority,
                    assignee.display_name.label("assignee"), Task.recurrence)
             .outerjoin(assignee, assignee.id == Task.assignee_id)
             .where(where, Task.deleted_at.is_(None), visible_clause(user, Task))
             .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(LIST_LIMIT))
    frame = _frame(session, query)
    frame["overdue"] = (frame["status"] == "open") & (pd.to_datetime(frame["due_at"]) < now())
    return frame


def _open_tasks(session: Session, user: User, where: ColumnElement[bool]) -> pd.DataFrame:
    return _tasks(session, user, and_(where, Task.status == "open")).drop(columns=["status"])


def _cases(session: Session, user: User, where: ColumnElement[bool]) -> pd.DataFrame:
    assignee = aliased(User, name="assignee")
    query = (select(Case.id, Case.subject, Case.status, Case.priority, Case.channel, Case.opened_at,
                    Case.sla_due_at, Case.resolved_at, assignee.display_name.label("assignee"))
             .outerjoin(assignee, assignee.id == Case.assignee_id)
             .where(where, Case.deleted_at.is_(None), visible_clause(user, Case))
             .order_by(Case.opened_at.desc(), Case.id.desc()).limit(LIST_LIMIT))
    return _frame(session, query)


def _campaign_responses(session: Session, contact_id: int) -> pd.DataFrame:
    """Campaigns sent to the contact and the response (recipients belong to no one: the contact's
    visibility, checked by the caller, decides)."""
    recipient = CampaignRecipient
    query = (select(Campaign.name.label("campaign"), Campaign.channel, recipient.status,
                    recipient.sent_at, recipient.responded_at, recipient.response_note)
             .join(Campaign, Campaign.id == CampaignRecipient.campaign_id)
             .where(CampaignRecipient.contact_id == contact_id, CampaignRecipient.deleted_at.is_(None),
                    Campaign.deleted_at.is_(None))
             .order_by(recipient.sent_at.is_(None), recipient.sent_at.desc(), Campaign.id.desc()))
    return _frame(session, query)


def _company_contacts(session: Session, user: User, company_id: int) -> tuple[pd.DataFrame, int]:
    where = Contact.company_id == company_id
    owner = aliased(User, name="contact_owner")
    query = (select(Contact.id, full_name(Contact).label("name"), Contact.job_title, Contact.email,
                    Contact.phone, Contact.lifecycle_stage, owner.display_name.label("owner"))
             .outerjoin(owner, owner.id == Contact.owner_id)
             .where(where, Contact.deleted_at.is_(None), visible_clause(user, Contact))
             .order_by(Contact.last_name, Contact.first_name, Contact.id).limit(LIST_LIMIT))
    return _frame(session, query), _count(session, Contact, user, where)


def _stages(session: Session, pipeline_id: int) -> list[StageInfo]:
    query = select(Stage.id, Stage.name, Stage.probability, Stage.is_won, Stage.is_lost).where(
        Stage.pipeline_id == pipeline_id, Stage.deleted_at.is_(None)).order_by(Stage.position, Stage.id)
    return [StageInfo(*row) for row in session.execute(query)]


def _stage_info(session: Session, stage_id: int) -> StageInfo:
    row = session.execute(select(Stage.id, Stage.name, Stage.probability, Stage.is_won, Stage.is_lost)
                          .where(Stage.id == stage_id)).one()
    return StageInfo(*row)


def _stage_history(session: Session, deal_id: int) -> pd.DataFrame:
    """Each stay in a stage; the current one counts its days up to now."""
    query = (select(Stage.name.label("stage"), DealStageHistory.entered_at, DealStageHistory.exited_at)
             .join(Stage, Stage.id == DealStageHistory.stage_id)
             .where(DealStageHistory.deal_id == deal_id)
             .order_by(DealStageHistory.entered_at, DealStageHistory.id))
    frame = _frame(session, query)
    moment = now()
    frame["days"] = [_days(entered, moment if exited is None or pd.isna(exited) else exited)
                     for entered, exited in zip(frame["entered_at"], frame["exited_at"], strict=True)]
    return frame
