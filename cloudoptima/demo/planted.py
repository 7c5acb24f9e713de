"""Planted findings: one function per rule, each returning what a correct rule reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cloudoptima.demo import catalog as c
from cloudoptima.demo.estate import Estate, Resource, deallocated_since, power_state, vm_power
from cloudoptima.demo.ledger import MICRO, Ledger
from cloudoptima.demo.telemetry import MIB, MetricSet
from cloudoptima.reference import prices

Json = dict[str, Any]
WINDOW_DAYS = 30  # monthly_cost: BilledCost over the 30 days ending at ``end``
EVIDENCE_HOURS = 7 * 24  # metric evidence covers the last 7 days


class Judge:
    """Builds findings from the estate, the ledger and the metrics."""

    def __init__(self, estate: Estate, ledger: Ledger, metrics: MetricSet) -> None:
        self.estate, self.ledger, self.metrics = estate, ledger, metrics

    def monthly_cost(self, resource: Resource) -> float:
        """Return the resource's BilledCost over the 30 days ending at ``end``."""
        return self.ledger.last_days(resource, WINDOW_DAYS) / MICRO

    def stat(self, resource: Resource, metric: str, q: float, stat: str = "maximum") -> float:
        """Return the q-th percentile of a metric statistic over the evidence window."""
        values = self.metrics.values(resource, metric, stat, EVIDENCE_HOURS)
        return round(float(np.percentile(values, q)), 4)

    def finding(
        self, rule: str, resource: Resource, savings: float, evidence: Json, target: str = ""
    ) -> Json:
        """Return one ground-truth finding with the resource's 30-day cost."""
        result: Json = {
            "rule": rule,
            "resource_id": resource.id.lower(),
            "resource_name": resource.name,
            "subscription_id": resource.subscription.guid,
            "resource_group": resource.group,
            "monthly_cost": round(self.monthly_cost(resource), 6),
            "monthly_savings": round(savings, 6),
            "evidence": evidence,
        }
        if target:
            result["target_size"] = target
        return result

    def roles(self, arm_type: str, role: str) -> list[Resource]:
        """Return the listed resources of a type planted with a role."""
        return [r for r in self.estate.of_type(arm_type) if r.role == role]


VM = "Microsoft.Compute/virtualMachines"


def _idle_vms(j: Judge) -> list[Json]:
    return [
        j.finding(
            "idle_vm",
            vm,
            j.monthly_cost(vm),
            {
                "power_state": power_state(vm, j.estate.as_of),
                "cpu_max_p95_percent": j.stat(vm, "Percentage CPU", 95),
                "network_out_max_bytes_per_hour": j.stat(vm, "Network Out Total", 100, "total"),
            },
        )
        for vm in j.roles(VM, "idle")
    ]


def _rightsize_vms(j: Judge) -> list[Json]:
    findings = []
    for vm in j.roles(VM, "rightsize"):
        available_p5 = j.stat(vm, "Available Memory Percentage", 5, "average")
        evidence = {
            "vm_size": vm.sku,
            "vcpus": c.VM_SIZES[vm.sku].vcpus,
            "cpu_max_p95_percent": j.stat(vm, "Percentage CPU", 95),
            "memory_used_p95_percent": round(100.0 - available_p5, 4),
        }
        savings = j.monthly_cost(vm) * 0.5  # same family, half the vCPUs, half the price
        findings.append(j.finding("rightsize_vm", vm, savings, evidence, c.half_size(vm.sku)))
    return findings


def _stopped_vms(j: Judge) -> list[Json]:
    findings = []
    for vm in j.roles(VM, "stopped"):
        assert vm.changed is not None
        evidence = {
            "power_state": power_state(vm, j.estate.as_of),
            "stopped_since": vm.changed.date().isoformat(),
            "days_stopped": (j.estate.end - vm.changed.date()).days,
        }
        findings.append(j.finding("stopped_vm_not_deallocated", vm, j.monthly_cost(vm), evidence))
    return findings


def _long_deallocated_vms(j: Judge) -> list[Json]:
    findings = []
    for vm in j.roles(VM, "deallocated"):
        since = deallocated_since(vm, j.estate.start, j.estate.as_of)
        assert since is not None
        disks = vm.linked("os_disk") + vm.linked("data_disks")
        disk_cost = sum(j.monthly_cost(disk) for disk in disks)
        evidence = {
            "power_state": "deallocated",
            "deallocated_since": since.isoformat(),
            "days_deallocated": (j.estate.end - since).days,
            "disk_ids": [disk.id.lower() for disk in disks],
            "disks_monthly_cost": round(disk_cost, 6),
        }
        findings.append(j.finding("long_deallocated_vm", vm, disk_cost, evidence))
    return findings


