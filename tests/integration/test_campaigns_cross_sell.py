"""Cross-sell campaigns: who bought a product but not its partner, and a draft campaign for them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.errors import NotFound, ValidationError
from core.models import User
from core.services.campaign_audience import cross_sell_audience
from core.services.campaigns import create_for_contacts
from tests.integration.campaign_data import add_baskets, add_contact


def test_buyers_without_the_partner_get_a_draft_campaign(engine: Engine, session: Session, staff: User,
                                                         other_staff: User) -> None:
    ana, bea, carl = (add_contact(engine, staff, name, "X").id for name in ("Ana", "Bea", "Carl"))
    olga = add_contact(engine, other_staff, "Olga", "X").id
    add_baskets(engine, staff, {ana: [["Tent", "Stove"]], bea: [["Tent"], ["Lamp"]], carl: [["Stove"]],
                                olga: [["Tent"]]})

    assert cross_sell_audience(session, staff, "Tent", "Stove") == [bea]  # Olga is not Sam's
    assert cross_sell_audience(session, staff, "Tent") == [ana, bea]

    campaign = create_for_contacts(session=session, user=staff, name="Stoves for campers",
                                   contact_ids=[bea, ana])
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT c.name, c.status, r.contact_id, r.status FROM campaigns c "
                                       "JOIN campaign_recipients r ON r.campaign_id = c.id "
                                       "ORDER BY r.contact_id")).all()
    assert [tuple(row) for row in rows] == [("Stoves for campers", "draft", ana, "pending"),
                                            ("Stoves for campers", "draft", bea, "pending")]
    assert campaign.owner_id == staff.id
    with pytest.raises(ValidationError):
        create_for_contacts(session=session, user=staff, name="Nobody", contact_ids=[])
    with pytest.raises(NotFound):
        create_for_contacts(session=session, user=staff, name="Not mine", contact_ids=[olga])
