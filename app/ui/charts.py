"""Charts for the analytics pages, each shown with its data one click away.

Figures are built with plotly from frames the core computed; `chart_with_data` shows one with an
expander holding the same numbers as a table and a CSV download. Plotly reads a few HTML tags in
labels, so text that may come from users (names, products) goes through `_text` first.

Plotly express takes about a tenth of a second to build even a twelve-point chart, on every rerun
of a page; a figure built from the same data and options is rebuilt from its kept description
instead (a few milliseconds), see `_reused`.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core.services.exports import spreadsheet_safe

HEIGHT = 380
_NOT_A_NAME = re.compile(r"[^a-z0-9]+")


KEPT_FIGURES = 64
KEPT_ROWS = 5000  # larger frames are not worth hashing and keeping
_figures: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_figures_lock = threading.Lock()


def _fingerprint(value: Any) -> Any:
    """A hashable stand-in for an argument; frames by their content (TypeError if not hashable)."""
    if isinstance(value, (pd.DataFrame, pd.Series)):
        if len(value) > KEPT_ROWS:
            raise TypeError("too large to keep")
        frame = value if isinstance(value, pd.DataFrame) else value.to_frame()
        digest = hashlib.sha1(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        return (type(value).__name__, tuple(map(str, frame.columns)), tuple(map(str, frame.dtypes)),
                digest.hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(_fingerprint(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((str(key), _fingerprint(item)) for key, item in value.items()))
    hash(value)
    return value


def _reused(build: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Keep the description of each figure `build` makes, keyed by its arguments' content."""

    @functools.wraps(build)
    def wrapper(*args: Any, **kwargs: Any) -> go.Figure:
        try:
            key = (build.__name__, _fingerprint(args), _fingerprint(kwargs))
        except TypeError:  # unhashable cells, or a large frame: build it
            return build(*args, **kwargs)
        with _figures_lock:
            kept = _figures.get(key)
            if kept is not None:
                _figures.move_to_end(key)
        if kept is not None:
            return go.Figure(kept)
        figure = build(*args, **kwargs)
        with _figures_lock:
            _figures[key] = figure.to_dict()
            while len(_figures) > KEPT_FIGURES:
                _figures.popitem(last=False)
        return figure

    return wrapper


def _text(values: Any) -> list[str]:
    """Labels as inert text: plotly would otherwise read <b>, <a href=...> and the like as markup."""
    return [html.escape(str(value), quote=False) for value in values]


def _layout(figure: go.Figure, title: str | None = None, height: int = HEIGHT) -> go.Figure:
    figure.update_layout(title=title, height=height, margin={"l": 10, "r": 10, "t": 40 if title else 10,
                                                                "b": 10})
    return figure


@_reused
def funnel(stages: Sequence[Any], counts: Sequence[int], title: str | None = None) -> go.Figure:
    """Deals per stage, each bar labelled with its count and its share of the previous and first."""
    trace = go.Funnel(y=_text(stages), x=[int(c) for c in counts],
                      textinfo="value+percent previous+percent initial")
    return _layout(go.Figure(trace), title)


@_reused
def bar(frame: pd.DataFrame, x: str, y: str, *, title: str | None = None, color: str | None = None,
        horizontal: bool = False, percent: bool = False, labels: dict[str, str] | None = None) -> go.Figure:
    """Bars of `y` per `x` (or per `y` along `x` when horizontal); `percent` formats the value axis."""
    shown = _escaped(frame, [x, y, color] if color else [x, y], keep=y if not horizontal else x)
    figure = px.bar(shown, x=x, y=y, color=color, orientation="h" if horizontal else "v", barmode="group",
                    labels=labels or {})
    if percent:
        (figure.update_xaxes if horizontal else figure.update_yaxes)(tickformat=".0%")
    if horizontal:
        figure.update_yaxes(autorange="reversed", type="category")
    elif not pd.api.types.is_numeric_dtype(frame[x]):
        figure.update_xaxes(type="category")  # "1", "2"… or "2026-01" stay labels, not numbers or dates
    return _layout(figure, title)


@_reused
def line(frame: pd.DataFrame, x: str, y: str, *, title: str | None = None, color: str | None = None,
         percent: bool = False, labels: dict[str, str] | None = None) -> go.Figure:
    shown = _escaped(frame, [x, color] if color else [x], keep=y)
    figure = px.line(shown, x=x, y=y, color=color, markers=True, labels=labels or {})
    figure.update_yaxes(rangemode="tozero")
    if percent:
        figure.update_yaxes(tickformat=".0%")
    return _layout(figure, title)


