"""Reference prices and limits used where a saving depends on another SKU's price.

Savings always start from the resource's real cost in the workspace; these tables
only give *ratios* (target price / current price, Cool / Hot), so list prices are
never reported as savings and never mixed with a workspace's own currency. Prices are
rounded Azure retail pay-as-you-go USD prices (Linux, East US, 2024-2025, as the
Retail Prices API lists them); REGION_PRICE_FACTOR scales them for other regions.
Commitment discounts are typical Linux figures of the Azure pricing calculator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class VmSize:
    """A VM size: vCPUs, memory, hourly list price (East US) and family."""

    vcpus: int
    memory_gb: int
    hourly: float
    family: str
    series: str  # the meter subcategory, e.g. "Dsv5 Series"


def _family(
    prefix: str,
    suffix: str,
    family: str,
    series: str,
    per_vcpu: float,
    gb_per_vcpu: int,
    sizes: tuple[int, ...],
) -> dict[str, VmSize]:
    return {
        f"Standard_{prefix}{n}{suffix}": VmSize(
            n, n * gb_per_vcpu, round(n * per_vcpu, 4), family, series
        )
        for n in sizes
    }


def _b_v2(prefix: str, family: str, per_gb: float) -> dict[str, VmSize]:
    """B-series v2: per size a low-memory (``ls``/``als``) and a standard (``s``/``as``) variant;
    the price follows the memory (retail: B2s_v2 0.0832, B2ls_v2 0.0416, B2ts_v2 0.0104)."""
    sizes: dict[str, VmSize] = {}
    series = f"{family} Series"
    letter = prefix[1:]  # "" for Bsv2, "a" for Basv2
    sizes[f"Standard_B2{letter}ts_v2"] = VmSize(2, 1, round(per_gb * 1, 4), family, series)
    for vcpus in (2, 4, 8, 16, 32):
        for variant, memory in ((f"{letter}ls", vcpus * 2), (f"{letter}s", vcpus * 4)):
            sizes[f"Standard_B{vcpus}{variant}_v2"] = VmSize(
                vcpus, memory, round(per_gb * memory, 4), family, series
            )
    return sizes


_SIZES_2_TO_64 = (2, 4, 8, 16, 32, 48, 64)
_SIZES_2_TO_96 = (2, 4, 8, 16, 32, 48, 64, 96)
_E_SIZES = (2, 4, 8, 16, 20, 32, 48, 64)

VM_SIZES: Final[dict[str, VmSize]] = {
    "Standard_B1s": VmSize(1, 1, 0.0104, "Bs", "BS Series"),
    "Standard_B1ms": VmSize(1, 2, 0.0207, "Bs", "BS Series"),
    "Standard_B2s": VmSize(2, 4, 0.0416, "Bs", "BS Series"),
    **_family("B", "ms", "Bs", "BS Series", 0.0416, 4, (2, 4, 8)),
    **_b_v2("B", "Bsv2", 0.0104),
    **_b_v2("Ba", "Basv2", 0.0094),
    **_family("D", "s_v3", "Dsv3", "Dsv3 Series", 0.048, 4, _SIZES_2_TO_64),
    **_family("D", "s_v4", "Dsv4", "Dsv4 Series", 0.048, 4, _SIZES_2_TO_64),
    **_family("D", "as_v4", "Dasv4", "Dasv4 Series", 0.048, 4, _SIZES_2_TO_96),
    **_family("D", "s_v5", "Dsv5", "Dsv5 Series", 0.048, 4, _SIZES_2_TO_64),
    **_family("D", "ds_v5", "Ddsv5", "Ddsv5 Series", 0.0565, 4, _SIZES_2_TO_96),
    **_family("D", "as_v5", "Dasv5", "Dasv5 Series", 0.043, 4, _SIZES_2_TO_64),
    **_family("E", "s_v3", "Esv3", "Esv3 Series", 0.063, 8, _E_SIZES),
    "Standard_E64s_v3": VmSize(64, 432, 4.032, "Esv3", "Esv3 Series"),
    **_family("E", "_v4", "Ev4", "Ev4 Series", 0.063, 8, _E_SIZES),
    "Standard_E64_v4": VmSize(64, 504, 4.032, "Ev4", "Ev4 Series"),
    **_family("E", "s_v4", "Esv4", "Esv4 Series", 0.063, 8, _E_SIZES),
    "Standard_E64s_v4": VmSize(64, 504, 4.032, "Esv4", "Esv4 Series"),
    **_family("E", "_v5", "Ev5", "Ev5 Series", 0.063, 8, (*_E_SIZES, 96)),
    "Standard_E96_v5": VmSize(96, 672, 6.048, "Ev5", "Ev5 Series"),
    **_family("E", "s_v5", "Esv5", "Esv5 Series", 0.063, 8, _SIZES_2_TO_64),
    **_family("E", "as_v5", "Easv5", "Easv5 Series", 0.0565, 8, (*_E_SIZES, 96)),
    "Standard_E96as_v5": VmSize(96, 672, 5.424, "Easv5", "Easv5 Series"),
    **_family("F", "s_v2", "Fsv2", "FSv2 Series", 0.04225, 2, (2, 4, 8, 16, 32, 48, 64)),
    "Standard_NC24ads_A100_v4": VmSize(24, 220, 3.673, "NCadsA100v4", "NCadsA100v4 Series"),
}

# Windows Server licence included in pay-as-you-go Windows VM prices, per vCPU-hour
# (retail: D2s_v5 Windows 0.188 against Linux 0.096). Reservations and savings plans
# discount the compute only, so the licence share is kept out of their base.
WINDOWS_LICENCE_PER_VCPU_HOUR: Final = 0.046


def compute_share_of_windows_price(size: str) -> float | None:
    """Linux compute price / Windows price of a size: the part a commitment discounts."""
    known = VM_SIZES.get(size)
    if known is None:
        return None
    return known.hourly / (known.hourly + WINDOWS_LICENCE_PER_VCPU_HOUR * known.vcpus)


# Relative price of the same SKU by region (East US = 1.0); unknown regions count as 1.0.
REGION_PRICE_FACTOR: Final[dict[str, float]] = {
    "eastus": 1.0,
    "eastus2": 1.0,
    "westus2": 1.0,
    "centralus": 1.05,
    "westus": 1.1,
    "northeurope": 1.06,
    "westeurope": 1.12,
    "uksouth": 1.14,
    "francecentral": 1.15,
    "germanywestcentral": 1.15,
    "swedencentral": 1.06,
    "switzerlandnorth": 1.3,
    "canadacentral": 1.09,
    "australiaeast": 1.27,
    "japaneast": 1.28,
    "southeastasia": 1.2,
    "centralindia": 1.06,
    "brazilsouth": 1.56,
}

# One-year reservation discount off the list price, by VM family (Azure pricing
# calculator, Linux, typical).
RESERVATION_DISCOUNT_1Y: Final[dict[str, float]] = {
    "Bs": 0.30,
    "Bsv2": 0.30,
    "Basv2": 0.30,
    "Dsv3": 0.37,
    "Dsv4": 0.36,
    "Dasv4": 0.37,
    "Dsv5": 0.36,
    "Ddsv5": 0.36,
    "Dasv5": 0.36,
    "Esv3": 0.37,
    "Ev4": 0.37,
    "Esv4": 0.37,
    "Ev5": 0.37,
    "Esv5": 0.37,
    "Easv5": 0.37,
    "Fsv2": 0.38,
    "NCadsA100v4": 0.35,
}
DEFAULT_RESERVATION_DISCOUNT_1Y: Final = 0.30
# Three-year reservations: a little under twice the one-year discount.
RESERVATION_DISCOUNT_3Y: Final[dict[str, float]] = {
    family: round(min(0.62, discount * 1.65), 2)
    for family, discount in RESERVATION_DISCOUNT_1Y.items()
}
DEFAULT_RESERVATION_DISCOUNT_3Y: Final = 0.50
# Compute savings plans: shallower than a reservation of the same term, but they follow
# the usage across sizes, families and regions (Azure pricing calculator, typical).
SAVINGS_PLAN_DISCOUNT_1Y: Final[dict[str, float]] = {
    family: round(discount * 0.72, 2) for family, discount in RESERVATION_DISCOUNT_1Y.items()
}
DEFAULT_SAVINGS_PLAN_DISCOUNT_1Y: Final = 0.20
SAVINGS_PLAN_DISCOUNT_3Y: Final[dict[str, float]] = {
    family: round(discount * 0.8, 2) for family, discount in RESERVATION_DISCOUNT_3Y.items()
}
DEFAULT_SAVINGS_PLAN_DISCOUNT_3Y: Final = 0.40


def commitment_discounts(family: str | None, years: int) -> tuple[float, float]:
    """(reservation discount, compute savings plan discount) of a VM family for a term."""
    if years == 3:
        return (
            RESERVATION_DISCOUNT_3Y.get(family or "", DEFAULT_RESERVATION_DISCOUNT_3Y),
            SAVINGS_PLAN_DISCOUNT_3Y.get(family or "", DEFAULT_SAVINGS_PLAN_DISCOUNT_3Y),
        )
    return (
        RESERVATION_DISCOUNT_1Y.get(family or "", DEFAULT_RESERVATION_DISCOUNT_1Y),
        SAVINGS_PLAN_DISCOUNT_1Y.get(family or "", DEFAULT_SAVINGS_PLAN_DISCOUNT_1Y),
    )


def vm_price(size: str, region: str | None = None) -> float | None:
    """Hourly list price of a size in a region, or None for an unknown size."""
    known = VM_SIZES.get(size)
    if known is None:
        return None
    return known.hourly * REGION_PRICE_FACTOR.get((region or "").lower(), 1.0)


@dataclass(frozen=True)
class DiskTier:
    """A managed-disk performance tier: size, provisioned limits and monthly price."""

    name: str
    size_gb: int
    iops: int
    mbps: int
    monthly: float


DISK_TIERS: Final[dict[str, dict[int, DiskTier]]] = {
    "Premium_LRS": {
        32: DiskTier("P4", 32, 120, 25, 5.28),
        64: DiskTier("P6", 64, 240, 50, 10.21),
        128: DiskTier("P10", 128, 500, 100, 19.71),
        256: DiskTier("P15", 256, 1100, 125, 38.02),
        512: DiskTier("P20", 512, 2300, 150, 73.22),
        1024: DiskTier("P30", 1024, 5000, 200, 135.17),
        2048: DiskTier("P40", 2048, 7500, 250, 259.05),
        4096: DiskTier("P50", 4096, 7500, 250, 495.57),
    },
    "StandardSSD_LRS": {
        32: DiskTier("E4", 32, 500, 60, 2.40),
        64: DiskTier("E6", 64, 500, 60, 4.80),
        128: DiskTier("E10", 128, 500, 60, 9.60),
        256: DiskTier("E15", 256, 500, 60, 19.20),
        512: DiskTier("E20", 512, 500, 60, 38.40),
        1024: DiskTier("E30", 1024, 500, 60, 76.80),
        2048: DiskTier("E40", 2048, 500, 60, 153.60),
        4096: DiskTier("E50", 4096, 500, 60, 307.20),
    },
    "Standard_LRS": {
        32: DiskTier("S4", 32, 500, 60, 1.54),
        64: DiskTier("S6", 64, 500, 60, 3.01),
        128: DiskTier("S10", 128, 500, 60, 5.89),
        256: DiskTier("S15", 256, 500, 60, 11.33),
        512: DiskTier("S20", 512, 500, 60, 21.76),
        1024: DiskTier("S30", 1024, 500, 60, 40.96),
        2048: DiskTier("S40", 2048, 500, 60, 77.83),
        4096: DiskTier("S50", 4096, 500, 60, 154.83),
    },
}


def disk_tier(sku: str, size_gb: float) -> DiskTier | None:
    """The billed tier of a disk: the smallest tier at least ``size_gb`` large."""
    tiers = DISK_TIERS.get(sku, {})
    fitting = [size for size in sorted(tiers) if size >= size_gb]
    return tiers[fitting[0]] if fitting else None


def standard_ssd_ratio(size_gb: float) -> float | None:
    """Standard SSD price as a share of the Premium SSD price for the same size."""
    premium, standard = disk_tier("Premium_LRS", size_gb), disk_tier("StandardSSD_LRS", size_gb)
    if premium is None or standard is None:
        return None
    return round(standard.monthly / premium.monthly, 4)


SNAPSHOT_GB_MONTH: Final = 0.05

# DTU databases, cheapest first: (service objective, edition, DTUs, price per day).
SQL_DTU_LADDER: Final = (
    ("Basic", "Basic", 5, 0.1613),
    ("S0", "Standard", 10, 0.4839),
    ("S1", "Standard", 20, 0.9677),
    ("S2", "Standard", 50, 2.4194),
    ("S3", "Standard", 100, 4.8387),
    ("S4", "Standard", 200, 9.6774),
    ("P1", "Premium", 125, 15.0),
    ("P2", "Premium", 250, 30.0),
    ("P4", "Premium", 500, 60.0),
)


def sql_step_down(objective: str) -> tuple[str, float] | None:
    """(next smaller objective by DTUs, its price / current price), or None at the bottom.

    Ordered by DTUs rather than price, so P1 (125 DTUs) steps down to S3 (100 DTUs),
    not to the cheaper but larger S4.
    """
    ladder = sorted(SQL_DTU_LADDER, key=lambda entry: entry[2])
    names = [entry[0] for entry in ladder]
    if objective not in names or names.index(objective) == 0:
        return None
    index = names.index(objective)
    smaller, current = ladder[index - 1], ladder[index]
    return smaller[0], smaller[3] / current[3]


# App Service plans (Linux): sku -> (tier, price per instance-hour, next cheaper sku).
APP_SERVICE_PLANS: Final[dict[str, tuple[str, float, str]]] = {
    "F1": ("Free", 0.0, ""),
    "D1": ("Shared", 0.013, ""),
    "B1": ("Basic", 0.018, ""),
    "B2": ("Basic", 0.036, "B1"),
    "B3": ("Basic", 0.071, "B2"),
    "S1": ("Standard", 0.10, ""),
    "S2": ("Standard", 0.20, "S1"),
    "S3": ("Standard", 0.40, "S2"),
    "P1v3": ("PremiumV3", 0.165, ""),
    "P2v3": ("PremiumV3", 0.33, "P1v3"),
    "P3v3": ("PremiumV3", 0.66, "P2v3"),
}
FREE_PLAN_TIERS: Final = ("Free", "Shared")
# Cores and memory (GB) of one instance of a dedicated plan SKU.
PLAN_CAPACITY: Final[dict[str, tuple[float, float]]] = {
    "B1": (1, 1.75),
    "B2": (2, 3.5),
    "B3": (4, 7),
    "S1": (1, 1.75),
    "S2": (2, 3.5),
    "S3": (4, 7),
    "P1v3": (2, 8),
    "P2v3": (4, 16),
    "P3v3": (8, 32),
}


def plan_step_down(sku: str) -> tuple[str, float] | None:
    """(next cheaper plan SKU, its price / current price), or None."""
    entry = APP_SERVICE_PLANS.get(sku)
    if entry is None or not entry[2]:
        return None
    return entry[2], APP_SERVICE_PLANS[entry[2]][1] / entry[1]


def plan_capacity_ratio(sku: str, target: str) -> float | None:
    """How many times the load of ``sku`` one instance of ``target`` carries (2.0: half as big).

    The larger of the CPU and memory ratios, since either may be the one that runs out.
    """
    current, smaller = PLAN_CAPACITY.get(sku), PLAN_CAPACITY.get(target)
    if current is None or smaller is None:
        return None
    return max(current[0] / smaller[0], current[1] / smaller[1])


# Blob capacity per GB-month by access tier (LRS, East US).
STORAGE_GB_MONTH: Final[dict[str, float]] = {"Hot": 0.0184, "Cool": 0.0100, "Cold": 0.0036}
# Block-blob operations per 10,000 (LRS, East US): Cool charges more for each.
STORAGE_WRITE_10K: Final[dict[str, float]] = {"Hot": 0.055, "Cool": 0.10}
STORAGE_READ_10K: Final[dict[str, float]] = {"Hot": 0.0044, "Cool": 0.01}
# Data retrieval per GB read back (Hot: none).
STORAGE_RETRIEVAL_GB: Final[dict[str, float]] = {"Hot": 0.0, "Cool": 0.01}
# Cool bills at least this many days per blob: moving or deleting it earlier costs the rest.
COOL_MINIMUM_DAYS: Final = 30
