"""Pipeline board: one column per stage with its deals; move a deal to another stage."""

import streamlit as st

from app.ui.record import money, show_flash, stage_column
from app.ui.session import current_user, db_session
from core.services.overview360 import pipeline_board, pipeline_choices

st.title("Pipeline board")
with db_session() as session:
    user = current_user(session)
    choices = pipeline_choices(session)
    if not choices:
        st.info("There is no pipeline yet: add a deal, or ask an administrator to set up a pipeline.")
        st.stop()
    top = st.columns([2, 1, 3], vertical_alignment="bottom")
    chosen = top[0].selectbox("Pipeline", choices, format_func=lambda p: p.label, key="board:pipeline")
    per_stage = top[1].selectbox("Deals shown per stage", (10, 25, 50), key="board:per-stage")
    board = pipeline_board(session, user, chosen.id, per_stage=per_stage)

show_flash("board")
open_columns = [c for c in board.columns if not (c.stage.is_won or c.stage.is_lost)]
won = [c for c in board.columns if c.stage.is_won]
summary = st.columns(4)
summary[0].metric("Open deals", f"{sum(c.count for c in open_columns):,}")
summary[1].metric("Open pipeline", money(sum(c.amount for c in open_columns)))
summary[2].metric("Weighted pipeline", money(sum(c.amount * c.stage.probability / 100 for c in open_columns)))
summary[3].metric("Won", money(sum(c.amount for c in won)))
stages = [c.stage for c in board.columns]
for column, place in zip(board.columns, st.columns(len(board.columns) or 1, gap="small"), strict=False):
    with place:
        stage_column(column, stages, "board")
