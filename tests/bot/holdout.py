"""Held-out questions: paraphrases written after the engine was tuned on tests/bot/questions.py and
never used to tune it, so their score says how well the engine generalises rather than how well it
fits its own test set. Same checks and conventions as questions.py; answers computed independently
from the dataset's lists.
"""

from __future__ import annotations

from datetime import datetime

from tests.bot import dataset as ds
from tests.bot.dataset import TODAY
from tests.bot.questions import (
    LAST_MONTH,
    LAST_QUARTER,
    LAST_YEAR,
    THIS_MONTH,
    THIS_YEAR,
    Contains,
    Number,
    Question,
    Ranking,
    Refuses,
    Table,
    ask,
    key,
    month,
    only,
)

JURGEN, ACME = 2, 2


def holdout_questions(now: datetime | None = None) -> list[Question]:
    now = now or datetime.combine(TODAY, datetime.now().time())
    owner, product = key("owner_name"), key("product")
    return [
        *ask("contacts", Number(ds.contacts()), "what is the size of our contact database?",
             "count all contacts", "how many people are in the CRM?"),
        *ask("customers", Number(ds.contacts(where=only("lifecycle", "customer"))),
             "how many paying customers do we have", "total number of customers"),
        *ask("leads", Number(ds.contacts(where=only("lifecycle", "lead"))), "how many leads do we have?"),
        *ask("contacts in city", Number(ds.contacts(where=only("city", "Roma"))),
             "how many contacts live in Rome?", "contacts from roma"),
        *ask("contacts in country", Number(ds.contacts(where=only("country", "Sweden"))),
             "number of contacts in sweden"),
        *ask("contacts by city", Table(ds.contacts(by=key("city"))), "contacts grouped by city"),
        *ask("revenue", Number(ds.revenue(period=THIS_YEAR)), "what have we invoiced this year?",
             "year to date revenue", "total sales so far in 2026"),
        *ask("revenue", Number(ds.revenue(period=LAST_MONTH)), "what did we sell last month?",
             "last month's revenue"),
        *ask("revenue by month", Table(ds.revenue(period=THIS_YEAR, by=lambda r: month(r, "ordered_at"))),
             "month by month revenue this year"),
        *ask("revenue by product", Table(ds.revenue(by=product)), "revenue per product"),
        *ask("top products", Ranking(ds.ranking(ds.revenue(by=product), 1)),
             "what is our best-selling product?", "which product makes the most money"),
        *ask("revenue by category filter",
             Number(ds.revenue(period=THIS_YEAR, where=only("category", "Accessories"))),
             "accessories sales this year"),
        *ask("revenue in country", Number(ds.revenue(where=only("country", "France"))),
             "how much revenue comes from France?"),
        *ask("orders", Number(ds.orders(period=LAST_YEAR)), "order count for 2025",
             "how many orders in 2025?"),
        *ask("average order value", Number(ds.order_value()), "what's the average order size?"),
        *ask("open deals", Number(ds.deals(status="open")), "count of open opportunities",
             "how many opportunities are still open?"),
        *ask("pipeline", Number(ds.deals(status="open", value=ds.amount)), "how big is the pipeline?",
             "total pipeline"),
        *ask("won deals", Number(ds.deals(status="won", period=LAST_YEAR)), "number of won deals in 2025",
             "how many deals did we close-win last year"),
        *ask("win rate", Number(ds.win_rate(period=THIS_YEAR), tol=0.001), "our win percentage this year"),
        *ask("won by owner", Ranking(ds.ranking(ds.deals(status="won", period=THIS_YEAR, by=owner), 1)),
             "which salesperson closed the most deals this year?"),
        *ask("pipeline by stage", Table(ds.deals(status="open", value=ds.amount, by=key("stage"))),
             "pipeline value per stage"),
        *ask("calls", Number(ds.activities(period=LAST_MONTH, channel="phone")),
             "phone calls made last month"),
        *ask("meetings", Number(ds.activities(period=THIS_MONTH, channel="meeting")),
             "meetings held this month"),
        *ask("activities by channel", Table(ds.activities(period=THIS_MONTH, by=key("channel"))),
             "interactions by channel this month"),
        *ask("open tasks", Number(ds.open_tasks()), "number of tasks still open"),
        *ask("overdue", Number(ds.open_tasks(now=now)), "count of overdue tasks"),
        *ask("open cases", Number(ds.open_cases()), "open support tickets", "how many tickets are open?"),
        *ask("resolution", Number(ds.resolution_days(period=LAST_QUARTER)),
             "average time to resolution last quarter"),
        *ask("response rate", Number(ds.response_rate(campaign_name="Spring Webinar"), tol=0.001),
             "what was the response rate of the Spring Webinar campaign?"),
        *ask("bought", Number(ds.revenue(where=lambda r: r.get("contact_id") == JURGEN)),
             "how much did Jürgen Müller buy from us?"),
        *ask("last order", Contains([tuple(f"{d}" for d in [ds.last_order(only("company_id", ACME))])]),
             "what was Acme's last order?"),
        *ask("my revenue", Number(ds.revenue("sam", LAST_YEAR)), "how much did I sell in 2025?", user="sam"),
        *ask("my deals", Number(ds.deals("sam", status="won", period=THIS_YEAR)),
             "how many deals have I won this year?", user="sam"),
        *ask("refusals", Refuses(), "revenue from Mars", "how many dragons did we sell last year?",
             "what's the stock price of Acme?", "send an email to all contacts", "erase every deal"),
    ]


