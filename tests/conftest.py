"""Shared fixtures: the real sample files, isolated settings and temporary workspaces."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

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
    ws = Workspace.open(tmp_path_factory.mktemp("demo") / "ws")
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


def copy_workspace(source: Workspace, target: Path) -> Workspace:
    """A private copy of a workspace that a test may change."""
    shutil.copytree(source.root, target, ignore=shutil.ignore_patterns("demo-source", "raw"))
    return Workspace.open(target)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    """A new empty workspace."""
    ws = Workspace.open(tmp_path / "ws")
    yield ws
    ws.close()


FOCUS_HEADER = (
    "BilledCost,EffectiveCost,ListCost,ContractedCost,BillingAccountId,BillingCurrency,"
    "BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,"
    "ResourceId,ServiceName,SubAccountId,SubAccountName,x_ResourceGroupName,Tags"
)


def focus_rows(
    days: range,
    *,
    month: str = "2026-09",
    sub: str = "/subscriptions/00000000-0000-0000-0000-00000000000a",
    cost: float = 10.0,
    currency: str = "USD",
    resources: int = 2,
) -> list[str]:
    """Daily FOCUS rows for ``resources`` resources: one per resource per day."""
    year, mon = (int(x) for x in month.split("-"))
    next_month = f"{year + mon // 12}-{mon % 12 + 1:02d}"
    rows = []
    for day in days:
        for r in range(resources):
            start = f"{month}-{day:02d}T00:00:00Z"
            end = f"{month}-{day + 1:02d}T00:00:00Z" if day < 28 else f"{next_month}-01T00:00:00Z"
            rid = f"{sub}/resourceGroups/RG-App/providers/Microsoft.Compute/virtualMachines/vm{r}"
            tags = '"{""env"": ""prod"", ""team"": ""t' + str(r) + '""}"'
            rows.append(
                f"{cost + r},{cost + r - 1},{cost + r + 2},{cost + r + 1},/providers/Microsoft.Billing/"
                f"billingAccounts/1,{currency},{month}-01T00:00:00Z,{next_month}-01T00:00:00Z,"
                f"{start},{end},Usage,{rid},Virtual Machines,{sub},Prod,RG-App,{tags}"
            )
    return rows


def write_focus(path: Path, rows: list[str], header: str = FOCUS_HEADER) -> Path:
    """Write a small FOCUS CSV export."""
    path.write_text(header + "\n" + "\n".join(rows) + ("\n" if rows else ""), encoding="utf-8")
    return path
