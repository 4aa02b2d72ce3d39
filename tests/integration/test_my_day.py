"""My day: sections by due time around the pinned today (Monday 15 June 2026), calls to make with
the last interaction, and whose day a person may look at. Data is inserted directly, not through
the code under test."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event
from sqlmodel import Session

from core.errors import PermissionDenied
from core.models import Activity, Contact, Task, User
from core.services.activities import complete_task
from core.services.my_day import assignable_users, day_plan, viewable_people

AT = datetime(2026, 6, 15, 10, 0)  # the pinned Monday, mid-morning


def _add(session: Session, *rows):  # type: ignore[no-untyped-def]
    session.add_all(rows)
    session.commit()
    return rows


def _task(user: User, title: str, due: datetime | None, **extra) -> Task:  # type: ignore[no-untyped-def]
    return Task(title=title, due_at=due, assignee_id=user.id, **extra)


def _titles(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.title for row in rows]


def test_sections_split_at_midnight_and_a_week_ahead(session: Session, staff, other_staff) -> None:
    _add(session,
         _task(staff, "yesterday late", datetime(2026, 6, 14, 23, 59, 59)),
         _task(staff, "last month", datetime(2026, 5, 2, 9)),
         _task(staff, "midnight", datetime(2026, 6, 15, 0, 0)),
         _task(staff, "at ten", AT),
         _task(staff, "a second later", datetime(2026, 6, 15, 10, 0, 1)),
         _task(staff, "end of today", datetime(2026, 6, 15, 23, 59, 59)),
         _task(staff, "tomorrow midnight", datetime(2026, 6, 16, 0, 0)),
         _task(staff, "seventh day", datetime(2026, 6, 22, 23, 59)),
         _task(staff, "eighth day", datetime(2026, 6, 23, 0, 0)),
         _task(staff, "someday", None),
         _task(staff, "done", AT, status="done"),
         _task(staff, "cancelled", AT, status="cancelled"),
         _task(staff, "deleted", AT, deleted_at=datetime(2026, 6, 1)),
         _task(other_staff, "not mine", AT))
    plan = day_plan(session, staff, at=AT)
    assert _titles(plan.overdue) == ["last month", "yesterday late"]
    assert _titles(plan.today) == ["midnight", "at ten", "a second later", "end of today"]
    assert [row.late for row in plan.today] == [True, True, False, False]
    assert _titles(plan.upcoming) == ["tomorrow midnight", "seventh day"]
    assert _titles(plan.undated) == ["someday"]


def test_just_after_midnight_yesterdays_tasks_are_overdue(session: Session, staff) -> None:
    _add(session, _task(staff, "sunday evening", datetime(2026, 6, 14, 20)),
         _task(staff, "monday noon", datetime(2026, 6, 15, 12)))
    plan = day_plan(session, staff, at=datetime(2026, 6, 15, 0, 0, 1))
    assert _titles(plan.overdue) == ["sunday evening"]
    assert _titles(plan.today) == ["monday noon"] and not plan.today[0].late


def test_default_moment_is_now_on_the_pinned_today(session: Session, staff) -> None:
    _add(session, _task(staff, "friday", datetime(2026, 6, 12, 9)),
         _task(staff, "today", datetime(2026, 6, 15, 0, 0)))
    plan = day_plan(session, staff)
    assert plan.at.date() == datetime(2026, 6, 15).date()
    assert _titles(plan.overdue) == ["friday"] and _titles(plan.today) == ["today"]


def _contact(session: Session, owner: User, first: str, **extra) -> Contact:  # type: ignore[no-untyped-def]
    return _add(session, Contact(first_name=first, last_name="Test", owner_id=owner.id, **extra))[0]


def test_calls_to_make_carry_best_time_and_last_interaction(session: Session, engine, staff) -> None:
    ana = _contact(session, staff, "Ana", phone="+39 02 1234", best_time_to_call="mornings")
    bo = _contact(session, staff, "Bo", mobile="+49 170 555", best_time_to_call="after 17:00")
    mute = _contact(session, staff, "Mute")  # no phone number
    _add(session,
         Activity(contact_id=ana.id, channel="phone", occurred_at=datetime(2026, 6, 1, 9),
                  subject="Intro", owner_id=staff.id),
         Activity(contact_id=ana.id, channel="email", occurred_at=datetime(2026, 6, 10, 9),
                  subject="Sent the quote", owner_id=staff.id),
         Activity(contact_id=ana.id, channel="sms", occurred_at=datetime(2026, 6, 12, 9),
                  subject="Deleted", owner_id=staff.id, deleted_at=datetime(2026, 6, 13)),
         Activity(contact_id=bo.id, channel="meeting", occurred_at=datetime(2026, 5, 20, 15),
                  subject="Visit", owner_id=staff.id),
         _task(staff, "Call back Ana", datetime(2026, 6, 15, 9), contact_id=ana.id),
         _task(staff, "Send brochure to Ana", datetime(2026, 6, 15, 9), contact_id=ana.id),
         _task(staff, "Phone Bo about renewal", datetime(2026, 6, 11, 9), contact_id=bo.id),
         _task(staff, "Call Mute", datetime(2026, 6, 15, 9), contact_id=mute.id),
         _task(staff, "Call Ana next week", datetime(2026, 6, 18, 9), contact_id=ana.id),
         _task(staff, "Call someone", datetime(2026, 6, 15, 9)))
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        plan = day_plan(session, staff, at=AT)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 2  # the tasks, and the calls with their last interactions
    got = [(c.title, c.contact, c.phone, c.best_time_to_call, c.last_at, c.last_channel, c.last_subject)
           for c in plan.calls]
    assert got == [
        ("Phone Bo about renewal", "Bo Test", "+49 170 555", "after 17:00", datetime(2026, 5, 20, 15),
         "meeting", "Visit"),
        ("Call back Ana", "Ana Test", "+39 02 1234", "mornings", datetime(2026, 6, 10, 9), "email",
         "Sent the quote"),
    ]


def test_a_call_without_any_interaction_yet(session: Session, staff) -> None:
    new = _contact(session, staff, "New", phone="123")
    _add(session, _task(staff, "Call New", None, contact_id=new.id))
    [call] = day_plan(session, staff, at=AT).calls
    assert (call.contact, call.last_at, call.last_channel) == ("New Test", None, None)


def test_a_manager_sees_a_team_members_day_but_not_another_teams(session: Session, manager, staff,
                                                                  outsider) -> None:
    _add(session, _task(staff, "sam's", AT), _task(outsider, "sven's", AT))
    assert _titles(day_plan(session, manager, person_id=staff.id, at=AT).today) == ["sam's"]
    with pytest.raises(PermissionDenied):
        day_plan(session, manager, person_id=outsider.id, at=AT)
    with pytest.raises(PermissionDenied):
        day_plan(session, staff, person_id=outsider.id, at=AT)
    assert [u.username for u in viewable_people(session, manager)] == ["mia", "sam"]
    assert [u.username for u in assignable_users(session, staff)] == ["sam"]


def test_contact_details_follow_the_viewers_permissions(session: Session, staff, other_staff) -> None:
    theirs = _contact(session, other_staff, "Hidden", phone="999")
    _add(session, _task(staff, "Call Hidden", AT, contact_id=theirs.id))
    plan = day_plan(session, staff, at=AT)
    assert [(r.title, r.contact) for r in plan.today] == [("Call Hidden", None)]
    assert plan.calls == []  # no phone number shown for a contact sam may not see


def test_completing_a_recurring_task_puts_the_next_one_in_upcoming(session: Session, staff) -> None:
    [task] = _add(session, _task(staff, "Weekly check-in", datetime(2026, 6, 15, 9), recurrence="weekly"))
    complete_task(session=session, user=staff, task_id=task.id, expected_version=task.version)
    plan = day_plan(session, staff, at=AT)
    assert plan.today == []
    assert [(r.title, r.due_at) for r in plan.upcoming] == [("Weekly check-in", datetime(2026, 6, 22, 9))]