def second_holdout(now: datetime | None = None) -> list[Question]:
    """A second batch, written and scored once before any change for it (first run in the README)."""
    now = now or datetime.combine(TODAY, datetime.now().time())
    owner, category = key("owner_name"), key("category")
    return [
        *ask("contacts", Number(ds.contacts(where=only("country", "Italy"))), "italian contacts",
             "how many contacts are located in Italy?"),
        *ask("prospects by country", Table(ds.contacts(where=only("lifecycle", "prospect"),
                                                       by=key("country"))), "prospects per country"),
        *ask("companies", Number(ds.companies()), "total accounts"),
        *ask("revenue", Number(ds.revenue(period=LAST_YEAR)), "what was our turnover in 2025?",
             "2025 revenue"),
        *ask("revenue by category", Table(ds.revenue(period=LAST_YEAR, by=category)),
             "sales by category for last year"),
        *ask("revenue by owner", Ranking(ds.ranking(ds.revenue(by=owner), 1)),
             "who is our top salesperson by revenue?"),
        *ask("revenue in city", Number(ds.revenue(where=only("city", "Milano"))), "revenue from Milan"),
        *ask("units", Number(ds.units(where=only("product", "Wireless Mouse"))),
             "how many wireless mice did we sell?", "units of Wireless Mouse sold"),
        *ask("orders", Number(ds.orders(period=THIS_MONTH)), "orders placed this month"),
        *ask("aov", Number(ds.order_value(period=LAST_YEAR)), "mean order value 2025"),
        *ask("deals", Number(ds.deals(status="lost", period=LAST_YEAR)), "how many deals were lost in 2025"),
        *ask("won amount", Number(ds.deals(status="won", period=THIS_YEAR, value=ds.amount)),
             "total value of deals won this year"),
        *ask("weighted", Number(ds.deals(status="open", value=ds.weighted)), "probability-weighted pipeline"),
        *ask("win rate by owner", Table(ds.win_rate(by=owner), tol=0.001, additive=False),
             "close rate per rep"),
        *ask("activities", Number(ds.activities(period=LAST_MONTH)), "how many interactions in May 2026?"),
        *ask("emails", Number(ds.activities(period=THIS_MONTH, channel="email")), "emails this month"),
        *ask("top caller", Ranking(ds.ranking(ds.activities(channel="phone", by=owner), 1)),
             "who made the most phone calls?"),
        *ask("cases by priority", Table(ds.open_cases(by=key("priority"))), "open tickets per priority"),
        *ask("cases", Number(ds.cases(period=LAST_YEAR)), "how many support cases in 2025?"),
        *ask("overdue", Number(ds.open_tasks(now=now)), "number of late tasks"),
        *ask("responses", Number(sum(r["status"] in ds.RESPONDED for r in ds.recipients())),
             "campaign replies in total"),
        *ask("refusals", Refuses(), "how many employees do we have?", "revenue in the Moon office",
             "show me the salaries", "what is 2+2?"),
    ]
