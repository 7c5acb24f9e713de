"""Static reference data of the demo estate: prices, SKU limits and service names.

Prices are rounded Azure retail (pay-as-you-go, USD) list prices of 2024-2025 for
East US; the demo charges the same price in every region to keep the arithmetic
checkable. All VMs are priced as Linux or with Azure Hybrid Benefit (no Windows
licence meter), so a VM's price scales linearly with its vCPUs inside a family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cloudoptima.reference import prices

# Prices and limits are the library's reference tables (cloudoptima.reference.prices), so the
# demo charges exactly what the rules price their targets with.
VmSize = prices.VmSize
VM_SIZES = prices.VM_SIZES
RESERVATION_DISCOUNT_1Y = prices.RESERVATION_DISCOUNT_1Y
DiskTier = prices.DiskTier
DISK_TIERS = prices.DISK_TIERS
SNAPSHOT_GB_MONTH = prices.SNAPSHOT_GB_MONTH
SQL_DTU_LADDER = prices.SQL_DTU_LADDER
PLAN_SKUS = prices.APP_SERVICE_PLANS
STORAGE_GB_MONTH = prices.STORAGE_GB_MONTH

REQUIRED_TAGS: Final = ("env", "team", "costcenter")

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


def half_size(vm_size: str) -> str:
    """Return the size of the same family with half the vCPUs (D8s_v5 -> D4s_v5)."""
    vcpus = VM_SIZES[vm_size].vcpus
    return vm_size.replace(f"{vcpus}", f"{vcpus // 2}", 1)


def meter_name(vm_size: str) -> str:
    """Return the meter name Azure uses for a VM size (Standard_D4s_v5 -> D4s v5)."""
    return vm_size.removeprefix("Standard_").replace("_", " ")


DISK_SKU_TIER: Final = {"Premium_LRS": "Premium", "StandardSSD_LRS": "StandardSSD"}
DISK_METER_SUBCATEGORY: Final = {
    "Premium_LRS": "Premium SSD Managed Disks",
    "StandardSSD_LRS": "Standard SSD Managed Disks",
    "Standard_LRS": "Standard HDD Managed Disks",
}


def sql_sku(name: str) -> tuple[str, str, int, float]:
    """Return the ladder entry of a DTU SKU."""
    return next(entry for entry in SQL_DTU_LADDER if entry[0] == name)


def sql_step_down(name: str) -> str:
    """Return the next smaller DTU objective, as the idle_sql_database rule targets."""
    step = prices.sql_step_down(name)
    assert step is not None, name
    return step[0]


SQL_SERVERLESS_VCORE_HOUR: Final = 0.5218


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