@_reused
def heatmap(matrix: pd.DataFrame, *, title: str | None = None, x_title: str = "", y_title: str = "",
            percent: bool = True) -> go.Figure:
    """A matrix as coloured cells with the value printed in each; blanks (NaN) stay empty.

    The colour scale stops at the largest value outside the first column, which for retention is
    always 100 % and would otherwise wash out every other cell.
    """
    values = matrix.astype(float)
    rest = values.iloc[:, 1:] if values.shape[1] > 1 else values
    top = float(rest.max().max()) if rest.notna().any().any() else 1.0
    trace = go.Heatmap(z=values.to_numpy(), x=[str(c) for c in values.columns], y=_text(values.index),
                       colorscale="Blues", zmin=0, zmax=top or 1.0, texttemplate="%{z:.0%}" if percent
                       else "%{z:,.0f}", hoverongaps=False, colorbar={"tickformat": ".0%" if percent else ""})
    figure = go.Figure(trace)
    figure.update_yaxes(title=y_title, autorange="reversed", type="category")
    figure.update_xaxes(title=x_title, type="category")
    return _layout(figure, title, height=max(HEIGHT, 22 * len(values) + 80))


@_reused
def treemap(frame: pd.DataFrame, label: str, size: str, *, color: str | None = None, root: str = "All",
            title: str | None = None, hover: Sequence[str] = ()) -> go.Figure:
    """Boxes sized by `size` (rows with 0 left out: a treemap cannot draw them), coloured by `color`."""
    shown = _escaped(frame[frame[size] > 0], [label], keep=size)
    figure = px.treemap(shown, path=[px.Constant(root), label], values=size, color=color,
                        color_continuous_scale="Blues", hover_data=list(hover))
    figure.update_traces(textinfo="label+value+percent root")
    return _layout(figure, title)


def _escaped(frame: pd.DataFrame, columns: Sequence[str | None], keep: str) -> pd.DataFrame:
    """A copy with the text columns among `columns` escaped (`keep` is the value column, untouched)."""
    shown = frame.copy()
    for column in columns:
        if column and column != keep and not pd.api.types.is_numeric_dtype(shown[column]):
            shown[column] = _text(shown[column])
    return shown


def chart_with_data(figure: go.Figure, frame: pd.DataFrame, name: str, *,
                    column_config: dict[str, Any] | None = None) -> None:
    """The chart, then an expander "Data" with the numbers behind it and a CSV download."""
    key = _NOT_A_NAME.sub("-", name.lower()).strip("-")
    st.plotly_chart(figure, key=f"chart:{key}")
    with st.expander("Data", icon=":material/table:"):
        data_table(frame, name, column_config=column_config)


def data_table(frame: pd.DataFrame, name: str, *, column_config: dict[str, Any] | None = None,
               height: int | str = "auto") -> None:
    """A read-only table and its CSV download (named after `name`)."""
    key = _NOT_A_NAME.sub("-", name.lower()).strip("-")
    st.dataframe(frame, hide_index=True, width="stretch", column_config=labelled(frame, column_config),
                 height=height, key=f"table:{key}")
    data = frame.drop(columns=["open"], errors="ignore")  # the contact links of `with_contact_links`
    csv = spreadsheet_safe(data).to_csv(index=False).encode("utf-8")  # no formula runs in Excel
    st.download_button("Download CSV", csv, file_name=f"{key}.csv",
                       mime="text/csv", key=f"csv:{key}", icon=":material/download:", on_click="ignore")


def formats(*, percent: Sequence[str] = (), money: Sequence[str] = (), days: Sequence[str] = (),
            decimals: Sequence[str] = (), labels: dict[str, str] | None = None) -> dict[str, Any]:
    """st.dataframe column settings: shares as %, money in euros, days and ratios with decimals."""
    config: dict[str, Any] = {name: label for name, label in (labels or {}).items()}
    for names, fmt in ((percent, "percent"), (money, "euro"), (days, "%.1f"), (decimals, "%.2f")):
        for name in names:
            label = (labels or {}).get(name, name.replace("_", " ").capitalize())
            config[name] = st.column_config.NumberColumn(label, format=fmt)
    return config


def labelled(frame: pd.DataFrame, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """`config` plus a readable label ("Orders together") for every column it does not set."""
    shown = dict(config or {})
    for name in frame.columns:
        shown.setdefault(str(name), str(name).replace("_", " ").capitalize())
    return shown


def with_contact_links(frame: pd.DataFrame, config: dict[str, Any] | None = None
                       ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """`frame` with an "Open" link to each row's Contact 360 page first, and the column settings."""
    linked = frame.copy()
    linked.insert(0, "open", "contact?id=" + frame["contact_id"].astype(str))
    settings = {**(config or {}), "open": st.column_config.LinkColumn("Contact", display_text="Open"),
                "contact_id": None}  # None hides the raw id: the link carries it
    return linked, settings


def kpis(values: dict[str, str], helps: dict[str, str] | None = None) -> None:
    """A row of headline figures (already formatted)."""
    cells = st.columns(len(values))
    for cell, (label, value) in zip(cells, values.items(), strict=True):
        cell.metric(label, value, help=(helps or {}).get(label), border=True)


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}%}"


def number(value: float | None, digits: int = 0, prefix: str = "") -> str:
    return "—" if value is None or pd.isna(value) else f"{prefix}{value:,.{digits}f}"