def _unattached_disks(j: Judge) -> list[Json]:
    return [
        j.finding(
            "unattached_disk",
            disk,
            j.monthly_cost(disk),
            {
                "disk_state": "Unattached",
                "sku": disk.sku,
                "size_gb": disk.size_gb,
                "time_created": disk.created.isoformat(),
                "days_unattached": int(disk.attrs["detached_days"])
                if "detached_days" in disk.attrs
                else None,
            },
        )
        for disk in j.roles("Microsoft.Compute/disks", "unattached")
    ]


READ_WRITE = ("Read", "Write")


def _underused_premium_disks(j: Judge) -> list[Json]:
    findings = []
    for disk in j.roles("Microsoft.Compute/disks", "underused"):
        tier = c.DISK_TIERS[disk.sku][disk.size_gb]
        iops = sum(j.stat(disk, f"Composite Disk {io} Operations/sec", 100) for io in READ_WRITE)
        mbps = sum(j.stat(disk, f"Composite Disk {io} Bytes/sec", 100) for io in READ_WRITE) / MIB
        ratio = prices.standard_ssd_ratio(disk.size_gb)
        assert ratio is not None, disk.size_gb
        evidence = {
            "tier": tier.name,
            "owner_vm": disk.owner.id.lower() if disk.owner else "",
            "iops_limit": tier.iops,
            "mbps_limit": tier.mbps,
            "max_iops": round(iops, 4),
            "max_iops_percent": round(100.0 * iops / tier.iops, 4),
            "max_mbps": round(mbps, 4),
            "max_mbps_percent": round(100.0 * mbps / tier.mbps, 4),
            "standard_ssd_price_ratio": ratio,
        }
        savings = j.monthly_cost(disk) * (1.0 - ratio)
        target = c.DISK_TIERS["StandardSSD_LRS"][disk.size_gb].name
        findings.append(j.finding("underused_premium_disk", disk, savings, evidence, target))
    return findings


def _old_snapshots(j: Judge) -> list[Json]:
    return [
        j.finding(
            "old_snapshot",
            snap,
            j.monthly_cost(snap),
            {
                "time_created": snap.created.isoformat(),
                "age_days": (j.estate.end - snap.created).days,
            },
        )
        for snap in j.roles("Microsoft.Compute/snapshots", "old")
    ]


def _orphans(j: Judge) -> list[Json]:
    ips = [
        j.finding(
            "orphaned_public_ip",
            pip,
            j.monthly_cost(pip),
            {"ip_configuration": None, "nat_gateway": None},
        )
        for pip in j.roles("Microsoft.Network/publicIPAddresses", "orphan")
    ]
    nics = [
        j.finding("orphaned_nic", nic, 0.0, {"virtual_machine": None, "private_endpoint": None})
        for nic in j.roles("Microsoft.Network/networkInterfaces", "orphan")
    ]
    return ips + nics


def _idle_network(j: Judge) -> list[Json]:
    balancers = [
        j.finding("idle_load_balancer", lb, j.monthly_cost(lb), {"sku": lb.sku, "backend_pools": 0})
        for lb in j.roles("Microsoft.Network/loadBalancers", "idle")
    ]
    gateways = [
        j.finding(
            "idle_app_gateway", gw, j.monthly_cost(gw), {"backend_pools": 1, "backend_targets": 0}
        )
        for gw in j.roles("Microsoft.Network/applicationGateways", "idle")
    ]
    return balancers + gateways


PLAN = "Microsoft.Web/serverFarms"


def _plans(j: Judge) -> list[Json]:
    findings = []
    for plan in j.roles(PLAN, "empty"):
        evidence = {"sku": plan.sku, "tier": c.PLAN_SKUS[plan.sku][0], "number_of_sites": 0}
        findings.append(j.finding("empty_app_service_plan", plan, j.monthly_cost(plan), evidence))
    for plan in j.roles(PLAN, "underused"):
        target = c.PLAN_SKUS[plan.sku][2]
        ratio = c.PLAN_SKUS[target][1] / c.PLAN_SKUS[plan.sku][1]
        evidence = {
            "sku": plan.sku,
            "number_of_sites": int(plan.attrs["sites"]),
            "cpu_p99_percent": j.stat(plan, "CpuPercentage", 99),
            "memory_p99_percent": j.stat(plan, "MemoryPercentage", 99, "average"),
        }
        savings = j.monthly_cost(plan) * (1.0 - ratio)
        findings.append(j.finding("underused_app_service_plan", plan, savings, evidence, target))
    return findings


