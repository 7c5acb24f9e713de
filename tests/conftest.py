"""Shared fixtures: the real sample files, isolated settings and temporary workspaces."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from helpers import FOCUS_HEADER, copy_workspace, focus_rows, write_focus  # noqa: F401  (re-exported)

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
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))


DEMO_SEED = 7
DEMO_END = date(2026, 11, 24)


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The demo estate (seed 7, data to 2026-11-24), built once per test process.

    Treat it as read-only; tests that change data copy it with ``copy_workspace``.
    """
    ws = Workspace.open(tmp_path_factory.mktemp("demo") / "ws", create=True)
    results = ws.build_demo(seed=DEMO_SEED, end=DEMO_END)
    assert all(r.status == "loaded" for r in results), [r.error for r in results]
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_truth(demo_workspace: Workspace) -> dict[str, Any]:
    """The demo's ground truth: what was planted and the figures rules should report."""
    truth: dict[str, Any] = json.loads(
        (demo_workspace.root / "demo-source" / "ground_truth.json").read_text()
    )
    return truth


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new empty workspace."""
    ws = Workspace.open(tmp_path / "ws", create=True)
    yield ws
    ws.close()
