"""Use cases, one module per area. `SERVICES` finds the standard use cases of an entity by name."""

from core.services.activities import activities, tasks
from core.services.automation import automation_rules
from core.services.campaigns import campaigns
from core.services.cases import cases
from core.services.contacts import companies, contacts
from core.services.deals import deals, pipelines, stages
from core.services.orders import orders, product_options, products
from core.services.records import EntityService, batch
from core.services.reports import saved_reports, segments
from core.services.settings import custom_field_definitions, saved_views
from core.services.users import users

SERVICES: dict[str, EntityService] = {
    service.name: service
    for service in (
        users,
        companies,
        contacts,
        pipelines,
        stages,
        deals,
        products,
        product_options,
        orders,
        activities,
        tasks,
        cases,
        campaigns,
        custom_field_definitions,
        saved_views,
        saved_reports,
        segments,
        automation_rules,
    )
}

# The rules engine listens to the domain events the services emit.
from core.services import automation_engine  # noqa: E402, F401

__all__ = ["SERVICES", "EntityService", "batch"]
