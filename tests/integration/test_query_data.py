"""A small CRM inserted row by row (ORM adds, not the services), and the expected figures worked
out independently with pandas over the same Python lists. Used by the test_query* modules.

Users come from tests/conftest.py: ada (admin), mia (north manager), sam and olga (north staff),
sven (south staff). The business date is pinned to 2026-06-15.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.models import (
    Activity,
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

TODAY = date(2026, 6, 15)
D = datetime
GONE = D(2026, 6, 1)  # deleted_at of the soft-deleted rows, which must never count

COMPANIES = [  # id, name, city, country, industry, owner, deleted
    (1, "Acme", "Milano", "Italy", "Retail", "sam", None),
    (2, "Globex", "Berlin", "Germany", "Energy", "olga", None),
    (3, "Initech", "Oslo", "Norway", "Software", "sven", None),
    (4, "Gone Ltd", "Milano", "Italy", "Retail", "sam", GONE),
]
CONTACT_COLUMNS = ("id", "first_name", "last_name", "city", "country", "gender", "birth_date",
                   "household_income", "lifecycle_stage", "source", "owner", "company_id",
                   "created_at", "deleted_at", "tier")
CONTACTS = [dict(zip(CONTACT_COLUMNS, row, strict=True)) for row in [
    (1, "Anna", "Rossi", "Milano", "Italy", "female", date(1990, 6, 15), 35_000, "customer", "website",
     "sam", 1, D(2026, 1, 10), None, "gold"),
    (2, "Marco", "Bianchi", "Milano", "Italy", "male", date(2001, 6, 16), 20_000, "lead", "referral",
     "sam", 1, D(2026, 3, 31, 23, 30), None, "silver"),
    (3, "Lena", "Schmidt", "Berlin", "Germany", "female", date(2001, 6, 15), 19_999, "customer", "event",
     "olga", 2, D(2026, 4, 1), None, None),
    (4, "Jonas", "Weber", "Berlin", "Germany", "male", date(1961, 6, 15), 100_000, "prospect", "website",
     "olga", 2, D(2024, 2, 29, 10), None, "silver"),
    (5, "Ola", "Nordmann", "Oslo", "Norway", "male", date(1962, 6, 16), 60_000, "customer", "partner",
     "sven", 3, D(2025, 3, 5), None, "gold"),
    (6, "Kari", "Hansen", "Oslo", "Norway", "female", None, None, "lead", "cold_call",
     "sven", None, D(2025, 12, 20), None, None),
    (7, "Paolo", "Verdi", "Torino", "Italy", "male", date(1980, 1, 1), 45_000, "former", "website",
     None, None, D(2026, 5, 1), None, None),
    (8, "Gone", "Person", "Milano", "Italy", "female", date(1990, 1, 1), 50_000, "customer", "website",
     "sam", 1, D(2026, 2, 1), GONE, "gold"),
    (9, "Eva", "Novak", "Milano", "Italy", "female", date(1995, 2, 28), 75_000, "customer", "referral",
     "sam", 1, D(2026, 6, 15, 9), None, "gold"),
]]
STAGES = [  # id, pipeline id, name, position, probability, won, lost
    (1, 1, "Lead", 0, 10, False, False), (2, 1, "Qualified", 1, 30, False, False),
    (3, 1, "Proposal", 2, 60, False, False), (4, 1, "Won", 3, 100, True, False),
    (5, 1, "Lost", 4, 0, False, True), (6, 2, "Renewal due", 0, 50, False, False),
]
DEAL_COLUMNS = ("id", "owner", "contact_id", "company_id", "stage_id", "status", "amount",
                "created_at", "closed_at", "deleted_at")
DEALS = [dict(zip(DEAL_COLUMNS, row, strict=True)) for row in [
    (1, "sam", 1, 1, 4, "won", 1000.0, D(2026, 1, 5), D(2026, 2, 4), None),
    (2, "sam", 2, 1, 5, "lost", 500.0, D(2026, 2, 1), D(2026, 3, 31, 12), None),
    (3, "sam", 9, 1, 3, "open", 2000.0, D(2026, 4, 10), None, None),
    (4, "olga", 3, 2, 4, "won", 3000.0, D(2026, 3, 1), D(2026, 4, 1, 12), None),
    (5, "olga", 4, 2, 2, "open", 1500.0, D(2026, 5, 20), None, None),
    (6, "sven", 5, 3, 4, "won", 4000.0, D(2025, 11, 15), D(2026, 1, 15), None),
    (7, "sven", 6, None, 5, "lost", 800.0, D(2026, 1, 20), D(2026, 5, 5), None),
    (8, None, 7, None, 1, "open", 700.0, D(2026, 6, 1), None, None),
    (9, "sam", 1, 1, 6, "open", 1200.0, D(2026, 6, 10), None, None),
    (10, "sam", 1, 1, 4, "won", 9999.0, D(2026, 1, 1), D(2026, 2, 10), GONE),
]]
PRODUCTS = [(1, "Laptop", "Hardware"), (2, "Mouse", "Hardware"), (3, "Support plan", "Services"),
            (4, "Training", "Services")]
ORDER_COLUMNS = ("id", "contact_id", "company_id", "owner", "ordered_at", "status", "deleted_at")
ORDERS = [dict(zip(ORDER_COLUMNS, row, strict=True)) for row in [
    (1, 1, 1, "sam", D(2026, 1, 15), "paid", None),
    (2, 2, 1, "sam", D(2026, 3, 31, 23, 59, 59), "shipped", None),
    (3, 3, 2, "olga", D(2026, 4, 1), "paid", None),
    (4, 4, 2, "olga", D(2024, 2, 29, 12), "paid", None),
    (5, 5, 3, "sven", D(2026, 5, 10), "placed", None),
    (6, 5, 3, "sven", D(2026, 5, 11), "cancelled", None),
    (7, 9, 1, "sam", D(2026, 6, 15, 8), "paid", None),
    (8, 1, 1, "sam", D(2026, 2, 2), "paid", GONE),
    (9, 7, None, None, D(2026, 2, 20), "paid", None),
    (10, 6, None, "sven", D(2026, 3, 3), "paid", None),  # no lines: an order worth 0
]]
LINES = pd.DataFrame([  # order id, product id, quantity, unit price
    (1, 1, 1, 1000.0), (1, 2, 2, 20.0), (2, 3, 1, 300.0), (3, 1, 2, 950.0), (3, 4, 1, 500.0),
    (4, 2, 5, 20.0), (5, 4, 2, 450.0), (6, 1, 1, 1000.0), (7, 3, 1, 300.0), (7, 2, 1, 20.5),
    (8, 1, 1, 1000.0), (9, 4, 1, 500.0),
], columns=["order_id", "product_id", "quantity", "unit_price"])
ACTIVITY_COLUMNS = ("id", "channel", "direction", "occurred_at", "owner", "contact_id", "deleted_at")
ACTIVITIES = [dict(zip(ACTIVITY_COLUMNS, row, strict=True)) for row in [
    (1, "phone", "outbound", D(2026, 1, 10), "sam", 1, None),
    (2, "email", "outbound", D(2026, 1, 11), "sam", 1, None),
    (3, "meeting", "inbound", D(2026, 2, 15), "sam", 2, None),
    (4, "phone", "inbound", D(2026, 3, 31, 23), "olga", 3, None),
    (5, "email", "outbound", D(2026, 4, 1), "olga", 3, None),
    (6, "phone", "outbound", D(2026, 5, 5), "sven", 5, None),
    (7, "chat", "inbound", D(2026, 6, 1), "sven", 6, None),
    (8, "email", "outbound", D(2026, 6, 14), None, 7, None),
    (9, "phone", "outbound", D(2026, 6, 1), "sam", 1, GONE),
]]
TASK_COLUMNS = ("id", "owner", "status", "priority", "due_at", "deleted_at")
TASKS = [dict(zip(TASK_COLUMNS, row, strict=True)) for row in [
    (1, "sam", "open", "high", D(2026, 6, 10), None), (2, "sam", "open", "normal", D(2026, 6, 20), None),
    (3, "olga", "open", "normal", D(2026, 6, 1), None), (4, "olga", "done", "low", D(2026, 5, 1), None),
    (5, "sven", "open", "urgent", D(2026, 6, 14, 9), None), (6, "sam", "open", "normal", None, None),
    (7, "sam", "open", "normal", D(2026, 1, 1), GONE),
    (8, "sven", "cancelled", "normal", D(2026, 6, 1), None),
]]
CASE_COLUMNS = ("id", "owner", "status", "priority", "channel", "opened_at", "resolved_at", "deleted_at",
                "sla_due_at")
CASES = [dict(zip(CASE_COLUMNS, row, strict=True)) for row in [
    (1, "sam", "new", "high", "email", D(2026, 6, 1), None, None, D(2026, 6, 1, 8)),  # breached
    (2, "sam", "resolved", "normal", "phone", D(2026, 5, 1, 8), D(2026, 5, 3, 20), None, D(2026, 5, 2, 8)),
    (3, "olga", "open", "urgent", "web", D(2026, 6, 10), None, None, D(2026, 6, 20)),
    (4, "olga", "closed", "normal", "email", D(2026, 4, 1), D(2026, 4, 2), None, None),
    (5, "sven", "waiting", "low", "phone", D(2026, 6, 5), None, None, D(2026, 6, 8)),  # breached
    (6, "sven", "resolved", "normal", "email", D(2026, 3, 30), D(2026, 4, 3, 12), None, None),
    (7, "sam", "open", "normal", "email", D(2026, 6, 1), None, GONE, D(2026, 6, 2)),
]]
CAMPAIGNS = [(1, "Spring promo", "email", "sam", None), (2, "Nordic call", "phone", "sven", None),
             (3, "Old promo", "email", "sam", GONE)]
RECIPIENT_COLUMNS = ("id", "campaign_id", "contact_id", "status", "sent_at", "created_at", "deleted_at")
RECIPIENTS = [dict(zip(RECIPIENT_COLUMNS, row, strict=True)) for row in [
    (1, 1, 1, "replied", D(2026, 3, 10), D(2026, 3, 1), None),
    (2, 1, 2, "opened", D(2026, 3, 10), D(2026, 3, 1), None),
    (3, 1, 3, "interested", D(2026, 3, 10), D(2026, 3, 1), None),
    (4, 1, 9, "pending", None, D(2026, 3, 1), None),
    (5, 1, 4, "bounced", D(2026, 3, 10), D(2026, 3, 1), None),
    (6, 2, 5, "not_interested", D(2026, 5, 2), D(2026, 4, 20), None),
    (7, 2, 6, "sent", D(2026, 5, 2), D(2026, 4, 20), None),
    (8, 2, 7, "unsubscribed", D(2026, 5, 2), D(2026, 4, 20), None),
    (9, 3, 1, "replied", D(2026, 1, 5), D(2026, 1, 1), None),  # its campaign was deleted
    (10, 1, 7, "replied", D(2026, 3, 10), D(2026, 3, 1), GONE),
]]
DEAL_SCORES = {1: 7.5, 4: 3, 6: 10}  # custom number field "score" of deals
VIP = {1: True, 2: False}  # custom checkbox "vip" of contacts
SEGMENT_FILTERS = [{"field": "city", "op": "=", "value": "Milano"},
                   {"field": "lifecycle_stage", "op": "=", "value": "customer"}]


# --- inserting ---------------------------------------------------------------------------------

def insert_crm(engine: Engine, *people: User) -> dict[str, User]:
    """Insert the dataset (the conftest users must exist); return the users by username."""
    users = {u.username: u for u in people}
    with Session(engine) as session:
        for group in _records(users):
            session.add_all(group)
            session.flush()
        session.commit()
    return users


def _records(users: dict[str, User]) -> list[list[Any]]:
    def owner(name: str | None) -> int | None:
        return users[name].id if name else None

    def row(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record.items() if k not in ("owner", "tier")}

    return [
        [CustomFieldDefinition(entity="contacts", name="tier", label="Customer tier", field_type="select",
                               options=["gold", "silver"]),
         CustomFieldDefinition(entity="contacts", name="vip", label="VIP", field_type="checkbox"),
         CustomFieldDefinition(entity="deals", name="score", label="Deal score", field_type="number")],
        [Company(id=i, name=n, city=c, country=k, industry=ind, owner_id=owner(o), deleted_at=g)
         for i, n, c, k, ind, o, g in COMPANIES],
        [Contact(**row(c), owner_id=owner(c["owner"]), custom=_contact_custom(c)) for c in CONTACTS],
        [Pipeline(id=1, name="Sales", is_default=True), Pipeline(id=2, name="Renewals", position=1)],
        [Stage(id=i, pipeline_id=p, name=n, position=pos, probability=pr, is_won=w, is_lost=lo)
         for i, p, n, pos, pr, w, lo in STAGES],
        [Deal(**row(d), title=f"Deal {d['id']}", pipeline_id=2 if d["stage_id"] == 6 else 1,
              owner_id=owner(d["owner"]), custom={"score": DEAL_SCORES[d["id"]]} if d["id"] in DEAL_SCORES
              else {}) for d in DEALS],
        [DealStageHistory(deal_id=d["id"], stage_id=s, entered_at=d["created_at"], exited_at=None)
         for d in DEALS for s in ([1, d["stage_id"]] if d["stage_id"] != 1 else [1])],
        [Product(id=i, sku=f"SKU-{i}", name=n, category=c) for i, n, c in PRODUCTS],
        [Order(**row(o), order_number=f"O-{o['id']}", owner_id=owner(o["owner"])) for o in ORDERS],
        [OrderLine(order_id=int(o), product_id=int(p), quantity=float(q), unit_price=float(u))
         for o, p, q, u in LINES.itertuples(index=False)],
        [Activity(**row(a), owner_id=owner(a["owner"])) for a in ACTIVITIES],
        [Task(**row(t), title=f"Task {t['id']}", assignee_id=owner(t["owner"])) for t in TASKS],
        [Case(**row(c), subject=f"Case {c['id']}", assignee_id=owner(c["owner"])) for c in CASES],
        [Campaign(id=i, name=n, channel=ch, owner_id=owner(o), status="sent", deleted_at=g)
         for i, n, ch, o, g in CAMPAIGNS],
        [CampaignRecipient(**row(r)) for r in RECIPIENTS],
        [Segment(name="Milano customers", shared=True, spec={"filters": SEGMENT_FILTERS},
                 owner_id=owner("sam"))],
    ]


def _contact_custom(contact: dict[str, Any]) -> dict[str, Any]:
    custom: dict[str, Any] = {"tier": contact["tier"]} if contact["tier"] else {}
    if contact["id"] in VIP:
        custom["vip"] = VIP[contact["id"]]
    return custom


# --- expected figures, computed with pandas over the lists above ---------------------------------

NORTH = {"mia", "sam", "olga"}


def can_see(role: str, owner: Any) -> bool:
    """The permission rule, restated: admin all; manager north members and unowned; staff own."""
    owner = None if owner is None or owner != owner else owner  # NaN -> None
    if role == "admin":
        return True
    if role == "manager":
        return owner is None or owner in NORTH
    return owner == "sam"


def frame(rows: list[dict[str, Any]], role: str = "admin", owner: str = "owner") -> pd.DataFrame:
    """Live (not deleted) rows the role may see."""
    data = pd.DataFrame(rows)
    data = data[data["deleted_at"].isna()]
    return data[[can_see(role, value) for value in data[owner]]].copy()


def order_lines(role: str = "admin", include_cancelled: bool = False) -> pd.DataFrame:
    """Order lines joined to their live, visible orders, with the line amount and product."""
    orders = frame(ORDERS, role)
    if not include_cancelled:
        orders = orders[orders["status"] != "cancelled"]
    products = pd.DataFrame(PRODUCTS, columns=["product_id", "product", "category"])
    lines = LINES.merge(orders, left_on="order_id", right_on="id").merge(products, on="product_id")
    lines["amount"] = lines["quantity"] * lines["unit_price"]
    return lines


def recipients(role: str = "admin") -> pd.DataFrame:
    campaigns = pd.DataFrame(CAMPAIGNS, columns=["campaign_id", "campaign", "channel", "owner", "gone"])
    live = campaigns[campaigns["gone"].isna()]
    data = pd.DataFrame(RECIPIENTS)
    data = data[data["deleted_at"].isna()].merge(live, on="campaign_id")
    return data[[can_see(role, o) for o in data["owner"]]]


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def expected_totals(role: str, now: datetime) -> dict[str, float | int | None]:
    """Every metric over the whole dataset, as `role` sees it."""
    contacts, deals = frame(CONTACTS, role), frame(DEALS, role)
    orders = frame(ORDERS, role)
    orders = orders[orders["status"] != "cancelled"]
    lines = order_lines(role)
    won, lost = deals[deals["status"] == "won"], deals[deals["status"] == "lost"]
    open_deals = deals[deals["status"] == "open"].merge(
        pd.DataFrame(STAGES, columns=["stage_id", "p", "n", "pos", "probability", "w", "l"]), on="stage_id")
    activities = frame(ACTIVITIES, role)
    tasks = frame(TASKS, role)
    open_tasks = tasks[tasks["status"] == "open"]
    cases = frame(CASES, role)
    resolved = cases[cases["status"].isin(["resolved", "closed"])]
    people = recipients(role)
    contacted = people[people["status"] != "pending"]
    responses = people[people["status"].isin(["replied", "interested", "not_interested"])]
    revenue = float(lines["amount"].sum())
    return {
        "contacts": len(contacts), "new_contacts": len(contacts),
        "customers": int((contacts["lifecycle_stage"] == "customer").sum()),
        "companies": len([c for c in COMPANIES if c[6] is None and can_see(role, c[5])]),
        "orders": len(orders), "revenue": round(revenue, 2),
        "average_order_value": round(revenue / len(orders), 2) if len(orders) else None,
        "units_sold": float(lines["quantity"].sum()),
        "deals": len(deals), "open_deals": len(open_deals),
        "open_pipeline_value": float(open_deals["amount"].sum()),
        "weighted_pipeline": round(float((open_deals["amount"] * open_deals["probability"] / 100).sum()), 2),
        "won_deals": len(won), "won_amount": float(won["amount"].sum()), "lost_deals": len(lost),
        "closed_deals": len(won) + len(lost), "win_rate": ratio(len(won), len(won) + len(lost)),
        "average_won_deal_size": round(float(won["amount"].mean()), 2) if len(won) else None,
        "average_days_to_close": round(float(((won["closed_at"] - won["created_at"]).dt.total_seconds()
                                              / 86400).mean()), 2) if len(won) else None,
        "activities": len(activities),
        "calls": int((activities["channel"] == "phone").sum()),
        "emails": int((activities["channel"] == "email").sum()),
        "meetings": int((activities["channel"] == "meeting").sum()),
        "open_tasks": len(open_tasks),
        "overdue_tasks": int((open_tasks["due_at"] < now).sum()),
        "cases": len(cases), "open_cases": int(cases["status"].isin(["new", "open", "waiting"]).sum()),
        "breached_cases": int((cases["status"].isin(["new", "open", "waiting"])
                               & (cases["sla_due_at"] < now)).sum()),
        "average_resolution_time": round(float(((resolved["resolved_at"] - resolved["opened_at"])
                                                .dt.total_seconds() / 86400).mean()), 2)
        if len(resolved) else None,
        "campaign_recipients": len(people), "contacted_recipients": len(contacted),
        "campaign_responses": len(responses), "response_rate": ratio(len(responses), len(contacted)),
    }


def age_band(born: date | None, today: date = TODAY) -> str:
    if born is None or born != born:
        return "unknown"
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    for limit, label in ((25, "<25"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")):
        if age < limit:
            return label
    return "65+"


def as_rows(series: pd.Series) -> list[list[Any]]:
    """A grouped pandas Series as [[key, value], ...] sorted by key (what a query returns)."""
    return [[key, value.item() if hasattr(value, "item") else value]
            for key, value in sorted(series.items())]
