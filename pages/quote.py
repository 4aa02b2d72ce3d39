"""Quote / configure: pick a customer, configure products (options with their price deltas) and see
the price as you choose, collect lines, save them as a quote or an order; convert open quotes."""

from typing import Any

import pandas as pd
import streamlit as st

from app.ui.record import error_text, flash, link, md, show_flash, when
from app.ui.session import current_user, db_session
from core.errors import CRMError, ValidationError
from core.services.orders import options_of
from core.services.overview360 import search_contacts
from core.services.quotes import (
    Breakdown,
    configure,
    configure_lines,
    convert_quote,
    open_quotes,
    save_configured_order,
    sellable_products,
)

LINES = "quote:lines"
NONE = ""  # no value chosen for an option: the base product


def eur(amount: float, sign: bool = False) -> str:
    return f"€{amount:+,.2f}" if sign else f"€{amount:,.2f}"


def chosen_text(options: dict[str, str]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in options.items())


def keep_customer(key: str) -> None:
    if (picked := st.session_state.get(key)) is not None:
        st.session_state["quote:customer"] = picked
        st.session_state[LINES] = []  # a new customer starts a new quote


def customer(session: Any, user: Any) -> Any:
    left, right = st.columns([2, 3])
    text = left.text_input("Find the customer", key="quote:find", placeholder="Name or email…")
    matches = search_contacts(session, user, text) if text.strip() else []
    key = f"quote:pick:{text.strip().lower()}"
    right.selectbox(f"Matches ({len(matches)})", matches, index=None, key=key, format_func=lambda m: m.label,
                    placeholder="Choose the customer", on_change=keep_customer, args=(key,))
    return st.session_state.get("quote:customer")


def configurator(session: Any) -> None:
    products = dict(sellable_products(session))
    if not products:
        st.info("There are no active products yet; add some on the Products page.",
                icon=":material/inventory:")
        return
    product_id = st.selectbox("Product", list(products), format_func=products.get, key="quote:product")
    chosen: dict[str, str] = {}
    options = options_of(session, product_id)
    cells = st.columns(max(1, min(3, len(options))))
    for number, (name, values) in enumerate(options.items()):
        labels = {NONE: "— none —"}
        labels.update({o.value: f"{o.value} ({eur(o.price_delta, sign=True)})" for o in values})
        chosen[name] = cells[number % len(cells)].selectbox(
            name.capitalize(), list(labels), format_func=labels.get, key=f"quote:opt:{product_id}:{name}")
    quantity = st.number_input("Quantity", min_value=1, value=1, step=1, key=f"quote:qty:{product_id}")
    try:
        line = configure(session, product_id, chosen, quantity)
    except ValidationError as error:
        st.error(error_text(error), icon=":material/error:")
        return
    breakdown(line)
    if st.button("Add to quote", icon=":material/add_shopping_cart:", key="quote:add"):
        st.session_state.setdefault(LINES, []).append(
            {"product_id": line.product_id, "options": line.options, "quantity": line.quantity})
        st.rerun()


def breakdown(line: Breakdown) -> None:
    rows = [("Base price", eur(line.base_price))]
    rows += [(f"{d.name}: {d.value}", eur(d.price_delta, sign=True)) for d in line.deltas]
    rows += [("Unit price", eur(line.unit_price)), (f"x {line.quantity:g}", ""),
             ("Line total", eur(line.total))]
    st.dataframe(pd.DataFrame(rows, columns=["", "price"]), hide_index=True, key="quote:breakdown")
    st.metric("Line total", eur(line.total), help=f"{eur(line.unit_price)} x {line.quantity:g}")


def lines_and_save(session: Any, user: Any, contact_id: int) -> None:
    lines = st.session_state.get(LINES, [])
    if not lines:
        st.caption("No lines yet: configure a product and add it.")
        return
    try:
        priced = configure_lines(session, lines)
    except ValidationError as error:  # a product or option changed since the line was added
        st.error(error_text(error), icon=":material/error:")
        priced = []
    frame = pd.DataFrame([{"product": b.product, "options": chosen_text(b.options), "quantity": b.quantity,
                           "unit_price": b.unit_price, "total": b.total} for b in priced])
    st.dataframe(frame, hide_index=True, width="stretch", key="quote:lines-table")
    st.metric("Quote total", eur(sum(b.total for b in priced)))
    cells = st.columns(3)
    if cells[0].button("Save as quote", type="primary", icon=":material/request_quote:", key="quote:save"):
        save(session, user, contact_id, lines, as_quote=True)
    if cells[1].button("Save as order", icon=":material/shopping_cart_checkout:", key="quote:order"):
        save(session, user, contact_id, lines, as_quote=False)
    if cells[2].button("Clear lines", icon=":material/delete:", key="quote:clear"):
        st.session_state[LINES] = []
        st.rerun()


def save(session: Any, user: Any, contact_id: int, lines: list[dict[str, Any]], *, as_quote: bool) -> None:
    try:
        order = save_configured_order(session=session, user=user, contact_id=contact_id, lines=lines,
                                      as_quote=as_quote)
    except CRMError as error:
        st.error(error_text(error), icon=":material/error:")
        return
    st.session_state[LINES] = []
    kind = "Quote" if as_quote else "Order"
    flash("quote", "success", f"{kind} {order.order_number} saved ({eur(order.total)}).")
    st.rerun()


def quotes_of(session: Any, user: Any, contact_id: int) -> None:
    quotes = open_quotes(session, user, contact_id)
    st.subheader(f"Open quotes ({len(quotes)})")
    if quotes.empty:
        st.caption("No open quotes for this customer.")
    for row in quotes.itertuples():
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.markdown(f"**{md(row.order_number)}** · {when(row.quoted_at)} · {eur(row.total)}  \n"
                      f"{md(row.lines)}")
        if right.button("Convert to order", key=f"quote:convert:{row.id}", icon=":material/check:"):
            try:
                convert_quote(session=session, user=user, order_id=int(row.id),
                              expected_version=int(row.version))
            except CRMError as error:
                st.error(error_text(error), icon=":material/error:")
            else:
                flash("quote", "success", f"Quote {row.order_number} is now an order.")
                st.rerun()


st.title("Quote / configure")
with db_session() as session:
    user = current_user(session)
    show_flash("quote")
    chosen = customer(session, user)
    if chosen is None:
        st.info("Find and choose the customer the quote is for.", icon=":material/person_search:")
        st.stop()
    st.markdown(f"Customer: **{md(chosen.label)}**")
    link("contact", "Open the customer's page", chosen.id, icon=":material/person:")
    left, right = st.columns([3, 2], gap="medium")
    with left, st.container(border=True):
        st.subheader("Configure")
        configurator(session)
    with right, st.container(border=True):
        st.subheader("This quote")
        lines_and_save(session, user, chosen.id)
    quotes_of(session, user, chosen.id)
