"""Report builder: pick metrics, group-by, filters, period and chart; see it live; save it."""

import streamlit as st

from app.ui.record import md
from app.ui.report_view import CHART_TYPES, show_result
from app.ui.session import current_user, db_session
from core.errors import CRMError
from core.query.catalog import describe_catalog
from core.query.engine import run_query
from core.query.filters import OPERATORS, Filter
from core.query.spec import OrderBy, QuerySpec
from core.services import saved_reports
from core.services.reports import reports_for

PERIODS = (
    "",
    "this month",
    "last month",
    "this quarter",
    "last quarter",
    "this year",
    "last year",
    "year to date",
    "last 30 days",
    "last 12 months",
)

st.title("Reports")
catalog = describe_catalog()
metrics = {item["id"]: item for item in catalog if item["kind"] == "metric"}
state = st.session_state.setdefault(
    "report",
    {"metrics": ["revenue"], "dimensions": ["month"], "filters": [], "period": "this year", "chart": "bar"},
)

with db_session() as session:
    user = current_user(session)
    saved = reports_for(session, user)
    if saved:
        choice = st.selectbox(
            "Open a saved report", [None, *saved], format_func=lambda r: r.name if r else "—"
        )
        if choice is not None and st.button("Open"):
            spec = choice.spec
            state.update(
                metrics=spec["metrics"],
                dimensions=spec.get("dimensions", []),
                filters=spec.get("filters", []),
                period=spec.get("period") or "",
                chart=choice.chart_type,
            )
            st.rerun()

    left, right = st.columns(2)
    state["metrics"] = left.multiselect(
        "Metrics", list(metrics), default=state["metrics"], format_func=lambda m: metrics[m]["label"]
    )
    allowed = sorted({d for m in state["metrics"] for d in metrics[m]["dimensions"]}) or ["month"]
    state["dimensions"] = right.multiselect(
        "Group by", allowed, max_selections=2, default=[d for d in state["dimensions"] if d in allowed]
    )
    cols = st.columns([2, 2, 1])
    period = state["period"] if state["period"] in PERIODS else ""
    state["period"] = cols[0].selectbox(
        "Period", PERIODS, index=PERIODS.index(period), format_func=lambda p: p or "all time"
    )
    state["chart"] = cols[1].radio(
        "Chart", CHART_TYPES, index=CHART_TYPES.index(state["chart"]), horizontal=True
    )
    top = cols[2].number_input("Top N (0 = all)", min_value=0, value=0, step=1)

    with st.expander(f"Filters ({len(state['filters'])})", icon=":material/filter_list:"):
        for number, item in enumerate(list(state["filters"])):
            row = st.columns([6, 1])
            row[0].markdown(f"`{item['field']}` {item['op']} `{item['value']}`")
            if row[1].button("Remove", key=f"report-rm-{number}"):
                state["filters"].pop(number)
                st.rerun()
        with st.form("report-filter", border=False):
            fcols = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
            field = fcols[0].selectbox("Field", [*allowed, "segment"])
            op = fcols[1].selectbox("Condition", OPERATORS)
            value = fcols[2].text_input("Value")
            if fcols[3].form_submit_button("Add"):
                state["filters"].append({"field": field, "op": op, "value": value})
                st.rerun()

    if not state["metrics"]:
        st.info("Pick at least one metric.")
        st.stop()
    try:
        spec = QuerySpec(
            metrics=state["metrics"],
            dimensions=state["dimensions"],
            filters=[Filter(**f) for f in state["filters"]],
            period=state["period"] or None,
            order_by=[OrderBy(name=state["metrics"][0])] if top else [],
            limit=top or None,
        )
        result = run_query(session, spec, user)
    except CRMError as error:
        st.error(str(error))
        st.stop()
    show_result(result, state["chart"], key="builder")

    with st.form("save-report"):
        name = st.text_input("Save this report as")
        shared = st.checkbox("Share with colleagues")
        if st.form_submit_button("Save report"):
            try:
                saved_reports.create(
                    session=session,
                    user=user,
                    data={
                        "name": name,
                        "shared": shared,
                        "chart_type": state["chart"],
                        "spec": spec.model_dump(mode="json"),
                    },
                )
            except CRMError as error:
                st.error(str(error))
            else:
                st.success(f"Saved {md(repr(name))}.")
