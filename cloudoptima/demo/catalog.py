"""Static reference data of the demo estate: prices, SKU limits and service names.

Prices are rounded Azure retail (pay-as-you-go, USD) list prices of 2024-2025 for
East US; the demo charges the same price in every region to keep the arithmetic
checkable. All VMs are priced as Linux or with Azure Hybrid Benefit (no Windows
licence meter), so a VM's price scales linearly with its vCPUs inside a family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

REQUIRED_TAGS: Final = ("env", "team", "costcenter")

# One-year reservation discount off the list price, by VM family.
RESERVATION_DISCOUNT_1Y: Final[dict[str, float]] = {
    "Bs": 0.30,
    "Dsv5": 0.36,
    "Esv5": 0.37,
    "Fsv2": 0.38,
    "NCadsA100v4": 0.35,
}

# Negotiated (EA) discount off list price, by FOCUS ServiceCategory.
NEGOTIATED_DISCOUNT: Final[dict[str, float]] = {
    "Compute": 0.12,
    "Databases": 0.10,
    "Integration": 0.08,
    "Management and Governance": 0.15,
    "Networking": 0.05,
    "Security": 0.05,
    "Storage": 0.06,
    "Web": 0.10,
}


@dataclass(frozen=True)
class VmSize:
    """A VM size with its list price per hour."""

    vcpus: int
    memory_gb: int
    hourly: float
    family: str
    series: str  # the meter subcategory, e.g. "Dsv5 Series"


VM_SIZES: Final[dict[str, VmSize]] = {
    "Standard_B2ms": VmSize(2, 8, 0.0832, "Bs", "BS Series"),
    "Standard_B4ms": VmSize(4, 16, 0.1664, "Bs", "BS Series"),
    "Standard_D2s_v5": VmSize(2, 8, 0.096, "Dsv5", "Dsv5 Series"),
    "Standard_D4s_v5": VmSize(4, 16, 0.192, "Dsv5", "Dsv5 Series"),
    "Standard_D8s_v5": VmSize(8, 32, 0.384, "Dsv5", "Dsv5 Series"),
    "Standard_D16s_v5": VmSize(16, 64, 0.768, "Dsv5", "Dsv5 Series"),
    "Standard_E2s_v5": VmSize(2, 16, 0.126, "Esv5", "Esv5 Series"),
    "Standard_E4s_v5": VmSize(4, 32, 0.252, "Esv5", "Esv5 Series"),
    "Standard_E8s_v5": VmSize(8, 64, 0.504, "Esv5", "Esv5 Series"),
    "Standard_F8s_v2": VmSize(8, 16, 0.338, "Fsv2", "FSv2 Series"),
    "Standard_NC24ads_A100_v4": VmSize(24, 220, 3.673, "NCadsA100v4", "NCadsA100v4 Series"),
}


def half_size(vm_size: str) -> str:
    """Return the size of the same family with half the vCPUs (D8s_v5 -> D4s_v5)."""
    vcpus = VM_SIZES[vm_size].vcpus
    return vm_size.replace(f"{vcpus}", f"{vcpus // 2}", 1)


def meter_name(vm_size: str) -> str:
    """Return the meter name Azure uses for a VM size (Standard_D4s_v5 -> D4s v5)."""
    return vm_size.removeprefix("Standard_").replace("_", " ")


@dataclass(frozen=True)
class DiskTier:
    """A managed-disk performance tier with its provisioned limits and monthly price."""

    name: str
    size_gb: int
    iops: int
    mbps: int
    monthly: float


DISK_TIERS: Final[dict[str, dict[int, DiskTier]]] = {
    "Premium_LRS": {
        128: DiskTier("P10", 128, 500, 100, 19.71),
        256: DiskTier("P15", 256, 1100, 125, 38.02),
        512: DiskTier("P20", 512, 2300, 150, 73.22),
        1024: DiskTier("P30", 1024, 5000, 200, 135.17),
        2048: DiskTier("P40", 2048, 7500, 250, 259.05),
    },
    "StandardSSD_LRS": {
        128: DiskTier("E10", 128, 500, 60, 9.60),
        256: DiskTier("E15", 256, 500, 60, 19.20),
        512: DiskTier("E20", 512, 500, 60, 38.40),
        1024: DiskTier("E30", 1024, 500, 60, 76.80),
        2048: DiskTier("E40", 2048, 500, 60, 153.60),
    },
    "Standard_LRS": {
        128: DiskTier("S10", 128, 500, 60, 5.89),
        256: DiskTier("S15", 256, 500, 60, 11.33),
        512: DiskTier("S20", 512, 500, 60, 21.76),
        1024: DiskTier("S30", 1024, 500, 60, 40.96),
        2048: DiskTier("S40", 2048, 500, 60, 77.83),
    },
}

DISK_SKU_TIER: Final = {"Premium_LRS": "Premium", "StandardSSD_LRS": "StandardSSD"}
DISK_METER_SUBCATEGORY: Final = {
    "Premium_LRS": "Premium SSD Managed Disks",
    "StandardSSD_LRS": "Standard SSD Managed Disks",
    "Standard_LRS": "Standard HDD Managed Disks",
}


def standard_ssd_ratio(size_gb: int) -> float:
    """Return the Standard SSD price as a share of the Premium SSD price of the same size."""
    premium = DISK_TIERS["Premium_LRS"][size_gb].monthly
    return round(DISK_TIERS["StandardSSD_LRS"][size_gb].monthly / premium, 4)


SNAPSHOT_GB_MONTH: Final = 0.05

# DTU databases, cheapest first: (sku, tier, dtus, price per day).
SQL_DTU_LADDER: Final = (
    ("S0", "Standard", 10, 0.4839),
    ("S1", "Standard", 20, 0.9677),
    ("S2", "Standard", 50, 2.4194),
    ("S3", "Standard", 100, 4.8387),
    ("P1", "Premium", 125, 15.0),
)
SQL_SERVERLESS_VCORE_HOUR: Final = 0.5218


def sql_sku(name: str) -> tuple[str, str, int, float]:
    """Return the ladder entry of a DTU SKU."""
    return next(entry for entry in SQL_DTU_LADDER if entry[0] == name)


def sql_step_down(name: str) -> str:
    """Return the next cheaper DTU SKU (one step down the ladder)."""
    names = [entry[0] for entry in SQL_DTU_LADDER]
    return names[names.index(name) - 1]


# App Service plans (Linux): sku -> (tier, price per instance-hour, next cheaper sku).
PLAN_SKUS: Final[dict[str, tuple[str, float, str]]] = {
    "F1": ("Free", 0.0, ""),
    "S1": ("Standard", 0.10, ""),
    "S2": ("Standard", 0.20, "S1"),
    "S3": ("Standard", 0.40, "S2"),
    "P1v3": ("PremiumV3", 0.165, ""),
    "P2v3": ("PremiumV3", 0.33, "P1v3"),
    "P3v3": ("PremiumV3", 0.66, "P2v3"),
}

STORAGE_GB_MONTH: Final = {"Hot": 0.0184, "Cool": 0.0100}
STORAGE_10K_OPERATIONS: Final = {"Hot": 0.0044, "Cool": 0.0100}
PUBLIC_IP_HOUR: Final = 0.005
LOAD_BALANCER_HOUR: Final = 0.025
APP_GATEWAY_HOUR: Final = 0.246
APP_GATEWAY_CAPACITY_UNIT_HOUR: Final = 0.008
PRIVATE_ENDPOINT_HOUR: Final = 0.01
KEY_VAULT_10K_OPERATIONS: Final = 0.03
LOG_ANALYTICS_GB: Final = 2.30
DATA_FACTORY_1K_RUNS: Final = 1.00
DATA_FACTORY_DIU_HOUR: Final = 0.25


@dataclass(frozen=True)
class Service:
    """FOCUS service columns of an ARM resource type (finops-toolkit Services lookup)."""

    name: str
    category: str
    subcategory: str
    resource_type: str  # singular display name (ResourceTypes lookup)
    model: str  # x_ServiceModel


SERVICES: Final[dict[str, Service]] = {
    "microsoft.compute/virtualmachines": Service(
        "Virtual Machines", "Compute", "Virtual Machines", "Virtual machine", "IaaS"
    ),
    "microsoft.compute/virtualmachinescalesets": Service(
        "Virtual Machine Scale Sets",
        "Compute",
        "Virtual Machines",
        "Virtual machine scale set",
        "IaaS",
    ),
    "microsoft.compute/disks": Service(
        "Virtual Machines", "Compute", "Virtual Machines", "Disk", "IaaS"
    ),
    "microsoft.compute/snapshots": Service(
        "Virtual Machines", "Compute", "Virtual Machines", "Snapshot", "IaaS"
    ),
    "microsoft.network/publicipaddresses": Service(
        "Virtual Network", "Networking", "Network Infrastructure", "Public IP address", "IaaS"
    ),
    "microsoft.network/networkinterfaces": Service(
        "Virtual Network", "Networking", "Network Infrastructure", "Network interface", "IaaS"
    ),
    "microsoft.network/virtualnetworks": Service(
        "Virtual Network", "Networking", "Network Infrastructure", "Virtual network", "IaaS"
    ),
    "microsoft.network/loadbalancers": Service(
        "Load Balancer", "Networking", "Application Networking", "Load balancer", "IaaS"
    ),
    "microsoft.network/applicationgateways": Service(
        "Application Gateway",
        "Networking",
        "Application Networking",
        "Application gateway",
        "IaaS",
    ),
    "microsoft.network/privateendpoints": Service(
        "Azure Private Link", "Networking", "Network Connectivity", "Private endpoint", "IaaS"
    ),
    "microsoft.storage/storageaccounts": Service(
        "Storage Accounts", "Storage", "Storage Platforms", "Storage account", "IaaS"
    ),
    "microsoft.web/serverfarms": Service(
        "Azure App Service", "Web", "Application Platforms", "App Service plan", "PaaS"
    ),
    "microsoft.sql/servers": Service(
        "Azure SQL Database", "Databases", "Relational Databases", "SQL server", "PaaS"
    ),
    "microsoft.sql/servers/databases": Service(
        "Azure SQL Database", "Databases", "Relational Databases", "SQL database", "PaaS"
    ),
    "microsoft.keyvault/vaults": Service(
        "Key Vault", "Security", "Secret Management", "Key vault", "PaaS"
    ),
    "microsoft.operationalinsights/workspaces": Service(
        "Azure Monitor",
        "Management and Governance",
        "Observability",
        "Log Analytics workspace",
        "PaaS",
    ),
    "microsoft.datafactory/factories": Service(
        "Azure Data Factory",
        "Integration",
        "Workflow Orchestration",
        "Data factory (V2)",
        "PaaS",
    ),
    "microsoft.capacity/reservationorders/reservations": Service(
        "Azure Reservations", "Management and Governance", "Cost Management", "Reservation", "IaaS"
    ),
}

# Azure region -> (RegionName, meter region as in x_SkuRegion).
REGIONS: Final = {"eastus": ("East US", "US East"), "westeurope": ("West Europe", "EU West")}
