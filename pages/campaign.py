"""Campaign workspace: pick or create a campaign, choose its audience, write and preview the message,
send it (after a confirmation), record responses and see the results."""

from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from app.ui import charts
from app.ui.record import error_text, flash, md, show_flash
from app.ui.session import current_user, db_session
from core.analytics.campaign_report import campaign_results
from core.errors import CRMError
from core.models import Campaign, Contact, User
from core.models.base import CAMPAIGN_CHANNELS
from core.query.filters import OPERATORS
from core.services import campaign_templates as templates
from core.services.campaign_audience import AudienceCounts, add_recipients_from_filter
from core.services.campaign_responses import DELIVERY, RESPONSES, import_responses, record_response
from core.services.campaign_sending import send_campaign
from core.services.campaigns import (
    audience_overview,
    campaigns,
    campaigns_for,
    contact_labels,
    create_campaign,
    recipients_table,
)
from core.services.imports import read_table
from core.services.listing import grid_columns
from core.services.reports import segments_for

SCOPE = "campaign"
PAGE_SIZE = 100


def choose(session: Session, user: User) -> Campaign | None:
    with st.expander("New campaign", icon=":material/add:", expanded=False):
        new_campaign(session, user)
    options = campaigns_for(session, user)
    if not options:
        return None
    ids = [c.id for c in options]
    wanted = st.session_state.get("campaign:id") or st.query_params.get("id")
    index = ids.index(int(wanted)) if wanted and str(wanted).isdigit() and int(wanted) in ids else 0
    labels = {c.id: f"{c.name} · {c.channel} · {c.status}" for c in options}
    chosen = st.selectbox("Campaign", ids, index=index, format_func=labels.__getitem__, key="campaign:pick")
    st.session_state["campaign:id"] = chosen
    return next(c for c in options if c.id == chosen)


def new_campaign(session: Session, user: User) -> None:
    segments = segments_for(session, user)
    with st.form("campaign:new", border=False):
        name = st.text_input("Name")
        channel = st.selectbox("Channel", CAMPAIGN_CHANNELS)
        names = {s.id: s.name for s in segments}
        segment = st.selectbox("Audience: saved segment", [None, *names], key="campaign:new-segment",
                               help="Or leave it empty and add contacts from a filter once it is created.",
                               format_func=lambda i: "— none yet —" if i is None else names[i])
        if st.form_submit_button("Create draft", type="primary"):
            data = {"name": name, "channel": channel, "segment_id": segment}
            try:
                campaign = create_campaign(session=session, user=user, data=data)
            except CRMError as error:
                st.error(error_text(error))
                return
            st.session_state["campaign:id"] = campaign.id
            flash(SCOPE, "success", md(f"Draft campaign {campaign.name!r} created."))
            st.rerun()


def audience_tab(session: Session, user: User, campaign: Campaign, reach: AudienceCounts) -> None:
    names = {s.id: s.name for s in segments_for(session, user)}
    options = [None, *names]
    segment = st.selectbox("Saved segment", options, key=f"campaign:{campaign.id}:segment",
                           index=options.index(campaign.segment_id) if campaign.segment_id in options else 0,
                           format_func=lambda i: "— none —" if i is None else names[i])
    if segment != campaign.segment_id:
        save(session, user, campaign, {"segment_id": segment}, "Audience saved.")
    charts.kpis({"Will receive it": charts.number(reach.eligible),
                 "Already sent": charts.number(reach.already_sent),
                 "Excluded": charts.number(reach.excluded_count)},
                helps={"Excluded": "Unsubscribed, without consent for this channel, without an address or "
                                   "number for it, or not visible to you."})
    if reach.excluded:
        st.dataframe(pd.DataFrame(reach.report()), hide_index=True, key=f"campaign:{campaign.id}:excluded")
    st.markdown("**Add contacts matching a filter**")
    with st.form(f"campaign:{campaign.id}:filter", border=False):
        cols = st.columns([2, 2, 3, 1], vertical_alignment="bottom")
        field = cols[0].selectbox("Field", [*grid_columns(session, "contacts"), "age_band", "segment"])
        op = cols[1].selectbox("Condition", OPERATORS)
        value = cols[2].text_input("Value")
        if cols[3].form_submit_button("Add"):
            act(lambda: add_recipients_from_filter(
                session=session, user=user, campaign_id=campaign.id,
                filters=[{"field": field, "op": op, "value": value}]), "Added {} contact(s).")


