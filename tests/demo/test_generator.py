"""The demo estate generator: real formats, determinism, and a ground truth that holds."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cloudoptima.demo.generator import DemoFiles, generate_demo

SEED = 7
END = date(2025, 6, 18)
FIRST_DAY = date(2024, 6, 1)  # the 1st of the month twelve months before END's month
REQUIRED_TAGS = ("env", "team", "costcenter")
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


@dataclass(frozen=True)
class Generated:
    files: DemoFiles
    seconds: float
    root: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    root = tmp_path_factory.mktemp("demo")
    started = time.perf_counter()
    files = generate_demo(root, seed=SEED, end=END)
    return Generated(files, time.perf_counter() - started, root)


@pytest.fixture(scope="module")
def truth(demo: Generated) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(demo.files.ground_truth.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def graph(demo: Generated) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(demo.files.inventory[0].read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def inventory(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["id"].lower(): row for row in graph["data"]}


@pytest.fixture(scope="module")
def metrics(demo: Generated) -> pl.DataFrame:
    return pl.read_parquet(demo.files.metrics[0])


def _parquet_parts(files: DemoFiles) -> list[Path]:
    return sorted(files.costs[-1].glob("part_*.parquet"))


@pytest.fixture(scope="module")
def costs(demo: Generated) -> duckdb.DuckDBPyConnection:
    """A DuckDB table ``costs`` loaded from every cost file, money as DECIMAL(38, 10)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    csvs = [str(p) for p in demo.files.costs if p.suffix == ".csv"]
    parts = [str(p) for p in _parquet_parts(demo.files)]
    money = ", ".join(
        f"{name}::DECIMAL(38, 10) AS {name}"
        for name in ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
    )
    common = (
        "lower(ResourceId) AS resource_id, SubAccountId, ServiceName, ChargeCategory,"
        " PricingCategory, CommitmentDiscountStatus, x_ResourceType, Tags,"
        f" ConsumedQuantity::DOUBLE AS quantity, {money}"
    )
    con.execute(
        f"CREATE TABLE costs AS "
        f"SELECT {common}, ChargePeriodStart[1:10]::DATE AS day, 'csv' AS source "
        f"FROM read_csv({csvs}, all_varchar = true) "
        f"UNION ALL SELECT {common}, ChargePeriodStart::DATE AS day, 'parquet' AS source "
        f"FROM read_parquet({parts})"
    )
    return con


