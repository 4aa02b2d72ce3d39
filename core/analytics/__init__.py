"""Analytical CRM: pure functions over narrow pandas frames.

Each module takes the few columns it needs as a DataFrame (read by one SQL query elsewhere) and
returns a DataFrame. Nothing here touches the database, ORM objects or Streamlit, so results are
cheap to cache per data version and easy to test with hand-made frames. Scores and suggestions are
advice for a person; nothing in this package acts on them.
"""
