"""The data version: a cheap fingerprint of the database that any change moves, so caches keyed
by it never serve stale figures. Kept apart from the loaders so that reading it needs no pandas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlmodel import Session

from core.config import today
from core.models import (
    Activity,
    AuditLog,
    Campaign,
    CampaignRecipient,
    Case,
    Company,
    Contact,
    CustomFieldDefinition,
    Deal,
    DealStageHistory,
    Order,
    OrderLine,
    Pipeline,
    Product,
    Segment,
    Stage,
    Task,
    User,
)

# Tables whose rows feed a dashboard. Their highest ids move when rows are added; the audit log's
# highest id moves on every edit, soft delete or restore made through a service.
VERSION_MODELS: tuple[type[Any], ...] = (
    Contact, Deal, DealStageHistory, Order, OrderLine, Campaign, CampaignRecipient, Stage, Pipeline,
    Product, User, AuditLog,
)
# Everything a QuerySpec can read: every fact and lookup table, and the saved segments and custom
# fields a filter or dimension may name.
QUERY_MODELS: tuple[type[Any], ...] = (
    *VERSION_MODELS, Activity, Task, Case, Company, Segment, CustomFieldDefinition,
)



def data_version(session: Session | Connection, models: Iterable[type[Any]] = VERSION_MODELS) -> str:
    """A cheap fingerprint of the data: the database, the business date and each table's highest id.

    Each `max(id)` is one primary-key index lookup, so this costs about a millisecond however large
    the tables are (a max(updated_at) or count(*) would scan them). Adding rows moves a table's id;
    edits, soft deletes and restores move the audit log's id, since every service writes an audit
    row. An UPDATE typed into the database by hand bypasses it; the cache's hour limit covers that.
    """
    columns = [select(func.max(model.id)).scalar_subquery() for model in models]
    row = session.execute(select(*columns)).one()
    bind = session.get_bind() if isinstance(session, Session) else session
    url = bind.url if isinstance(bind, Engine) else bind.engine.url
    database = url.render_as_string(hide_password=True)
    return ":".join([database, today().isoformat(), *(str(value or 0) for value in row)])
