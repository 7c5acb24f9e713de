"""No false alarms where real estates differ from the demo: each rule on realistic look-alikes.

Every resource here is written the way Resource Graph returns it (tags, managedBy,
properties) and the way Azure Monitor and Cost Management deliver metrics and cost.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from estate import SUB, Estate
from polars.testing import assert_frame_equal
from test_rules import expect, matches

from cloudoptima import Workspace
from cloudoptima.analysis.findings import run_rules

MB = 1_000_000
GIB = 1024**3
DISK = "Microsoft.Compute/disks"
NET = "Microsoft.Network"


def found(ws: Workspace, rule: str) -> dict[str, dict[str, object]]:
    """The findings of one rule by resource name."""
    frame = run_rules(ws.reader, ws.settings(), [rule])
    return {row["resource_name"]: row for row in frame.iter_rows(named=True)}


# --- unattached_disk ----------------------------------------------------------------------


def test_unattached_disks_skip_kubernetes_volumes_uploads_and_fresh_detaches(
    tmp_path: Path,
) -> None:
    e = Estate(tmp_path)  # the estate ends 2026-11-24
    pvc_tags = {
        "kubernetes.io-created-for-pvc-name": "data-postgres-0",
        "kubernetes.io-created-for-pvc-namespace": "shop",
        "kubernetes.io-created-for-pv-name": "pvc-3f1c",
        "k8s-azure-created-by": "kubernetes-azure-dd",
    }
    cases = (
        ("pvc-3f1c", "Unattached", pvc_tags, "2026-09-01T10:00:00.1234567+00:00"),
        ("upload-target", "ReadyToUpload", None, None),
        ("uploading", "ActiveUpload", None, None),
        ("detached-3-days", "Unattached", None, "2026-11-21T08:00:00.1234567+00:00"),
        ("detached-10-days", "Unattached", None, "2026-11-14T08:00:00.1234567+00:00"),
        ("never-known", "Unattached", None, None),
    )
    for name, state, tags, detached in cases:
        props = {"diskState": state, "diskSizeGB": 128}
        if detached:
            props["LastOwnershipUpdateTime"] = detached
        rg = "MC_rg-shop_aks-shop_eastus" if tags else "rg-app"
        rid = e.add(DISK, name, rg=rg, tags=tags, sku={"name": "StandardSSD_LRS"}, **props)
        e.cost(rid, 0.32)
    ws = e.workspace()
    assert_frame_equal(
        matches(ws, "unattached_disk"),
        expect([("detached-10-days", 9.6, None), ("never-known", 9.6, None)]),
    )
    disks = found(ws, "unattached_disk")
    assert "for 10 days" in str(disks["detached-10-days"]["description"])
    assert disks["detached-10-days"]["confidence"] == "high"
    assert "for an unknown time" in str(disks["never-known"]["description"])
    assert disks["never-known"]["confidence"] == "medium"
    ws.set_setting("unattached_disk.min_age_days", 3)
    assert "detached-3-days" in found(ws, "unattached_disk")


# --- idle_vm and rightsize_vm ---------------------------------------------------------------


def idle_metrics(e: Estate, rid: str, *, hours: int = 7 * 24, network: bool = True) -> None:
    e.metric(rid, "Percentage CPU", 1.0, hours=hours)
    e.metric(rid, "Available Memory Percentage", 90.0, hours=hours)
    if network:
        e.metric(rid, "Network Out Total", 5 * MB, hours=hours)


PLATFORM_VMS: tuple[tuple[str, dict[str, object]], ...] = (
    ("aks-nodepool1-vms0", {"rg": "MC_rg-shop_aks-shop_eastus"}),
    ("aks-tagged", {"tags": {"aks-managed-poolName": "nodepool1", "env": "prod"}}),
    ("dbx-worker", {"rg": "databricks-rg-analytics-7xk2p"}),
    ("dbx-tagged", {"tags": {"Vendor": "Databricks", "ClusterId": "0412-abc"}}),
    ("vmss-flex-1", {"virtualMachineScaleSet": {"id": f"/subscriptions/{SUB}/x/vmss-batch"}}),
    ("sf-node", {"rg": "SFC_0b8f2e3d-cluster"}),
    ("managed-by-other", {"managed_by": f"/subscriptions/{SUB}/providers/Microsoft.X/y/z"}),
)


def test_platform_managed_vms_are_never_idle_or_resized(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for name, where in PLATFORM_VMS:
        vm = e.vm(name, **where)
        idle_metrics(e, vm)
        e.cost(vm, 10.0)
        busy_but_big = e.vm(f"{name}-big", **where)
        e.metric(busy_but_big, "Percentage CPU", 9.0)
        e.metric(busy_but_big, "Available Memory Percentage", 86.0)
        e.metric(busy_but_big, "Network Out Total", 900 * MB)
        e.cost(busy_but_big, 8.0)
    own = e.vm("own-idle")
    idle_metrics(e, own)
    e.cost(own, 10.0)
    ws = e.workspace()
    assert_frame_equal(matches(ws, "idle_vm"), expect([("own-idle", 300.0, None)]))
    assert matches(ws, "rightsize_vm").is_empty()


def test_idle_needs_enough_metrics_and_the_network_metric(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for name, hours in (("three-hours", 3), ("six-days", 6 * 24), ("full-week", 7 * 24)):
        vm = e.vm(name)
        idle_metrics(e, vm, hours=hours)
        e.cost(vm, 10.0)
    week = range(7 * 24)
    for name, of_20 in (("gappy", 14), ("most-hours", 17)):  # 70 % and 85 % of the hours
        vm = e.vm(name)
        e.metric(vm, "Percentage CPU", [1.0 if i % 20 < of_20 else None for i in week])
        e.metric(vm, "Network Out Total", 5 * MB)
        e.cost(vm, 10.0)
    no_network = e.vm("no-network")
    idle_metrics(e, no_network, network=False)
    e.cost(no_network, 10.0)
    ws = e.workspace()
    vms = found(ws, "idle_vm")
    assert sorted(vms) == ["full-week", "most-hours"]
    assert vms["full-week"]["confidence"] == "high"
    assert vms["most-hours"]["confidence"] == "medium"
    evidence = json.loads(str(vms["most-hours"]["evidence"]))
    assert evidence["metric_days"] == 7
    assert 80.0 <= evidence["metric_coverage_percent"] < 95.0


FAMILIES = (
    ("Standard_D8s_v3", "Standard_D4s_v3"),
    ("Standard_D8s_v4", "Standard_D4s_v4"),
    ("Standard_D8ds_v5", "Standard_D4ds_v5"),
    ("Standard_D8as_v4", "Standard_D4as_v4"),
    ("Standard_E8s_v3", "Standard_E4s_v3"),
    ("Standard_E8_v4", "Standard_E4_v4"),
    ("Standard_E8_v5", "Standard_E4_v5"),
    ("Standard_E8as_v5", "Standard_E4as_v5"),
    ("Standard_B8s_v2", "Standard_B4s_v2"),  # B8ls_v2 costs the same: the smaller one wins
    ("Standard_B8as_v2", "Standard_B4as_v2"),
)


def test_rightsizing_covers_the_common_families_and_needs_memory(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    for size, _ in FAMILIES:
        vm = e.vm(f"vm-{size.removeprefix('Standard_').lower()}", size=size)
        e.metric(vm, "Percentage CPU", 18.0)  # 36 % on half the vCPUs
        e.metric(vm, "Available Memory Percentage", 75.0)  # 50 % on half the memory
        e.metric(vm, "Network Out Total", 900 * MB)
        e.cost(vm, 8.0)
    blind = e.vm("no-memory-metric", size="Standard_D8s_v5")
    e.metric(blind, "Percentage CPU", 9.0)
    e.metric(blind, "Network Out Total", 900 * MB)
    e.cost(blind, 8.0)
    in_bytes = e.vm("memory-in-bytes", size="Standard_D8s_v5")  # 32 GB, 24 GB available
    e.metric(in_bytes, "Percentage CPU", 18.0)
    e.metric(in_bytes, "Available Memory Bytes", 24 * GIB)
    e.metric(in_bytes, "Network Out Total", 900 * MB)
    e.cost(in_bytes, 8.0)
    rows = [(f"vm-{s.removeprefix('Standard_').lower()}", 120.0, t) for s, t in FAMILIES]
    rows.append(("memory-in-bytes", 120.0, "Standard_D4s_v5"))
    assert_frame_equal(
        matches(e.workspace(), "rightsize_vm"), expect(sorted(rows)), check_row_order=False
    )


# --- networking -----------------------------------------------------------------------------


def test_balancers_with_nat_or_outbound_rules_are_in_use(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    lb = f"{NET}/loadBalancers"
    nat_rule = {"name": "ssh", "properties": {"frontendPort": 50001, "backendPort": 22}}
    outbound = {"name": "egress", "properties": {"allocatedOutboundPorts": 1024}}
    for name, props in (
        ("lb-empty", {}),
        ("lb-nat", {"inboundNatRules": [nat_rule]}),
        ("lb-nat-pool", {"inboundNatPools": [nat_rule]}),
        ("lb-outbound", {"outboundRules": [outbound]}),
    ):
        rules = {"inboundNatRules": [], "outboundRules": [], **props}
        rid = e.add(lb, name, sku={"name": "Standard"}, backendAddressPools=[], **rules)
        e.cost(rid, 0.6)
    assert_frame_equal(
        matches(e.workspace(), "idle_load_balancer"), expect([("lb-empty", 18.0, None)])
    )


def test_public_ips_of_orphaned_nics_and_in_used_prefixes(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    pip, nic = f"{NET}/publicIPAddresses", f"{NET}/networkInterfaces"
    loose_nic = e.add(nic, "nic-left-behind")
    vm_nic = e.add(nic, "nic-of-vm", virtualMachine={"id": "/vm"})
    nat_prefix = e.add(f"{NET}/publicIPPrefixes", "ippre-nat", natGateway={"id": "/natgw"})
    idle_prefix = e.add(f"{NET}/publicIPPrefixes", "ippre-idle")
    for name, props in (
        (
            "pip-on-orphan-nic",
            {"ipConfiguration": {"id": f"{loose_nic}/ipConfigurations/ipconfig1"}},
        ),
        ("pip-on-vm-nic", {"ipConfiguration": {"id": f"{vm_nic}/ipConfigurations/ipconfig1"}}),
        ("pip-in-nat-prefix", {"publicIPPrefix": {"id": nat_prefix}}),
        ("pip-in-idle-prefix", {"publicIPPrefix": {"id": idle_prefix}}),
        ("pip-unknown-prefix", {"publicIPPrefix": {"id": f"{idle_prefix}-gone"}}),
    ):
        e.cost(e.add(pip, name, sku={"name": "Standard"}, **props), 0.12)
    ws = e.workspace()
    assert_frame_equal(
        matches(ws, "orphaned_public_ip"),
        expect(
            [
                ("pip-in-idle-prefix", 3.6, None),
                ("pip-on-orphan-nic", 3.6, None),
                ("pip-unknown-prefix", 3.6, None),
            ]
        ),
    )
    ips = found(ws, "orphaned_public_ip")
    assert "network interface nic-left-behind" in str(ips["pip-on-orphan-nic"]["description"])
    assert str(ips["pip-on-orphan-nic"]["remediation"]).startswith(
        f"az network nic delete --ids {loose_nic} && az network public-ip delete"
    )
    assert ips["pip-unknown-prefix"]["confidence"] == "medium"
    assert "does not list" in str(ips["pip-unknown-prefix"]["description"])


# --- old_snapshot ---------------------------------------------------------------------------


def test_old_snapshots_behind_images_restore_points_and_backup_stay(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    snapshot = "Microsoft.Compute/snapshots"
    old = "2026-05-01T10:00:00Z"
    ids = {}
    for name, kw in (
        ("snap-free", {}),
        ("snap-golden", {}),
        ("snap-restore", {}),
        ("snap-vault", {"tags": {"RSVaultBackup": "vault-01"}}),
        ("snap-backup-rg", {"rg": "AzureBackupRG_eastus_1"}),
        ("snap-managed", {"managed_by": f"/subscriptions/{SUB}/restorePointCollections/rpc/x"}),
    ):
        ids[name] = e.add(snapshot, name, timeCreated=old, diskSizeGB=64, **kw)
        e.cost(ids[name], 0.1)
    e.add(
        "Microsoft.Compute/images",
        "img-golden",
        storageProfile={"osDisk": {"osType": "Linux", "snapshot": {"id": ids["snap-golden"]}}},
    )
    e.add(
        "Microsoft.Compute/restorePointCollections",
        "rpc-app",
        source={"id": "/vm"},
        restorePoints=[
            {
                "properties": {
                    "sourceMetadata": {"osDisk": {"diskRestorePoint": {"id": ids["snap-restore"]}}}
                }
            }
        ],
    )
    ws = e.workspace()
    assert_frame_equal(matches(ws, "old_snapshot"), expect([("snap-free", 3.0, None)]))
    free = found(ws, "old_snapshot")["snap-free"]
    assert "No image, restore point or backup in the inventory refers to it" in str(
        free["description"]
    )


def test_old_snapshot_says_when_it_could_not_look_for_images(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    rid = e.add("Microsoft.Compute/snapshots", "snap", timeCreated="2026-05-01T10:00:00Z")
    e.cost(rid, 0.1)
    snap = found(e.workspace(), "old_snapshot")["snap"]
    assert "lists no images or gallery image versions" in str(snap["description"])
    assert snap["confidence"] == "medium"


# --- storage_tiering ------------------------------------------------------------------------


def test_storage_tiering_counts_hot_block_blobs_and_cools_extra_charges(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    account = "Microsoft.Storage/storageAccounts"
    rid = e.add(
        account, "stmixed", kind="StorageV2", accessTier="Hot", sku={"name": "Standard_LRS"}
    )
    e.metric(rid, "UsedCapacity", 1200 * GIB)
    e.metric(rid, "Transactions", 100.0)  # 2,400 a day
    e.metric(rid, "Egress", 2 * GIB / 24)  # 2 GB read back a day
    blob = {"unit": "GB/Month", "subcategory": "Tiered Block Blob"}
    e.cost(rid, 0.6, hours=1000 / 30, meter="Hot LRS Data Stored", **blob)  # 18.00 for 1,000 GB
    e.cost(
        rid,
        0.5,
        hours=200 / 30,
        meter="Hot LRS Data Stored",
        unit="GB/Month",
        subcategory="Files v2",
    )
    e.cost(rid, 0.1, hours=300 / 30, meter="Cool LRS Data Stored", **blob)  # already cool
    e.cost(
        rid,
        0.05,
        hours=2.4,
        meter="Hot Write Operations",
        unit="10K",
        subcategory="Tiered Block Blob",
    )
    ws = e.workspace()
    price_factor = (18.0 / 1000) / 0.0184  # the account's own price against the list price
    capacity_saving = 18.0 * (1 - 0.0100 / 0.0184)
    extra_writes = 2_400 * 30 * (0.10 - 0.055) / 10_000 * price_factor
    retrieval = 2 * 30 * 0.01 * price_factor
    expected = round(capacity_saving - extra_writes - retrieval, 4)  # 8.2174 - 0.3169 - 0.5870
    assert_frame_equal(matches(ws, "storage_tiering"), expect([("stmixed", expected, "Cool")]))
    finding = found(ws, "storage_tiering")["stmixed"]
    assert "early deletion" in str(finding["description"])
    assert "at least 30 days" in str(finding["description"])
    evidence = json.loads(str(finding["evidence"]))
    assert evidence["capacity_monthly_cost"] == pytest.approx(18.0)
    assert evidence["egress_gb_per_month"] == pytest.approx(60.0)


def test_storage_tiering_skips_accounts_whose_reads_would_cost_more(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    rid = e.add(
        "Microsoft.Storage/storageAccounts", "streadheavy", kind="StorageV2", accessTier="Hot"
    )
    e.metric(rid, "UsedCapacity", 200 * GIB)
    e.metric(rid, "Transactions", 10.0)
    e.metric(rid, "Egress", 50 * GIB / 24)  # reads back 50 GB a day: retrieval beats the saving
    e.cost(rid, 0.12, hours=200 / 30, unit="GB/Month")
    assert matches(e.workspace(), "storage_tiering").is_empty()


# --- idle_sql_database -----------------------------------------------------------------------


def test_sql_step_down_only_when_the_peak_fits_below_75_percent(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    db = "Microsoft.Sql/servers/databases"
    week = 7 * 24
    for name, objective, dtu in (
        ("steady-s3", "S3", 30.0),  # S2 has half the DTUs: 60 % peak
        ("bursty-s3", "S3", [20.0] * (week - 1) + [38.0]),  # P99 20 %, peak 76 % on S2
        ("p1-peak-59", "P1", 59.9),  # P99 above 40 %: not idle at all
    ):
        rid = e.add(db, f"sql-1/{name}", currentServiceObjectiveName=objective)
        e.metric(rid, "dtu_consumption_percent", dtu)
        e.cost(rid, 4.8387)
    ws = e.workspace()
    expected = round(30 * 4.8387 * (1 - 2.4194 / 4.8387), 4)
    assert_frame_equal(matches(ws, "idle_sql_database"), expect([("steady-s3", expected, "S2")]))
    evidence = json.loads(str(found(ws, "idle_sql_database")["steady-s3"]["evidence"]))
    assert evidence["target_peak_percent"] == pytest.approx(60.0)


# --- reservation_candidate -------------------------------------------------------------------


def test_reservations_group_by_size_and_region_without_spot_or_licence(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    plain = {"subcategory": "Dsv5 Series", "category": "Virtual Machines", "meter": "D4s v5"}
    for name, location in (("web-1", "eastus"), ("web-2", "eastus"), ("web-eu", "westeurope")):
        vm = e.vm(name, size="Standard_D4s_v5", location=location)
        e.metric(vm, "Percentage CPU", 60.0)
        e.metric(vm, "Available Memory Percentage", 30.0)
        e.cost(vm, 4.608, **plain)  # 24 h x 0.192
    windows = e.vm("win-1", size="Standard_D4s_v5")
    e.metric(windows, "Percentage CPU", 60.0)
    e.metric(windows, "Available Memory Percentage", 30.0)
    e.cost(
        windows, 9.024, subcategory="Dsv5 Series Windows", category="Virtual Machines"
    )  # 0.376/h
    e.cost(windows, 2.0, category="Virtual Machines Licenses", meter="SQL Server Standard")
    spot = e.vm("spot-1", size="Standard_D4s_v5", priority="Spot")
    e.metric(spot, "Percentage CPU", 60.0)
    e.cost(spot, 1.0, **plain)
    spot_meter = e.vm("spot-2", size="Standard_D4s_v5")
    e.metric(spot_meter, "Percentage CPU", 60.0)
    e.cost(spot_meter, 1.0, meter="D4s v5 Spot", subcategory="Dsv5 Series")
    ws = e.workspace()
    found_rows = found(ws, "reservation_candidate")
    assert sorted(found_rows) == [
        "Standard_D4s_v5 x 1 in westeurope (1-year)",
        "Standard_D4s_v5 x 3 in eastus (1-year)",
    ]
    east = found_rows["Standard_D4s_v5 x 3 in eastus (1-year)"]
    # the Windows VM counts with its compute share only: 0.192 / (0.192 + 4 x 0.046)
    windows_base = 9.024 * 30 * 0.192 / 0.376
    base = 2 * 4.608 * 30 + windows_base
    assert east["monthly_savings"] == pytest.approx(base * 0.36)
    assert east["target"] == "Standard_D4s_v5 x 3 (1-year reservation)"
    assert east["resource_id"] == (
        "/providers/microsoft.capacity/reservationrecommendations/virtualmachines/"
        "eastus/standard_d4s_v5/p1y/usd"
    )
    assert east["monthly_cost"] == pytest.approx((2 * 4.608 + 9.024 + 2.0) * 30)
    evidence = json.loads(str(east["evidence"]))
    assert evidence["quantity"] == 3
    assert [vm.rsplit("/", 1)[1] for vm in evidence["vm_ids"]] == ["web-1", "web-2", "win-1"]
    assert evidence["base_monthly_cost"] == pytest.approx(base, abs=1e-4)
    assert evidence["licence_monthly_cost_excluded"] == pytest.approx(
        9.024 * 30 - windows_base + 60, abs=1e-4
    )
    assert evidence["savings_plan_discount"] == pytest.approx(0.26)
    assert evidence["savings_plan_monthly_savings"] == pytest.approx(base * 0.26, abs=1e-4)
    assert evidence["savings_plan_hourly_commitment"] == pytest.approx(base / 720 * 0.74, abs=1e-4)
    assert "savings plan committing" in str(east["description"])
    assert (
        "--quantity 3 --applied-scope-type Shared --sku Standard_D4s_v5 --location eastus"
        in str(east["remediation"])
    )
    ws.set_setting("reservation_candidate.term_years", 3)
    three = found(ws, "reservation_candidate")["Standard_D4s_v5 x 3 in eastus (3-year)"]
    assert three["monthly_savings"] == pytest.approx(base * 0.59)
    assert "--term P3Y" in str(three["remediation"])


# --- long_deallocated_vm ---------------------------------------------------------------------


def test_long_deallocated_says_it_cannot_tell_with_short_history(tmp_path: Path) -> None:
    e = Estate(tmp_path)
    vm = e.vm("dealloc", power="deallocated")
    disk = e.add(
        DISK, "dealloc-os", managed_by=vm, diskState="Reserved", sku={"name": "Premium_LRS"}
    )
    e.cost(disk, 1.0, days=10)  # the cost data reaches back 10 days, the threshold is 30
    ws = e.workspace()
    row = found(ws, "long_deallocated_vm")["dealloc"]
    assert row["monthly_savings"] == 0.0
    assert row["confidence"] == "low"
    assert str(row["description"]).startswith(
        "Can't tell yet: the VM had no compute cost in the 10 days"
    )
    assert str(row["remediation"]).startswith(f"az monitor activity-log list --resource-id {vm}")
    e2 = Estate(tmp_path / "long")
    vm2 = e2.vm("dealloc", power="deallocated")
    disk2 = e2.add(DISK, "dealloc-os", managed_by=vm2, diskState="Reserved")
    e2.cost(disk2, 1.0, days=40)  # 40 days without compute cost: a real finding
    row2 = found(e2.workspace(), "long_deallocated_vm")["dealloc"]
    assert (row2["monthly_savings"], row2["confidence"]) == (30.0, "high")
    assert "for 40 days" in str(row2["description"])
