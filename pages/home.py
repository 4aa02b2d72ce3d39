"""Home: the key figures of what the signed-in user may see, this year's revenue by month, and
what is on their plate today."""

import streamlit as st

from app.ui import charts
from app.ui.record import md
from app.ui.session import current_user, db_session
from core.config import today
from core.query.engine import run_query
from core.query.spec import QuerySpec
from core.services.my_day import day_plan
from core.services.overview import key_figures

TASKS_SHOWN = 6

with db_session() as session:
    user = current_user(session)
    figures = key_figures(session, user)
    revenue = run_query(session, QuerySpec(metrics=["revenue"], dimensions=["month"], period="this year"),
                        user)
    plan = day_plan(session, user)

st.title(f"Good day, {md(user.display_name)}")
st.caption(f"Figures as of {today():%A %d %B %Y}, for the records you can see.")
row1 = st.columns(4)
row1[0].metric("Contacts", f"{figures.contacts:,}")
row1[1].metric("Customers", f"{figures.customers:,}")
row1[2].metric("Open deals", f"{figures.open_deals:,}")
row1[3].metric("Open pipeline", f"€{figures.open_pipeline_value:,.0f}")
row2 = st.columns(4)
row2[0].metric("Revenue this month", f"€{figures.revenue_this_month:,.0f}")
row2[1].metric("Open tasks", f"{figures.open_tasks:,}")
row2[2].metric("Overdue tasks", f"{figures.overdue_tasks:,}")
row2[3].metric("Open cases", f"{figures.open_cases:,}")

left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Revenue this year")
    if revenue.rows:
        charts.chart_with_data(charts.line(revenue.frame, "Month", "Revenue"), revenue.frame,
                               "revenue by month", column_config=charts.formats(money=["Revenue"]))
    else:
        st.info("No orders this year yet.")
with right:
    st.subheader("Your day")
    due = plan.overdue + plan.today
    st.caption(f"{len(plan.overdue)} overdue, {len(plan.today)} due today, {len(plan.calls)} calls to make.")
    for task in due[:TASKS_SHOWN]:
        when = f"{task.due_at:%d %b %H:%M}" if task.due_at else ""
        about = f" · {task.contact}" if task.contact else ""
        st.text(f"{'⚠ ' if task in plan.overdue else ''}{task.title}{about} — {when}")
    if not due:
        st.caption("Nothing due today.")
    st.page_link("../pages/my_day.py", label="Open My day", icon=":material/today:")
