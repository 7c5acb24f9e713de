"""The FinOps toolkit's open data ships with the package and drives the legacy mapping."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.ingest.lookups import LOOKUPS, register_lookups
from cloudoptima.ingest.sqltypes import frame_of
from cloudoptima.reference import open_data

UPSTREAM = {
    "PricingUnits.csv": "ftk_open-data_PricingUnits.csv",
    "Regions.csv": "ftk_open-data_Regions.csv",
    "ResourceTypes.csv": "ftk_open-data_ResourceTypes.csv",
    "Services.csv": "ftk_open-data_Services.csv",
}


@pytest.mark.parametrize("name", sorted(UPSTREAM))
def test_package_data_is_the_toolkit_file_unchanged(samples: Path, name: str) -> None:
    shipped = files("cloudoptima.reference").joinpath("data", name).read_bytes()
    assert shipped == (samples / "lookup" / UPSTREAM[name]).read_bytes()


def test_attribution_names_source_license_and_commits() -> None:
    data = files("cloudoptima.reference").joinpath("data")
    attribution = data.joinpath("ATTRIBUTION.md").read_text(encoding="utf-8")
    facts = (
        "microsoft/finops-toolkit",
        "MIT",
        "236c8c2edf4fa7c659d7f147b01bdc41362cbbc6",  # PricingUnits.csv
        "bc5c18c5f992e5e360175679fcbd83414bf2074e",  # Regions.csv
        "7ec052cff450f8d7564dc8c706c4bb503e1e3e09",  # ResourceTypes.csv, Services.csv
    )
    for fact in facts:
        assert fact in attribution
    assert "Copyright (c) Microsoft Corporation" in data.joinpath(
        "LICENSE-finops-toolkit.txt"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("unit", "block", "name"),
    [
        ("100 Hours", 100.0, "Hours"),
        ("10K", 10000.0, "Units"),  # the old regex read this as 10 of 'K'
        ("1 /Day", 1.0, "Units/Day"),
        ("1 ", 1.0, "Units"),  # upstream keys with a trailing space
        ("1 Hour", 1.0, "Hours"),
        ("10000 /Month", 10000.0, "Units/Month"),
        ("7 Widgets", 7.0, "Widgets"),  # not in the table: the leading number is the block
        ("Widgets", 1.0, "Widgets"),
    ],
)
def test_pricing_units(unit: str, block: float, name: str) -> None:
    assert open_data.pricing_unit(unit) == (block, name)


@pytest.mark.parametrize(
    ("location", "region"),
    [
        ("US East", ("eastus", "East US")),
        ("EastUS", ("eastus", "East US")),
        ("eastus", ("eastus", "East US")),
        ("East US", ("eastus", "East US")),
        ("US East 2", ("eastus2", "East US 2")),
        ("EU West", ("westeurope", "West Europe")),
        ("ae central", ("uaecentral", "UAE Central")),
        ("Unassigned", ("global", "Global")),
        ("Atlantis", None),
    ],
)
def test_region_variants(location: str, region: tuple[str, str] | None) -> None:
    assert open_data.region(location) == region


def test_resource_types_and_services() -> None:
    assert open_data.resource_type_name("Microsoft.Compute/virtualMachines") == "Virtual machine"
    assert open_data.service("Microsoft.Network", "Microsoft.Network/loadBalancers") == (
        "Load Balancer",
        "Networking",
        "Application Networking",
    )
    assert open_data.service("Microsoft.Network", "microsoft.compute/nothing") is None


def test_lookups_are_registered_once_per_connection() -> None:
    con = duckdb.connect()
    register_lookups(con)
    register_lookups(con)  # a second import on the same connection reuses them
    for name, table in LOOKUPS.items():
        count = con.execute(f"SELECT count(*) FROM {name}").fetchone()
        assert count == (table().height,)
    units = frame_of(con, "SELECT * FROM lk_units ORDER BY unit_key")
    assert_frame_equal(units, open_data.pricing_units().sort("unit_key"))


def test_an_export_is_mapped_through_the_lookups(samples: Path, workspace: Workspace) -> None:
    # One row: 3 units of '100 Hours' in 'US East', a Microsoft.Network load balancer.
    [result] = workspace.ingest([samples / "cost-exports" / "opencost_headersets_German.csv"])
    assert result.status == "loaded", result.error
    row = workspace.sql(
        """SELECT x_PricingUnitDescription, x_PricingBlockSize, PricingUnit, PricingQuantity,
                  ConsumedUnit, ConsumedQuantity, RegionId, RegionName, ResourceType,
                  x_ResourceType, ServiceName, ServiceCategory, ServiceSubcategory, BilledCost
           FROM costs"""
    ).row(0, named=True)
    assert row == {
        "x_PricingUnitDescription": "100 Hours",
        "x_PricingBlockSize": 100.0,
        "PricingUnit": "Hours",
        "PricingQuantity": pytest.approx(0.03),
        "ConsumedUnit": "Hours",
        "ConsumedQuantity": 3.0,
        "RegionId": "eastus",
        "RegionName": "East US",
        "ResourceType": "Load balancer",
        "x_ResourceType": "microsoft.network/loadbalancers",
        "ServiceName": "Load Balancer",
        "ServiceCategory": "Networking",
        "ServiceSubcategory": "Application Networking",
        "BilledCost": Decimal("0.075"),
    }
