"""The tasks grid."""

from app.ui.grid import render_grid
from app.ui.views import VIEWS

render_grid(VIEWS["tasks"])
