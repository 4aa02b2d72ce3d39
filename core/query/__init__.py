"""The semantic layer: one query engine for grids, dashboards, reports, segments and the assistant."""
