"""Showing a query result: a chart of the chosen type, the table, and how it was computed."""

from __future__ import annotations

import json

import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.query.engine import QueryResult
from core.services.exports import spreadsheet_safe

CHART_TYPES = ("table", "bar", "line", "pie", "funnel")


def show_result(result: QueryResult, chart_type: str, key: str) -> None:
    if not result.rows:
        st.info("No rows match: widen the period or remove a filter.")
    else:
        figure = _figure(result, chart_type)
        if figure is not None:
            st.plotly_chart(figure, key=f"chart:{key}")
        st.dataframe(result.frame, hide_index=True, width="stretch")
        st.download_button(
            "Download CSV",
            spreadsheet_safe(result.frame).to_csv(index=False).encode("utf-8"),
            file_name="report.csv",
            mime="text/csv",
            key=f"csv:{key}",
        )
    for note in result.notes:
        st.caption(f"Note: {note}")
    with st.expander("How this was computed", icon=":material/info:"):
        if result.period:
            st.write(f"Period: {result.period.label}")
        st.code(
            json.dumps(result.spec.model_dump(mode="json"), indent=2, ensure_ascii=False), language="json"
        )
        st.code(result.sql, language="sql")
        if result.params:
            st.caption("Values (bound as parameters, never pasted into the SQL):")
            st.json(json.loads(json.dumps(result.params, default=str)))


def _figure(result: QueryResult, chart_type: str) -> go.Figure | None:
    dimensions = len(result.columns) - len(result.metrics)
    if chart_type == "table" or dimensions == 0:
        return None
    frame, x, y = result.frame, result.columns[0], result.columns[dimensions]
    color = result.columns[1] if dimensions > 1 else None
    if chart_type == "line":
        return px.line(frame, x=x, y=y, color=color, markers=True)
    if chart_type == "pie":
        return px.pie(frame, names=x, values=y)
    if chart_type == "funnel":
        return go.Figure(go.Funnel(y=frame[x], x=frame[y], textinfo="value+percent previous+percent initial"))
    return px.bar(frame, x=x, y=y, color=color, barmode="group")
