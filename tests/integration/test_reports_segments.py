"""Saved reports and segments store a checked QuerySpec; segments stay dynamic in grids."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.errors import ValidationError
from core.models import Contact
from core.query.filters import Filter
from core.services import saved_reports, segments
from core.services.listing import list_page
from core.services.reports import reports_for, segment_filter


def test_a_report_is_saved_with_its_spec_and_found_again(session: Session, staff, other_staff) -> None:
    saved_reports.create(
        session=session,
        user=staff,
        data={
            "name": "Revenue by month",
            "chart_type": "line",
            "spec": {"metrics": ["sales"], "dimensions": ["month"], "period": "this year"},
        },
    )
    assert [r.name for r in reports_for(session, staff)] == ["Revenue by month"]
    assert reports_for(session, other_staff) == []  # not shared


def test_a_report_with_an_unknown_metric_is_refused(session: Session, staff) -> None:
    with pytest.raises(ValidationError, match="Unknown metric 'revenu'"):
        saved_reports.create(session=session, user=staff, data={"name": "x", "spec": {"metrics": ["revenu"]}})


def test_segment_membership_is_dynamic_in_the_grid(session: Session, admin) -> None:
    session.add_all(
        [
            Contact(first_name="Ana", city="Milano", owner_id=admin.id),
            Contact(first_name="Bo", city="Roma", owner_id=admin.id),
        ]
    )
    session.commit()
    segments.create(
        session=session,
        user=admin,
        data={"name": "Milanesi", "spec": {"filters": [{"field": "city", "op": "=", "value": "Milano"}]}},
    )
    page = list_page(session, admin, "contacts", filters=[segment_filter("milanesi")])
    assert list(page.frame["first_name"]) == ["Ana"]
    session.add(Contact(first_name="Cy", city="Milano", owner_id=admin.id))  # joins the segment
    session.commit()
    page = list_page(session, admin, "contacts", filters=[Filter(field="segment", value="Milanesi")])
    assert sorted(page.frame["first_name"]) == ["Ana", "Cy"]


def test_segment_with_a_bad_filter_or_duplicate_name_is_refused(session: Session, admin) -> None:
    with pytest.raises(ValidationError):
        segments.create(
            session=session,
            user=admin,
            data={"name": "Bad", "spec": {"filters": [{"field": "colour", "value": "red"}]}},
        )
    segments.create(session=session, user=admin, data={"name": "All", "spec": {"filters": []}})
    with pytest.raises(ValidationError, match="already exists"):
        segments.create(session=session, user=admin, data={"name": "all", "spec": {"filters": []}})
