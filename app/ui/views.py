"""The grids, declared per entity (as sqladmin declares model views): columns, order, sort.

`app.ui.grid.render_grid` renders any of them; column types come from the model and the
vocabularies, so a new field or custom field shows up without touching this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GridView:
    entity: str
    title: str
    columns: tuple[str, ...]  # shown by default, in this order; custom fields follow
    default_sort: tuple[tuple[str, bool], ...] = (("id", True),)
    read_only: frozenset[str] = field(default_factory=frozenset)
    icon: str = ":material/table:"
    can_add: bool = True

    @property
    def always_read_only(self) -> frozenset[str]:
        return frozenset({"id", "version", "created_at", "updated_at"}) | self.read_only


VIEWS: dict[str, GridView] = {view.entity: view for view in (
    GridView("contacts", "Contacts", (
        "first_name", "last_name", "email", "phone", "company", "city", "country",
        "lifecycle_stage", "owner", "source", "gender", "birth_date", "household_income",
        "best_time_to_call", "preferred_channel", "consent_email", "unsubscribed", "created_at"),
        default_sort=(("last_name", False), ("first_name", False)), icon=":material/person:"),
    GridView("companies", "Companies", (
        "name", "industry", "city", "country", "phone", "website", "employees", "owner"),
        default_sort=(("name", False),), icon=":material/apartment:"),
    GridView("deals", "Deals", (
        "title", "company", "contact", "pipeline", "stage", "status", "amount", "currency",
        "expected_close", "owner", "closed_at", "lost_reason"),
        read_only=frozenset({"status", "closed_at"}), icon=":material/handshake:"),
    GridView("products", "Products", ("sku", "name", "category", "price", "active", "description"),
             default_sort=(("sku", False),), icon=":material/inventory_2:"),
    GridView("orders", "Orders", (
        "order_number", "contact", "company", "ordered_at", "status", "total", "currency", "owner"),
        default_sort=(("ordered_at", True),), read_only=frozenset({"total"}),
        icon=":material/receipt_long:", can_add=False),
    GridView("activities", "Activities", (
        "occurred_at", "channel", "direction", "contact", "subject", "outcome", "notes",
        "duration_minutes", "owner", "source"),
        default_sort=(("occurred_at", True),), read_only=frozenset({"source"}), icon=":material/forum:"),
    GridView("tasks", "Tasks", (
        "title", "due_at", "status", "priority", "assignee", "contact", "recurrence", "notes"),
        default_sort=(("due_at", False),), icon=":material/task_alt:"),
    GridView("cases", "Cases", (
        "subject", "status", "priority", "channel", "contact", "assignee", "opened_at",
        "sla_due_at", "resolved_at"),
        default_sort=(("opened_at", True),), read_only=frozenset({"resolved_at"}),
        icon=":material/support_agent:"),
    GridView("campaigns", "Campaigns", ("name", "channel", "status", "subject", "owner", "budget", "sent_at"),
             icon=":material/campaign:"),
    GridView("pipelines", "Pipelines", ("name", "is_default", "position"),
             default_sort=(("position", False),), icon=":material/view_column:"),
    GridView("stages", "Stages", ("pipeline", "position", "name", "probability", "is_won", "is_lost"),
             default_sort=(("pipeline", False), ("position", False)), icon=":material/stairs:"),
    GridView("users", "Users", ("username", "display_name", "email", "role", "team", "active"),
             default_sort=(("username", False),), icon=":material/group:", can_add=False),
)}
