"""Campaign results: how each campaign's recipients responded, and what they bought afterwards."""

import streamlit as st

from app.ui import charts
from app.ui.session import current_user, db_session
from core.analytics.dashboards import campaign_dashboard

RATES = {"open_rate": "Opened", "click_rate": "Clicked", "response_rate": "Responded",
         "conversion_rate": "Ordered"}

st.title("Campaign results")
with db_session() as session:
    user = current_user(session)
    board = campaign_dashboard(session, user)

table = board.performance
if table.empty:
    st.info("No campaign you can see has recipients yet.", icon=":material/campaign:")
    st.stop()
sent = int(table["sent"].sum())
charts.kpis({
    "Campaigns": charts.number(len(table)),
    "Sent": charts.number(sent),
    "Response rate": charts.percent(table["responded"].sum() / sent if sent else None, 1),
    f"Ordered within {board.window_days} days": charts.number(table["converted"].sum()),
    "Revenue after": charts.number(table["revenue"].sum(), prefix="€"),
}, helps={
    "Response rate": "Replies and interested answers per recipient sent; opens, clicks and "
                     "'not interested' answers do not count.",
    "Revenue after": f"Orders placed within {board.window_days} days after a recipient was sent the "
                     "campaign. They followed it; that does not prove the campaign caused them.",
})
rates = table.melt(id_vars=["name"], value_vars=list(RATES), var_name="step", value_name="share")
rates["step"] = rates["step"].map(RATES)
figure = charts.bar(rates, "name", "share", color="step", percent=True, title="Share of recipients sent",
                    labels={"name": "", "step": ""})
charts.chart_with_data(figure, rates, "campaign rates", column_config=charts.formats(percent=["share"]))

st.subheader("Every campaign")
settings = charts.formats(percent=list(RATES), money=["revenue"], decimals=["median_days_to_respond"],
                          labels={"converted": "Ordered", "median_days_to_respond": "Median days to respond",
                                  "campaign_id": "Id"})
settings["sent_at"] = st.column_config.DatetimeColumn("Sent at", format="YYYY-MM-DD")
charts.data_table(table, "campaign performance", column_config=settings)
