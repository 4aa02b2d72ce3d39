"""The automation rule form: trigger, entity, stage, mode, conditions (the views' filter editor) and
the actions editor (list, remove, add an action with its parameters)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from sqlmodel import Session

from app.ui.filter_editor import filter_editor
from core.services.automation import RUN_MODES, TRIGGER_LABELS, TRIGGERS
from core.services.automation_actions import ACTIONS
from core.services.automation_templates import template_fields
from core.services.listing import grid_columns

MODE_LABELS = {"inline": "With the change (a failure cancels it)",
               "queued": "Queued for `crm automation run`"}


def rule_form(session: Session, start: dict[str, Any], key: str, draft: dict[str, Any],
              choices: dict[str, dict[int, str]]) -> dict[str, Any]:
    """The rule's values as the admin sets them; conditions and actions are edited in `draft`."""
    name = st.text_input("Name", value=start.get("name", ""), key=f"rule-name:{key}")
    cols = st.columns(3)
    entities = sorted({entity for allowed in TRIGGERS.values() for entity in allowed})
    entity = cols[0].selectbox("Entity", entities, key=f"rule-entity:{key}",
                               index=entities.index(start.get("entity", "contacts")))
    triggers = [trigger for trigger, allowed in TRIGGERS.items() if entity in allowed]
    trigger = cols[1].selectbox("When", triggers, format_func=TRIGGER_LABELS.get, key=f"rule-trigger:{key}",
                                index=_index(triggers, start.get("trigger")))
    stages = choices["stages"]
    stage_id = None
    if trigger == "stage_entered":
        stage_id = cols[2].selectbox("Stage entered", list(stages), format_func=stages.get,
                                     key=f"rule-stage:{key}",
                                     index=_index(list(stages), start.get("stage_id")))
    run_mode = st.radio("Run", RUN_MODES, horizontal=True, key=f"rule-mode:{key}",
                        format_func=MODE_LABELS.get, index=_index(list(RUN_MODES), start.get("run_mode")))
    active = st.checkbox("Active", value=start.get("active", True), key=f"rule-active:{key}")
    st.subheader("Only if", help="The same filters as in the grid views; without a condition: always.")
    filter_editor(draft["conditions"], grid_columns(session, entity), f"rule:{key}",
                  add_label="Add condition")
    st.subheader("Then")
    actions_editor(draft["actions"], choices, key, template_fields(session, entity))
    return {"name": name, "entity": entity, "trigger": trigger, "stage_id": stage_id, "run_mode": run_mode,
            "active": active, "conditions": draft["conditions"], "actions": draft["actions"]}


def _index(options: list[Any], value: Any) -> int:
    return options.index(value) if value in options else 0


def actions_editor(actions: list[dict[str, Any]], choices: dict[str, dict[int, str]], key: str,
                   fields: list[str]) -> None:
    """Edit `actions` in place (a rule's list of {"type": ..., parameters...})."""
    for number, action in enumerate(list(actions)):
        left, right = st.columns([6, 1])
        left.markdown(f"{number + 1}. **{ACTIONS[action['type']].label}** — {_summary(action, choices)}"
                      if action.get("type") in ACTIONS else f"{number + 1}. {action}")
        if right.button("Remove", key=f"rm-action:{key}:{number}"):
            actions.pop(number)
            st.rerun()
    kind = st.selectbox("Add an action", list(ACTIONS), format_func=lambda k: ACTIONS[k].label,
                        key=f"action-type:{key}")
    params = _params(kind, choices, f"{key}:{kind}", fields)
    if st.button("Add action", key=f"add-action:{key}", icon=":material/add:"):
        actions.append({"type": kind, **params})
        st.rerun()


def _params(kind: str, choices: dict[str, dict[int, str]], key: str, fields: list[str]) -> dict[str, Any]:
    hint = "Record fields in braces, e.g. {" + (fields[0] if fields else "id") + "}"
    if kind == "create_task":
        cols = st.columns([3, 1, 1, 2])
        return {"title": cols[0].text_input("Task title", key=f"title:{key}", help=hint),
                "due_in_days": cols[1].number_input("Due in days", value=1, step=1, key=f"days:{key}"),
                "due_in_hours": cols[2].number_input("and hours", value=0, step=1, key=f"hours:{key}"),
                "assignee": _user(cols[3], "Assign to", choices, f"assignee:{key}", owner=True)}
    if kind == "set_field":
        cols = st.columns(2)
        return {"field": cols[0].selectbox("Field", fields, key=f"field:{key}"),
                "value": cols[1].text_input("Value", key=f"value:{key}")}
    if kind == "assign_owner":
        return {"user_id": _user(st, "New owner", choices, f"user:{key}", owner=False)}
    if kind == "send_email":
        to = st.selectbox("To", ["contact", "owner"], key=f"to:{key}",
                          format_func=lambda v: {"contact": "The contact", "owner": "The record's owner"}[v])
        return {"to": to, "subject": st.text_input("Subject", key=f"subject:{key}", help=hint),
                "body": st.text_area("Body", key=f"body:{key}", help=hint)}
    if kind == "add_to_campaign":
        campaigns = choices["campaigns"]
        return {"campaign_id": st.selectbox("Campaign", list(campaigns), key=f"campaign:{key}",
                                            format_func=lambda c: campaigns[c])}
    return {"to": _user(st, "Notify", choices, f"notify:{key}", owner=True),
            "text": st.text_input("Message", key=f"text:{key}", help=hint)}


def _user(where: Any, label: str, choices: dict[str, dict[int, str]], key: str, owner: bool) -> Any:
    users = choices["users"]
    options: list[Any] = (["owner"] if owner else []) + list(users)
    return where.selectbox(label, options, key=key,
                           format_func=lambda v: "The record's owner" if v == "owner" else users[v])


def _summary(action: dict[str, Any], choices: dict[str, dict[int, str]]) -> str:
    shown = []
    for name, value in action.items():
        if name == "type":
            continue
        if name in ("assignee", "user_id", "to") and isinstance(value, int):
            value = choices["users"].get(value, value)
        elif name == "campaign_id":
            value = choices["campaigns"].get(value, value)
        shown.append(f"{name}: `{value}`")
    return ", ".join(shown)
