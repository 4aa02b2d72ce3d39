"""The page list, built from the signed-in user's role (core still checks every read and write)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.ui.views import VIEWS

PAGES_DIR = "../pages"


def _grid_page(entity: str) -> Any:
    view = VIEWS[entity]
    return st.Page(f"{PAGES_DIR}/{entity}.py", title=view.title, icon=view.icon)


def navigation(role: str) -> dict[str, list[Any]]:
    sections: dict[str, list[Any]] = {
        "Overview": [
            st.Page(f"{PAGES_DIR}/home.py", title="Home", icon=":material/home:", default=True),
            st.Page(f"{PAGES_DIR}/my_day.py", title="My day", icon=":material/today:"),
            st.Page(f"{PAGES_DIR}/assistant.py", title="Assistant", icon=":material/chat:"),
        ],
        "Customers": [
            _grid_page("contacts"), _grid_page("companies"),
            st.Page(f"{PAGES_DIR}/contact.py", title="Contact 360", icon=":material/contact_page:"),
            st.Page(f"{PAGES_DIR}/company.py", title="Company 360", icon=":material/domain:"),
            _grid_page("activities"),
        ],
        "Sales": [
            st.Page(f"{PAGES_DIR}/pipeline.py", title="Pipeline board", icon=":material/view_kanban:"),
            _grid_page("deals"),
            st.Page(f"{PAGES_DIR}/deal.py", title="Deal 360", icon=":material/request_quote:"),
            _grid_page("orders"), _grid_page("products"),
            st.Page(f"{PAGES_DIR}/quote.py", title="Quote / configure", icon=":material/tune:"),
        ],
        "Service": [
            st.Page(f"{PAGES_DIR}/case_desk.py", title="Case desk", icon=":material/support_agent:"),
            *[_grid_page(e) for e in ("tasks", "cases", "campaigns")],
            st.Page(f"{PAGES_DIR}/campaign.py", title="Campaign workspace", icon=":material/send:"),
        ],
        "Data": [
            st.Page(f"{PAGES_DIR}/reports.py", title="Reports", icon=":material/query_stats:"),
            st.Page(f"{PAGES_DIR}/saved_segments.py", title="Segments", icon=":material/filter_alt:"),
            st.Page(f"{PAGES_DIR}/import_data.py", title="Import", icon=":material/upload_file:"),
        ],
    }
    # Every role sees the analytics; core limits each figure to the records the user may see.
    sections["Analytics"] = [
        st.Page(f"{PAGES_DIR}/funnel.py", title="Sales funnel", icon=":material/filter_list:"),
        st.Page(f"{PAGES_DIR}/segments.py", title="Customer segments", icon=":material/donut_small:"),
        st.Page(f"{PAGES_DIR}/loyalty.py", title="Loyalty", icon=":material/favorite:"),
        st.Page(f"{PAGES_DIR}/baskets.py", title="Baskets", icon=":material/shopping_basket:"),
        st.Page(f"{PAGES_DIR}/potential.py", title="Sales potential", icon=":material/trending_up:"),
        st.Page(f"{PAGES_DIR}/campaign_results.py", title="Campaign results", icon=":material/campaign:"),
    ]
    if role == "admin":
        sections["Settings"] = [
            st.Page(f"{PAGES_DIR}/admin_users.py", title="Users and roles", icon=":material/group:"),
            st.Page(f"{PAGES_DIR}/admin_fields.py", title="Custom fields", icon=":material/tune:"),
            st.Page(f"{PAGES_DIR}/admin_pipelines.py", title="Pipelines", icon=":material/view_column:"),
            st.Page(f"{PAGES_DIR}/admin_automation.py", title="Automation", icon=":material/bolt:"),
            st.Page(f"{PAGES_DIR}/audit.py", title="Audit log", icon=":material/history:"),
        ]
    return sections
