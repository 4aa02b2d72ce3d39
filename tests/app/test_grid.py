"""The contacts grid under AppTest: page, filter, edit and save, bad edit kept, conflict reported."""

from __future__ import annotations

from sqlalchemy import text

from core.models import Contact
from tests.app.conftest import sign_in


def _seed(session, owner, count: int = 60) -> None:  # type: ignore[no-untyped-def]
    for number in range(count):
        session.add(
            Contact(
                first_name=f"P{number:03d}",
                last_name=f"L{number:03d}",
                email=f"p{number}@x.io",
                city="Milano" if number % 3 == 0 else "Roma",
                owner_id=owner.id,
            )
        )
    session.commit()


def _open_contacts(app_factory):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/contacts.py")
    return at.run()


def _problems(at):  # type: ignore[no-untyped-def]
    """The table of refused cells shown after a failed save."""
    return next(df.value for df in at.dataframe if "Problem" in df.value.columns)


def _editor_key(at) -> str:  # type: ignore[no-untyped-def]
    return at.session_state["editor-key:contacts"]


def test_grid_shows_one_page_sorted_by_name(app_factory, session, staff) -> None:
    _seed(session, staff)
    at = _open_contacts(app_factory)
    assert not at.exception
    assert any("Rows 1–50 of 60" in c.value for c in at.caption)


def test_search_narrows_the_rows(app_factory, session, staff) -> None:
    _seed(session, staff)
    at = _open_contacts(app_factory)
    at.text_input(key="search:contacts").input("L00").run()
    assert any("of 10" in c.value for c in at.caption)


def test_edit_is_saved_through_the_services(app_factory, session, staff, engine) -> None:
    _seed(session, staff, 3)
    at = _open_contacts(app_factory)
    key = _editor_key(at)
    at.session_state[key] = {"edited_rows": {0: {"city": "Torino"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save:contacts").click().run()
    assert not at.exception
    with engine.connect() as connection:
        row = connection.execute(text("SELECT city, version FROM contacts WHERE first_name = 'P000'")).one()
        audit = connection.execute(text("SELECT source FROM audit_log WHERE action = 'update'")).scalar()
    assert tuple(row) == ("Torino", 2) and audit == "grid"


def test_bad_edit_is_refused_with_the_reason_and_kept(app_factory, session, staff, engine) -> None:
    _seed(session, staff, 3)
    at = _open_contacts(app_factory)
    key = _editor_key(at)
    edits = {
        "edited_rows": {1: {"email": "not-an-email"}, 0: {"city": "Torino"}},
        "added_rows": [{"first_name": "New", "email": "new@x.io"}],
        "deleted_rows": [],
    }
    at.session_state[key] = edits
    at.run()
    at.button(key="save:contacts").click().run()
    assert "Nothing was saved" in at.error[0].value
    problems = _problems(at)
    assert list(problems["Column"]) == ["email"] and "row 2" in problems["Where"][0]
    assert at.session_state[key]["edited_rows"][1] == {"email": "not-an-email"}  # still there to fix
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contacts WHERE city = 'Torino'")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == 3


def test_conflicting_edit_is_reported_not_overwritten(app_factory, session, staff, engine) -> None:
    _seed(session, staff, 3)
    at = _open_contacts(app_factory)
    key = _editor_key(at)
    with engine.begin() as connection:  # a colleague saves the same row meanwhile
        connection.execute(
            text("UPDATE contacts SET city = 'Napoli', version = version + 1 WHERE first_name = 'P000'")
        )
    at.session_state[key] = {"edited_rows": {0: {"city": "Torino"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="save:contacts").click().run()
    assert "Someone else saved" in _problems(at)["Problem"][0]
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT city FROM contacts WHERE first_name = 'P000'")).scalar()
            == "Napoli"
        )


def test_delete_then_undo(app_factory, session, staff, engine) -> None:
    _seed(session, staff, 3)
    at = _open_contacts(app_factory)
    key = _editor_key(at)
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [2]}
    at.run()
    at.button(key="save:contacts").click().run()
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM contacts WHERE deleted_at IS NULL")).scalar() == 2
        )
    at.button(key="undo-btn:contacts").click().run()
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM contacts WHERE deleted_at IS NULL")).scalar() == 3
        )


def test_the_editor_key_is_stable_across_reruns(app_factory, session, staff) -> None:
    """An edit made right after the page opens must land in the same editor, not a new one."""
    _seed(session, staff, 3)
    at = _open_contacts(app_factory)
    first = at.session_state["editor-key:contacts"]
    at.run()
    assert at.session_state["editor-key:contacts"] == first