def _capacity_lines(ledger: Ledger, account: Resource) -> list[int]:
    """Rows of the account's stored-data (GB/Month) meter in the ledger."""
    return ledger.line_indices(
        lambda line: line.resource is account and line.meter.unit == "GB/Month"
    )


def _storage_tiering(j: Judge) -> list[Json]:
    findings = []
    cool_share = c.STORAGE_GB_MONTH["Cool"] / c.STORAGE_GB_MONTH["Hot"]
    write_extra = (prices.STORAGE_WRITE_10K["Cool"] - prices.STORAGE_WRITE_10K["Hot"]) / 10_000
    for account in j.roles("Microsoft.Storage/storageAccounts", "archive"):
        used_gb = float(j.metrics.values(account, "UsedCapacity", "average")[-1]) / 2**30
        per_day = _daily_totals(j, account, "Transactions")
        egress_gb_month = float(_daily_totals(j, account, "Egress").mean()) * WINDOW_DAYS / 2**30
        # the real 30-day cost of the stored data and its GB-months: the account's own price
        capacity = _capacity_lines(j.ledger, account)
        capacity_cost = int(j.ledger.costs["billed"][capacity, -WINDOW_DAYS:].sum()) / MICRO
        gb_months = float(j.ledger.quantity[capacity, -WINDOW_DAYS:].sum())
        price_factor = capacity_cost / gb_months / c.STORAGE_GB_MONTH["Hot"]
        transactions_month = float(per_day.mean()) * WINDOW_DAYS
        extra = transactions_month * write_extra * price_factor
        retrieval = egress_gb_month * prices.STORAGE_RETRIEVAL_GB["Cool"] * price_factor
        savings = capacity_cost * (1.0 - cool_share) - extra - retrieval
        evidence = {
            "access_tier": "Hot",
            "used_capacity_gb": round(used_gb, 4),
            "transactions_per_day_max": round(float(per_day.max()), 4),
            "transactions_per_month": round(transactions_month, 4),
            "egress_gb_per_month": round(egress_gb_month, 4),
            "capacity_monthly_cost": round(capacity_cost, 6),
            "extra_operations_cost": round(extra, 6),
            "retrieval_cost": round(retrieval, 6),
        }
        findings.append(j.finding("storage_tiering", account, savings, evidence, "Cool"))
    return findings


def _daily_totals(j: Judge, account: Resource, metric: str) -> np.ndarray:
    """Daily sums of a metric's hourly totals over the evidence window."""
    hourly = j.metrics.values(account, metric, "total", EVIDENCE_HOURS)
    days: np.ndarray = hourly.reshape(-1, 24).sum(axis=1)
    return days


def _idle_databases(j: Judge) -> list[Json]:
    findings = []
    for db in j.roles("Microsoft.Sql/servers/databases", "idle"):
        target = c.sql_step_down(db.sku)
        ratio = c.sql_sku(target)[3] / c.sql_sku(db.sku)[3]
        evidence = {
            "service_objective": db.sku,
            "dtus": c.sql_sku(db.sku)[2],
            "dtu_p99_percent": j.stat(db, "dtu_consumption_percent", 99, "average"),
            "dtu_max_p99_percent": j.stat(db, "dtu_consumption_percent", 99),
        }
        savings = j.monthly_cost(db) * (1.0 - ratio)
        findings.append(j.finding("idle_sql_database", db, savings, evidence, target))
    return findings


def _untagged(j: Judge) -> list[Json]:
    findings = []
    resources = {id(line.resource): line.resource for line in j.ledger.lines}
    for resource in resources.values():
        missing = [tag for tag in c.REQUIRED_TAGS if tag not in resource.tags]
        if missing and j.monthly_cost(resource) > 0:
            evidence = {"missing_tags": missing, "tags": dict(resource.tags)}
            findings.append(j.finding("untagged_cost", resource, 0.0, evidence))
    return findings


