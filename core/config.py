"""Settings from the environment (CRM_*), read once per process through `get_settings()`."""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///crm.db"
    # Pins "today" for reports, demo data and tests (YYYY-MM-DD); empty means the real clock.
    today: date | None = None
    sqlite_busy_timeout_ms: int = 15_000
    echo_sql: bool = False
    default_currency: str = "EUR"
    # Outgoing email. With no host, messages stay in the outbox table (nothing leaves the machine).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_sender: str = "crm@localhost"
    smtp_timeout_s: float = 10.0
    # Memory kept for analytics and query results per process (see core.analytics.cache).
    cache_mb: float = 400


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def today() -> date:
    """The business date: `CRM_TODAY` when set, otherwise the system clock."""
    pinned = get_settings().today
    return pinned if pinned is not None else date.today()


def now() -> datetime:
    """The current moment on the business date (naive, local time, second precision).

    With `CRM_TODAY` pinned the date is fixed while the time of day still moves, so two writes in
    the same run keep their order.
    """
    moment = datetime.now().replace(microsecond=0)
    pinned = get_settings().today
    return datetime.combine(pinned, moment.time()) if pinned is not None else moment


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min)
