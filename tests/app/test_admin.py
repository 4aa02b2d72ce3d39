"""Admin pages: a custom field created in the browser shows in the grid at once; audit and restore."""

from __future__ import annotations

from sqlalchemy import text

from core.models import Contact
from tests.app.conftest import sign_in


def _admin_page(app_factory, page: str):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "ada")
    at.switch_page(f"../pages/{page}.py")
    return at.run()


def test_custom_field_is_created_and_used_in_the_grid(app_factory, admin, session, engine) -> None:
    session.add(Contact(first_name="Ana", owner_id=admin.id))
    session.commit()
    at = _admin_page(app_factory, "admin_fields")
    at.text_input[0].input("Customer tier")
    at.text_input[1].input("tier")
    at.selectbox[1].select("select")
    at.text_input[2].input("gold, silver")
    at.button[0].click().run()
    assert not at.exception and not at.error
    at.switch_page("../pages/contacts.py").run()
    key = at.session_state["editor-key:contacts"]
    at.session_state[key] = {"edited_rows": {0: {"tier": "gold"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save:contacts").click().run()
    assert not at.exception
    with engine.connect() as connection:
        custom = connection.execute(text("SELECT custom FROM contacts")).scalar()
    assert "gold" in str(custom)


def test_bad_custom_field_name_is_explained(app_factory, admin) -> None:
    at = _admin_page(app_factory, "admin_fields")
    at.text_input[0].input("City")
    at.text_input[1].input("city")
    at.button[0].click().run()
    assert "already a standard field" in at.error[0].value


def test_audit_log_lists_changes_and_restores_a_deleted_record(app_factory, admin, session, engine) -> None:
    from core.services import contacts

    contact = contacts.create(session=session, user=admin, data={"first_name": "Ana"})
    contacts.delete(session=session, user=admin, record_id=contact.id)
    at = _admin_page(app_factory, "audit")
    assert not at.exception
    assert set(at.dataframe[0].value["action"]) == {"create", "delete"}
    at.button[0].click().run()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT deleted_at FROM contacts")).scalar() is None


def test_staff_has_no_settings_pages_and_core_refuses_the_audit_log(app_factory, staff, session) -> None:
    import pytest

    from core.errors import PermissionDenied
    from core.services.audit import audit_page

    at = sign_in(app_factory(), "sam")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("../pages/audit.py")
    with pytest.raises(PermissionDenied, match="Only admin"):
        audit_page(session, staff)


def test_custom_field_shows_on_the_contact_page(app_factory, admin, session) -> None:
    from core.models import CustomFieldDefinition

    session.add(CustomFieldDefinition(entity="contacts", name="tier", label="Customer tier"))
    contact = Contact(first_name="Ana", owner_id=admin.id, custom={"tier": "gold"})
    session.add(contact)
    session.commit()
    at = sign_in(app_factory(), "ada")
    at.switch_page("../pages/contact.py")
    at.query_params["id"] = str(contact.id)
    at.run()
    assert not at.exception
    assert any("**Customer tier**" in m.value and "gold" in m.value for m in at.markdown)
