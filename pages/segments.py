"""Customer segments: RFM groups, new contacts over time and who the customers are."""

import streamlit as st
from sqlmodel import Session

from app.ui import charts
from app.ui.session import current_user, db_session
from core.analytics.dashboards import (
    SEGMENT_ADVICE,
    RfmDashboard,
    demographic_breakdown,
    rfm_dashboard,
    segment_members,
)
from core.models import User
from core.query.engine import run_query
from core.query.spec import QuerySpec

TABS = ["RFM segments", "New contacts over time", "Demographics"]
MEASURES = {"customers": "Customers", "revenue": "Revenue"}
BREAKDOWNS = {"age_band": "Age band", "gender": "Gender", "income_band": "Household income"}
MEMBER_COLUMNS = {"recency_days": "Days since last order", "frequency": "Orders", "monetary": "Spent",
                  "r": "R", "f": "F", "m": "M"}


def rfm_segments(session: Session, user: User, board: RfmDashboard) -> None:
    if board.customers == 0:
        st.info("No orders yet among the contacts you can see, so there is nothing to segment.")
        return
    summary = board.summary.assign(what_to_do=board.summary["segment"].map(SEGMENT_ADVICE))
    by_name = summary.set_index("segment")
    charts.kpis({
        "Customers": charts.number(board.customers),
        "Revenue": charts.number(board.revenue, prefix="€"),
        "Champions' share of revenue": charts.percent(by_name.loc["Champions", "revenue_share"]),
        "At risk or can't lose": charts.number(by_name.loc[["At Risk", "Can't Lose Them"], "customers"]
                                               .sum()),
    })
    figure = charts.treemap(summary, "segment", "customers", color="revenue", root="All customers",
                            title="Customers per segment (colour: revenue)", hover=["revenue"])
    charts.chart_with_data(figure, summary, "rfm segments", column_config=charts.formats(
        percent=["share", "revenue_share"], money=["revenue"], labels={"what_to_do": "What to do"}))
    st.subheader("Who is in a segment")
    chosen = st.selectbox("Segment", list(summary["segment"]), key="segments:segment",
                          format_func=lambda s: f"{s} — {SEGMENT_ADVICE.get(s, '')}")
    members = segment_members(session, user, chosen)
    st.caption(f"The {len(members):,} biggest spenders of the segment.")
    settings = charts.formats(money=["monetary"], labels=MEMBER_COLUMNS)
    linked, config = charts.with_contact_links(members, settings)
    charts.data_table(linked, f"segment {chosen}", column_config=config)


def new_contacts(session: Session, user: User) -> None:
    spec = QuerySpec(metrics=["new_contacts"], dimensions=["month"], period="last 12 months")
    result = run_query(session, spec, user)
    month, count = result.columns
    charts.chart_with_data(charts.line(result.frame, month, count, title="New contacts per month"),
                           result.frame, "new contacts per month")
    period = result.period.label if result.period else "all time"
    st.caption(f"Contacts you can see, by the month they were added: {period}. A rolling period starts and "
               "ends part-way through a month, so the first and last points cover part of a month only.")


def demographics(session: Session, user: User) -> None:
    metric = st.segmented_control("Measure", list(MEASURES), default="customers", key="segments:measure",
                                  format_func=MEASURES.__getitem__) or "customers"
    for cell, (dimension, title) in zip(st.columns(len(BREAKDOWNS)), BREAKDOWNS.items(), strict=True):
        with cell:
            frame = demographic_breakdown(session, user, metric, dimension).frame
            band, value = frame.columns
            figure = charts.bar(frame, band, value, title=f"{MEASURES[metric]} by {title.lower()}",
                                labels={band: ""})
            charts.chart_with_data(figure, frame, f"{metric} by {dimension}")
    st.caption("Customers are contacts whose lifecycle stage is customer; revenue is what the orders you "
               "can see brought in, cancelled orders left out.")


st.title("Customer segments")
with db_session() as session:
    user = current_user(session)
    board = rfm_dashboard(session, user)
    st.caption(f"RFM segments of the {board.customers:,} customers you can see, as of "
               f"{board.as_of:%d %B %Y}: each is scored 1–5 on how recently (R), how often (F) and how much "
               "(M) they bought.")
    # Only the open tab's figures are read (on_change="rerun"): the closed ones cost a third of a
    # cold open at a million contacts.
    rfm_tab, trend_tab, people_tab = st.tabs(TABS, key="segments:tab", on_change="rerun")
    if rfm_tab.open:
        with rfm_tab:
            rfm_segments(session, user, board)
    if trend_tab.open:
        with trend_tab:
            new_contacts(session, user)
    if people_tab.open:
        with people_tab:
            demographics(session, user)
