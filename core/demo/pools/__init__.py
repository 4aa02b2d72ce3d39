"""Hand-made pools the demo data is drawn from: people, places, products and the words of a CRM.

Kept apart from the generator so it reads as logic and these modules as data. No Faker: the pools
are small, deterministic, multilingual (with the diacritics real customers have) and use only
reserved `.example` mail domains and fictional phone numbers, so nothing can reach a real person.
"""

from core.demo.pools.history import (
    ACTIVITY_CHANNELS,
    CAMPAIGNS,
    CASE_CHANNELS,
    CASE_STATUS_BY_AGE,
    CASES,
    DEAL_AMOUNTS,
    DEAL_TOPICS,
    LOST_REASONS,
    NOTES,
    PRIORITIES,
    RENEWAL_FLOW,
    RENEWAL_STAGES,
    RESOLUTION_HOURS,
    RESPONSE_ODDS,
    RESPONSES,
    SALES_FLOW,
    SLA_HOURS,
    TASK_KINDS,
    TASK_TITLES,
)
from core.demo.pools.people import (
    BRANDS,
    CALL_TIMES,
    COUNTRIES,
    GENDERS,
    INDUSTRIES,
    JOB_TITLES,
    MAIL_DOMAINS,
    PREFERRED_CHANNELS,
    SOURCES,
    TAGS,
    USERS,
    Country,
)
from core.demo.pools.products import BUNDLES, PRODUCTS, ProductSpec
from core.demo.pools.text import ascii_fold, fill_digits

__all__ = [
    "ACTIVITY_CHANNELS", "BRANDS", "BUNDLES", "CALL_TIMES", "CAMPAIGNS", "CASES", "CASE_CHANNELS",
    "CASE_STATUS_BY_AGE", "COUNTRIES", "DEAL_AMOUNTS", "DEAL_TOPICS", "GENDERS", "INDUSTRIES", "JOB_TITLES",
    "LOST_REASONS", "MAIL_DOMAINS", "NOTES", "PREFERRED_CHANNELS", "PRIORITIES", "PRODUCTS", "RENEWAL_FLOW",
    "RENEWAL_STAGES", "RESOLUTION_HOURS", "RESPONSES", "RESPONSE_ODDS", "SALES_FLOW", "SLA_HOURS", "SOURCES",
    "TAGS", "TASK_KINDS", "TASK_TITLES", "USERS", "Country", "ProductSpec", "ascii_fold", "fill_digits",
]
