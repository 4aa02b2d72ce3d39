"""The CRM's domain: models, storage, services, the semantic layer and analytics.

Nothing in here imports Streamlit or LangChain: the same code serves the web app, the CLI and
the assistant.
"""
