"""Sales funnel: how many deals reach each stage, how long they stay, and how many are won."""

import streamlit as st

from app.ui import charts
from app.ui.session import current_user, db_session
from core.analytics.dashboards import funnel_dashboard
from core.analytics.loaders import owner_choices, pipeline_choices
from core.errors import CRMError

PERIODS = ("all time", "this year", "last year", "this quarter", "last quarter", "last 12 months",
           "last 6 months", "last 90 days")

st.title("Sales funnel")
with db_session() as session:
    user = current_user(session)
    pipelines = {pid: name for pid, name, _default in pipeline_choices(session)}
    owners = dict(owner_choices(session, user))
    left, middle, right = st.columns(3)
    pipeline = left.selectbox("Pipeline", list(pipelines), format_func=pipelines.__getitem__,
                              key="funnel:pipeline")
    owner = middle.selectbox("Owner", [None, *owners], key="funnel:owner",
                             format_func=lambda o: "Everyone I can see" if o is None else owners[o])
    period = right.selectbox("Deals created", PERIODS, index=1, key="funnel:period")
    if pipeline is None:
        st.info("There is no pipeline yet: an administrator can add one under Settings → Pipelines.")
        st.stop()
    try:
        board = funnel_dashboard(session, user, pipeline=pipeline, owner=owner,
                                 period=None if period == "all time" else period)
    except CRMError as error:
        st.error(str(error))
        st.stop()

span = board.period.label if board.period else "at any time"
st.caption(f"{board.deals:,} deal(s) of the {pipelines[pipeline]} pipeline created {span}, among the deals "
           "you can see. A deal that skipped a stage counts as having passed it.")
if board.deals == 0:
    st.info("No deals match: choose a longer period or another owner.", icon=":material/filter_alt_off:")
    st.stop()

kpi = board.kpis.iloc[0]
charts.kpis({
    "Win rate": charts.percent(kpi["win_rate"]),
    "Won": charts.number(kpi["won"]),
    "Lost": charts.number(kpi["lost"]),
    "Open": charts.number(kpi["open_deals"]),
    "Days to close": charts.number(kpi["avg_days_to_close"]),
    "€ per day": charts.number(kpi["sales_velocity"]),
}, helps={
    "Win rate": "Won ÷ (won + lost) among the deals shown; open deals are not counted.",
    "Days to close": "Average days from creation to winning, over won deals.",
    "€ per day": "Sales velocity: open deals × win rate × average won amount ÷ average days to close, "
                 "the revenue the open pipeline is expected to bring per day.",
})

steps = board.funnel.drop(columns="pipeline")
left, right = st.columns([3, 2], gap="medium")
with left:
    charts.chart_with_data(charts.funnel(steps["stage"], steps["reached"], title="Deals reaching each stage"),
                           steps, "funnel", column_config=charts.formats(
                               percent=["conversion_from_previous", "conversion_from_first"],
                               days=["median_days_in_stage"]))
with right:
    timed = steps.dropna(subset=["median_days_in_stage"])
    charts.chart_with_data(charts.bar(timed, "stage", "median_days_in_stage", title="Median days in stage",
                                      labels={"median_days_in_stage": "days", "stage": ""}),
                           timed[["stage", "median_days_in_stage"]], "days in stage",
                           column_config=charts.formats(days=["median_days_in_stage"]))

st.subheader("Conversion by stage")
st.dataframe(steps, hide_index=True, width="stretch", column_config=charts.labelled(steps, charts.formats(
    percent=["conversion_from_previous", "conversion_from_first"], days=["median_days_in_stage"],
    labels={"stage_position": "Position", "lost_here": "Lost at this stage"})))
st.subheader("By owner")
charts.data_table(board.by_owner, "funnel by owner", column_config=charts.formats(
    percent=["win_rate"], money=["avg_won_amount", "sales_velocity"], days=["avg_days_to_close"]))
