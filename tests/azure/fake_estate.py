"""What the fake Azure holds: subscriptions, resources, hourly metrics and daily costs.

Values are functions of the resource, metric and hour or day, so any window a sync
asks for has an answer; the server also records every cost row it served, so tests
compare the workspace with what was actually sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "5a2c1e1b-8f0e-4d8c-9c3a-6f5f2d0c1a11"
SECRET = "s3cr3t-Zq8~vT2pX7wLk9Rm4Hn_pQe"

SUB_PROD = "11111111-1111-4111-8111-111111111111"
SUB_DEV = "22222222-2222-4222-8222-222222222222"
SUB_LOCKED = "33333333-3333-4333-8333-333333333333"  # visible, but every data call is 403
SUBSCRIPTIONS = {SUB_PROD: "Contoso Prod", SUB_DEV: "Contoso Dev", SUB_LOCKED: "Contoso Locked"}

# Effective permissions per subscription (Microsoft.Authorization/permissions).
PERMISSIONS: dict[str, list[dict[str, list[str]]]] = {
    SUB_PROD: [{"actions": ["*/read"], "notActions": []}],
    SUB_DEV: [  # Reader on compute and network, Cost Management Reader; no Monitoring Reader
        {
            "actions": [
                "Microsoft.Compute/*/read",
                "Microsoft.Network/*/read",
                "Microsoft.CostManagement/*/read",
            ],
            "notActions": [],
        }
    ],
    SUB_LOCKED: [],
}


@dataclass(frozen=True)
class Resource:
    """One resource as Resource Graph returns it, plus what the fake serves about it."""

    sub: str
    group: str
    provider: str  # e.g. Microsoft.Compute/virtualMachines
    name: str
    location: str = "westeurope"
    properties: dict[str, Any] = field(default_factory=dict)
    sku: dict[str, Any] | None = None
    managed_by: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    daily_cost: float = 0.0
    service: str = "Virtual Machines"
    meter_category: str = "Virtual Machines"
    reserved: bool = False  # usage covered by a reservation: actual 0, amortized > 0
    cpu_max: float = 50.0
    network_out: float = 5e9
    power_in_graph: bool = True  # False: only the Compute instance view knows it
    power: str = "running"
    no_memory_percentage: bool = False  # this VM does not offer Available Memory Percentage

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.sub}/resourceGroups/{self.group}/providers/{self.provider}/{self.name}"

    @property
    def type(self) -> str:
        return self.provider.lower()

    def graph_row(self) -> dict[str, Any]:
        props = json.loads(json.dumps(self.properties))
        if self.type == "microsoft.compute/virtualmachines" and self.power_in_graph:
            props.setdefault("extended", {})["instanceView"] = {
                "powerState": {"code": f"PowerState/{self.power}", "level": "Info"}
            }
        return {
            "id": self.id,
            "name": self.name,
            "type": self.type,
            "location": self.location,
            "resourceGroup": self.group.lower(),
            "subscriptionId": self.sub,
            "tenantId": TENANT,
            "kind": "",
            "sku": self.sku,
            "tags": self.tags,
            "managedBy": self.managed_by,
            "properties": props,
            "zones": None,
            "identity": None,
            "plan": None,
        }


def _vm(sub: str, name: str, **kwargs: Any) -> Resource:
    props = {"hardwareProfile": {"vmSize": "Standard_D4s_v5"}, "provisioningState": "Succeeded"}
    return Resource(
        sub, "rg-app", "Microsoft.Compute/virtualMachines", name, properties=props, **kwargs
    )


def _disk(sub: str, name: str, state: str, managed_by: str = "", **kwargs: Any) -> Resource:
    props = {
        "diskSizeGB": 128,
        "diskState": state,
        "diskIOPSReadWrite": 500,
        "diskMBpsReadWrite": 100,
    }
    return Resource(
        sub,
        "rg-app",
        "Microsoft.Compute/disks",
        name,
        properties=props,
        sku={"name": "Premium_LRS", "tier": "Premium"},
        managed_by=managed_by,
        service="Storage",
        meter_category="Storage",
        **kwargs,
    )


RESOURCES: tuple[Resource, ...] = (
    _vm(SUB_PROD, "vm-idle", daily_cost=24.0, cpu_max=1.0, network_out=1e6, tags={"env": "prod"}),
    _vm(
        SUB_PROD,
        "vm-busy",
        daily_cost=30.0,
        reserved=True,
        cpu_max=70.0,
        power_in_graph=False,
        no_memory_percentage=True,
        tags={"env": "prod", "team": "web"},
    ),
    _vm(SUB_PROD, "vm-off", daily_cost=0.0, power="deallocated", tags={"env": "prod"}),
    _disk(SUB_PROD, "disk-orphan", "Unattached", daily_cost=4.0, tags={"env": "prod"}),
    _disk(
        SUB_PROD,
        "disk-busy-os",
        "Attached",
        managed_by=f"/subscriptions/{SUB_PROD}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-busy",
        daily_cost=5.0,
    ),
    Resource(
        SUB_PROD,
        "rg-net",
        "Microsoft.Network/publicIPAddresses",
        "pip-orphan",
        properties={"publicIPAllocationMethod": "Static"},
        sku={"name": "Standard"},
        daily_cost=0.12,
        service="Virtual Network",
        meter_category="Virtual Network",
    ),
    Resource(
        SUB_PROD,
        "rg-data",
        "Microsoft.Storage/storageAccounts",
        "stcontoso",
        properties={"accessTier": "Hot"},
        sku={"name": "Standard_LRS"},
        daily_cost=2.5,
        service="Storage",
        meter_category="Storage",
    ),
    _vm(
        SUB_DEV, "vm-dev", daily_cost=12.0, cpu_max=35.0, power_in_graph=False, tags={"env": "dev"}
    ),
    _disk(
        SUB_DEV,
        "disk-dev",
        "Attached",
        managed_by=f"/subscriptions/{SUB_DEV}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-dev",
        daily_cost=3.0,
    ),
    Resource(
        SUB_DEV,
        "rg-net",
        "Microsoft.Network/networkInterfaces",
        "nic-dev",
        properties={"virtualMachine": {"id": "x"}},
        service="Virtual Network",
        meter_category="Virtual Network",
    ),
    _vm(SUB_LOCKED, "vm-locked", daily_cost=50.0),
)

# Reservation purchase and unused hours (subscription Contoso Prod).
PURCHASE = 300.0  # actual cost on the first day of each month
UNUSED_PER_DAY = 1.5  # amortized only

METRIC_UNITS = {
    "Percentage CPU": "Percent",
    "Network Out Total": "Bytes",
    "Network In Total": "Bytes",
}


def resource(resource_id: str) -> Resource | None:
    """The resource with this id (any casing)."""
    for item in RESOURCES:
        if item.id.lower() == resource_id.lower():
            return item
    return None


def metric_point(item: Resource, metric: str, hour: datetime) -> dict[str, float]:
    """The aggregates of one hour: a daily rhythm around the resource's level."""
    wave = (hour.hour % 24) / 23.0
    if metric == "Percentage CPU":
        top = item.cpu_max * (0.5 + 0.5 * wave)
        return {"average": round(top / 2, 4), "maximum": round(top, 4), "minimum": 0.0}
    if metric == "Network Out Total":
        return {"total": round(item.network_out * (0.5 + 0.5 * wave), 1)}
    if metric == "Available Memory Percentage":
        return {"average": 60.0, "maximum": 70.0, "minimum": 50.0}
    return {
        "average": round(10 + 5 * wave, 4),
        "maximum": round(20 + 5 * wave, 4),
        "total": 100.0,
        "count": 60.0,
    }


