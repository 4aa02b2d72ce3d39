"""Company 360: a company with its contacts, deals, orders, interactions and open cases."""

import streamlit as st

from app.ui.record import (
    custom_pairs,
    details,
    md,
    money,
    open_record,
    quick_actions,
    table,
    timeline,
    when,
)
from app.ui.session import current_user, db_session
from core.services.overview360 import company_360, search_companies

st.title("Company 360")
with db_session() as session:
    user = current_user(session)
    view = open_record(
        "company",
        lambda text: search_companies(session, user, text),
        lambda chosen: company_360(session, user, chosen),
        "Search for a company by name to see everything about it.",
    )
    company, figures = view.company, view.figures

    st.header(md(company.name), divider="blue")
    st.caption(
        " · ".join(md(p) for p in (company.industry, company.city, company.country) if p)
        or f"company #{company.id}"
    )
    with st.container(border=True):
        details(
            {
                "Phone": company.phone,
                "Website": company.website,
                "Domain": company.domain,
                "Address": company.address,
                "Employees": company.employees,
                "Owner": view.owner_name,
                "Industry": company.industry,
                "Since": when(company.created_at, with_time=False),
                **custom_pairs(session, "companies", company),
            }
        )
    cells = st.columns(6)
    cells[0].metric("Contacts", f"{view.contacts_total:,}")
    cells[1].metric("Revenue", money(figures.lifetime_revenue))
    cells[2].metric("Orders", f"{figures.orders:,}")
    cells[3].metric("Open deals", f"{figures.open_deals:,}", help=f"Worth {money(figures.open_deals_amount)}")
    cells[4].metric("Last interaction", when(figures.last_interaction_at, with_time=False))
    cells[5].metric("Open cases", f"{figures.open_cases:,}")

    main, side = st.columns([2, 1], gap="medium")
    with main:
        tabs = st.tabs(
            [
                f"Contacts ({view.contacts_total:,})",
                f"Timeline ({view.timeline_total:,})",
                f"Deals ({len(view.deals)})",
                f"Orders ({len(view.orders)})",
                f"Open cases ({len(view.cases)})",
            ]
        )
        with tabs[0]:
            table(
                view.contacts,
                "company-contacts",
                empty="No contacts at this company yet.",
                open_page="contact",
                label_column="name",
            )
        with tabs[1]:
            timeline(
                view.timeline, view.timeline_total, key=f"company-timeline:{company.id}", show_contact=True
            )
        with tabs[2]:
            table(view.deals, "company-deals", empty="No deals yet.", open_page="deal")
        with tabs[3]:
            table(view.orders, "company-orders", empty="No orders yet.")
        with tabs[4]:
            table(view.cases, "company-cases", empty="No open cases.")
    with side:
        quick_actions(session, user, f"company:{company.id}", {"company_id": company.id}, ("log", "deal"))
