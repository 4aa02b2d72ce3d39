"""Admin: pipelines and their stages (order, probability, won/lost)."""

import streamlit as st

from app.ui.grid import render_grid
from app.ui.views import VIEWS

tab_stages, tab_pipelines = st.tabs(["Stages", "Pipelines"])
with tab_stages:
    render_grid(VIEWS["stages"])
with tab_pipelines:
    render_grid(VIEWS["pipelines"])
