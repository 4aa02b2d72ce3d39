"""Permissions are enforced in core: staff own records, managers their team, admins everything."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import NotFound, PermissionDenied
from core.models import Contact
from core.services import contacts, custom_field_definitions, products, users
from core.services.permissions import visible_clause
from tests.conftest import insert_user


def _contact_of(session: Session, owner, name: str) -> Contact:
    return contacts.create(session=session, user=owner, data={"first_name": name})


def _visible_names(session: Session, user) -> set[str]:
    query = select(Contact.first_name).where(visible_clause(user, Contact))
    return set(session.scalars(query))


def test_reads_follow_ownership_team_and_role(session, admin, manager, staff, other_staff, outsider) -> None:
    for owner in (staff, other_staff, outsider):
        _contact_of(session, owner, owner.username)
    assert _visible_names(session, staff) == {"sam"}
    assert _visible_names(session, manager) == {"sam", "olga"}  # the north team, not sven (south)
    assert _visible_names(session, admin) == {"sam", "olga", "sven"}


@pytest.mark.parametrize("action", ["update", "delete", "get"])
def test_staff_cannot_touch_a_colleagues_record(session, staff, other_staff, action) -> None:
    record = _contact_of(session, other_staff, "Olga's client")
    call = getattr(contacts, action)
    kwargs = {"changes": {"city": "X"}} if action == "update" else {}
    with pytest.raises((PermissionDenied, NotFound)):
        call(session=session, user=staff, record_id=record.id, **kwargs)


def test_manager_edits_the_team_but_not_other_teams(session, manager, staff, outsider) -> None:
    mine = _contact_of(session, staff, "north client")
    theirs = _contact_of(session, outsider, "south client")
    contacts.update(session=session, user=manager, record_id=mine.id, changes={"city": "Oslo"})
    with pytest.raises((PermissionDenied, NotFound)):
        contacts.update(session=session, user=manager, record_id=theirs.id, changes={"city": "Oslo"})


def test_staff_cannot_give_a_record_to_someone_else(session, staff, other_staff) -> None:
    with pytest.raises(PermissionDenied, match="only assign records to yourself"):
        contacts.create(session=session, user=staff, data={"first_name": "A", "owner_id": other_staff.id})
    record = _contact_of(session, staff, "mine")
    with pytest.raises(PermissionDenied):
        contacts.update(session=session, user=staff, record_id=record.id,
                        changes={"owner_id": other_staff.id})


def test_manager_assigns_within_the_team_only(session, manager, staff, outsider) -> None:
    contacts.create(session=session, user=manager, data={"first_name": "A", "owner_id": staff.id})
    with pytest.raises(PermissionDenied, match="members of your team"):
        contacts.create(session=session, user=manager, data={"first_name": "B", "owner_id": outsider.id})


def test_inactive_user_can_do_nothing(session, engine, staff) -> None:
    record = _contact_of(session, staff, "mine")
    ghost = insert_user(engine, "ghost", "admin", active=False)
    assert _visible_names(session, ghost) == set()
    with pytest.raises(PermissionDenied, match="inactive"):
        contacts.create(session=session, user=ghost, data={"first_name": "A"})
    with pytest.raises((PermissionDenied, NotFound)):
        contacts.update(session=session, user=ghost, record_id=record.id, changes={"city": "X"})


@pytest.mark.parametrize("role_fixture", ["staff", "manager"])
def test_settings_are_for_admins_only(session, request, role_fixture) -> None:
    user = request.getfixturevalue(role_fixture)
    with pytest.raises(PermissionDenied, match="Only admin"):
        custom_field_definitions.create(session=session, user=user, data={
            "entity": "contacts", "name": "tier", "label": "Tier"})
    with pytest.raises(PermissionDenied):
        users.update(session=session, user=user, record_id=user.id, changes={"role": "admin"})


def test_products_are_written_by_managers_and_read_by_all(session, staff, manager) -> None:
    with pytest.raises(PermissionDenied, match="Only admin or manager"):
        products.create(session=session, user=staff, data={"sku": "A", "name": "A"})
    product = products.create(session=session, user=manager, data={"sku": "A", "name": "A"})
    assert products.get(session=session, user=staff, record_id=product.id).sku == "A"
