"""The FinOps toolkit's open data: pricing units, regions, resource types and services.

Microsoft publishes these lookups with the FinOps toolkit (MIT; see ``data/ATTRIBUTION.md``)
to convert Cost Management exports to FOCUS. They ship unchanged as package data and are
read with :mod:`importlib.resources`, so they work from a wheel as well as a checkout.

Each table is reduced to a lookup frame with one row per normalised key:

* :func:`pricing_units` -- ``UnitOfMeasure`` (trimmed) -> block size and distinct unit
* :func:`regions` -- a location spelling (lower-case, trimmed) -> ``RegionId``, ``RegionName``
* :func:`resource_types` -- lower-case ARM type -> singular display name
* :func:`services` -- lower-case ``ConsumedService`` and ARM type -> FOCUS service columns

Examples
--------
>>> pricing_unit("100 Hours")
(100.0, 'Hours')
>>> region("US East")
('eastus', 'East US')
"""

from __future__ import annotations

import io
import re
from functools import cache
from importlib.resources import files

import polars as pl

_PACKAGE = "cloudoptima.reference"
_LEADING_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*")


@cache
def _read(name: str) -> pl.DataFrame:
    """One open-data CSV as delivered, every cell text."""
    data = files(_PACKAGE).joinpath("data", f"{name}.csv").read_bytes()
    return pl.read_csv(io.BytesIO(data), infer_schema=False, encoding="utf8")


@cache
def pricing_units() -> pl.DataFrame:
    """``unit_key`` (trimmed UnitOfMeasure) -> ``unit_block`` (Float64), ``unit_name``.

    Upstream lists some keys twice, with and without a trailing space ("1" and "1 ");
    both spellings map to the same values, so the trimmed key keeps one row.
    """
    return (
        _read("PricingUnits")
        .select(
            pl.col("UnitOfMeasure").str.strip_chars().alias("unit_key"),
            pl.col("PricingBlockSize").cast(pl.Float64).alias("unit_block"),
            pl.col("DistinctUnits").alias("unit_name"),
        )
        .unique("unit_key", keep="first", maintain_order=True)
    )


@cache
def regions() -> pl.DataFrame:
    """``region_key`` (lower-case location spelling) -> ``region_id``, ``region_name``.

    Every spelling is also listed without spaces ('us east 2' -> 'useast2'), the form
    Azure uses in ``ResourceLocation`` ('EastUS2').
    """
    table = _read("Regions").select(
        pl.col("OriginalValue").str.strip_chars().str.to_lowercase().alias("region_key"),
        pl.col("RegionId").alias("region_id"),
        pl.col("RegionName").alias("region_name"),
    )
    squeezed = table.with_columns(pl.col("region_key").str.replace_all(" ", ""))
    # The region ids themselves ('eastus') are spellings too.
    ids = table.select(pl.col("region_id").alias("region_key"), "region_id", "region_name")
    return pl.concat([table, squeezed, ids]).unique("region_key", keep="first", maintain_order=True)


@cache
def resource_types() -> pl.DataFrame:
    """``type_key`` (lower-case ARM type) -> ``type_name`` (singular display name)."""
    return (
        _read("ResourceTypes")
        .select(
            pl.col("ResourceType").str.to_lowercase().alias("type_key"),
            pl.col("SingularDisplayName").alias("type_name"),
        )
        .unique("type_key", keep="first", maintain_order=True)
    )


@cache
def services() -> pl.DataFrame:
    """(``service_key``, ``service_type``) -> ``service_name``, ``_category``, ``_subcategory``.

    ``service_key`` is the lower-case ConsumedService ('' when upstream leaves it empty);
    ``service_type`` the lower-case ARM type.
    """
    return (
        _read("Services")
        .select(
            pl.col("ConsumedService").fill_null("").str.to_lowercase().alias("service_key"),
            pl.col("ResourceType").fill_null("").str.to_lowercase().alias("service_type"),
            pl.col("ServiceName").alias("service_name"),
            pl.col("ServiceCategory").alias("service_category"),
            pl.col("ServiceSubcategory").alias("service_subcategory"),
        )
        .unique(["service_key", "service_type"], keep="first", maintain_order=True)
    )


def pricing_unit(unit_of_measure: str) -> tuple[float, str | None]:
    """(block size, distinct unit) of a Cost Management ``UnitOfMeasure``.

    Units the toolkit does not list fall back to splitting a leading number off
    ('7 Widgets' -> (7.0, 'Widgets')), with block size 1 when there is none.
    """
    key = unit_of_measure.strip()
    match = pricing_units().filter(pl.col("unit_key") == key)
    if match.height:
        return float(match["unit_block"][0]), match["unit_name"][0]
    number = _LEADING_NUMBER.match(unit_of_measure)
    rest = unit_of_measure[number.end() :].strip() if number else key
    return (float(number.group(1)) if number else 1.0), (rest or None)


def region(location: str) -> tuple[str, str] | None:
    """(RegionId, RegionName) of a location spelling ('US East', 'EastUS'), or None."""
    key = location.strip().lower()
    match = regions().filter(pl.col("region_key").is_in([key, key.replace(" ", "")]))
    return (match["region_id"][0], match["region_name"][0]) if match.height else None


def resource_type_name(arm_type: str) -> str | None:
    """The singular display name of an ARM type ('Microsoft.Compute/disks' -> 'Disk')."""
    match = resource_types().filter(pl.col("type_key") == arm_type.strip().lower())
    return match["type_name"][0] if match.height else None


def service(consumed_service: str, arm_type: str) -> tuple[str, str, str] | None:
    """(ServiceName, ServiceCategory, ServiceSubcategory) for a consumed service and type."""
    match = services().filter(
        (pl.col("service_key") == consumed_service.strip().lower())
        & (pl.col("service_type") == arm_type.strip().lower())
    )
    if not match.height:
        return None
    row = match.row(0)
    return row[2], row[3], row[4]


__all__ = [
    "pricing_unit",
    "pricing_units",
    "region",
    "regions",
    "resource_type_name",
    "resource_types",
    "service",
    "services",
]