def reservation_group_id(location: str, vm_size: str, years: int, currency: str) -> str:
    """The id a reservation recommendation stands under (one per size, region, term, currency)."""
    return (
        "/providers/microsoft.capacity/reservationrecommendations/virtualmachines/"
        f"{location}/{vm_size}/p{years}y/{currency}"
    ).lower()


def _reservation_candidates(j: Judge) -> list[Json]:
    """Busy VMs running every hour of the window, one finding per size and region (1 year).

    Demo VMs are priced as Linux (no licence meter) and none is spot, so the whole
    monthly cost is the base the discount applies to.
    """
    hours = j.ledger.cal.hours[-WINDOW_DAYS * 24 :]
    groups: dict[tuple[str, str], list[Resource]] = {}
    for vm in j.roles(VM, "busy"):
        running, _ = vm_power(vm, hours)
        if running.all():
            groups.setdefault((vm.location, vm.sku), []).append(vm)
    findings = []
    for (location, size), vms in sorted(groups.items()):
        family = c.VM_SIZES[size].family
        rate, plan_rate = prices.commitment_discounts(family, 1)
        base = sum(j.monthly_cost(vm) for vm in vms)
        subscriptions = sorted({vm.subscription.guid for vm in vms})
        evidence = {
            "vm_size": size,
            "location": location,
            "term": "P1Y",
            "quantity": len(vms),
            "vm_ids": sorted(vm.id.lower() for vm in vms),
            "family": family,
            "running_hours": int(sum(vm_power(vm, hours)[0].sum() for vm in vms)),
            "base_monthly_cost": round(base, 6),
            "reservation_discount": rate,
            "savings_plan_discount": plan_rate,
            "savings_plan_monthly_savings": round(base * plan_rate, 6),
        }
        findings.append(
            {
                "rule": "reservation_candidate",
                "resource_id": reservation_group_id(location, size, 1, "USD"),
                "resource_name": f"{size} x {len(vms)} in {location} (1-year)",
                "subscription_id": subscriptions[0] if len(subscriptions) == 1 else None,
                "resource_group": None,
                "monthly_cost": round(base, 6),
                "monthly_savings": round(base * rate, 6),
                "evidence": evidence,
            }
        )
    return findings


RULES: tuple[Callable[[Judge], list[Json]], ...] = (
    _idle_vms,
    _rightsize_vms,
    _stopped_vms,
    _long_deallocated_vms,
    _unattached_disks,
    _underused_premium_disks,
    _old_snapshots,
    _orphans,
    _idle_network,
    _plans,
    _storage_tiering,
    _idle_databases,
    _untagged,
    _reservation_candidates,
)


# Look-alikes: (type, role) -> (the rule they resemble, why it must not flag them).
LOOK_ALIKES: dict[tuple[str, str], tuple[str, str]] = {
    (VM, "aks"): ("idle_vm", "an AKS node: AKS owns it and would recreate it"),
    (VM, "fresh"): ("idle_vm", "three hours of metrics are too few to call it idle"),
    ("Microsoft.Compute/disks", "aks_volume"): (
        "unattached_disk",
        "a Kubernetes persistent volume between pods",
    ),
    ("Microsoft.Compute/disks", "upload"): ("unattached_disk", "waiting for an upload"),
    ("Microsoft.Compute/disks", "detached_recently"): (
        "unattached_disk",
        "detached two days ago, under the minimum age",
    ),
    ("Microsoft.Network/loadBalancers", "nat"): (
        "idle_load_balancer",
        "no backend pool, but inbound NAT rules in use",
    ),
    ("Microsoft.Compute/snapshots", "image_source"): ("old_snapshot", "an image was built from it"),
}


def look_alikes(judge: Judge) -> list[Json]:
    """Resources planted to resemble a finding that a correct rule leaves alone."""
    result = []
    for (arm_type, role), (rule, why) in LOOK_ALIKES.items():
        for resource in judge.roles(arm_type, role):
            result.append(
                {"resource_id": resource.id.lower(), "resembles": rule, "why": why, "role": role}
            )
    return sorted(result, key=lambda r: r["resource_id"])


def planted_findings(judge: Judge) -> list[Json]:
    """Return every planted finding, sorted by rule and resource id."""
    findings = [finding for rule in RULES for finding in rule(judge)]
    return sorted(findings, key=lambda f: (f["rule"], f["resource_id"]))
