"""The assistant's evaluation: every question of tests/bot/questions.py asked of the offline
assistant over the world of tests/bot/dataset.py, once per database backend.

Prints the failures and a score line ("assistant eval: 157/162 correct (96.9%), 0 wrong,
5 refused [sqlite]") and requires at least 95% correct and nothing wrong. Wrong is any answer
that is not correct and not a refusal: a wrong figure, a figure where a refusal was due, a write
proposed where a figure was asked, an exception, or any change to the database (the assistant only
proposes writes; nothing is confirmed here).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.assistant import Assistant
from core.models import Activity, Case, Company, Contact, Deal, DealStageHistory, Order, OrderLine, Task, User
from tests.bot.dataset import insert_world
from tests.bot.holdout import holdout_questions, second_holdout
from tests.bot.questions import Question, Verdict, all_questions

PASS_RATE = 0.95
TRACKED = (Contact, Company, Deal, DealStageHistory, Activity, Task, Order, OrderLine, Case)


@dataclass(frozen=True)
class Result:
    question: Question
    verdict: Verdict


@pytest.fixture
def world(engine: Engine, admin: User, manager: User, staff: User, other_staff: User,
          outsider: User) -> dict[str, User]:
    users = {user.username: user for user in (admin, manager, staff, other_staff, outsider)}
    insert_world(engine, users)
    return users


def test_assistant_eval(engine: Engine, world: dict[str, User], capsys: pytest.CaptureFixture[str]) -> None:
    score(engine, world, all_questions(), "assistant eval", capsys)


def test_assistant_holdout(engine: Engine, world: dict[str, User],
                           capsys: pytest.CaptureFixture[str]) -> None:
    """The held-out paraphrases (tests/bot/holdout.py): same bar, reported on a line of its own."""
    score(engine, world, [*holdout_questions(), *second_holdout()], "assistant holdout", capsys)


def score(engine: Engine, users: dict[str, User], questions: list[Question], name: str,
          capsys: pytest.CaptureFixture[str]) -> None:
    """Ask every question, print the failures and the score line, fail below the bar."""
    with Session(engine, expire_on_commit=False) as session:
        assistant = Assistant(session, use_llm=False, log_conversation=False)
        results = run(assistant, session, users, questions)
    counts = Counter(result.verdict.outcome for result in results)
    summary = report(results, engine.dialect.name, name)
    with capsys.disabled():
        print("\n" + summary)
    if counts["wrong"] or counts["correct"] < PASS_RATE * len(results):
        pytest.fail(f"needs at least {PASS_RATE:.0%} correct and nothing wrong:\n{summary}", pytrace=False)


def run(assistant: Assistant, session: Session, users: dict[str, User],
        questions: list[Question]) -> list[Result]:
    """Ask every question on its own (no history), checking the database stays as it was."""
    results = []
    state = fingerprint(session)
    for question in questions:
        verdict = judge(assistant, session, users[question.user], question)
        now = fingerprint(session)
        if now != state:
            verdict = Verdict("wrong", f"the database changed while answering ({verdict.detail})")
            state = now
        results.append(Result(question, verdict))
    return results


def judge(assistant: Assistant, session: Session, user: User, question: Question) -> Verdict:
    try:
        reply = assistant.ask(question.text, user)
    except Exception as error:  # a crash is never a refusal
        session.rollback()
        return Verdict("wrong", f"raised {type(error).__name__}: {error}"[:200])
    return question.check.judge(reply)


def fingerprint(session: Session) -> tuple[Any, ...]:
    """Row counts of the tables a write could touch, soft deletes, and every deal's stage and version."""
    counts = tuple(session.scalar(select(func.count()).select_from(model)) for model in TRACKED)
    deleted = tuple(session.scalar(select(func.count()).where(model.deleted_at.is_not(None)))
                    for model in TRACKED if hasattr(model, "deleted_at"))
    deals = tuple(tuple(row) for row in session.execute(
        select(Deal.id, Deal.stage_id, Deal.status, Deal.version).order_by(Deal.id)))
    return counts, deleted, deals


def report(results: list[Result], backend: str, name: str = "assistant eval") -> str:
    """The failures, wrong ones first, then the score line."""
    counts = Counter(result.verdict.outcome for result in results)
    failed = sorted((r for r in results if r.verdict.outcome != "correct"),
                    key=lambda r: (r.verdict.outcome != "wrong", r.question.intent))
    lines = [f"{'outcome':8} {'user':5} {'intent':28} {'question':60} detail"] if failed else []
    lines += [f"{r.verdict.outcome:8} {r.question.user:5} {r.question.intent[:28]:28} "
              f"{r.question.text[:60]:60} {r.verdict.detail[:160]}" for r in failed]
    total = len(results)
    share = 100 * counts["correct"] / total if total else 0.0
    lines.append(f"{name}: {counts['correct']}/{total} correct ({share:.1f}%), "
                 f"{counts['wrong']} wrong, {counts['refused']} refused [{backend}]")
    return "\n".join(lines)
