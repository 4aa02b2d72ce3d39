"""Admin: automation rules ("when a deal enters Won, create an onboarding task in 2 days") and their runs."""

import streamlit as st

from app.ui.automation_editor import rule_form
from app.ui.record import md
from app.ui.session import current_user, db_session
from core.errors import CRMError
from core.services import automation_rules
from core.services.automation import describe, editor_choices, list_rules, recent_runs, rule_data

NEW = 0
st.title("Automation rules")
st.caption("Rules run as the admin who made them, inside the change that triggers them (or queued for "
           "`crm automation run`). Task-overdue and SLA rules run from `crm automation run` (cron).")
with db_session() as session:
    user = current_user(session)
    rules = list_rules(session)
    choices = editor_choices(session)
    tab_rules, tab_edit, tab_log = st.tabs(["Rules", "New or edit a rule", "Runs log"])

    with tab_rules:
        if not rules:
            st.info("No rules yet: make one in the next tab.")
        for rule in rules:
            left, right = st.columns([6, 1], vertical_alignment="center")
            left.markdown(f"**{rule.name}** · {rule.run_mode}  \n"
                          f"{describe(rule, choices['stages'].get(rule.stage_id))}")
            active = right.toggle("Active", value=rule.active, key=f"active:{rule.id}")
            if active != rule.active:
                try:
                    automation_rules.update(session=session, user=user, record_id=rule.id,
                                            changes={"active": active})
                except CRMError as error:
                    st.error(str(error))
                else:
                    st.rerun()

    with tab_edit:
        by_id = {rule.id: rule for rule in rules}
        chosen = st.selectbox("Rule", [NEW, *by_id], key="rule-choice",
                              format_func=lambda i: "New rule" if i == NEW else by_id[i].name)
        draft = st.session_state.get("rule-draft")
        if draft is None or draft["id"] != chosen:
            start = rule_data(by_id[chosen]) if chosen != NEW else {"conditions": [], "actions": []}
            # A fresh nonce gives the form fresh widgets (Streamlit keeps a widget's value by key).
            st.session_state["rule-nonce"] = st.session_state.get("rule-nonce", 0) + 1
            draft = {"id": chosen, "nonce": st.session_state["rule-nonce"],
                     "conditions": list(start["conditions"]), "actions": list(start["actions"]),
                     "start": start}
            st.session_state["rule-draft"] = draft
        start, key = draft["start"], f"{chosen}-{draft['nonce']}"
        data = rule_form(session, start, key, draft, choices)
        save, delete = st.columns([1, 5])
        if save.button("Save rule", type="primary", key="save-rule", icon=":material/save:"):
            try:
                if chosen == NEW:
                    automation_rules.create(session=session, user=user, data=data)
                else:
                    automation_rules.update(session=session, user=user, record_id=chosen, changes=data)
            except CRMError as error:
                st.error(str(error))
            else:
                st.session_state.pop("rule-draft")
                st.toast(f"Rule {md(repr(data['name']))} saved.")
                st.rerun()
        if chosen != NEW and delete.button("Delete rule", key="delete-rule"):
            try:
                automation_rules.delete(session=session, user=user, record_id=chosen)
            except CRMError as error:
                st.error(str(error))
            else:
                st.session_state.pop("rule-draft")
                st.rerun()

    with tab_log:
        status = st.selectbox("Status", ["", "ok", "skipped", "failed", "queued"], key="runs-status",
                              format_func=lambda s: s or "All")
        runs = recent_runs(session, user, status=status or None)
        if runs:
            st.dataframe(runs, hide_index=True, column_order=["at", "rule", "entity", "record", "status",
                                                              "message"])
        else:
            st.info("No runs yet.")
