"""The LLM is configured by the openai client's own names, from the environment or secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudoptima.ai import llm_config
from cloudoptima.ai.llm import DEFAULT_MODEL
from cloudoptima.settings import load_settings


def user_secrets(text: str) -> None:
    folder = Path.home() / ".cloudoptima"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "secrets.toml").write_text(text, encoding="utf-8")


def test_nothing_configured_means_the_offline_engine() -> None:
    assert llm_config(load_settings()) is None


def test_the_secrets_file_holds_the_same_keys_as_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user_secrets('OPENAI_API_KEY = "sk-from-file"\nOPENAI_MODEL = "file-model"\n\n[auth]\n')
    config = llm_config(load_settings())
    assert config is not None
    assert (config.api_key, config.model, config.base_url) == ("sk-from-file", "file-model", None)
    monkeypatch.setenv("OPENAI_MODEL", "env-model")  # the environment wins over the file
    config = llm_config(load_settings())
    assert config is not None
    assert config.model == "env-model"


def test_a_local_server_needs_only_a_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDOPTIMA__OPENAI_BASE_URL", "http://localhost:11434/v1")
    config = llm_config(load_settings())
    assert config is not None
    assert (config.base_url, config.api_key, config.model) == (
        "http://localhost:11434/v1",
        None,
        DEFAULT_MODEL,
    )


def test_azure_is_configured_by_its_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", "https://x.openai.azure.com")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-key")
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")
    config = llm_config(load_settings())
    assert config is not None
    assert (config.azure_endpoint, config.azure_api_key, config.api_version) == (
        "https://x.openai.azure.com",
        "azure-key",
        "2024-10-21",
    )


def test_keys_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    assert "sk-secret-value" not in repr(load_settings())