def message_tab(session: Session, user: User, campaign: Campaign, sample: list[int]) -> None:
    names = templates.placeholders(session)
    st.caption("Placeholders: " + " ".join(f"`{{{name}}}`" for name in names))
    with st.form(f"campaign:{campaign.id}:message", border=False):
        subject = st.text_input("Subject", campaign.subject or "")
        body = st.text_area("Body", campaign.body or "", height=200)
        if st.form_submit_button("Save message", type="primary"):
            save(session, user, campaign, {"subject": subject, "body": body}, "Message saved.")
    st.markdown("**Preview**")
    labels = contact_labels(session, sample)
    if not labels:
        st.caption("Add an audience to preview the message for a recipient.")
        return
    chosen = st.selectbox("Recipient", list(labels), format_func=labels.__getitem__,
                          key=f"campaign:{campaign.id}:preview")
    try:
        shown = templates.preview(session, subject=campaign.subject, body=campaign.body,
                                  channel=campaign.channel, contact=session.get(Contact, chosen))
    except CRMError as error:
        st.error(error_text(error))
        return
    with st.container(border=True):
        st.markdown(f"**To:** {md(shown.to) or '—'}  \n**Subject:** {md(shown.subject)}")
        st.text(shown.body)


def send_tab(session: Session, user: User, campaign: Campaign, reach: AudienceCounts) -> None:
    count = reach.eligible
    what = {"email": "emails", "sms": "text messages", "phone": "call tasks"}[campaign.channel]
    st.write(f"Sending now creates **{count:,}** {what}; {reach.already_sent:,} recipient(s) were sent "
             f"already and will not be sent again; {reach.excluded_count:,} are excluded.")
    key = f"campaign:{campaign.id}:confirm"
    if not st.session_state.get(key):
        if st.button("Send…", icon=":material/send:", disabled=count == 0, key=f"{key}:ask"):
            st.session_state[key] = True
            st.rerun()
        return
    st.warning(f"Send {md(repr(campaign.name))} to {count:,} contact(s)? This cannot be undone.")
    left, right, _ = st.columns([1, 1, 3])
    if left.button(f"Confirm: send to {count:,}", type="primary", key=f"{key}:yes"):
        st.session_state[key] = False
        bar = st.progress(0.0, "Sending…")
        act(lambda: send_campaign(session=session, user=user, campaign_id=campaign.id,
                                  progress=lambda f: bar.progress(f, "Sending…")), None, sent=True)
    if right.button("Cancel", key=f"{key}:no"):
        st.session_state[key] = False
        st.rerun()


def recipients_tab(session: Session, user: User, campaign: Campaign, reach: AudienceCounts) -> None:
    page = int(st.number_input("Page", min_value=1, value=1, step=1, key=f"campaign:{campaign.id}:page"))
    frame, total = recipients_table(session, user, campaign.id, page=page, page_size=PAGE_SIZE)
    st.caption(f"{total:,} recipient(s) you can see. Change a status or response, then save; 'interested' "
               "creates a follow-up call, 'unsubscribed' unsubscribes the contact.")
    if frame.empty:
        return
    version = st.session_state.get(f"campaign:{campaign.id}:edits", 0)
    key = f"campaign:{campaign.id}:recipients:{page}:{version}"
    st.data_editor(frame, key=key, hide_index=True, width="stretch", disabled=[
        "contact_id", "name", "email", "sent_at", "responded_at"], column_config={
        "contact_id": None,
        "status": st.column_config.SelectboxColumn("Status", options=["pending", "failed", *DELIVERY]),
        "response": st.column_config.SelectboxColumn("Response", options=list(RESPONSES)),
        "note": st.column_config.TextColumn("Note", max_chars=2000)})
    if st.button("Save changes", key=f"{key}:save", type="primary"):
        save_edits(session, user, campaign, frame, st.session_state[key].get("edited_rows", {}))
    upload = st.file_uploader("Import responses (CSV or XLSX: email, status or response, note)",
                              type=["csv", "xlsx"], key=f"campaign:{campaign.id}:upload")
    if upload is not None and st.button("Import", key=f"campaign:{campaign.id}:import"):
        act(lambda: import_responses(session=session, user=user, campaign_id=campaign.id,
                                     frame=read_table(upload, filename=upload.name)), "Imported {} row(s).")


