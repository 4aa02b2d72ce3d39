"""The assistant: ask in plain language; log calls and reminders by typing a sentence."""

import streamlit as st

from app.ui.chat import ASK_KEY, show_confirmation, show_turn
from app.ui.session import current_user, db_session
from bot.assistant import Assistant
from bot.history import latest_conversation_id, load_conversation
from bot.reply import Turn

CONVERSATION_KEY = "chat:conversation"
EXAMPLES = ("“revenue by month this year”, “win rate by owner”, "
            "“log a call with Maria Rossi: discussed renewal”")

st.title("Assistant")
with db_session() as session:
    user = current_user(session)
    if CONVERSATION_KEY not in st.session_state:  # reopen the person's latest conversation
        st.session_state[CONVERSATION_KEY] = latest_conversation_id(session, user)
    assistant = Assistant(session)
    assistant.conversation_id = st.session_state[CONVERSATION_KEY]
    history = load_conversation(session, user, assistant.conversation_id) if assistant.conversation_id else []

    top = st.columns([5, 1])
    top[0].caption(f"Ask about your customers and sales, e.g. {EXAMPLES}. Every answer shows how it was "
                   "computed; nothing is written until you confirm.")
    if top[1].button("New chat", icon=":material/add_comment:"):
        st.session_state[CONVERSATION_KEY] = assistant.conversation_id = None
        history = []

    for number, turn in enumerate(history):
        show_turn(turn, f"h{number}")

    question = st.chat_input("Ask a question or log an interaction…") or st.session_state.pop(ASK_KEY, None)
    if question:
        show_turn(Turn("user", question), "new-question")
        with st.spinner("Thinking…"):
            reply = assistant.ask(question, user, history)
        st.session_state[CONVERSATION_KEY] = assistant.conversation_id
        show_turn(Turn("assistant", reply.text, reply), "new-reply")
        history = [*history, Turn("user", question), Turn("assistant", reply.text, reply)]

    last = history[-1].reply if history else None
    if last is not None and last.status == "needs_confirmation":
        show_confirmation(f"c{len(history)}")
