"""All tables. Import models from here; `ENTITIES` maps the public entity names to tables."""

from sqlmodel import SQLModel

from core.models.base import Editable
from core.models.engagement import (
    Activity,
    Campaign,
    CampaignRecipient,
    Case,
    Notification,
    OutboxMessage,
    Task,
)
from core.models.lowcode import (
    AuditIdRange,
    AuditLog,
    AutomationRule,
    AutomationRun,
    Conversation,
    ConversationMessage,
    CustomFieldDefinition,
    SavedReport,
    SavedView,
    Segment,
)
from core.models.people import Company, Contact, User
from core.models.sales import (
    Deal,
    DealStageHistory,
    Order,
    OrderLine,
    Pipeline,
    Product,
    ProductOption,
    Stage,
)
from core.models.summaries import (
    BasketCount,
    BasketOrder,
    CampaignAnswerCount,
    CampaignAudienceCount,
    CampaignAudienceRecipient,
    CampaignFollowUp,
    CampaignReplyMedian,
    CohortCell,
    ContactFeatures,
    ContactMonth,
    ContactPurchases,
    FunnelDeal,
    FunnelStay,
    OrderCategoryRollup,
    OrderFact,
    OrderRollup,
    PotentialModelRow,
    SharedCustomer,
    SummaryState,
)

# The entities people edit, by the name used in URLs, imports, exports and the audit log.
ENTITIES: dict[str, type[Editable]] = {
    "users": User,
    "companies": Company,
    "contacts": Contact,
    "pipelines": Pipeline,
    "stages": Stage,
    "deals": Deal,
    "products": Product,
    "product_options": ProductOption,
    "orders": Order,
    "activities": Activity,
    "tasks": Task,
    "cases": Case,
    "campaigns": Campaign,
    "campaign_recipients": CampaignRecipient,
    "custom_field_definitions": CustomFieldDefinition,
    "saved_views": SavedView,
    "segments": Segment,
    "saved_reports": SavedReport,
    "automation_rules": AutomationRule,
}

metadata = SQLModel.metadata

__all__ = [
    "ENTITIES",
    "Activity",
    "AuditIdRange",
    "AuditLog",
    "AutomationRule",
    "AutomationRun",
    "BasketCount",
    "BasketOrder",
    "Campaign",
    "CampaignAnswerCount",
    "CampaignAudienceCount",
    "CampaignAudienceRecipient",
    "CampaignFollowUp",
    "CampaignRecipient",
    "CampaignReplyMedian",
    "Case",
    "CohortCell",
    "Company",
    "Contact",
    "ContactFeatures",
    "ContactMonth",
    "ContactPurchases",
    "Conversation",
    "ConversationMessage",
    "CustomFieldDefinition",
    "Deal",
    "DealStageHistory",
    "Editable",
    "FunnelDeal",
    "FunnelStay",
    "Notification",
    "Order",
    "OrderCategoryRollup",
    "OrderFact",
    "OrderLine",
    "OrderRollup",
    "OutboxMessage",
    "Pipeline",
    "PotentialModelRow",
    "Product",
    "ProductOption",
    "SavedReport",
    "SavedView",
    "Segment",
    "SharedCustomer",
    "Stage",
    "SummaryState",
    "Task",
    "User",
    "metadata",
]


def singular(entity: str) -> str:
    """The human name of one record of an entity: "companies" -> "company"."""
    words = entity.replace("_", " ")
    if words.endswith("ies"):
        return words[:-3] + "y"
    return words[:-1] if words.endswith("s") else words