def save_edits(session: Session, user: User, campaign: Campaign, frame: pd.DataFrame,
               edited: dict[Any, dict[str, Any]]) -> None:
    problems, done = [], 0
    for position, changes in edited.items():
        row = frame.iloc[int(position)]
        value = changes.get("response") or changes.get("status") or row["response"] or row["status"]
        try:
            record_response(session=session, user=user, campaign_id=campaign.id,
                            contact_id=int(frame.index[int(position)]), response=value,
                            note=changes.get("note"))
            done += 1
        except CRMError as error:
            problems.append(f"{md(row['name'])}: {md(str(error))}")
    st.session_state[f"campaign:{campaign.id}:edits"] = st.session_state.get(
        f"campaign:{campaign.id}:edits", 0) + 1
    flash(SCOPE, "error" if problems else "success",
          f"Saved {done} change(s)." + (" Not saved: " + "; ".join(problems) if problems else ""))
    st.rerun()


def results_tab(session: Session, user: User, campaign: Campaign, reach: AudienceCounts) -> None:
    results = campaign_results(session, user, campaign.id)
    charts.kpis({"Sent": charts.number(results.sent), "Delivered": charts.number(results.delivered),
                 "Response rate": charts.percent(results.response_rate, 1),
                 "Interested": charts.number(results.answers["interested"]),
                 "Unsubscribed": charts.number(results.answers["unsubscribed"])},
                helps={"Response rate": "Replied or interested, per recipient sent."})
    charts.kpis({f"Deals within {results.window_days} days": charts.number(results.deals),
                 "Deal value": charts.number(results.deal_amount, prefix="€"),
                 "Recipients who ordered": charts.number(results.ordered),
                 "Revenue after": charts.number(results.revenue, prefix="€")},
                helps={"Revenue after": "Orders placed within the window after a recipient was sent the "
                                        "campaign: they followed it, which does not prove it caused them."})
    funnel = results.funnel()
    charts.chart_with_data(charts.bar(funnel, "step", "recipients", title="Recipients at each step",
                                      labels={"step": ""}), funnel, f"campaign {campaign.id} funnel")


def save(session: Session, user: User, campaign: Campaign, changes: dict[str, Any], message: str) -> None:
    act(lambda: campaigns.update(session=session, user=user, record_id=campaign.id, changes=changes,
                                 expected_version=campaign.version), message)


def act(run: Any, message: str | None, sent: bool = False) -> None:
    """Run a use case; flash its outcome (or its error) and rerun so the page shows the new state."""
    try:
        result = run()
    except CRMError as error:
        flash(SCOPE, "error", error_text(error))
    else:
        if sent:
            message = (f"Sent {result.sent:,}; failed {result.failed:,}; call tasks {result.tasks_created:,}."
                       + (" " + md("; ".join(result.errors)) if result.errors else ""))
        elif message and "{}" in message:
            count = getattr(result, "recorded", result)
            message = message.format(count)
        flash(SCOPE, "success", message or "Done.")
    st.rerun()


st.title("Campaign workspace")
with db_session() as session:
    user = current_user(session)
    show_flash(SCOPE)
    campaign = choose(session, user)
    if campaign is None:
        st.info("No campaign yet: create one above.", icon=":material/campaign:")
        st.stop()
    st.caption(f"{campaign.channel} campaign · {campaign.status} · #{campaign.id}")
    try:
        reach, sample = audience_overview(session, user, campaign)
    except CRMError as error:  # e.g. its saved segment was deleted
        st.error(error_text(error))
        reach, sample = AudienceCounts(), []
    tabs = st.tabs(["Audience", "Message", "Send", "Recipients", "Results"])
    for tab, render, what in zip(tabs, (audience_tab, message_tab, send_tab, recipients_tab, results_tab),
                                 (reach, sample, reach, reach, reach), strict=True):
        with tab:
            render(session, user, campaign, what)
