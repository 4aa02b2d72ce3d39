"""Baskets: which products are bought together, and what to suggest to a customer next."""

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.ui import charts
from app.ui.campaign_start import start_campaign_button
from app.ui.session import current_user, db_session
from core.analytics.dashboards import (
    BasketDashboard,
    basket_dashboard,
    bought_with,
    cross_sell_audience_for,
    cross_sell_for,
)
from core.errors import NotFound
from core.models import User
from core.services.overview360 import search_contacts

PAIR_FORMATS = charts.formats(
    percent=["support", "confidence_a_to_b", "confidence_b_to_a"], decimals=["lift"],
    labels={"product_a": "Product A", "product_b": "Product B", "confidence_a_to_b": "A → B",
            "confidence_b_to_a": "B → A"})


def pairs(board: BasketDashboard) -> None:
    st.caption(f"Pairs bought in the same order at least {board.min_support_count:,} times among "
               f"{board.orders:,} orders you can see. Lift above 1: bought together more often than chance; "
               "A → B: share of orders with A that also hold B.")
    if board.pairs.empty:
        st.info("No pair of products was bought together often enough yet.")
        return
    top = board.pairs.head(15)
    shown = pd.DataFrame({"pair": top["product_a"] + " + " + top["product_b"], "lift": top["lift"]})
    figure = charts.bar(shown, "lift", "pair", horizontal=True, title="Strongest pairs (lift)",
                        labels={"pair": ""})
    charts.chart_with_data(figure, shown, "strongest pairs", column_config=charts.formats(decimals=["lift"]))
    st.subheader("Top pairs")
    charts.data_table(board.pairs, "product pairs", column_config=PAIR_FORMATS)
    with st.expander("Categories bought together", icon=":material/category:"):
        charts.data_table(board.category_pairs, "category pairs", column_config=PAIR_FORMATS)


def partners(session: Session, user: User, board: BasketDashboard) -> None:
    product = st.selectbox("Product", board.products, key="baskets:product")
    if product is None:
        return
    partners = bought_with(session, user, product)
    if partners.empty:
        st.caption("Not bought together with anything at least twice yet.")
        return
    figure = charts.bar(partners, "confidence", "partner", horizontal=True, percent=True,
                        title=f"Buyers of {product} also took", labels={"partner": "", "confidence": "share"})
    charts.chart_with_data(figure, partners, f"bought with {product}", column_config=charts.formats(
        percent=["confidence"], decimals=["lift"], labels={"confidence": "Share of its orders"}))
    # Finding the buyers reads every order line of the product (seconds at a million orders): only
    # once someone chooses what to offer, not for the first partner on every opening of the page.
    offer = st.selectbox("Offer to its buyers who do not have it yet", partners["partner"].tolist(),
                         key=f"baskets:offer:{product}", index=None, placeholder="Choose a product to offer")
    if offer is not None:
        audience = cross_sell_audience_for(session, user, product, offer)
        start_campaign_button(session, user, audience, f"Cross-sell {offer} to buyers of {product}",
                              key=f"baskets:campaign:{product}:{offer}")


def suggestions(session: Session, user: User) -> None:
    left, right = st.columns([2, 3])
    text = left.text_input("Find a customer", key="baskets:find", placeholder="Type the start of a name…")
    matches = search_contacts(session, user, text) if text.strip() else []
    match = right.selectbox(f"Matches ({len(matches)})", matches, index=None, format_func=lambda m: m.label,
                            key=f"baskets:pick:{text.strip().lower()}", placeholder="Choose one")
    if match is None:
        st.caption("Pick a customer to see what goes with what they bought.")
        return
    try:
        advice = cross_sell_for(session, user, match.id)
    except NotFound as error:
        st.error(str(error))
        return
    if advice.empty:
        st.info("No suggestion: this customer has no orders yet, or nothing they bought has frequent "
                "partners.")
        return
    st.caption("Advice for a conversation, not an automatic offer. Score: how strongly what they own "
               "points to the product (a ranking, not a probability).")
    charts.data_table(advice.drop(columns=["contact_id", "because"]), f"cross-sell {match.id}",
                      column_config=charts.formats(decimals=["score"]))


st.title("Baskets")
with db_session() as session:
    user = current_user(session)
    board = basket_dashboard(session, user)
    if board.orders == 0:
        st.info("No orders with products yet among the orders you can see.")
        st.stop()
    charts.kpis({"Orders": charts.number(board.orders), "Products": charts.number(len(board.products)),
                 "Pairs shown": charts.number(len(board.pairs))})
    together, per_product, cross = st.tabs(["Bought together", "Bought with a product", "Cross-sell"])
    with together:
        pairs(board)
    with per_product:
        partners(session, user, board)
    with cross:
        suggestions(session, user)
