"""Contact 360: one contact with every interaction, deal, order, task, case and campaign response."""

import streamlit as st

from app.ui.record import (
    custom_pairs,
    details,
    link,
    md,
    money,
    open_record,
    potential_card,
    quick_actions,
    table,
    timeline,
    when,
)
from app.ui.session import current_user, db_session
from core.analytics.potential import contact_potential
from core.services.overview360 import contact_360, search_contacts

st.title("Contact 360")
with db_session() as session:
    user = current_user(session)
    view = open_record(
        "contact",
        lambda text: search_contacts(session, user, text),
        lambda chosen: contact_360(session, user, chosen),
        "Search for a contact by name or email to see everything about them.",
    )
    contact, figures = view.contact, view.figures

    st.header(md(contact.full_name), divider="blue")
    headline = " · ".join(md(part) for part in (contact.job_title, view.company_name) if part)
    st.caption(f"{headline or 'No job title or company'} · {contact.lifecycle_stage} · contact #{contact.id}")
    link("company", view.company_name, contact.company_id, icon=":material/apartment:")
    with st.container(border=True):
        details(
            {
                "Email": contact.email,
                "Phone": contact.phone,
                "Mobile": contact.mobile,
                "City": ", ".join(p for p in (contact.city, contact.country) if p),
                "Owner": view.owner_name,
                "Preferred channel": contact.preferred_channel,
                "Best time to call": contact.best_time_to_call,
                "Consents": ", ".join(
                    c for c in ("email", "phone", "sms") if getattr(contact, f"consent_{c}")
                )
                or ("unsubscribed" if contact.unsubscribed else "none"),
                "Source": contact.source,
                "Tags": ", ".join(contact.tags or []),
                "Customer record since": when(contact.created_at, with_time=False),
                **custom_pairs(session, "contacts", contact),
            }
        )
    cells = st.columns(6)
    cells[0].metric("Lifetime revenue", money(figures.lifetime_revenue))
    cells[1].metric("Orders", f"{figures.orders:,}")
    cells[2].metric("Last order", when(figures.last_order_at, with_time=False))
    cells[3].metric("Last interaction", when(figures.last_interaction_at, with_time=False))
    cells[4].metric("Open deals", f"{figures.open_deals:,}", help=f"Worth {money(figures.open_deals_amount)}")
    cells[5].metric("Open cases", f"{figures.open_cases:,}")

    main, side = st.columns([2, 1], gap="medium")
    with main:
        tabs = st.tabs(
            [
                f"Timeline ({view.timeline_total:,})",
                f"Deals ({len(view.deals)})",
                f"Orders & products ({len(view.orders)})",
                f"Tasks ({len(view.tasks)})",
                f"Cases ({len(view.cases)})",
                f"Campaigns ({len(view.campaigns)})",
            ]
        )
        with tabs[0]:
            timeline(
                view.timeline.drop(columns=["contact"]), view.timeline_total, key=f"timeline:{contact.id}"
            )
        with tabs[1]:
            table(view.deals, "contact-deals", empty="No deals yet.", open_page="deal")
        with tabs[2]:
            st.markdown("**Products held**")
            table(view.products, "contact-products", empty="No products bought yet.")
            st.markdown("**Orders**")
            table(view.orders, "contact-orders", empty="No orders yet.")
        with tabs[3]:
            table(view.tasks, "contact-tasks", empty="No open tasks or reminders.")
        with tabs[4]:
            table(view.cases, "contact-cases", empty="No support cases.")
        with tabs[5]:
            table(view.campaigns, "contact-campaigns", empty="Not in any campaign yet.")
    with side:
        potential_card(contact_potential(session, user, contact.id))
        quick_actions(
            session,
            user,
            f"contact:{contact.id}",
            {"contact_id": contact.id, "company_id": contact.company_id},
        )
