"""Rendering the assistant's replies: text, table, plotly chart, how it was computed, and suggestions."""

from __future__ import annotations

import json

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app.ui.record import md
from bot.reply import Chart, Reply, Turn
from core.query.catalog import METRICS

ASK_KEY = "chat:ask"  # a question queued by a suggestion or a confirm/cancel button


def show_turn(turn: Turn, key: str) -> None:
    with st.chat_message(turn.role):
        if turn.reply is None:
            st.text(turn.text)  # what the person typed, shown as plain text (never as markdown/HTML)
        else:
            show_reply(turn.reply, key)


def show_reply(reply: Reply, key: str) -> None:
    # Plain text: names, notes and a model's words may hold Markdown (an image that calls a server,
    # a link) or HTML; escaped, they show as typed and nothing is fetched or followed.
    (st.warning if reply.status == "refused" else st.markdown)(md(reply.text))
    if reply.rows:
        frame = pd.DataFrame(reply.rows, columns=reply.columns)
        figure = _figure(frame, reply.chart)
        if figure is not None:
            st.plotly_chart(figure, key=f"chart:{key}")
        st.dataframe(frame, hide_index=True, width="stretch", column_config=_formats(reply))
    if reply.action is not None:
        st.markdown("\n".join(f"- {md(line)}" for line in reply.action.summary))
    if reply.query or reply.sql:
        with st.expander("How this was computed", icon=":material/info:"):
            if reply.query:
                st.code(json.dumps(reply.query, indent=2, ensure_ascii=False), language="json")
            if reply.sql:
                st.code(reply.sql, language="sql")
            st.caption(f"Answered by the {'language model' if reply.engine == 'llm' else 'offline engine'}.")
    for number, suggestion in enumerate(reply.suggestions):
        st.button(suggestion, key=f"suggest:{key}:{number}", on_click=queue_question, args=(suggestion,))


# How a figure of each unit reads in a table: €1,234.50, 42.0%, 12.5 days, 1,234.
UNIT_FORMATS = {"currency": "euro", "percent": "percent", "days": "%.1f days", "count": "localized"}


def _formats(reply: Reply) -> dict[str, st.column_config.NumberColumn]:
    """Number formats for the metric columns of a semantic-layer answer, by the metric's unit."""
    metrics = [METRICS[m] for m in (reply.query or {}).get("metrics", []) if m in METRICS]
    return {m.label: st.column_config.NumberColumn(format=UNIT_FORMATS.get(m.unit, "localized"))
            for m in metrics if m.label in reply.columns}


def show_confirmation(key: str) -> None:
    """Confirm / cancel buttons under a proposed write (answered as "yes" / "no" in the chat)."""
    confirm, cancel, _ = st.columns([1, 1, 4])
    confirm.button("Confirm", type="primary", key=f"confirm:{key}", on_click=queue_question, args=("yes",),
                   icon=":material/check:")
    cancel.button("Cancel", key=f"cancel:{key}", on_click=queue_question, args=("no",),
                  icon=":material/close:")


def queue_question(text: str) -> None:
    st.session_state[ASK_KEY] = text


def _figure(frame: pd.DataFrame, chart: Chart | None) -> go.Figure | None:
    if chart is None or chart.x not in frame.columns or chart.y not in frame.columns or len(frame) < 2:
        return None
    if chart.kind == "line":
        return px.line(frame, x=chart.x, y=chart.y, markers=True, title=chart.title or None)
    if chart.kind == "pie":
        return px.pie(frame, names=chart.x, values=chart.y, title=chart.title or None)
    return px.bar(frame, x=chart.x, y=chart.y, title=chart.title or None)
