"""Grid pages: filter, search, sort and paginate in the database, with labels for foreign keys."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.errors import ValidationError
from core.models import Company, Contact, CustomFieldDefinition
from core.query.filters import Filter
from core.services.listing import list_page


@pytest.fixture
def people(session: Session, staff, other_staff) -> None:
    acme = Company(name="Acme", owner_id=staff.id)
    session.add(acme)
    session.flush()
    rows = [
        ("Maria", "Rossi", "Milano", staff),
        ("Mario", "Bianchi", "Milano", staff),
        ("Zoë", "Müller", "Köln", staff),
        ("Łukasz", "Nowak", "Łódź", staff),
        ("Olga", "Other", "Milano", other_staff),
    ]
    for position, (first, last, city, owner) in enumerate(rows):
        session.add(
            Contact(
                first_name=first,
                last_name=last,
                city=city,
                owner_id=owner.id,
                email=f"c{position}@x.io",
                company_id=acme.id,
                custom={"tier": "gold" if position % 2 else "silver"},
            )
        )
    session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Tier"))
    session.commit()


def test_page_filters_sorts_and_labels(session: Session, staff, people) -> None:
    page = list_page(
        session,
        staff,
        "contacts",
        filters=[Filter(field="city", value="Milano")],
        sort=[("last_name", False)],
    )
    assert page.total == 2  # Olga belongs to someone else
    assert list(page.frame["last_name"]) == ["Bianchi", "Rossi"]
    assert set(page.frame["owner"]) == {"sam"} and set(page.frame["company"]) == {"Acme"}
    assert "owner_id" not in page.frame and "password_hash" not in page.frame


def test_pagination_fetches_only_the_page(session: Session, staff, people) -> None:
    page = list_page(session, staff, "contacts", sort=[("email", True)], page=2, page_size=3)
    assert (page.total, page.pages, len(page.frame)) == (4, 2, 1)
    assert list(page.frame["first_name"]) == ["Maria"]  # c3, c2, c1 on page 1; c0 on page 2


def test_search_matches_word_prefixes_case_insensitively(session: Session, staff, people) -> None:
    assert list(list_page(session, staff, "contacts", search="ros mar").frame["last_name"]) == ["Rossi"]
    assert list_page(session, staff, "contacts", search="zzz").total == 0


def test_filter_on_lookup_label_and_custom_field(session: Session, staff, people) -> None:
    page = list_page(
        session,
        staff,
        "contacts",
        filters=[Filter(field="company", value="Acme"), Filter(field="tier", value="gold")],
    )
    assert sorted(page.frame["first_name"]) == ["Mario", "Łukasz"]


def test_hostile_filter_value_is_matched_literally(session: Session, staff, people) -> None:
    page = list_page(session, staff, "contacts", filters=[Filter(field="city", value="x' OR 1=1 --")])
    assert page.total == 0
    assert session.scalar(text("SELECT count(*) FROM contacts")) == 5


def test_unknown_column_lists_the_columns(session: Session, staff, people) -> None:
    with pytest.raises(ValidationError, match=r"no column 'colour'.*first_name"):
        list_page(session, staff, "contacts", filters=[Filter(field="colour", value="red")])


def test_counting_stops_at_the_cap_and_says_so(session: Session, staff, people) -> None:
    capped = list_page(session, staff, "contacts", page_size=2, count_cap=3)
    assert (capped.total, capped.exact, capped.pages) == (3, False, 2)
    exact = list_page(session, staff, "contacts", page_size=2, count_cap=None)
    assert (exact.total, exact.exact) == (4, True)


def test_pages_of_one_shape_each_show_their_own_values(session: Session, staff, other_staff, admin,
                                                      people) -> None:
    """Statements are kept per shape with the values bound: asking again with other values, another
    reader, another search word or a new custom field gives that request's rows, never the last one's."""
    def names(user, **asked) -> list[str]:  # type: ignore[no-untyped-def]
        page = list_page(session, user, "contacts", sort=[("last_name", False)], **asked)
        return list(page.frame["last_name"])

    def city(value: str) -> dict[str, list[Filter]]:
        return {"filters": [Filter(field="city", value=value)]}

    for _ in range(2):  # the second round runs the kept statements
        assert names(staff, **city("Milano")) == ["Bianchi", "Rossi"]
        assert names(staff, **city("Köln")) == ["Müller"]
        assert names(other_staff, **city("Milano")) == ["Other"]
        assert names(admin, **city("Milano")) == ["Bianchi", "Other", "Rossi"]
        either = Filter(field="city", op="in", value=["Köln", "Łódź"])
        assert names(staff, filters=[either]) == ["Müller", "Nowak"]
        assert names(staff, filters=[Filter(field="tier", value="gold")]) == ["Bianchi", "Nowak"]
        assert names(admin, search="ross") == ["Rossi"]
        assert names(admin, search="bian") == ["Bianchi"]
        assert names(admin, search="ma ro") == ["Rossi"]
        assert names(admin, search="mario bianchi") == ["Bianchi"]
    session.add(CustomFieldDefinition(entity="contacts", name="vip", label="VIP"))
    session.commit()
    assert "vip" in list_page(session, staff, "contacts").frame.columns
    unset = Filter(field="vip", op="is empty")
    assert names(staff, filters=[unset]) == ["Bianchi", "Müller", "Nowak", "Rossi"]
