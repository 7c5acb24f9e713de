"""Daily consumed quantities of every billing meter of the demo estate.

One :class:`ChargeLine` is one resource's meter with a quantity per day of the
cost window (numpy arrays, no per-row objects). Prices live on the meter; the
ledger turns quantities into costs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from cloudoptima.demo import catalog as c
from cloudoptima.demo.estate import Estate, HourArray, Resource, hours_between, vm_power

FloatArray = NDArray[np.float64]
MONTHLY_GROWTH = 0.03  # usage-billed services grow 3 % a month


@dataclass(frozen=True)
class Calendar:
    """The days (and hours) of the cost window with per-day attributes."""

    days: NDArray[np.datetime64]
    hours: HourArray
    days_in_month: FloatArray
    weekday: NDArray[np.int64]  # Monday = 0
    months_before_end: FloatArray

    @classmethod
    def between(cls, start: date, end: date) -> Calendar:
        """Return the calendar from ``start`` to ``end`` inclusive."""
        days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
        months = days.astype("datetime64[M]")
        month_days = (months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")
        return cls(
            days=days,
            hours=hours_between(start, end),
            days_in_month=month_days.astype(np.float64),
            weekday=(days.astype(np.int64) + 3) % 7,
            months_before_end=(days[-1] - days).astype(np.float64) / 30.4375,
        )

    def index(self, day: date) -> int:
        """Return the position of ``day`` in the window."""
        return int((np.datetime64(day) - self.days[0]).astype(np.int64))

    def alive(self, resource: Resource) -> FloatArray:
        """Return 1.0 on the days the resource existed, else 0.0."""
        exists = self.days >= np.datetime64(resource.created)
        if resource.removed is not None:
            exists &= self.days < np.datetime64(resource.removed)
        return exists.astype(np.float64)


@dataclass(frozen=True)
class Meter:
    """A price-sheet meter: what is sold, in which unit, at which list price."""

    name: str  # SkuMeter
    description: str  # ChargeDescription (the product name)
    category: str  # x_SkuMeterCategory
    subcategory: str  # x_SkuMeterSubcategory
    family: str  # x_SkuServiceFamily
    unit: str  # ConsumedUnit / PricingUnit
    unit_description: str  # x_PricingUnitDescription
    list_price: float  # per pricing unit (one block)
    block: int = 1  # x_PricingBlockSize
    details: str = ""  # SkuPriceDetails JSON


@dataclass
class ChargeLine:
    """One resource's meter with its consumed quantity per day."""

    resource: Resource
    meter: Meter
    quantity: FloatArray
    mode: str = "standard"  # standard | used | unused | purchase (reservation rows)


# x_SkuServiceFamily of each meter category.
_FAMILIES = {
    "Virtual Machines": "Compute",
    "Azure App Service": "Compute",
    "Storage": "Storage",
    "Virtual Network": "Networking",
    "Load Balancer": "Networking",
    "Application Gateway": "Networking",
    "SQL Database": "Databases",
    "Key Vault": "Security",
    "Log Analytics": "Management and Governance",
    "Azure Data Factory v2": "Integration",
}


def _meter(
    location: str,
    category: str,
    subcategory: str,
    name: str,
    price: float,
    *,
    unit: tuple[str, str, int] = ("Hours", "1 Hour", 1),
    details: str = "",
) -> Meter:
    """Return a meter; ``unit`` is (pricing unit, unit description, block size)."""
    description = f"{category} {subcategory} - {name} - {c.REGIONS[location][1]}"
    family = _FAMILIES[category]
    return Meter(
        name, description, category, subcategory, family, *unit[:2], price, unit[2], details
    )


PER_MONTH = ("Units/Month", "1/Month", 1)
PER_DAY = ("Units/Day", "1/Day", 1)
PER_GB_MONTH = ("GB/Month", "1 GB/Month", 1)
PER_GB = ("GB", "1 GB", 1)
PER_10K = ("Units", "10K", 10_000)
PER_1K = ("Units", "1K", 1000)


def vm_meter(vm_size: str, location: str) -> Meter:
    """Return the compute meter of a VM size."""
    size = c.VM_SIZES[vm_size]
    details = {"x_ServiceType": vm_size, "x_UsageType": "ComputeHR", "x_VCPUs": size.vcpus}
    text = json.dumps(details, separators=(",", ":"))
    name = c.meter_name(vm_size)
    return _meter(location, "Virtual Machines", size.series, name, size.hourly, details=text)


