"""Marketing campaigns (recipients and responses come with the operational-workflows issue)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.models import Campaign, Segment, User
from core.services.records import EntityRules, EntityService, check_references
from core.services.schemas import CampaignIn


def _check_campaign(session: Session, user: User, campaign: Campaign, values: dict[str, Any]) -> None:
    check_references(session, campaign, {"segment_id": Segment, "owner_id": User})


campaigns = EntityService(EntityRules("campaigns", CampaignIn, before_save=_check_campaign))
