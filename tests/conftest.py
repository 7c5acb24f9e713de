"""Shared fixtures: the real sample files, isolated settings and temporary workspaces."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudoptima import Workspace

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"


@pytest.fixture(scope="session")
def samples() -> Path:
    """``../shared/samples``; a missing folder fails loudly rather than skipping tests."""
    if not SAMPLES.is_dir():
        pytest.fail(f"the real sample files are missing: expected them in {SAMPLES}")
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests away from the developer's workspace and secrets."""
    for name in ("CLOUDOPTIMA_WORKSPACE", "CLOUDOPTIMA__WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new empty workspace."""
    ws = Workspace.open(tmp_path / "ws")
    yield ws
    ws.close()
