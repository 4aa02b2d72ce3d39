"""'Start a campaign for these N contacts': a draft campaign from an analytics page's suggestions."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from sqlmodel import Session

from app.ui.record import error_text
from core.errors import CRMError
from core.models import User
from core.services.campaigns import create_for_contacts

CAMPAIGN_PAGE = "../pages/campaign.py"


def start_campaign_button(session: Session, user: User, contact_ids: Sequence[int], name: str,
                          key: str) -> None:
    """A button creating a draft email campaign for the contacts, then opening it in the workspace."""
    ids = list(dict.fromkeys(int(i) for i in contact_ids))
    label = f"Start a campaign for these {len(ids):,} contacts"
    if not st.button(label, key=key, icon=":material/campaign:", disabled=not ids):
        return
    try:
        campaign = create_for_contacts(session=session, user=user, name=name, contact_ids=ids)
    except CRMError as error:
        st.error(error_text(error))
        return
    st.session_state["campaign:id"] = campaign.id
    st.switch_page(CAMPAIGN_PAGE)
