"""Sales potential: who is most likely to buy soon, and why. Scores are advice for a person to review."""

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.ui import charts
from app.ui.campaign_start import start_campaign_button
from app.ui.record import flash, md, show_flash
from app.ui.session import current_user, db_session
from core.analytics.potential import (
    HORIZON_DAYS,
    HORIZONS,
    PotentialDashboard,
    potential_dashboard,
    review_prospect,
)
from core.errors import CRMError
from core.models import User

VIEWS = {"to review": "To review", "accepted": "Accepted", "dismissed": "Dismissed", "all": "All"}
FEATURES = {"days_since_last_order": "Days since last order", "orders_count": "Number of orders",
            "revenue": "Revenue", "tenure_days": "Days since first order", "age": "Age",
            "household_income": "Household income"}
SCOPE = "potential"


def model_quality(board: PotentialDashboard) -> None:
    charts.kpis({
        "Contacts scored": charts.number(board.scored),
        "AUC": charts.number(board.auc, 2),
        "Buyers' rate": charts.percent(board.base_rate, 1),
        "Top 10 % lift": charts.number(board.lift["lift"].iloc[0], 1) + "×",
    }, helps={
        "AUC": "Checked on the last window the model never saw: 0.5 is a coin toss, 1 a perfect ranking.",
        "Buyers' rate": "Share of contacts who bought in that last window.",
        "Top 10 % lift": "How much more often the top-scored tenth bought than contacts on average.",
    })
    left, middle, right = st.columns(3, gap="medium")
    with left:
        charts.chart_with_data(charts.bar(board.distribution, "band", "contacts", title="Scores",
                                          labels={"band": "chance to buy"}),
                               board.distribution.drop(columns="from"), "score distribution")
    with middle:
        lift = board.lift.astype({"decile": str})
        figure = charts.bar(lift, "decile", "lift", title="Lift per score decile",
                            labels={"decile": "decile (1 = highest scores)"})
        figure.add_hline(y=1, line_dash="dot", annotation_text="average")
        charts.chart_with_data(figure, board.lift, "decile lift", column_config=charts.formats(
            percent=["rate"], decimals=["lift"]))
    with right:
        weights = board.weights.assign(feature=board.weights["feature"].map(lambda f: FEATURES.get(
            f, f.replace("_", " "))))
        charts.chart_with_data(charts.bar(weights, "weight", "feature", horizontal=True,
                                          title="What moves the score", labels={"feature": ""}),
                               weights, "model weights", column_config=charts.formats(decimals=["weight"]))


def model_note(board: PotentialDashboard) -> str:
    """When and on how many contacts the model was fitted: today's figures are scored with it."""
    if board.fitted_on is None:
        return ""
    sample = f" (one in {board.sampled_every})" if board.sampled_every > 1 else ""
    note = (f"Model fitted on {board.fitted_on:%d %B %Y} on {board.fitted_contacts:,} contacts{sample}; "
            "scores use today's orders and contacts.")
    if (board.as_of - board.fitted_on).days > 1:
        note += " It is refitted daily by `crm summaries refresh`: ask an administrator to schedule it."
    return note


def review_list(session: Session, user: User, board: PotentialDashboard) -> None:
    st.subheader("Top prospects to review")
    st.caption("The most likely buyers among the contacts you can see, with the three factors that moved "
               "each score most (+ raises, − lowers the chance). Nothing happens until you accept or "
               "dismiss; your decision is saved as a tag on the contact.")
    show_flash(SCOPE)
    view = st.segmented_control("Show", list(VIEWS), default="to review", format_func=VIEWS.__getitem__,
                                key="potential:view") or "to review"
    prospects = board.prospects.assign(review=board.prospects["review"].fillna("to review"))
    shown = prospects if view == "all" else prospects[prospects["review"] == view]
    shown = shown.head(50).reset_index(drop=True)
    if shown.empty:
        st.caption("No prospects here.")
        return
    linked, config = charts.with_contact_links(shown, charts.formats(percent=["probability"], labels={
        "factor_1": "Reason 1", "factor_2": "Reason 2", "factor_3": "Reason 3", "probability": "Chance"}))
    event = st.dataframe(linked, hide_index=True, width="stretch", on_select="rerun",
                         column_config=charts.labelled(linked, config), selection_mode="multi-row",
                         key=f"potential:table:{view}")
    chosen = shown.iloc[event.selection.rows] if event else shown.iloc[[]]
    left, right, _ = st.columns([1, 1, 3])
    if left.button("Accept", icon=":material/thumb_up:", disabled=chosen.empty, type="primary"):
        decide(session, user, chosen, "accepted")
    if right.button("Dismiss", icon=":material/thumb_down:", disabled=chosen.empty):
        decide(session, user, chosen, "dismissed")
    st.caption("Select rows to accept or dismiss them, or to start a campaign for them (all shown when "
               "none is selected).")
    targets = chosen if not chosen.empty else shown
    start_campaign_button(session, user, targets["contact_id"].tolist(), "Prospects from sales potential",
                          key=f"potential:campaign:{view}")


def decide(session: Session, user: User, chosen: pd.DataFrame, decision: str) -> None:
    problems = []
    for row in chosen.itertuples():
        try:
            review_prospect(session, user, int(row.contact_id), decision)
        except CRMError as error:
            problems.append(f"{md(row.name)}: {md(str(error))}")
    done = len(chosen) - len(problems)
    if problems:
        flash(SCOPE, "error", f"Marked {done} as {decision}; not saved: " + "; ".join(problems))
    else:
        flash(SCOPE, "success", f"Marked {done} prospect(s) as {decision}.")
    st.rerun()


st.title("Sales potential")
horizon = st.segmented_control("Chance to buy within", HORIZONS, default=HORIZON_DAYS,
                               key="potential:horizon", format_func="{} days".format) or HORIZON_DAYS
with db_session() as session:
    user = current_user(session)
    with st.spinner("Scoring contacts…"):
        board = potential_dashboard(session, user, horizon)
    if board.problem:
        st.info(f"No scores yet. {board.problem}", icon=":material/hourglass_empty:")
        st.stop()
    st.caption(f"Chance that a contact buys in the {board.horizon_days} days after {board.as_of:%d %B %Y}, "
               "from age, gender, household income and purchase history. Advice for choosing whom to call, "
               "never an automatic action.")
    st.caption(model_note(board))
    model_quality(board)
    review_list(session, user, board)
