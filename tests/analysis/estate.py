"""A tiny estate builder for rule tests: inventory, hourly metrics and daily cost.

It writes the real formats (Resource Graph JSON, AzureMetrics CSV, FOCUS CSV) and
ingests them, so rules are tested on exactly what the ingest path produces.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cloudoptima import Workspace

SUB = "00000000-0000-0000-0000-0000000000a1"
END = date(2026, 11, 24)


class Estate:
    """Collects resources, metrics and cost, then builds a workspace from them."""

    def __init__(self, folder: Path, end: date = END) -> None:
        self.folder, self.end = folder, end
        self.resources: list[dict[str, Any]] = []
        self.metric_rows: list[list[Any]] = []
        self.cost_rows: list[list[Any]] = []

    def add(
        self,
        arm_type: str,
        name: str,
        *,
        rg: str = "rg-app",
        sku: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        kind: str | None = None,
        managed_by: str | None = None,
        location: str = "eastus",
        **properties: Any,
    ) -> str:
        """Add an inventory resource; return its lower-cased id."""
        provider, _, kind_path = arm_type.partition("/")
        rid = f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{provider}/{kind_path}/{name}"
        self.resources.append(
            {
                "id": rid,
                "name": name.rsplit("/", 1)[-1],
                "type": arm_type.lower(),
                "location": location,
                "resourceGroup": rg,
                "subscriptionId": SUB,
                "tenantId": "t",
                "kind": kind,
                "sku": sku or {},
                "tags": tags
                if tags is not None
                else {"env": "prod", "team": "a", "costcenter": "1"},
                "managedBy": managed_by,
                "properties": properties,
            }
        )
        return rid.lower()

    def vm(
        self, name: str, *, size: str = "Standard_D8s_v5", power: str = "running", **kw: Any
    ) -> str:
        """A VM in the ARG shape with its size and power state."""
        state = {"code": f"PowerState/{power}"}
        return self.add(
            "Microsoft.Compute/virtualMachines",
            name,
            hardwareProfile={"vmSize": size},
            extended={"instanceView": {"powerState": state}},
            **kw,
        )

    def metric(
        self,
        rid: str,
        metric: str,
        value: float | list[float | None],
        *,
        hours: int = 7 * 24,
        per_minute: bool = False,
    ) -> None:
        """Hourly points ending at the last day 23:00; one value for all hours or one per hour
        (``None``: no point that hour, as when the agent or the VM was down).

        ``per_minute`` writes PT1M points instead (the grain ``az monitor metrics list``
        and the AzureMetrics table deliver by default): 60 a hour, each with the hour's
        value as maximum and average and a sixtieth of it as total.
        """
        values = value if isinstance(value, list) else [value] * hours
        last = datetime.combine(self.end, datetime.min.time()) + timedelta(hours=23)
        for i, v in enumerate(values):
            hour = last - timedelta(hours=len(values) - 1 - i)
            if v is None:
                continue
            if not per_minute:
                self._point(rid, metric, hour, "PT1H", v, v)
                continue
            for minute in range(60):
                self._point(rid, metric, hour + timedelta(minutes=minute), "PT1M", v / 60, v)

    def _point(
        self, rid: str, metric: str, ts: datetime, grain: str, total: float, value: float
    ) -> None:
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.metric_rows.append([rid.upper(), metric, stamp, grain, total, 1, value, value, value])

    def cost(
        self,
        rid: str,
        per_day: float,
        *,
        days: int = 30,
        hours: float | None = None,
        unit: str = "Hours",
        pricing: str = "Standard",
        last_day: date | None = None,
        effective: float | None = None,
        currency: str = "USD",
        meter: str = "",
        category: str = "",
        subcategory: str = "",
        commitment: str = "",
    ) -> None:
        """Daily cost rows for ``days`` days ending ``last_day`` (default: the estate end).

        ``per_day`` is the billed cost and ``effective`` the amortized one (default: the
        same); ``meter``, ``category`` and ``subcategory`` fill SkuMeter,
        x_SkuMeterCategory and x_SkuMeterSubcategory, ``commitment`` CommitmentDiscountId.
        """
        last = last_day or self.end
        for offset in range(days):
            day = last - timedelta(days=offset)
            quantity = hours if hours is not None else 24.0
            self.cost_rows.append(
                [
                    rid,
                    day.isoformat(),
                    (day + timedelta(days=1)).isoformat(),
                    per_day,
                    quantity,
                    unit,
                    pricing,
                    per_day if effective is None else effective,
                    currency,
                    meter,
                    category,
                    subcategory,
                    commitment,
                ]
            )

    def workspace(self) -> Workspace:
        """Write the three files and ingest them into a new workspace."""
        ws = Workspace.open(self.folder / "ws", create=True)
        results = ws.ingest(
            [self._inventory(), self._metrics(), self._costs()],
            seen_at=datetime.combine(self.end, datetime.min.time()),
        )
        assert [r.status for r in results] == ["loaded"] * 3, [r.error for r in results]
        return ws

    def _inventory(self) -> Path:
        path = self.folder / "inventory.json"
        page = {
            "count": len(self.resources),
            "data": self.resources,
            "skip_token": None,
            "total_records": len(self.resources),
        }
        path.write_text(json.dumps(page))
        return path

    def _metrics(self) -> Path:
        path = self.folder / "metrics.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "ResourceId",
                    "MetricName",
                    "TimeGenerated",
                    "TimeGrain",
                    "Total",
                    "Count",
                    "Maximum",
                    "Minimum",
                    "Average",
                ]
            )
            writer.writerows(
                self.metric_rows
                or [["/X", "Percentage CPU", "2026-11-24T00:00:00Z", "PT1H", 1, 1, 1, 1, 1]]
            )
        return path

    def _costs(self) -> Path:
        path = self.folder / "costs.csv"
        header = [
            "ResourceId",
            "ChargePeriodStart",
            "ChargePeriodEnd",
            "BilledCost",
            "ConsumedQuantity",
            "ConsumedUnit",
            "PricingCategory",
            "EffectiveCost",
            "BillingCurrency",
            "BillingPeriodStart",
            "ChargeCategory",
            "SubAccountId",
            "SkuMeter",
            "x_SkuMeterCategory",
            "x_SkuMeterSubcategory",
            "CommitmentDiscountId",
        ]
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in self.cost_rows:
                rid, start, end, cost, qty, unit, pricing, effective, currency = row[:9]
                month = start[:7] + "-01"
                writer.writerow(
                    [
                        rid,
                        start,
                        end,
                        cost,
                        qty,
                        unit,
                        pricing,
                        effective,
                        currency,
                        month,
                        "Usage",
                        f"/subscriptions/{SUB}",
                        *row[9:],
                    ]
                )
        return path
