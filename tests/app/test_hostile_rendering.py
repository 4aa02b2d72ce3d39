"""User data is shown as text, never as HTML or live Markdown: no page renders through
unsafe_allow_html / st.html / components.html, and a contact named with an <img onerror> tag and a
Markdown image shows the characters on the contact page, the grid and in an assistant answer."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from app.ui.record import md
from core.models import Activity, Contact, User
from tests.app.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]
RAW_HTML = re.compile(r"unsafe_allow_html\s*=\s*True|\bst\.html\(|components\.html\(|components\.v1|"
                      r"st\.components|components\.iframe\(")
# file -> why its HTML is static (no user data). Empty: no page renders HTML at all.
ALLOWED_HTML: dict[str, str] = {}

TAG = "<img src=x onerror=alert(1)>"
IMAGE = "![x](http://evil.example/p.png)"
LINK = "[click](javascript:alert(1))"
TEXT_ELEMENTS = ("markdown", "caption", "header", "title", "subheader", "info", "warning", "error",
                 "success", "toast")


def test_no_page_renders_raw_html() -> None:
    found = []
    for path in sorted([*ROOT.glob("app/**/*.py"), *ROOT.glob("pages/**/*.py")]):
        relative = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if RAW_HTML.search(line) and relative not in ALLOWED_HTML:
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "user data must not be rendered as HTML:\n" + "\n".join(found)


def _hostile_contact(session: Session, owner: User) -> Contact:
    contact = Contact(first_name="Ana", last_name=f"Evil{TAG}", job_title=IMAGE, city=LINK,
                      email="ana@evil.example", owner_id=owner.id)
    session.add(contact)
    session.flush()
    session.add(Activity(contact_id=contact.id, channel="email", occurred_at=datetime(2026, 6, 10, 9),
                         subject=f"Re: {TAG}", notes=f"{IMAGE} {LINK} <script>alert(1)</script>",
                         outcome="**bold**", owner_id=owner.id))
    session.commit()
    return contact


def _rendered(at) -> list[str]:  # type: ignore[no-untyped-def]
    """Every text element's Markdown source; none may allow HTML."""
    bodies = []
    for kind in TEXT_ELEMENTS:
        for element in at.get(kind):
            assert not getattr(element.proto, "allow_html", False), (kind, element.proto)
            bodies.append(str(getattr(element.proto, "body", "") or getattr(element, "value", "")))
    return bodies


# Markdown that would become HTML, an image or a link: a <, ![ or ]( not escaped by a backslash.
LIVE = re.compile(r"(?<!\\)<|(?<!\\)!(?<!\\)\[|(?<!\\)\]\(")


def _shown_as_text(bodies: list[str]) -> None:
    """Every element showing the hostile data has each of its markup characters escaped."""
    hostile = [body for body in bodies if "evil" in body or "alert" in body]
    for body in hostile:
        assert not LIVE.search(body), body


def test_the_contact_page_shows_markup_as_text(app_factory, session: Session, staff: User) -> None:  # type: ignore[no-untyped-def]
    contact = _hostile_contact(session, staff)
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/contact.py")
    at.query_params["id"] = str(contact.id)
    at = at.run()
    assert not at.exception
    bodies = _rendered(at)
    _shown_as_text(bodies)
    shown = "\n".join(bodies)
    assert md(f"Ana Evil{TAG}") in bodies  # the header: every character there, escaped
    assert md(IMAGE) in shown and md(LINK) in shown and md("<script>alert(1)</script>") in shown


def test_the_grid_shows_markup_as_cells(app_factory, session: Session, staff: User) -> None:  # type: ignore[no-untyped-def]
    _hostile_contact(session, staff)
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/contacts.py")
    at = at.run()
    assert not at.exception
    _shown_as_text(_rendered(at))
    frames = [element.value for element in at.dataframe]
    assert any((frame == f"Evil{TAG}").any().any() for frame in frames)  # a data cell, as typed


def test_an_assistant_answer_shows_markup_as_text(app_factory, session: Session, staff: User) -> None:  # type: ignore[no-untyped-def]
    _hostile_contact(session, staff)
    at = sign_in(app_factory(), "sam")
    at.switch_page("../pages/assistant.py")
    at = at.run()
    at.chat_input[0].set_value(f"log a call with Ana Evil: {IMAGE} {TAG}")
    at = at.run()
    assert not at.exception
    bodies = _rendered(at)
    _shown_as_text(bodies)
    assert any("onerror" in body for body in bodies)  # the proposal repeats the text, escaped
