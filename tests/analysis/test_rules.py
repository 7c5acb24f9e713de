"""Each rule on worked examples: a match, a near miss on each side of every threshold."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from estate import Estate
from polars.testing import assert_frame_equal

from cloudoptima import Workspace
from cloudoptima.analysis.findings import run_rules
from cloudoptima.analysis.rules import RULES, load_builtin_rules

MB = 1_000_000


def matches(ws: Workspace, rule: str) -> pl.DataFrame:
    """(resource name, savings, target) of a rule's findings, sorted by name."""
    found = run_rules(ws.reader, ws.settings(), [rule])
    return found.select(
        pl.col("resource_name"), pl.col("monthly_savings").round(4), pl.col("target")
    ).sort("resource_name")


def expect(rows: list[tuple[str, float, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"resource_name": pl.Utf8, "monthly_savings": pl.Float64, "target": pl.Utf8},
        orient="row",
    )


def test_catalogue_has_every_contract_rule() -> None:
    load_builtin_rules()
    assert set(RULES) == {
        "idle_vm",
        "rightsize_vm",
        "stopped_vm_not_deallocated",
        "long_deallocated_vm",
        "unattached_disk",
        "underused_premium_disk",
        "old_snapshot",
        "orphaned_public_ip",
        "orphaned_nic",
        "idle_load_balancer",
        "idle_app_gateway",
        "empty_app_service_plan",
        "underused_app_service_plan",
        "storage_tiering",
        "idle_sql_database",
        "untagged_cost",
        "reservation_candidate",
    }


def test_idle_vm_thresholds(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for name, cpu, net_mb in (
        ("idle", 2.99, 50),
        ("cpu-at-limit", 3.0, 1),
        ("chatty", 1.0, 100),
        ("quiet", 1.0, 99.9),
    ):
        vm = e.vm(name)
        e.metric(vm, "Percentage CPU", cpu)
        e.metric(vm, "Network Out Total", net_mb * MB)
        e.cost(vm, 10.0)
    stopped = e.vm("stopped-idle", power="stopped")
    e.metric(stopped, "Percentage CPU", 0.0)
    assert_frame_equal(
        matches(e.workspace(), "idle_vm"), expect([("idle", 300.0, None), ("quiet", 300.0, None)])
    )


def test_rightsize_vm_picks_the_cheapest_fitting_size(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    cases = (
        ("half", "Standard_D8s_v5", 18.0, 25.0),  # CPU 36 %, memory 50 % on D4s_v5
        ("quarter", "Standard_D8s_v5", 9.0, 14.0),  # fits D2s_v5: CPU 36 %, memory 56 %
        ("memory-bound", "Standard_D8s_v5", 9.0, 31.0),  # D4s_v5 memory would be 62 % > 60 %
        ("cpu-bound", "Standard_D8s_v5", 21.0, 10.0),  # D4s_v5 CPU would be 42 % > 40 %
        ("smallest", "Standard_D2s_v5", 5.0, 5.0),  # no smaller Dsv5 size
    )
    for name, size, cpu, used in cases:
        vm = e.vm(name, size=size)
        e.metric(vm, "Percentage CPU", cpu)
        e.metric(vm, "Available Memory Percentage", 100.0 - used)
        e.cost(vm, 8.0)
    assert_frame_equal(
        matches(e.workspace(), "rightsize_vm"),
        expect([("half", 120.0, "Standard_D4s_v5"), ("quarter", 180.0, "Standard_D2s_v5")]),
    )


def test_stopped_and_long_deallocated_vms(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    stopped = e.vm("stopped", power="stopped")
    e.cost(stopped, 5.0)
    old = e.vm("old", power="deallocated")
    e.cost(
        old, 9.0, days=10, last_day=date(2026, 10, 25)
    )  # last compute cost 30 days before the end
    recent = e.vm("recent", power="deallocated")
    e.cost(recent, 9.0, days=10, last_day=date(2026, 10, 26))  # 29 days: not yet
    for vm, disk in ((old, "old-os"), (recent, "recent-os")):
        d = e.add(
            "Microsoft.Compute/disks",
            disk,
            managed_by=vm,
            sku={"name": "Premium_LRS"},
            diskState="Reserved",
        )
        e.cost(d, 1.0)
    ws = e.workspace()
    assert_frame_equal(
        matches(ws, "stopped_vm_not_deallocated"), expect([("stopped", 150.0, None)])
    )
    assert_frame_equal(matches(ws, "long_deallocated_vm"), expect([("old", 30.0, None)]))
    evidence = json.loads(
        run_rules(ws.reader, ws.settings(), ["long_deallocated_vm"]).item(0, "evidence")
    )
    assert evidence["days_without_compute_cost"] == 30


def test_unattached_disks_skip_site_recovery_replicas(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    disk = "Microsoft.Compute/disks"
    for name, state, tags in (
        ("loose", "Unattached", None),
        ("attached", "Attached", None),
        ("replica", "Unattached", {"ASR-ReplicaDisk": "x"}),
        ("sas", "ActiveSAS", None),
    ):
        rid = e.add(
            disk,
            name,
            diskState=state,
            tags=tags,
            sku={"name": "Standard_LRS"},
            managed_by=None if state != "Attached" else "/subscriptions/x/vm",
        )
        e.cost(rid, 2.0)
    e.add(disk, "ms-asr-seed", diskState="Unattached")
    assert_frame_equal(matches(e.workspace(), "unattached_disk"), expect([("loose", 60.0, None)]))


def test_underused_premium_disk_at_five_percent(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    disk = "Microsoft.Compute/disks"
    # P30: 5000 IOPS, 200 MB/s; 5 % = 250 IOPS and 10 MB/s
    for name, iops, mbps in (
        ("quiet", 249.0, 9.9),
        ("iops-at-limit", 250.0, 1.0),
        ("busy", 2000.0, 50.0),
    ):
        rid = e.add(
            disk,
            name,
            sku={"name": "Premium_LRS"},
            managed_by="/subscriptions/x/vm",
            diskSizeGB=1024,
            diskIOPSReadWrite=5000,
            diskMBpsReadWrite=200,
            diskState="Attached",
        )
        e.metric(rid, "Composite Disk Read Operations/sec", iops / 2)
        e.metric(rid, "Composite Disk Write Operations/sec", iops / 2)
        e.metric(rid, "Composite Disk Read Bytes/sec", mbps * 1024 * 1024 / 2)
        e.metric(rid, "Composite Disk Write Bytes/sec", mbps * 1024 * 1024 / 2)
        e.cost(rid, 4.5)
    # Standard SSD E30 / Premium P30 = 76.80 / 135.17
    expected = round(135.0 * (1 - 0.5682), 4)
    assert_frame_equal(
        matches(e.workspace(), "underused_premium_disk"), expect([("quiet", expected, "E30")])
    )


def test_old_snapshot_after_ninety_days(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for name, created in (("old", "2026-08-25T10:00:00Z"), ("young", "2026-08-26T00:00:00Z")):
        rid = e.add("Microsoft.Compute/snapshots", name, timeCreated=created, diskSizeGB=64)
        e.cost(rid, 0.1)
    assert_frame_equal(matches(e.workspace(), "old_snapshot"), expect([("old", 3.0, None)]))


def test_network_orphans_and_idle_balancers(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    net = "Microsoft.Network"
    for name, props in (
        ("pip-free", {}),
        ("pip-used", {"ipConfiguration": {"id": "/x"}}),
        ("pip-nat", {"natGateway": {"id": "/n"}}),
    ):
        e.cost(e.add(f"{net}/publicIPAddresses", name, sku={"name": "Standard"}, **props), 0.12)
    e.add(f"{net}/networkInterfaces", "nic-free")
    e.add(f"{net}/networkInterfaces", "nic-vm", virtualMachine={"id": "/vm"})
    e.add(f"{net}/networkInterfaces", "nic-pe", privateEndpoint={"id": "/pe"})
    e.cost(
        e.add(f"{net}/loadBalancers", "lb-empty", sku={"name": "Standard"}, backendAddressPools=[]),
        0.6,
    )
    pool = [{"name": "p", "properties": {"backendIPConfigurations": [{"id": "/nic/ipconfig"}]}}]
    e.cost(
        e.add(
            f"{net}/loadBalancers", "lb-busy", sku={"name": "Standard"}, backendAddressPools=pool
        ),
        0.6,
    )
    empty_pool = [{"name": "p", "properties": {"backendAddresses": []}}]
    e.cost(e.add(f"{net}/applicationGateways", "agw-empty", backendAddressPools=empty_pool), 6.0)
    used_pool = [{"name": "p", "properties": {"backendAddresses": [{"fqdn": "app"}]}}]
    e.cost(e.add(f"{net}/applicationGateways", "agw-used", backendAddressPools=used_pool), 6.0)
    ws = e.workspace()
    assert_frame_equal(matches(ws, "orphaned_public_ip"), expect([("pip-free", 3.6, None)]))
    assert_frame_equal(matches(ws, "orphaned_nic"), expect([("nic-free", 0.0, None)]))
    assert_frame_equal(matches(ws, "idle_load_balancer"), expect([("lb-empty", 18.0, None)]))
    assert_frame_equal(matches(ws, "idle_app_gateway"), expect([("agw-empty", 180.0, None)]))


def test_app_service_plans(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    plan = "Microsoft.Web/serverfarms"
    e.cost(
        e.add(plan, "empty-paid", sku={"name": "P1v3", "tier": "PremiumV3"}, numberOfSites=0), 4.0
    )
    e.add(plan, "empty-free", sku={"name": "F1", "tier": "Free"}, numberOfSites=0)
    hours = 7 * 24
    for name, cpu, memory in (
        ("quiet", 29.9, 37.4),  # P1v3 has half the cores and memory: peak 2 x 37.4 = 74.8 % < 75
        ("cpu-at-limit", 30.0, 10.0),
        ("memory-high", 10.0, 50.0),
        ("memory-peak-too-high", 20.0, 37.5),  # P99 fine, but 75.0 % on P1v3 is not below 75
        ("cpu-burst", [10.0] * (hours - 1) + [40.0], 20.0),  # P99 10 %, one hour at 80 % on P1v3
    ):
        rid = e.add(plan, name, sku={"name": "P2v3", "tier": "PremiumV3"}, numberOfSites=2)
        e.metric(rid, "CpuPercentage", cpu)
        e.metric(rid, "MemoryPercentage", memory)
        e.cost(rid, 8.0)
    ws = e.workspace()
    assert_frame_equal(matches(ws, "empty_app_service_plan"), expect([("empty-paid", 120.0, None)]))
    assert_frame_equal(
        matches(ws, "underused_app_service_plan"), expect([("quiet", 120.0, "P1v3")])
    )
    quiet = run_rules(ws.reader, ws.settings(), ["underused_app_service_plan"]).row(0, named=True)
    assert json.loads(quiet["evidence"])["target_peak_percent"] == pytest.approx(74.8)


def test_storage_tiering_uses_the_real_capacity_cost(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    account = "Microsoft.Storage/storageAccounts"
    gib = 1024**3
    for name, gb, per_hour in (("archive", 500, 400.0), ("busy", 500, 420.0), ("small", 99, 1.0)):
        rid = e.add(account, name, kind="StorageV2", accessTier="Hot", sku={"name": "Standard_LRS"})
        e.metric(rid, "UsedCapacity", gb * gib)
        e.metric(rid, "Transactions", per_hour)  # 400/h = 9,600/day; 420/h = 10,080/day
        e.cost(rid, 0.3, unit="GB/Month", hours=gb / 30)
    cool = e.add(account, "cool", kind="StorageV2", accessTier="Cool")
    e.metric(cool, "UsedCapacity", 900 * gib)
    # capacity: 30 days x 0.3 = 9.00 for 500 GB-months, so 0.018 per GB-month (list 0.0184)
    capacity_saving = 9.0 * (1 - 0.0100 / 0.0184)
    # Cool's dearer writes at the measured 9,600 transactions a day, in the account's prices
    extra_writes = 9_600 * 30 * (0.10 - 0.055) / 10_000 * (0.018 / 0.0184)
    expected = round(capacity_saving - extra_writes, 4)  # 4.1087 - 1.2678
    assert_frame_equal(
        matches(e.workspace(), "storage_tiering"), expect([("archive", expected, "Cool")])
    )


def test_idle_sql_database_steps_down_by_dtus(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    db = "Microsoft.Sql/servers/databases"
    for name, objective, dtu in (
        ("idle-p1", "P1", 39.9),
        ("at-limit", "S3", 40.0),
        ("basic", "Basic", 1.0),
    ):
        rid = e.add(
            db, f"sql-1/{name}", sku={"name": "Standard"}, currentServiceObjectiveName=objective
        )
        e.metric(rid, "dtu_consumption_percent", dtu)
        e.cost(rid, 15.0)
    # P1 (125 DTUs, 15.00/day) -> S3 (100 DTUs, 4.8387/day)
    expected = round(450.0 * (1 - 4.8387 / 15.0), 4)
    assert_frame_equal(
        matches(e.workspace(), "idle_sql_database"), expect([("idle-p1", expected, "S3")])
    )


def test_untagged_cost_needs_cost_and_a_missing_required_tag(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    vm = "Microsoft.Compute/virtualMachines"
    e.cost(e.add(vm, "no-team", tags={"env": "prod", "costcenter": "1"}), 1.0)
    e.cost(e.add(vm, "odd-case", tags={" ENV": "prod", "Team": "a", "CostCenter": "1"}), 1.0)
    e.cost(e.add(vm, "empty-value", tags={"env": "", "team": "a", "costcenter": "1"}), 1.0)
    e.add(vm, "free-untagged", tags={})
    ws = e.workspace()
    found = run_rules(ws.reader, ws.settings(), ["untagged_cost"]).sort("resource_name")
    assert found.get_column("resource_name").to_list() == ["empty-value", "no-team"]
    assert [json.loads(x)["missing_tags"] for x in found.get_column("evidence")] == [
        ["env"],
        ["team"],
    ]
    ws.set_setting("required_tags", ["owner"])
    assert run_rules(ws.reader, ws.settings(), ["untagged_cost"]).height == 3


def test_reservation_candidate_needs_every_hour_on_demand(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for name, hours, pricing in (
        ("steady", 24.0, "Standard"),
        ("office-hours", 12.0, "Standard"),
        ("reserved", 24.0, "Committed"),
    ):
        vm = e.vm(name, size="Standard_E4s_v5")
        e.metric(vm, "Percentage CPU", 60.0)
        e.metric(vm, "Available Memory Percentage", 20.0)
        e.cost(vm, 6.0, hours=hours, pricing=pricing)
    short = e.vm("new", size="Standard_E4s_v5")
    e.metric(short, "Percentage CPU", 60.0)
    e.cost(short, 6.0, days=29)
    expected = round(180.0 * 0.37, 4)  # Esv5 one-year discount
    assert_frame_equal(
        matches(e.workspace(), "reservation_candidate"),
        expect(
            [
                (
                    "Standard_E4s_v5 x 1 in eastus (1-year)",
                    expected,
                    "Standard_E4s_v5 x 1 (1-year reservation)",
                )
            ]
        ),
    )
