"""Deal 360: a deal with its stage history (days in each stage), activities and tasks; move it on."""

import plotly.graph_objects as go
import streamlit as st

from app.ui.record import (
    custom_pairs,
    details,
    link,
    md,
    money,
    move_control,
    open_record,
    quick_actions,
    show_flash,
    table,
    timeline,
    when,
)
from app.ui.session import current_user, db_session
from core.services.overview360 import deal_360, search_deals

st.title("Deal 360")
with db_session() as session:
    user = current_user(session)
    view = open_record(
        "deal",
        lambda text: search_deals(session, user, text),
        lambda chosen: deal_360(session, user, chosen),
        "Search for a deal by its title, or open one from the pipeline board.",
    )
    deal, history = view.deal, view.history

    st.header(md(deal.title), divider="blue")
    st.caption(f"{md(view.pipeline_name)} pipeline · {md(view.stage.name)} · {deal.status} · deal #{deal.id}")
    links = st.container(horizontal=True)
    with links:
        link("company", view.company_name, deal.company_id, icon=":material/apartment:")
        link("contact", view.contact_name, deal.contact_id, icon=":material/person:")
    cells = st.columns(4)
    cells[0].metric("Amount", money(deal.amount, deal.currency))
    cells[1].metric("Stage", md(view.stage.name), help=f"Probability {view.stage.probability}%")
    current_days = history["days"].iloc[-1] if not history.empty else None
    cells[2].metric("Days in this stage", "—" if current_days is None else f"{current_days:,.1f}")
    cells[3].metric("Expected close", when(deal.expected_close, with_time=False))
    with st.container(border=True):
        details(
            {
                "Owner": view.owner_name,
                "Status": deal.status,
                "Created": when(deal.created_at),
                "Closed": when(deal.closed_at),
                "Lost reason": deal.lost_reason,
                "Source": deal.source,
                "Currency": deal.currency,
                "Version": deal.version,
                **custom_pairs(session, "deals", deal),
            }
        )

    with st.container(border=True):
        st.markdown("**Move to another stage**")
        show_flash("deal-move")
        move_control(deal.id, deal.version, deal.title, view.stages, deal.stage_id, scope="deal-move")

    main, side = st.columns([2, 1], gap="medium")
    with main:
        st.subheader("Stage history")
        table(history, "deal-history", empty="No stage history recorded.")
        if not history.empty:
            labels = [f"{n}. {name}" for n, name in enumerate(history["stage"], start=1)]
            figure = go.Figure(
                go.Bar(
                    x=history["days"],
                    y=labels,
                    orientation="h",
                    text=[f"{d:,.1f} d" for d in history["days"]],
                    textposition="auto",
                )
            )
            figure.update_layout(
                height=80 + 32 * len(labels),
                margin={"l": 0, "r": 0, "t": 10, "b": 0},
                xaxis_title="days in stage",
                yaxis={"autorange": "reversed"},
            )
            st.plotly_chart(figure, key="deal-days-chart")
        tabs = st.tabs([f"Activities ({len(view.activities)})", f"Tasks ({len(view.tasks)})"])
        with tabs[0]:
            timeline(view.activities, len(view.activities), key=f"deal-timeline:{deal.id}", show_contact=True)
        with tabs[1]:
            table(view.tasks, "deal-tasks", empty="No tasks for this deal.")
    with side:
        quick_actions(
            session,
            user,
            f"deal:{deal.id}",
            {"deal_id": deal.id, "contact_id": deal.contact_id, "company_id": deal.company_id},
            ("log", "task"),
        )