def _usage(
    cal: Calendar,
    rng: np.random.Generator,
    level: float,
    *,
    weekend: float = 1.0,
    growth: float = MONTHLY_GROWTH,
    noise: float = 0.05,
) -> FloatArray:
    """Return a daily usage series that ends near ``level`` (trend, weekly shape, noise)."""
    trend = (1.0 + growth) ** -cal.months_before_end
    week = np.where(cal.weekday >= 5, weekend, 1.0)
    result: FloatArray = level * trend * week * rng.lognormal(0.0, noise, cal.days.size)
    return result


def storage_capacity_gb(account: Resource, cal: Calendar) -> FloatArray:
    """Return the used capacity per day; archives and cool accounts are static."""
    static = account.role == "archive" or account.attrs["tier"] == "Cool"
    growth = 0.0 if static else MONTHLY_GROWTH
    capacity: FloatArray = account.size_gb * (1.0 + growth) ** -cal.months_before_end
    return capacity


def _vm(vm: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    _, billed = vm_power(vm, cal.hours)
    hours = billed.reshape(-1, 24).sum(axis=1).astype(np.float64)
    return [ChargeLine(vm, vm_meter(vm.sku, vm.location), hours)]


def _disk(disk: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    tier = c.DISK_TIERS[disk.sku][disk.size_gb]
    subcategory = c.DISK_METER_SUBCATEGORY[disk.sku]
    name = f"{tier.name} LRS Disk"
    meter = _meter(disk.location, "Storage", subcategory, name, tier.monthly, unit=PER_MONTH)
    return [ChargeLine(disk, meter, cal.alive(disk) / cal.days_in_month)]


def _snapshot(snap: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    subcategory = "Standard HDD Managed Disks"
    price = c.SNAPSHOT_GB_MONTH
    meter = _meter(snap.location, "Storage", subcategory, "LRS Snapshot", price, unit=PER_GB_MONTH)
    return [ChargeLine(snap, meter, snap.size_gb * cal.alive(snap) / cal.days_in_month)]


def _always_on(resource: Resource, cal: Calendar, meter: Meter) -> list[ChargeLine]:
    return [ChargeLine(resource, meter, 24.0 * cal.alive(resource))]


def _public_ip(pip: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    name = "Standard IPv4 Static Public IP"
    meter = _meter(pip.location, "Virtual Network", "IP Addresses", name, c.PUBLIC_IP_HOUR)
    return _always_on(pip, cal, meter)


def _load_balancer(lb: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    name = "Standard Included LB Rules and Outbound Rules"
    meter = _meter(lb.location, "Load Balancer", "Standard", name, c.LOAD_BALANCER_HOUR)
    return _always_on(lb, cal, meter)


def _app_gateway(gw: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    category, subcategory = "Application Gateway", "Standard v2"
    fixed = _meter(gw.location, category, subcategory, "Standard Fixed Cost", c.APP_GATEWAY_HOUR)
    price = c.APP_GATEWAY_CAPACITY_UNIT_HOUR
    units = _meter(gw.location, category, subcategory, "Standard Capacity Units", price)
    capacity_hours = 24.0 * cal.alive(gw) * _usage(cal, rng, gw.usage, weekend=0.7)
    return [*_always_on(gw, cal, fixed), ChargeLine(gw, units, capacity_hours)]


def plan_instances(plan: Resource, cal: Calendar) -> FloatArray:
    """Return the instance count per day; autoscaled plans shrink by one at weekends."""
    weekend = plan.count - 1 if plan.count >= 2 else plan.count
    instances: FloatArray = np.where(cal.weekday >= 5, weekend, plan.count).astype(np.float64)
    return instances


def _plan(plan: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    tier, price, _ = c.PLAN_SKUS[plan.sku]
    if price == 0.0:
        return []  # Free plans produce no charges
    premium = tier == "PremiumV3"
    subcategory = f"{'Premium v3' if premium else tier} Plan - Linux"
    name = f"{plan.sku[:2]} v3 App" if premium else f"{plan.sku} App"
    meter = _meter(plan.location, "Azure App Service", subcategory, name, price)
    return [ChargeLine(plan, meter, 24.0 * cal.alive(plan) * plan_instances(plan, cal))]


def _database(db: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    if db.role == "serverless":
        subcategory = "Single General Purpose - Serverless - Compute Gen5"
        price = c.SQL_SERVERLESS_VCORE_HOUR
        meter = _meter(db.location, "SQL Database", subcategory, "vCore", price)
        vcore_hours = _usage(cal, rng, 22.0, weekend=0.2, noise=0.12)
        return [ChargeLine(db, meter, vcore_hours * cal.alive(db))]
    sku, tier, _, per_day = c.sql_sku(db.sku)
    name = f"{sku} DTUs"
    meter = _meter(db.location, "SQL Database", f"Single {tier}", name, per_day, unit=PER_DAY)
    return [ChargeLine(db, meter, cal.alive(db))]


def _storage(account: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    tier, location = account.attrs["tier"], account.location
    price = c.STORAGE_GB_MONTH[tier]
    name = f"{tier} LRS Data Stored"
    stored = _meter(location, "Storage", "Tiered Block Blob", name, price, unit=PER_GB_MONTH)
    price = c.STORAGE_10K_OPERATIONS[tier]
    name = f"{tier} All Other Operations"
    ops = _meter(location, "Storage", "Tiered Block Blob", name, price, unit=PER_10K)
    alive = cal.alive(account)
    growth = 0.0 if account.role == "archive" else MONTHLY_GROWTH
    operations = np.round(_usage(cal, rng, account.usage, growth=growth, noise=0.08))
    capacity = storage_capacity_gb(account, cal)
    return [
        ChargeLine(account, stored, alive * capacity / cal.days_in_month),
        ChargeLine(account, ops, alive * operations),
    ]


def _key_vault(vault: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    price = c.KEY_VAULT_10K_OPERATIONS
    meter = _meter(vault.location, "Key Vault", "Standard", "Operations", price, unit=PER_10K)
    operations = np.round(_usage(cal, rng, vault.usage, weekend=0.6, noise=0.1))
    return [ChargeLine(vault, meter, operations * cal.alive(vault))]


def _workspace(workspace: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    name, price = "Analytics Logs Data Ingestion", c.LOG_ANALYTICS_GB
    meter = _meter(workspace.location, "Log Analytics", "", name, price, unit=PER_GB)
    gigabytes = _usage(cal, rng, workspace.usage, weekend=0.75, noise=0.06)
    return [ChargeLine(workspace, meter, gigabytes * cal.alive(workspace))]


def _factory(factory: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    category, subcategory = "Azure Data Factory v2", "Data Pipeline"
    name, price = "Cloud Orchestration Activity Run", c.DATA_FACTORY_1K_RUNS
    runs = _meter(factory.location, category, subcategory, name, price, unit=PER_1K)
    name, price = "Cloud Data Movement", c.DATA_FACTORY_DIU_HOUR
    movement = _meter(factory.location, category, subcategory, name, price)
    alive = cal.alive(factory)
    run_count = np.round(_usage(cal, rng, factory.usage, noise=0.06))
    diu_hours = _usage(cal, rng, float(factory.attrs["diu_hours"]))
    return [
        ChargeLine(factory, runs, alive * run_count),
        ChargeLine(factory, movement, alive * diu_hours),
    ]


def _private_endpoint(pe: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    name, price = "Standard Private Endpoint", c.PRIVATE_ENDPOINT_HOUR
    meter = _meter(pe.location, "Virtual Network", "Private Link", name, price)
    return _always_on(pe, cal, meter)


def _scale_set(vmss: Resource, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    # One instance here; the ledger sizes the burst once the baseline spend is known.
    return [ChargeLine(vmss, vm_meter(vmss.sku, vmss.location), 24.0 * cal.alive(vmss))]


LineBuilder = Callable[[Resource, Calendar, np.random.Generator], list[ChargeLine]]

LINE_BUILDERS: dict[str, LineBuilder] = {
    "microsoft.compute/virtualmachines": _vm,
    "microsoft.compute/virtualmachinescalesets": _scale_set,
    "microsoft.compute/disks": _disk,
    "microsoft.compute/snapshots": _snapshot,
    "microsoft.network/publicipaddresses": _public_ip,
    "microsoft.network/loadbalancers": _load_balancer,
    "microsoft.network/applicationgateways": _app_gateway,
    "microsoft.network/privateendpoints": _private_endpoint,
    "microsoft.web/serverfarms": _plan,
    "microsoft.sql/servers/databases": _database,
    "microsoft.storage/storageaccounts": _storage,
    "microsoft.keyvault/vaults": _key_vault,
    "microsoft.operationalinsights/workspaces": _workspace,
    "microsoft.datafactory/factories": _factory,
}


def charge_lines(estate: Estate, cal: Calendar, rng: np.random.Generator) -> list[ChargeLine]:
    """Return the charge lines of every billed resource (free types have none)."""
    lines: list[ChargeLine] = []
    for resource in estate.resources:
        builder = LINE_BUILDERS.get(resource.type)
        if builder is not None:
            lines.extend(builder(resource, cal, rng))
    return lines
