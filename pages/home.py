"""Home: the key figures of what the signed-in user may see."""

import streamlit as st

from app.ui.record import md
from app.ui.session import current_user, db_session
from core.config import today
from core.services.overview import key_figures

with db_session() as session:
    user = current_user(session)
    figures = key_figures(session, user)

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
