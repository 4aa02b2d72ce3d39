"""The companies grid."""

from app.ui.grid import render_grid
from app.ui.views import VIEWS

render_grid(VIEWS["companies"])