def cost_rows(sub: str, kind: str, day: date) -> list[dict[str, Any]]:
    """The grouped daily cost rows of one subscription and day (kind: ActualCost | AmortizedCost)."""
    rows = []
    for item in RESOURCES:
        if item.sub != sub or item.daily_cost == 0:
            continue
        cost = 0.0 if (item.reserved and kind == "ActualCost") else item.daily_cost
        rows.append(
            _row(item.id, item, cost, "Usage", "Reservation" if item.reserved else "OnDemand")
        )
    if sub == SUB_PROD and kind == "ActualCost" and day.day == 1:
        rows.append(_row("", None, PURCHASE, "Purchase", "Reservation"))
    if sub == SUB_PROD and kind == "AmortizedCost":
        rows.append(_row("", None, UNUSED_PER_DAY, "UnusedReservation", "Reservation"))
    return rows


def _row(rid: str, item: Resource | None, cost: float, charge: str, model: str) -> dict[str, Any]:
    return {
        "ResourceId": rid.lower(),
        "ServiceName": item.service if item else "Reservations",
        "MeterCategory": item.meter_category if item else "Virtual Machines",
        "ResourceGroupName": item.group.lower() if item else "",
        "ResourceLocation": "West Europe" if item else "",
        "ChargeType": charge,
        "PricingModel": model,
        "Tags": [f'"{k}":"{v}"' for k, v in (item.tags if item else {}).items()],
        "Cost": cost,
        "Currency": "EUR",
    }
