"""My day: overdue, due today and upcoming tasks with quick actions, calls to make, notifications."""

import streamlit as st

from app.ui.day import calls_table, notification_list, task_list
from app.ui.record import md, show_flash
from app.ui.session import current_user, db_session
from core.config import now
from core.services.my_day import assignable_users, day_plan, viewable_people

with db_session() as session:
    user = current_user(session)
    people = viewable_people(session, user)
    st.title("My day")
    names = {person.id: person.display_name for person in people}
    person = people[0]
    if len(people) > 1:  # a manager (or an admin) may look at a colleague's day
        chosen = st.selectbox("Whose day", list(names), format_func=names.__getitem__, key="whose_day")
        person = next(p for p in people if p.id == chosen)
    plan = day_plan(session, user, person_id=person.id, at=now())
    st.caption(f"{plan.at:%A %d %B %Y, %H:%M} · open tasks of {md(person.display_name)}")
    show_flash("my_day")
    late_today = sum(row.late for row in plan.today)
    figures = st.columns(5)
    figures[0].metric("Overdue", len(plan.overdue), help="Due on an earlier day")
    figures[1].metric("Due today", len(plan.today))
    figures[2].metric("Late today", late_today, help="Due today at a time already past")
    figures[3].metric("Next 7 days", len(plan.upcoming))
    figures[4].metric("Calls to make", len(plan.calls))
    assignees = [u for u in assignable_users(session, user) if u.id != person.id]

    st.subheader(":red[:material/warning: Overdue]")
    task_list(plan.overdue, assignees, plan.at, badge=":red-badge[overdue] ")
    st.subheader(":material/today: Today")
    task_list(plan.today, assignees, plan.at)
    st.subheader(":material/call: Calls to make")
    calls_table(plan.calls)
    with st.expander(f"Next 7 days ({len(plan.upcoming)})"):
        task_list(plan.upcoming, assignees, plan.at)
    with st.expander(f"No due date ({len(plan.undated)})"):
        task_list(plan.undated, assignees, plan.at)
    if person.id == user.id:
        st.subheader(":material/notifications: Notifications")
        notification_list(session, user)