def _digests(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _findings(truth: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in truth["findings"] if f["rule"] == rule]


def _flagged(truth: dict[str, Any]) -> set[str]:
    return {rid for f in truth["findings"] for rid in _members(f)}


def _members(finding: dict[str, Any]) -> list[str]:
    """The inventory resources a finding stands for: a reservation group lists its VMs."""
    if finding["rule"] == "reservation_candidate":
        members: list[str] = finding["evidence"]["vm_ids"]
        return members
    return [finding["resource_id"]]


# --- speed and determinism ---------------------------------------------------------------


def test_generation_takes_a_few_seconds(demo: Generated) -> None:
    assert demo.seconds < 10


def test_same_seed_and_end_write_identical_bytes(demo: Generated, tmp_path: Path) -> None:
    generate_demo(tmp_path, seed=SEED, end=END)
    assert _digests(tmp_path) == _digests(demo.root)


def test_another_seed_writes_another_estate(
    demo: Generated, truth: dict[str, Any], tmp_path: Path
) -> None:
    other = generate_demo(tmp_path, seed=SEED + 1, end=END)
    other_truth = json.loads(other.ground_truth.read_text(encoding="utf-8"))
    assert other_truth["subscriptions"] != truth["subscriptions"]
    assert other_truth["totals"] != truth["totals"]
    assert _digests(tmp_path) != _digests(demo.root)


# --- layout and formats -------------------------------------------------------------------


def test_files_are_laid_out_like_cost_management_delivers_them(demo: Generated) -> None:
    files = demo.files
    csv_names = [p.name for p in files.costs[:-1]]
    assert csv_names == [f"focuscost_{y}-{m:02d}.csv" for y, m in _months(FIRST_DAY, 12)]
    run = files.costs[-1]
    assert run.parent.name == "20250601-20250630"
    assert run.parent.parent == demo.root / "costs" / "focuscost-export"
    assert re.fullmatch(r"[0-9a-f-]{36}", run.name)
    assert sorted(p.name for p in run.iterdir()) == [
        "manifest.json",
        "part_0_0001.parquet",
        "part_1_0001.parquet",
    ]
    assert files.inventory == [demo.root / "inventory" / "resources.json"]
    assert files.metrics == [demo.root / "metrics" / "azuremetrics.parquet"]
    assert files.as_of == datetime(2025, 6, 19, 2, 0)


def _months(first: date, count: int) -> list[tuple[int, int]]:
    return [
        ((first.month - 1 + i) // 12 + first.year, (first.month - 1 + i) % 12 + 1)
        for i in range(count)
    ]


def test_cost_headers_are_the_microsoft_focus_1_2_export(demo: Generated) -> None:
    # Microsoft's own FocusCost 1.2 column mapping (finops-toolkit ADF schema) is the contract.
    schema = json.loads((SAMPLES / "focus-metadata" / "adf_focuscost_1.2.json").read_text())
    expected = [m["source"]["name"] for m in schema["translator"]["mappings"]]
    for path in demo.files.costs[:-1]:
        with path.open(encoding="utf-8", newline="") as handle:
            assert next(csv.reader(handle)) == expected, path.name
    for part in _parquet_parts(demo.files):
        assert pq.read_schema(part).names == expected


def test_parquet_parts_use_typed_columns(demo: Generated) -> None:
    schema = pq.read_schema(_parquet_parts(demo.files)[0])
    assert pa.types.is_decimal(schema.field("BilledCost").type)
    assert schema.field("ChargePeriodStart").type == pa.timestamp("us", tz="UTC")
    assert schema.field("ConsumedQuantity").type == pa.float64()
    assert schema.field("x_SkuIsCreditEligible").type == pa.bool_()


def test_csv_values_use_export_conventions(demo: Generated) -> None:
    with demo.files.costs[0].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = rows[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", row["ChargePeriodStart"])
    assert row["BillingPeriodStart"] == "2024-06-01T00:00:00Z"
    assert row["BillingPeriodEnd"] == "2024-07-01T00:00:00Z"  # exclusive
    assert row["BillingAccountType"] == "Billing Account"
    assert row["SubAccountType"] == "Subscription"
    assert row["SubAccountId"].startswith("/subscriptions/")
    assert row["BillingAccountId"].startswith("/providers/Microsoft.Billing/billingAccounts/")
    assert all(r["CapacityReservationId"] == "" for r in rows)  # null is an empty field
    tagged = [r for r in rows if r["Tags"]]
    assert all(json.loads(r["Tags"]) for r in tagged)
    assert all(r["Tags"].startswith("{") for r in tagged)
    vm_ids = {
        r["ResourceId"] for r in rows if r["x_ResourceType"] == "microsoft.compute/virtualmachines"
    }
    assert all(
        ("/resourceGroups/RG-" in rid or "/resourceGroups/MC_" in rid)  # MC_: the AKS node group
        and "/Microsoft.Compute/virtualMachines/" in rid
        for rid in vm_ids
    )


def test_manifest_describes_its_blobs(demo: Generated) -> None:
    run = demo.files.costs[-1]
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["exportConfig"]["type"] == "FocusCost"
    assert manifest["exportConfig"]["dataVersion"] == "1.2"
    assert manifest["deliveryConfig"]["fileFormat"] == "Parquet"
    assert manifest["runInfo"]["runId"] == run.name
    assert manifest["runInfo"]["endDate"] == f"{END}T00:00:00"
    assert manifest["blobCount"] == len(manifest["blobs"]) == 2
    for blob in manifest["blobs"]:
        path = run / blob["blobName"].rsplit("/", 1)[1]
        assert blob["blobName"].endswith(f"/{run.parent.name}/{run.name}/{path.name}")
        assert blob["byteCount"] == path.stat().st_size
        assert blob["dataRowCount"] == pq.read_metadata(path).num_rows
    assert manifest["dataRowCount"] == sum(b["dataRowCount"] for b in manifest["blobs"])
    assert manifest["byteCount"] == sum(b["byteCount"] for b in manifest["blobs"])


# --- costs ----------------------------------------------------------------------------------


def test_thirteen_months_of_daily_rows(costs: duckdb.DuckDBPyConnection) -> None:
    days = [d for (d,) in costs.execute("SELECT DISTINCT day FROM costs ORDER BY day").fetchall()]
    assert days == [FIRST_DAY + timedelta(days=i) for i in range((END - FIRST_DAY).days + 1)]
    months = costs.execute("SELECT count(DISTINCT date_trunc('month', day)) FROM costs").fetchone()
    assert months == (13,)
    current = costs.execute("SELECT DISTINCT source FROM costs WHERE day >= DATE '2025-06-01'")
    assert current.fetchall() == [("parquet",)]


def test_totals_equal_the_sums_of_the_files(
    costs: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    row = costs.execute(
        "SELECT count(*), sum(BilledCost), sum(EffectiveCost), sum(ListCost), sum(ContractedCost)"
        " FROM costs"
    ).fetchone()
    assert row is not None
    totals = truth["totals"]
    assert row[0] == totals["rows"]
    assert [float(v) for v in row[1:]] == [
        totals["BilledCost"],
        totals["EffectiveCost"],
        totals["ListCost"],
        totals["ContractedCost"],
    ]


def test_cost_columns_are_ordered_and_consistent(costs: duckdb.DuckDBPyConnection) -> None:
    broken = costs.execute(
        "SELECT count(*) FROM costs WHERE NOT (ListCost >= ContractedCost"
        " AND ContractedCost >= EffectiveCost AND EffectiveCost >= 0)"
    ).fetchone()
    assert broken == (0,)
    categories = costs.execute("SELECT DISTINCT ChargeCategory FROM costs ORDER BY 1").fetchall()
    assert categories == [("Purchase",), ("Usage",)]
    discount = costs.execute(
        "SELECT min(1 - ContractedCost / ListCost), max(1 - ContractedCost / ListCost) FROM costs"
        " WHERE PricingCategory = 'Standard' AND ListCost > 1"
    ).fetchone()
    assert discount is not None
    assert 0.04 < float(discount[0]) <= float(discount[1]) < 0.16


def test_reservation_rows_follow_microsoft_amortization(
    costs: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    purchases = costs.execute(
        "SELECT day, BilledCost, EffectiveCost FROM costs WHERE ChargeCategory = 'Purchase'"
    ).fetchall()
    assert [day.day for day, _, _ in purchases] == [1] * len(purchases)
    assert len(purchases) == 10  # monthly payments since September 2024
    assert all(billed > 0 and effective == 0 for _, billed, effective in purchases)
    used = costs.execute(
        "SELECT resource_id, max(BilledCost), min(EffectiveCost) FROM costs"
        " WHERE CommitmentDiscountStatus = 'Used' GROUP BY 1"
    ).fetchall()
    assert len(used) == 2
    assert all(billed == 0 and effective > 0 for _, billed, effective in used)
    unused = costs.execute(
        "SELECT count(*), max(BilledCost) FROM costs WHERE CommitmentDiscountStatus = 'Unused'"
    ).fetchone()
    assert unused is not None
    assert unused[0] > 0
    assert unused[1] == 0
    candidates = {rid for f in _findings(truth, "reservation_candidate") for rid in _members(f)}
    assert candidates
    assert not candidates & {rid for rid, _, _ in used}


def test_spend_grows_and_follows_the_week(costs: duckdb.DuckDBPyConnection) -> None:
    monthly = costs.execute(
        "SELECT date_trunc('month', day) AS m, sum(EffectiveCost) FROM costs GROUP BY m ORDER BY m"
    ).fetchall()
    growth = float(monthly[-2][1] / monthly[0][1]) ** (1 / 11)
    assert 1.015 < growth < 1.04
    for service in ("Virtual Machines", "Azure App Service", "Azure SQL Database"):
        weekday, weekend = costs.execute(
            "SELECT avg(c) FILTER (WHERE isodow(day) <= 5), avg(c) FILTER (WHERE isodow(day) > 5)"
            " FROM (SELECT day, sum(EffectiveCost) AS c FROM costs WHERE ServiceName = ?"
            " GROUP BY day)",
            [service],
        ).fetchone() or (0, 0)
        assert weekday > weekend, service


def _daily(costs: duckdb.DuckDBPyConnection, dimension: str, value: str) -> dict[date, float]:
    rows = costs.execute(
        f"SELECT day, sum(BilledCost) FROM costs WHERE {dimension} = ? GROUP BY day",
        [value],
    ).fetchall()
    return {day: float(total) for day, total in rows}


def test_anomaly_days_are_three_times_the_surrounding_median(
    costs: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    anomalies = truth["anomalies"]
    assert {a["dimension"] for a in anomalies} == {"ServiceName", "SubAccountId"}
    anomaly_days = {date.fromisoformat(a["date"]) for a in anomalies}
    for anomaly in anomalies:
        daily = _daily(costs, anomaly["dimension"], anomaly["value"])
        day = date.fromisoformat(anomaly["date"])
        around = [
            daily.get(day + timedelta(days=offset), 0.0)
            for offset in range(-14, 15)
            if day + timedelta(days=offset) not in anomaly_days
        ]
        assert daily[day] == pytest.approx(anomaly["actual"], abs=1e-6)
        assert daily[day] >= 3 * float(np.median(around))
        assert anomaly["expected"] == pytest.approx(float(np.median(around)), rel=0.05)
    ages = sorted((END - date.fromisoformat(a["date"])).days for a in anomalies)
    assert 21 <= ages[0] <= 42  # the one-day spike, 3-6 weeks back
    assert 120 <= ages[1] <= ages[-1] <= 150  # the surge, about 4-5 months back
    assert ages[-1] - ages[1] == 2  # three consecutive days


def test_monthly_cost_is_the_last_30_days_of_billed_cost(
    costs: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    rows = costs.execute(
        "SELECT resource_id, sum(BilledCost) FROM costs WHERE day > ? GROUP BY 1",
        [END - timedelta(days=30)],
    ).fetchall()
    billed = {rid: float(total) for rid, total in rows}
    for finding in truth["findings"]:
        cost = sum(billed.get(rid, 0.0) for rid in _members(finding))
        assert cost == pytest.approx(finding["monthly_cost"], abs=1e-6), finding["resource_id"]


def test_deallocated_vms_bill_no_compute_but_their_disks(
    costs: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    for finding in _findings(truth, "long_deallocated_vm"):
        since = date.fromisoformat(truth["deallocated_since"][finding["resource_id"]])
        assert (END - since).days >= 45
        compute = costs.execute(
            "SELECT count(*) FROM costs WHERE resource_id = ? AND day > ?",
            [finding["resource_id"], since],
        ).fetchone()
        assert compute == (0,)
        for disk in finding["evidence"]["disk_ids"]:
            last = costs.execute("SELECT max(day) FROM costs WHERE resource_id = ?", [disk])
            assert last.fetchone() == (END,)
        assert finding["monthly_savings"] == finding["evidence"]["disks_monthly_cost"] > 0


# --- inventory ------------------------------------------------------------------------------


def test_estate_has_three_subscriptions_and_about_300_resources(
    graph: dict[str, Any], truth: dict[str, Any]
) -> None:
    assert set(graph) == {"count", "data", "skip_token", "total_records"}
    rows = graph["data"]
    assert graph["count"] == graph["total_records"] == len(rows) >= 280
    assert len({row["subscriptionId"] for row in rows}) == 3
    assert 18 <= len({(row["subscriptionId"], row["resourceGroup"]) for row in rows}) <= 22
    types = {row["type"] for row in rows}
    assert len(types) >= 10
    assert all(t == t.lower() for t in types)
    assert truth["counts"] == {t: sum(row["type"] == t for row in rows) for t in sorted(types)}
    assert len({row["id"] for row in rows}) == len(rows)


def test_vms_carry_the_fields_the_rules_read(inventory: dict[str, dict[str, Any]]) -> None:
    vms = [row for row in inventory.values() if row["type"] == "microsoft.compute/virtualmachines"]
    for vm in vms:
        props = vm["properties"]
        assert props["hardwareProfile"]["vmSize"].startswith("Standard_")
        code = props["extended"]["instanceView"]["powerState"]["code"]
        assert code in {"PowerState/running", "PowerState/stopped", "PowerState/deallocated"}
        os_disk = props["storageProfile"]["osDisk"]["managedDisk"]["id"].lower()
        assert inventory[os_disk]["managedBy"].lower() == vm["id"].lower()
        for nic in props["networkProfile"]["networkInterfaces"]:
            nic_row = inventory[nic["id"].lower()]
            assert nic_row["properties"]["virtualMachine"]["id"] == vm["id"]


def _power(row: dict[str, Any]) -> str:
    code: str = row["properties"]["extended"]["instanceView"]["powerState"]["code"]
    return code.removeprefix("PowerState/")


def _no_backend_targets(row: dict[str, Any]) -> bool:
    pools = row["properties"]["backendAddressPools"]
    return all(
        not p["properties"]["backendAddresses"] and not p["properties"]["backendIPConfigurations"]
        for p in pools
    )


STATE_CHECKS = {
    "idle_vm": lambda row: _power(row) == "running",
    "rightsize_vm": lambda row: _power(row) == "running",
    "reservation_candidate": lambda row: _power(row) == "running",
    "stopped_vm_not_deallocated": lambda row: _power(row) == "stopped",
    "long_deallocated_vm": lambda row: _power(row) == "deallocated",
    "unattached_disk": lambda row: (
        row["properties"]["diskState"] == "Unattached"
        and row["managedBy"] == ""
        and "ASR-ReplicaDisk" not in row["tags"]
    ),
    "underused_premium_disk": lambda row: (
        row["sku"]["name"] == "Premium_LRS" and row["properties"]["diskState"] == "Attached"
    ),
    "old_snapshot": lambda row: row["type"] == "microsoft.compute/snapshots",
    "orphaned_public_ip": lambda row: (
        "ipConfiguration" not in row["properties"] and "natGateway" not in row["properties"]
    ),
    "orphaned_nic": lambda row: (
        not {"virtualMachine", "privateEndpoint", "privateLinkService"} & set(row["properties"])
    ),
    "idle_load_balancer": lambda row: (
        row["sku"]["name"] == "Standard" and row["properties"]["backendAddressPools"] == []
    ),
    "idle_app_gateway": _no_backend_targets,
    "empty_app_service_plan": lambda row: (
        row["properties"]["numberOfSites"] == 0 and row["sku"]["tier"] != "Free"
    ),
    "underused_app_service_plan": lambda row: row["properties"]["numberOfSites"] > 0,
    "storage_tiering": lambda row: row["properties"]["accessTier"] == "Hot",
    "idle_sql_database": lambda row: (
        row["properties"]["currentServiceObjectiveName"] in {"S1", "S2", "S3", "P1"}
    ),
    "untagged_cost": lambda row: any(tag not in row["tags"] for tag in REQUIRED_TAGS),
}


def test_every_finding_is_in_the_inventory_in_the_state_its_rule_needs(
    inventory: dict[str, dict[str, Any]], truth: dict[str, Any]
) -> None:
    rules = {f["rule"] for f in truth["findings"]}
    assert rules == set(STATE_CHECKS)
    for finding in truth["findings"]:
        rows = [inventory[rid] for rid in _members(finding)]
        for row in rows:
            assert STATE_CHECKS[finding["rule"]](row), (finding["rule"], finding["resource_name"])
        if finding["rule"] == "reservation_candidate":  # one size and region per group
            assert {
                (r["properties"]["hardwareProfile"]["vmSize"], r["location"]) for r in rows
            } == {(finding["evidence"]["vm_size"], finding["evidence"]["location"])}
            continue
        row = rows[0]
        assert finding["subscription_id"] == row["subscriptionId"]
        assert finding["resource_group"].lower() == row["resourceGroup"]
        assert finding["monthly_savings"] <= finding["monthly_cost"] + 1e-9 or finding["rule"] in (
            "long_deallocated_vm",
            "storage_tiering",
        )


def test_planted_counts(truth: dict[str, Any]) -> None:
    counts = {rule: len(_findings(truth, rule)) for rule in STATE_CHECKS}
    assert counts["idle_vm"] == counts["rightsize_vm"] == counts["idle_sql_database"] == 3
    assert counts["unattached_disk"] == counts["old_snapshot"] == 3
    assert counts["stopped_vm_not_deallocated"] == counts["long_deallocated_vm"] == 2
    assert counts["underused_premium_disk"] == counts["storage_tiering"] == 2
    assert counts["orphaned_public_ip"] == counts["orphaned_nic"] == 2
    assert counts["idle_load_balancer"] == counts["idle_app_gateway"] == 1
    assert counts["empty_app_service_plan"] == 1
    assert counts["underused_app_service_plan"] == 2
    assert counts["reservation_candidate"] >= 5  # groups of one size and region
    reserved_vms = [rid for f in _findings(truth, "reservation_candidate") for rid in _members(f)]
    assert len(reserved_vms) == len(set(reserved_vms)) >= 15


def test_look_alikes_are_not_flagged(
    inventory: dict[str, dict[str, Any]], truth: dict[str, Any]
) -> None:
    flagged = _flagged(truth)
    rows = inventory.values()
    asr = [r for r in rows if "ASR-ReplicaDisk" in r["tags"]]
    free = [
        r for r in rows if r["type"] == "microsoft.web/serverfarms" and r["sku"]["tier"] == "Free"
    ]
    assert len(asr) == len(free) == 1
    assert asr[0]["properties"]["diskState"] == "Unattached"
    assert free[0]["properties"]["numberOfSites"] == 0
    recent = [
        rid
        for rid, since in truth["deallocated_since"].items()
        if 3 <= (END - date.fromisoformat(since)).days <= 10
    ]
    assert len(recent) == 1
    assert not {asr[0]["id"].lower(), free[0]["id"].lower(), recent[0]} & flagged
    look_alikes = {a["role"]: a for a in truth["look_alikes"]}
    assert set(look_alikes) == {
        "aks",
        "fresh",
        "aks_volume",
        "upload",
        "detached_recently",
        "nat",
        "image_source",
    }
    by_rule = {(f["rule"], rid) for f in truth["findings"] for rid in _members(f)}
    assert not {(a["resembles"], a["resource_id"]) for a in truth["look_alikes"]} & by_rule
    for role, check in LOOK_ALIKE_SHAPES.items():
        assert check(inventory[look_alikes[role]["resource_id"]], inventory), role


def _referenced_by_image(row: dict[str, Any], inventory: dict[str, dict[str, Any]]) -> bool:
    images = [r for r in inventory.values() if r["type"] == "microsoft.compute/images"]
    sources = [i["properties"]["storageProfile"]["osDisk"]["snapshot"]["id"] for i in images]
    return (
        row["id"] in sources and row["properties"]["timeCreated"] < f"{END - timedelta(days=200)}"
    )


LOOK_ALIKE_SHAPES = {
    "aks": lambda row, _: (
        row["resourceGroup"].startswith("mc_")
        and "aks-managed-poolName" in row["tags"]
        and _power(row) == "running"
    ),
    "fresh": lambda row, _: (
        _power(row) == "running" and row["properties"]["timeCreated"] >= f"{END}"
    ),
    "aks_volume": lambda row, _: (
        row["managedBy"] == ""
        and row["properties"]["diskState"] == "Unattached"
        and "kubernetes.io-created-for-pvc-name" in row["tags"]
    ),
    "upload": lambda row, _: (
        row["managedBy"] == "" and row["properties"]["diskState"] == "ReadyToUpload"
    ),
    "detached_recently": lambda row, _: (
        row["properties"]["diskState"] == "Unattached"
        and row["properties"]["LastOwnershipUpdateTime"] >= f"{END - timedelta(days=2)}"
    ),
    "nat": lambda row, _: (
        row["properties"]["backendAddressPools"] == []
        and len(row["properties"]["inboundNatRules"]) == 1
    ),
    "image_source": _referenced_by_image,
}


def test_untagged_share_is_about_fifteen_percent(
    costs: duckdb.DuckDBPyConnection,
    inventory: dict[str, dict[str, Any]],
    truth: dict[str, Any],
) -> None:
    billed = costs.execute(
        "SELECT DISTINCT resource_id FROM costs WHERE day > ? AND BilledCost > 0",
        [END - timedelta(days=30)],
    ).fetchall()
    cost_bearing = [rid for (rid,) in billed if rid in inventory]
    untagged = {f["resource_id"] for f in _findings(truth, "untagged_cost")}
    expected = {
        rid
        for rid in cost_bearing
        if any(tag not in inventory[rid]["tags"] for tag in REQUIRED_TAGS)
    }
    assert untagged == expected
    assert 0.10 <= len(untagged) / len(cost_bearing) <= 0.20


# --- metrics --------------------------------------------------------------------------------

AZURE_METRICS_COLUMNS = [
    "TenantId",
    "SourceSystem",
    "TimeGenerated",
    "ResourceId",
    "Resource",
    "ResourceGroup",
    "ResourceProvider",
    "SubscriptionId",
    "MetricName",
    "Total",
    "Count",
    "Maximum",
    "Minimum",
    "Average",
    "TimeGrain",
    "UnitName",
    "Type",
    "_ResourceId",
]
TB = 2.0**40


@pytest.fixture(scope="module")
def last_week(metrics: pl.DataFrame) -> dict[tuple[str, str], dict[str, float]]:
    """Per (resource, metric) statistics over the last 7 days of hourly rows."""
    since = datetime.combine(END - timedelta(days=6), datetime.min.time(), tzinfo=UTC)
    stats = (
        metrics.filter(pl.col("TimeGenerated") >= since)
        .group_by("_ResourceId", "MetricName")
        .agg(
            p95_max=pl.col("Maximum").quantile(0.95, "linear"),
            p99_max=pl.col("Maximum").quantile(0.99, "linear"),
            p99_avg=pl.col("Average").quantile(0.99, "linear"),
            p5_avg=pl.col("Average").quantile(0.05, "linear"),
            max_max=pl.col("Maximum").max(),
            max_total=pl.col("Total").max(),
            total_per_day=pl.col("Total").sum() / 7,
            last_avg=pl.col("Average").sort_by("TimeGenerated").last(),
        )
    )
    return {
        (row.pop("_ResourceId"), row.pop("MetricName")): row for row in stats.iter_rows(named=True)
    }


def _with_metric(last_week: dict[tuple[str, str], dict[str, float]], metric: str) -> set[str]:
    return {rid for rid, name in last_week if name == metric}


def test_metrics_are_an_hourly_azuremetrics_export(metrics: pl.DataFrame) -> None:
    assert metrics.columns == AZURE_METRICS_COLUMNS
    assert 100_000 < metrics.height < 1_000_000
    assert metrics.get_column("TimeGrain").unique().to_list() == ["PT1H"]
    assert metrics.get_column("Type").unique().to_list() == ["AzureMetrics"]
    first, last = (
        metrics.get_column("TimeGenerated").min(),
        metrics.get_column("TimeGenerated").max(),
    )
    assert first == datetime.combine(END - timedelta(days=34), datetime.min.time(), tzinfo=UTC)
    assert last == datetime(END.year, END.month, END.day, 23, tzinfo=UTC)
    ids = metrics.select("ResourceId", "_ResourceId").unique()
    assert (ids.get_column("ResourceId") == ids.get_column("_ResourceId").str.to_uppercase()).all()
    assert (ids.get_column("_ResourceId") == ids.get_column("_ResourceId").str.to_lowercase()).all()
    averages = metrics.filter(pl.col("Count") > 0)
    assert ((averages["Total"] - averages["Average"] * averages["Count"]).abs() < 0.01).all()


def test_vm_metrics_separate_idle_rightsize_and_busy(
    last_week: dict[tuple[str, str], dict[str, float]], truth: dict[str, Any]
) -> None:
    idle = {f["resource_id"] for f in _findings(truth, "idle_vm")}
    rightsize = {f["resource_id"] for f in _findings(truth, "rightsize_vm")}
    # the AKS node and the three-hour VM look idle on purpose
    idle_look_alikes = {
        a["resource_id"] for a in truth["look_alikes"] if a["resembles"] == "idle_vm"
    }
    measured = _with_metric(last_week, "Percentage CPU")
    assert idle | rightsize | idle_look_alikes <= measured
    for vm in measured:
        cpu = last_week[(vm, "Percentage CPU")]["p95_max"]
        memory_used = 100 - last_week[(vm, "Available Memory Percentage")]["p5_avg"]
        network_out = last_week[(vm, "Network Out Total")]["max_total"]
        if vm in idle | idle_look_alikes:
            assert cpu < 3, vm
            assert network_out < 1_000_000, vm
        elif vm in rightsize:
            assert 10 <= cpu <= 18, vm
            assert 20 <= memory_used <= 30, vm
        else:
            assert cpu >= 50, vm
            assert memory_used >= 55, vm
            assert network_out > 10**8, vm


def test_premium_disk_usage_is_far_from_the_thresholds(
    last_week: dict[tuple[str, str], dict[str, float]],
    inventory: dict[str, dict[str, Any]],
    truth: dict[str, Any],
) -> None:
    underused = {f["resource_id"] for f in _findings(truth, "underused_premium_disk")}
    premium_attached = {
        rid
        for rid, row in inventory.items()
        if row["type"] == "microsoft.compute/disks"
        and row["sku"]["name"] == "Premium_LRS"
        and row["properties"]["diskState"] == "Attached"
    }
    assert _with_metric(last_week, "Composite Disk Read Operations/sec") == premium_attached
    for disk in premium_attached:
        props = inventory[disk]["properties"]
        iops = sum(
            last_week[(disk, f"Composite Disk {io} Operations/sec")]["max_max"]
            for io in ("Read", "Write")
        )
        mbps = (
            sum(
                last_week[(disk, f"Composite Disk {io} Bytes/sec")]["max_max"]
                for io in ("Read", "Write")
            )
            / 2**20
        )
        shares = (iops / props["diskIOPSReadWrite"], mbps / props["diskMBpsReadWrite"])
        if disk in underused:
            assert max(shares) < 0.02, disk
        else:
            assert 0.30 <= min(shares) <= max(shares) <= 0.60, disk


def test_paas_metrics_are_far_from_the_thresholds(
    last_week: dict[tuple[str, str], dict[str, float]],
    inventory: dict[str, dict[str, Any]],
    truth: dict[str, Any],
) -> None:
    idle_databases = {f["resource_id"] for f in _findings(truth, "idle_sql_database")}
    for db in _with_metric(last_week, "dtu_consumption_percent"):
        dtu = last_week[(db, "dtu_consumption_percent")]["p99_avg"]
        assert (dtu < 15) if db in idle_databases else (55 <= dtu <= 90), db
    underused_plans = {f["resource_id"] for f in _findings(truth, "underused_app_service_plan")}
    for plan in _with_metric(last_week, "CpuPercentage"):
        cpu = last_week[(plan, "CpuPercentage")]["p99_max"]
        memory = last_week[(plan, "MemoryPercentage")]["p99_avg"]
        if plan in underused_plans:
            assert cpu < 15, plan
            assert memory < 30, plan
        else:
            assert 50 <= cpu <= 80, plan
    tiering = {f["resource_id"] for f in _findings(truth, "storage_tiering")}
    for account in _with_metric(last_week, "Transactions"):
        if inventory[account]["properties"]["accessTier"] != "Hot":
            continue
        size = last_week[(account, "UsedCapacity")]["last_avg"]
        per_day = last_week[(account, "Transactions")]["total_per_day"]
        if account in tiering:
            assert size >= 2 * TB, account
            assert per_day < 1000, account
        else:
            assert size < 2 * TB or per_day >= 1_000_000, account
