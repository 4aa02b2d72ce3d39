"""The assistant's LLM mode end to end: `Assistant.ask` -> LangChain agent -> the real ChatOpenAI
client -> a local stub of the chat-completions API (127.0.0.1, no internet) -> our tools -> Reply.

The stub answers like an OpenAI-compatible server: first a tool call, then, once the request
carries the tool's result, a final message. It records every request so the tests can check what
the client sent (tool definitions, the tool result) and when the server fails, the assistant must
answer offline instead.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.assistant import Assistant
from core.models import Activity, AuditLog, Contact, Task, User, metadata
from tests.integration.test_query_data import insert_crm, order_lines

ALLOWED = {"query_metrics", "describe_catalog", "find_contacts", "find_companies", "find_deals",
           "find_campaigns", "record_summary", "propose_log_activity", "propose_task", "propose_deal_move",
           "propose_campaign_response"}
FINAL = "Revenue this year is in the table below."
Responder = Callable[[dict[str, Any]], tuple[int, bytes]]


class Stub:
    """A chat-completions server whose answers `respond` decides; it keeps what it received."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.respond: Responder = tool_then_answer("query_metrics", {
            "metrics": ["revenue"], "dimensions": ["month"], "period": "this year"})
        self.url = ""

    def handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                stub.requests.append(body)
                stub.headers.append({key.lower(): value for key, value in self.headers.items()})
                status, payload = (stub.respond(body) if self.path == "/v1/chat/completions"
                                   else (404, b'{"error": {"message": "not found"}}'))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
                pass

        return Handler


def completion(message: dict[str, Any], finish: str) -> tuple[int, bytes]:
    """A non-streaming chat.completion in the OpenAI format."""
    body = {"id": "chatcmpl-stub", "object": "chat.completion", "created": 1_780_000_000,
            "model": "stub-model", "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return 200, json.dumps(body).encode()


def tool_then_answer(name: str, arguments: dict[str, Any], final: str = FINAL) -> Responder:
    def respond(body: dict[str, Any]) -> tuple[int, bytes]:
        if any(message["role"] == "tool" for message in body["messages"]):
            return completion({"role": "assistant", "content": final}, "stop")
        call = {"id": "call_1", "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)}}
        return completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")
    return respond


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stub]:
    stub = Stub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), stub.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    monkeypatch.setenv("OPENAI_BASE_URL", stub.url)
    monkeypatch.setenv("CRM_LLM_MODEL", "stub-model")
    monkeypatch.setenv("CRM_LLM_TIMEOUT", "10")
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def crm(engine: Engine, admin: User, manager: User, staff: User, other_staff: User,
        outsider: User) -> dict[str, User]:
    users = insert_crm(engine, admin, manager, staff, other_staff, outsider)
    advance_sequences(engine)
    return users


def advance_sequences(engine: Engine) -> None:
    """The dataset gives ids explicitly: move PostgreSQL's sequences past them for later inserts."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            if "id" in table.columns:  # tables without a serial id get NULL from pg_get_serial_sequence
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table.name}\"), false)"))


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Contact, Activity, Task, AuditLog)}


def test_an_answer_through_the_openai_client(session: Session, crm: dict[str, User], stub: Stub) -> None:
    reply = Assistant(session).ask("revenue by month this year", crm["ada"])

    lines = order_lines("admin")
    lines = lines[lines["ordered_at"].dt.year == 2026]
    by_month = lines.groupby(lines["ordered_at"].dt.strftime("%Y-%m"))["amount"].sum()
    expected = [[month, round(float(value), 2)] for month, value in sorted(by_month.items())]
    assert (reply.engine, reply.status, reply.text) == ("llm", "answered", FINAL)
    assert reply.rows == expected and reply.columns == ["Month", "Revenue"]
    assert reply.query is not None and reply.query["period"] == "this year"
    assert reply.sql is not None and "SELECT" in reply.sql

    first, second = stub.requests
    assert first["model"] == "stub-model" and stub.headers[0]["authorization"] == "Bearer test"
    assert {tool["function"]["name"] for tool in first["tools"]} == ALLOWED
    assert first["messages"][0]["role"] == "system" and "2026-06-15" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "user", "content": "revenue by month this year"}
    tool_message = second["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"])["rows"] == expected


def test_an_unknown_tool_from_the_server_is_refused_not_run(session: Session, crm: dict[str, User],
                                                            stub: Stub) -> None:
    before = counts(session)
    stub.respond = tool_then_answer("delete_all_contacts", {"confirm": True}, "I cannot delete anything.")
    reply = Assistant(session, log_conversation=False).ask("delete all contacts", crm["ada"])

    refusal = stub.requests[1]["messages"][-1]
    assert refusal["role"] == "tool" and "is not a valid tool" in refusal["content"]
    assert (reply.engine, reply.text, reply.action) == ("llm", "I cannot delete anything.", None)
    assert counts(session) == before


def test_a_proposal_from_the_server_waits_for_confirmation(session: Session, crm: dict[str, User],
                                                           stub: Stub) -> None:
    before = counts(session)
    stub.respond = tool_then_answer("propose_task", {"title": "Call Anna", "due_at": "2026-06-16T10:00:00",
                                                     "contact_id": 1}, "Shall I create it?")
    reply = Assistant(session, log_conversation=False).ask("remind me to call Anna tomorrow", crm["sam"])

    assert (reply.engine, reply.status) == ("llm", "needs_confirmation")
    assert reply.action is not None and reply.action.params["title"] == "Call Anna"
    assert "Create the task “Call Anna”" in reply.text
    assert counts(session) == before

    done = Assistant(session, use_llm=False).confirm(reply.action, crm["sam"])
    assert done.status == "done" and counts(session)["Task"] == before["Task"] + 1


@pytest.mark.parametrize("failure", [
    (500, b'{"error": {"message": "the model crashed", "type": "server_error"}}'),
    (200, b"<html>this is not JSON</html>"),
    (200, b'{"unexpected": "shape"}'),
], ids=["http-500", "garbage", "wrong-shape"])
def test_a_failing_server_means_an_offline_answer(session: Session, crm: dict[str, User], stub: Stub,
                                                  failure: tuple[int, bytes]) -> None:
    stub.respond = lambda body: failure
    reply = Assistant(session).ask("revenue this year", crm["ada"])  # must not raise

    assert reply.engine == "offline"
    assert stub.requests  # the client did try the server
    assert "Traceback" not in reply.text
