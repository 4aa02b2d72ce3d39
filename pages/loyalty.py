"""Loyalty: do customers come back? Cohort retention, repeat purchases and who may be slipping away."""

import streamlit as st

from app.ui import charts
from app.ui.session import current_user, db_session
from core.analytics.dashboards import loyalty_dashboard

CHURN_COLUMNS = {"last_order": "Last order", "days_since_last": "Days since",
                 "usual_gap_days": "Usual gap (days)", "revenue_at_stake": "Yearly spend at stake"}

st.title("Loyalty")
with db_session() as session:
    user = current_user(session)
    board = loyalty_dashboard(session, user)

if board.customers == 0:
    st.info("No orders yet among the contacts you can see: loyalty shows once customers have bought.")
    st.stop()
charts.kpis({
    "Customers": charts.number(board.customers),
    "Repeat purchase rate": charts.percent(board.repeat_rate),
    "Customers at risk": charts.number(board.at_risk),
    "Yearly spend at risk": charts.number(board.revenue_at_stake, prefix="€"),
}, helps={
    "Repeat purchase rate": "Share of customers who ordered at least twice.",
    "Customers at risk": "Customers quiet for more than twice their usual gap between orders (and 30 days).",
    "Yearly spend at risk": "What the customers at risk spend in a typical year.",
})

st.subheader("Cohort retention")
st.caption("Each row is the customers whose first order fell in that month; each cell the share of them who "
           "ordered again that many months later. Blank cells are months that have not happened yet.")
retention = board.retention
figure = charts.heatmap(retention, x_title="Months since first order", y_title="First order in")
cohorts = retention.reset_index().rename(columns=str)
cohorts.insert(1, "customers", board.cohort_sizes.to_numpy())
charts.chart_with_data(figure, cohorts, "cohort retention",
                       column_config=charts.formats(percent=[c for c in cohorts.columns[2:]]))

st.subheader("Churn risk")
st.caption(f"The {len(board.churn):,} riskiest of the {board.at_risk:,} customers at risk, riskiest first. "
           "This is advice for a call or an offer: nothing is sent automatically.")
linked, config = charts.with_contact_links(board.churn, charts.formats(
    percent=["risk"], money=["revenue", "revenue_at_stake"], days=["usual_gap_days"], labels=CHURN_COLUMNS))
config["last_order"] = st.column_config.DateColumn("Last order", format="YYYY-MM-DD")
charts.data_table(linked, "churn risk", column_config=config)
