"""Whether an LLM is configured: OPENAI_API_KEY (and optionally OPENAI_BASE_URL, CRM_LLM_MODEL)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LLMSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    api_key: str | None = Field(default=None, alias="OPENAI_API_KEY")
    base_url: str | None = Field(default=None, alias="OPENAI_BASE_URL")  # Ollama, vLLM, llama.cpp, ...
    model: str = Field(default="gpt-4o-mini", alias="CRM_LLM_MODEL")
    timeout_seconds: float = Field(default=60.0, alias="CRM_LLM_TIMEOUT")


def llm_settings() -> LLMSettings | None:
    """The LLM to use, or None to answer with the offline engine."""
    settings = LLMSettings()
    return settings if settings.api_key else None
