"""Builders shared by the tests: small FOCUS exports and private workspace copies."""

from __future__ import annotations

import shutil
from pathlib import Path

from cloudoptima import Workspace


def copy_workspace(source: Workspace, target: Path) -> Workspace:
    """A private copy of a workspace that a test may change."""
    shutil.copytree(source.root, target, ignore=shutil.ignore_patterns("demo-source", "raw"))
    return Workspace.open(target)


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
