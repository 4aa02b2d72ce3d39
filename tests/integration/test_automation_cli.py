"""`crm automation run`: the sweep from cron, with a summary and exit code 1 when a run failed."""

from __future__ import annotations

from datetime import datetime

from core.models import Task
from tests.integration.automation_support import add_rule, rows


def test_automation_run_fires_overdue_task_rules(cli, engine, session, admin, staff) -> None:
    session.add(Task(title="Late", due_at=datetime(2026, 6, 1), assignee_id=staff.id))
    session.commit()
    add_rule(session, admin, entity="tasks", trigger="task_overdue", actions=[
        {"type": "notify", "to": "owner", "text": "{title} is overdue"}])
    result = cli("automation", "run", "--at", "2026-06-15T09:00")
    assert result.exit_code == 0, result.output
    assert "Rules fired: 1, failed: 0" in result.output
    assert rows(engine, "SELECT user_id, text FROM notifications") == [(staff.id, "Late is overdue")]
    assert "Rules fired: 0" in cli("automation", "run").output


def test_automation_run_exits_1_when_a_run_fails(cli, engine, session, admin) -> None:
    session.add(Task(title="Nobody's", due_at=datetime(2026, 6, 1)))
    session.commit()
    add_rule(session, admin, entity="tasks", trigger="task_overdue", actions=[
        {"type": "set_field", "field": "status", "value": "lost"}])
    result = cli("automation", "run")
    assert result.exit_code == 1
    assert "failed: 1" in result.output and "Settings > Automation" in result.output
    assert rows(engine, "SELECT status FROM automation_runs") == [("failed",)]


def test_automation_run_rejects_a_bad_moment(cli) -> None:
    assert cli("automation", "run", "--at", "tomorrow").exit_code == 2
