"""The assistant's chat page under AppTest: answers with a table and how it was computed, writes only
after the Confirm button, and keeps the conversation in the database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from core.models import Activity, AuditLog, Contact, ConversationMessage, Order, OrderLine, Product
from tests.app.conftest import sign_in


def _world(session: Session, owner_id: int) -> None:
    product = Product(sku="A", name="Alpha", price=10)
    contact = Contact(first_name="Anaïs", last_name="Lefèvre", city="Lyon", owner_id=owner_id)
    session.add_all([product, contact])
    session.flush()
    for number, (month, amount) in enumerate([(3, 100.0), (3, 20.0), (5, 40.0)]):
        order = Order(order_number=f"O{number}", contact_id=contact.id, owner_id=owner_id,
                      ordered_at=datetime(2026, month, 2), status="paid", total=amount)
        session.add(order)
        session.flush()
        session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=1, unit_price=amount))
    session.commit()


def _chat(app_factory, user: str = "sam"):  # type: ignore[no-untyped-def]
    at = sign_in(app_factory(), user)
    at.switch_page("../pages/assistant.py")
    return at.run()


def _ask(at, text: str):  # type: ignore[no-untyped-def]
    at.chat_input[0].set_value(text)
    return at.run()


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_question_gets_the_number_and_how_it_was_computed(app_factory, session, staff) -> None:
    _world(session, staff.id)
    at = _ask(_chat(app_factory), "revenue in March 2026")
    assert not at.exception
    shown = " ".join(md.value for md in at.markdown)
    assert "120" in shown  # 100 + 20 in March; the May order is outside the period
    assert any(expander.label == "How this was computed" for expander in at.expander)
    assert _count(session, ConversationMessage) == 2  # the question and the reply are logged


def test_logging_a_call_waits_for_confirm(app_factory, session, staff) -> None:
    _world(session, staff.id)
    at = _ask(_chat(app_factory), "log a call with Anaïs Lefèvre: discussed the renewal")
    assert not at.exception
    assert _count(session, Activity) == 0  # proposed, not written
    confirm = next(button for button in at.button if button.label == "Confirm")
    at = confirm.click().run()
    assert not at.exception
    session.expire_all()
    activity = session.exec(select(Activity)).one()
    assert (activity.channel, activity.source, activity.owner_id) == ("phone", "assistant", staff.id)
    assert "renewal" in (activity.notes or "") + (activity.subject or "")
    audit = session.exec(select(AuditLog).where(AuditLog.entity == "activities")).one()
    assert audit.source == "assistant" and audit.user_id == staff.id


def test_conversation_is_back_after_signing_in_again(app_factory, session, staff) -> None:
    _world(session, staff.id)
    _ask(_chat(app_factory), "revenue in March 2026")
    at = _chat(app_factory)  # a new browser session
    assert not at.exception
    assert any(text.value == "revenue in March 2026" for text in at.text)
