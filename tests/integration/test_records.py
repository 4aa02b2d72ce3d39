"""Create/update/delete through the services: validation, audit, conflicts, soft delete."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from core.db import session_scope
from core.errors import ConflictError, NotFound, ValidationError
from core.models import AuditLog, Contact, CustomFieldDefinition
from core.services import batch, companies, contacts


def test_create_contact_is_stored_normalised_and_audited(session: Session, staff) -> None:
    contact = contacts.create(session=session, user=staff, data={
        "first_name": "  Zoë ", "last_name": "Müller", "email": "Zoe.Muller@Example.COM",
        "phone": "+49 30 1234567", "city": "Köln",
    })
    row = session.execute(text("SELECT first_name, email, owner_id, version FROM contacts")).one()
    assert tuple(row) == ("Zoë", "zoe.muller@example.com", staff.id, 1)
    entry = session.scalars(select(AuditLog)).one()
    assert (entry.action, entry.entity, entry.entity_id, entry.user_id) == (
        "create", "contacts", contact.id, staff.id)
    assert entry.before is None and entry.after["city"] == "Köln"


def test_every_bad_field_is_reported_with_a_reason_and_nothing_is_written(session: Session, staff) -> None:
    with pytest.raises(ValidationError) as caught:
        contacts.create(session=session, user=staff, data={
            "first_name": "", "email": "not-an-email", "phone": "call me",
            "birth_date": "2099-01-01", "lifecycle_stage": "vip",
        })
    fields = {error.field for error in caught.value.errors}
    assert fields == {"first_name", "email", "phone", "birth_date", "lifecycle_stage"}
    assert "is required" in str(caught.value)
    assert session.scalar(text("SELECT count(*) FROM contacts")) == 0
    assert session.scalar(text("SELECT count(*) FROM audit_log")) == 0


def test_duplicate_email_is_refused_naming_the_other_contact(session: Session, staff) -> None:
    contacts.create(session=session, user=staff, data={"first_name": "Ana", "email": "ana@x.io"})
    with pytest.raises(ValidationError, match="already used by Ana"):
        contacts.create(session=session, user=staff, data={"first_name": "Bo", "email": "ANA@x.io"})


def test_unknown_company_reference_is_refused(session: Session, staff) -> None:
    with pytest.raises(ValidationError, match="no company with id 999"):
        contacts.create(session=session, user=staff, data={"first_name": "Ana", "company_id": 999})


def test_update_records_before_and_after_of_changed_fields_only(session: Session, staff) -> None:
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana", "city": "Roma"})
    contacts.update(session=session, user=staff, record_id=contact.id, changes={"city": "Milano"},
                    expected_version=1)
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "update")).one()
    assert (entry.before["city"], entry.before["version"]) == ("Roma", 1)
    assert (entry.after["city"], entry.after["version"]) == ("Milano", 2)
    assert "first_name" not in entry.before  # unchanged fields are not repeated


def test_stale_version_is_a_conflict_and_keeps_the_other_save(engine, staff) -> None:
    with session_scope(engine) as setup:
        contact = contacts.create(session=setup, user=staff, data={"first_name": "Ana"})
    with session_scope(engine) as first, session_scope(engine) as second:
        contacts.update(session=first, user=staff, record_id=contact.id,
                        changes={"city": "Milano"}, expected_version=1)
        with pytest.raises(ConflictError, match="Someone else saved"):
            contacts.update(session=second, user=staff, record_id=contact.id,
                            changes={"city": "Torino"}, expected_version=1)
    with session_scope(engine) as check:
        assert check.scalar(text("SELECT city FROM contacts")) == "Milano"


def test_concurrent_sessions_without_expected_version_still_cannot_lose_an_update(engine, staff) -> None:
    with session_scope(engine) as setup:
        contact = contacts.create(session=setup, user=staff, data={"first_name": "Ana"})
    with session_scope(engine) as first, session_scope(engine) as second:
        a = first.get(Contact, contact.id)
        b = second.get(Contact, contact.id)
        assert a.version == b.version == 1
        contacts.update(session=first, user=staff, record_id=contact.id, changes={"city": "A"})
        with pytest.raises(ConflictError):
            contacts.update(session=second, user=staff, record_id=contact.id, changes={"city": "B"})


def test_soft_delete_hides_and_restore_brings_back(session: Session, staff) -> None:
    contact = contacts.create(session=session, user=staff, data={"first_name": "Ana"})
    contacts.delete(session=session, user=staff, record_id=contact.id)
    assert session.scalar(text("SELECT count(*) FROM contacts")) == 1  # the row is kept
    with pytest.raises(NotFound):
        contacts.get(session=session, user=staff, record_id=contact.id)
    contacts.restore(session=session, user=staff, record_id=contact.id)
    assert contacts.get(session=session, user=staff, record_id=contact.id).first_name == "Ana"
    actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["create", "delete", "restore"]


def test_batch_is_all_or_nothing(session: Session, staff) -> None:
    with pytest.raises(ValidationError), batch(session):
        companies.create(session=session, user=staff, data={"name": "Alpina Tech"})
        contacts.create(session=session, user=staff, data={"first_name": "Ana"})
        contacts.create(session=session, user=staff, data={"first_name": ""})
    assert session.scalar(text("SELECT count(*) FROM companies")) == 0
    assert session.scalar(text("SELECT count(*) FROM contacts")) == 0
    assert session.scalar(text("SELECT count(*) FROM audit_log")) == 0


def test_custom_fields_are_typed_required_and_checked(session: Session, staff) -> None:
    session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Tier",
                                      field_type="select", options=["gold", "silver"], required=True))
    session.add(CustomFieldDefinition(entity="contacts", name="score", label="Score", field_type="number"))
    session.commit()
    with pytest.raises(ValidationError) as caught:
        contacts.create(session=session, user=staff, data={"first_name": "Ana", "custom": {"score": "x"}})
    messages = str(caught.value)
    assert "Tier is required" in messages and "Score must be a number" in messages
    contact = contacts.create(session=session, user=staff, data={
        "first_name": "Ana", "custom": {"tier": "gold", "score": "42"}})
    assert session.get(Contact, contact.id).custom == {"tier": "gold", "score": 42.0}


def test_a_grid_save_checks_every_rows_custom_fields_and_resumes_garbage_collection(session: Session,
                                                                                   staff) -> None:
    """The definitions are read once per save, yet each row is still checked against them; a save
    pauses the cyclic garbage collector and turns it back on, whether it is refused or not."""
    import gc

    from core.services.bulk_edit import GridSaveRejected, RowEdit, save_grid

    session.add(CustomFieldDefinition(entity="contacts", name="score", label="Score", field_type="number"))
    session.commit()
    people = [contacts.create(session=session, user=staff, data={"first_name": f"P{n}", "last_name": "Grid"})
              for n in range(3)]
    edits = [RowEdit(row, person.id, person.version, {"score": value})
             for row, (person, value) in enumerate(zip(people, ["1", "lots", "3"], strict=True))]
    with pytest.raises(GridSaveRejected) as refused:
        save_grid(session=session, user=staff, entity="contacts", edits=edits, added=[], deleted=[])
    assert [(error.row, error.column) for error in refused.value.errors] == [(1, "score")]
    assert gc.isenabled()
    edits[1] = RowEdit(1, people[1].id, people[1].version, {"score": "2"})
    save_grid(session=session, user=staff, entity="contacts", edits=edits, added=[], deleted=[])
    assert gc.isenabled()
    session.expire_all()
    assert [session.get(Contact, person.id).custom for person in people] == [
        {"score": 1.0}, {"score": 2.0}, {"score": 3.0}]
