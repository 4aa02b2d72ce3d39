"""Users, companies and contacts."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import NaiveDatetime
from sqlalchemy import Index, text
from sqlmodel import Field

from core.models.base import Editable, json_column, json_list_column

LIVE_ROWS = text("deleted_at IS NULL")
TIE_BREAKERS = ("last_name", "first_name", "id")  # the contacts grid's sort, then the id


def live_index(name: str, *columns: Any) -> Index:
    """An index of the rows not in the trash (a partial index on both SQLite and PostgreSQL)."""
    return Index(name, *columns, sqlite_where=LIVE_ROWS, postgresql_where=LIVE_ROWS)


class User(Editable, table=True):
    __tablename__ = "users"
    owner_field: ClassVar[str | None] = None

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(default="staff", max_length=16)
    team: str | None = Field(default=None, max_length=64, index=True)
    password_hash: str | None = Field(default=None, max_length=256)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: NaiveDatetime | None = None
    last_login_at: NaiveDatetime | None = None


class Company(Editable, table=True):
    __tablename__ = "companies"
    __table_args__ = (Index("ix_companies_lower_name", text("lower(name)")),)
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    domain: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=300)
    city: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100)
    employees: int | None = None
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    custom: dict[str, Any] = json_column()


class Contact(Editable, table=True):
    __tablename__ = "contacts"
    __table_args__ = (
        # Grids and pickers read live rows only, so these indexes hold live rows only (partial
        # indexes: SQLite and PostgreSQL use them when the query says deleted_at IS NULL). Each ends
        # with the grid's tie-breakers (last name, first name, id), so a sorted page is read in
        # index order and its count and offset never touch the table.
        live_index("ix_contacts_live_name", *TIE_BREAKERS),
        live_index("ix_contacts_live_city_name", "city", *TIE_BREAKERS),
        Index("ix_contacts_owner_name", "owner_id", "last_name"),  # owner lookups include the trash
        # Case-insensitive prefix search ("ross" finds Rossi) as an index range scan; the names
        # alongside let a search count its matches and pick the first names from the index alone.
        live_index("ix_contacts_live_lower_last_name", text("lower(last_name)"), *TIE_BREAKERS),
        live_index("ix_contacts_live_lower_first_name", text("lower(first_name)"), *TIE_BREAKERS),
        # (PostgreSQL reads an expression from an index only when the index holds its column too.)
        live_index("ix_contacts_live_lower_email", text("lower(email)"), *TIE_BREAKERS, "email"),
        # New contacts per month and customers per age, gender and income band (the segments page)
        # read these alone instead of looking up every row. They hold the owner for the reader's
        # scope, and deleted_at because SQLite only reads an index alone when it holds every column
        # the query names, even the one the partial index's condition settles.
        live_index("ix_contacts_live_created", "created_at", "owner_id", "deleted_at"),
        # The distinct sources (the assistant's vocabulary) are read one index seek per value.
        live_index("ix_contacts_live_source", "source"),
        live_index("ix_contacts_live_customer_bands", "lifecycle_stage", "owner_id", "birth_date", "gender",
                   "household_income", "deleted_at"),
    )
    has_custom_fields: ClassVar[bool] = True

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=100)
    last_name: str = Field(default="", max_length=100)
    email: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    job_title: str | None = Field(default=None, max_length=120)
    address: str | None = Field(default=None, max_length=300)
    postal_code: str | None = Field(default=None, max_length=20)
    city: str | None = Field(default=None, max_length=100)
    country: str | None = Field(default=None, max_length=100, index=True)
    company_id: int | None = Field(default=None, foreign_key="companies.id", index=True)
    gender: str | None = Field(default=None, max_length=16)
    birth_date: date | None = None
    household_income: float | None = None
    best_time_to_call: str | None = Field(default=None, max_length=40)
    preferred_channel: str | None = Field(default=None, max_length=16)
    lifecycle_stage: str = Field(default="lead", max_length=16, index=True)
    source: str | None = Field(default=None, max_length=40)
    owner_id: int | None = Field(default=None, foreign_key="users.id")
    consent_email: bool = Field(default=False)
    consent_phone: bool = Field(default=False)
    consent_sms: bool = Field(default=False)
    unsubscribed: bool = Field(default=False)
    tags: list[str] = json_list_column()
    custom: dict[str, Any] = json_column()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
