"""Ask's tests never reach a real model: the openai client's variables are cleared."""

from __future__ import annotations

import pytest

OPENAI_NAMES = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
)


@pytest.fixture(autouse=True)
def _no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OPENAI_NAMES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv("CLOUDOPTIMA__" + name, raising=False)
