"""The app shell: first-run admin, sign-in, the home page's key figures, sign-out."""

from __future__ import annotations

from sqlalchemy import text

from core.services import contacts
from tests.app.conftest import sign_in


def _metrics(at) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {metric.label: metric.value for metric in at.metric}


def test_first_run_creates_the_admin_and_opens_home(app_factory, engine) -> None:
    at = app_factory()
    at.run()
    assert "no users yet" in at.info[0].value
    at.text_input[0].input("boss")
    at.text_input[1].input("Bo Boss")
    at.text_input[2].input("long-password")
    at.button[0].click()
    at.run()
    assert not at.exception
    assert at.title[0].value == "Good day, Bo Boss"
    with engine.connect() as connection:
        assert connection.execute(text("SELECT username, role FROM users")).one() == ("boss", "admin")


def test_wrong_password_is_refused_without_detail(app_factory, staff) -> None:
    at = sign_in(app_factory(), "sam", "wrong-password")
    assert at.error[0].value == "Wrong username or password."
    assert not at.metric


def test_home_shows_only_what_the_user_may_see(app_factory, session, staff, other_staff) -> None:
    contacts.create(session=session, user=staff, data={"first_name": "Mine", "lifecycle_stage": "customer"})
    contacts.create(session=session, user=other_staff, data={"first_name": "Theirs"})
    at = sign_in(app_factory(), "sam")
    assert not at.exception
    figures = _metrics(at)
    assert figures["Contacts"] == "1" and figures["Customers"] == "1"


def test_sign_out_returns_to_the_form(app_factory, staff) -> None:
    at = sign_in(app_factory(), "sam")
    at.sidebar.button[0].click()
    at.run()
    assert at.button[0].label == "Sign in"
