"""What to compute, as data: the one shape every front end (reports, dashboards, segments,
the assistant) produces. Plain pydantic, so saved reports and segments store it as JSON.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.query.filters import Filter


class OrderBy(BaseModel):
    """Sort the result by a metric or dimension (named as in the spec); largest first by default."""

    model_config = ConfigDict(frozen=True)

    name: str
    descending: bool = True


class QuerySpec(BaseModel):
    """Metrics broken down by dimensions, over the rows that pass the filters, within a period.

    Names are catalogue ids, labels or synonyms ("revenue", "Sales", "close rate"); `period` is
    a phrase `core.query.timerange.parse_period` understands ("last quarter", "since March").
    """

    model_config = ConfigDict(frozen=True)

    metrics: list[str] = Field(min_length=1)
    dimensions: list[str] = []
    filters: list[Filter] = []
    period: str | None = None
    order_by: list[OrderBy] = []
    limit: int | None = Field(default=None, ge=1, le=1_000_000)  # a bound the databases can bind

    @field_validator("metrics", "dimensions")
    @classmethod
    def _each_once(cls, names: list[str]) -> list[str]:
        """ "revenue by owner by owner" asks for owner once; a repeat would be an empty column."""
        return list(dict.fromkeys(names))
