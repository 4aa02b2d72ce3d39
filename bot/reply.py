"""What the assistant answers: a status, a short text, a table, a chart spec and how it was computed.

Plain data (no Streamlit, no LangChain), so the chat page, the CLI and the tests read the same thing,
and a reply can be stored as JSON in the conversation log.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["answered", "refused", "needs_confirmation", "done"]
ChartKind = Literal["bar", "line", "pie"]
ActionKind = Literal["log_activity", "create_task", "move_deal", "record_response"]


@dataclass(frozen=True)
class Chart:
    """A chart of the reply's table: `x` and `y` name its columns."""

    kind: ChartKind
    x: str
    y: str
    title: str = ""


@dataclass(frozen=True)
class PendingAction:
    """A write the assistant proposes and performs only once the person confirms it.

    `summary` says in words exactly what will be written (one line per record); `params` holds the
    same as plain JSON values (ids, ISO dates, texts) for `bot.actions.execute`.
    """

    kind: ActionKind
    summary: list[str]
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingAction:
        return cls(kind=data["kind"], summary=list(data["summary"]), params=dict(data["params"]))


@dataclass(frozen=True)
class Reply:
    status: Status
    text: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    chart: Chart | None = None
    query: dict[str, Any] | None = None  # the QuerySpec it ran, as JSON
    sql: str | None = None  # the SQL it ran, with placeholders
    action: PendingAction | None = None  # set when status is needs_confirmation
    suggestions: list[str] = field(default_factory=list)  # questions it can answer, after a refusal
    engine: str = "offline"  # "offline" or "llm": who produced the answer

    def to_json(self) -> dict[str, Any]:
        """The CLI's JSON line: numbers stay JSON numbers."""
        return {"status": self.status, "text": self.text, "columns": self.columns, "rows": self.rows,
                "query": self.query, "sql": self.sql}

    def to_payload(self) -> dict[str, Any]:
        """Everything, for the conversation log (and to rebuild the reply from it)."""
        return {**self.to_json(), "chart": asdict(self.chart) if self.chart else None,
                "action": self.action.to_json() if self.action else None,
                "suggestions": self.suggestions, "engine": self.engine}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Reply:
        chart, action = data.get("chart"), data.get("action")
        return cls(status=data["status"], text=data["text"], columns=data.get("columns") or [],
                   rows=data.get("rows") or [], chart=Chart(**chart) if chart else None,
                   query=data.get("query"), sql=data.get("sql"),
                   action=PendingAction.from_json(action) if action else None,
                   suggestions=data.get("suggestions") or [], engine=data.get("engine", "offline"))


def refused(text: str, suggestions: list[str] | None = None) -> Reply:
    return Reply("refused", text, suggestions=suggestions or [])


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: what the person typed, or the assistant's reply."""

    role: Literal["user", "assistant"]
    text: str
    reply: Reply | None = None
