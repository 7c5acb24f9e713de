"""Build the demo estate (Contoso Pharma) from the tables in :mod:`workloads`."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from cloudoptima.demo import workloads as w
from cloudoptima.demo.catalog import RESERVATION_DISCOUNT_1Y, VM_SIZES
from cloudoptima.demo.estate import Estate, Reservation, Resource, Subscription, new_guid

# The nightly inventory job runs at 02:00 UTC the day after the last cost day.
SNAPSHOT_HOUR = 2
RESERVATION_AGE_MONTHS = 9
# Reserved VMs were briefly deallocated for patching, but only before this many
# days before the end, so the last month shows them running 24x7.
OUTAGE_QUIET_DAYS = 40


def window_start(end: date) -> date:
    """Return the first cost day: the 1st of the month twelve months before ``end``'s."""
    month = end.year * 12 + end.month - 1 - 12
    return date(month // 12, month % 12 + 1, 1)


def month_start(day: date, months_back: int) -> date:
    """Return the 1st of the month ``months_back`` months before ``day``'s month."""
    month = day.year * 12 + day.month - 1 - months_back
    return date(month // 12, month % 12 + 1, 1)


class _Builder:
    def __init__(self, seed: int, end: date) -> None:
        self.rng = random.Random(seed)
        self.end = end
        self.subscriptions = {
            key: Subscription(key, new_guid(self.rng), name, dept, str(self.rng.randrange(10**6)))
            for key, name, dept in w.SUBSCRIPTIONS
        }
        self.resources: list[Resource] = []
        self.by_name: dict[str, Resource] = {}

    def add(
        self,
        arm_type: str,
        name: str,
        group: str,
        age: int,
        *,
        role: str = "busy",
        sku: str = "",
        location: str = "",
        usage: float = 0.0,
    ) -> Resource:
        """Add a resource created ``age`` days before the end, tagged from its group."""
        spec = w.GROUPS[group]
        resource = Resource(
            arm_type=arm_type,
            name=name,
            subscription=self.subscriptions[spec.subscription],
            group=group,
            location=location or spec.location,
            created=self.end - timedelta(days=age),
            uid=new_guid(self.rng),
            role=role,
            sku=sku,
            tags={"env": spec.env, "team": spec.team, "costcenter": spec.costcenter},
            usage=usage,
        )
        resource.attrs["subnet"] = f"{spec.vnet}/{spec.subnet}"
        self.resources.append(resource)
        self.by_name[name] = resource
        return resource

    def at(self, days_before_end: int, hour: int) -> datetime:
        """Return the moment ``days_before_end`` days before the end at ``hour`` UTC."""
        return datetime.combine(self.end - timedelta(days=days_before_end), time(hour))


def build_estate(seed: int, end: date) -> Estate:
    """Return the demo company's estate, a pure function of ``seed`` and ``end``."""
    b = _Builder(seed, end)
    for add_part in (
        _add_networks,
        _add_vms,
        _add_orphans,
        _add_snapshots,
        _add_balancers,
        _add_plans,
        _add_sql,
        _add_storage,
        _add_platform,
        _add_surge,
        _add_look_alikes,
    ):
        add_part(b)
    return Estate(
        seed=seed,
        end=end,
        start=window_start(end),
        as_of=datetime.combine(end + timedelta(days=1), time(SNAPSHOT_HOUR)),
        tenant_id=new_guid(b.rng),
        billing_account=str(b.rng.randint(10**7, 10**8)),
        subscriptions=list(b.subscriptions.values()),
        resources=b.resources,
        reservation=_add_reservation(b),
        workspace_id=b.by_name["log-cp-shared-01"].uid,
    )


def _add_networks(b: _Builder) -> None:
    for group, name, prefix, subnets in w.VNETS:
        location = "westeurope" if name.endswith("westeurope") else "eastus"
        vnet = b.add("Microsoft.Network/virtualNetworks", name, group, w.OLD, location=location)
        vnet.attrs.update(prefix=prefix, subnets=",".join(subnets))
    for group, name in w.NSGS:
        b.add("Microsoft.Network/networkSecurityGroups", name, group, w.OLD)


def _add_vms(b: _Builder) -> None:
    for spec in w.VMS:
        _add_vm(b, spec)


def _add_vm(b: _Builder, spec: w.Vm) -> Resource:
    """A VM with its OS and data disks, its NIC and (when asked) a public IP."""
    underused = dict(w.UNDERUSED_DISKS)
    vm = b.add("Microsoft.Compute/virtualMachines", spec.name, spec.group, spec.age)
    vm.role, vm.sku, vm.attrs["os"] = spec.role, spec.size, spec.os
    if spec.name in w.POWER_CHANGE_DAYS:
        vm.changed = b.at(w.POWER_CHANGE_DAYS[spec.name], b.rng.randint(8, 18))
    # Only busy machines get Premium disks: a Premium disk behind an idle, stopped or
    # scheduled VM would be an under-used disk nobody planted.
    os_sku = "Premium_LRS" if spec.role in ("busy", "reserved") else "StandardSSD_LRS"
    os_name = f"{spec.name}_OsDisk_1_{vm.uid.replace('-', '')}"
    disks = [_add_disk(b, vm, os_name, os_sku, 128)]
    disks[0].attrs["os"] = spec.os
    for index, (sku, size) in enumerate(spec.data):
        disk = _add_disk(b, vm, f"{spec.name}-data-{index + 1:02d}", sku, size)
        disk.role = "underused" if underused.get(spec.name, -1) == index else "attached"
        disks.append(disk)
    nic = b.add("Microsoft.Network/networkInterfaces", f"nic-{spec.name}", spec.group, spec.age)
    nic.owner = vm
    vm.links.update(os_disk=disks[:1], data_disks=disks[1:], nics=[nic])
    if spec.public_ip:
        pip = b.add("Microsoft.Network/publicIPAddresses", f"pip-{spec.name}", spec.group, spec.age)
        pip.owner, pip.sku = nic, "Standard"
        nic.links["public_ip"] = [pip]
    return vm


def _add_disk(b: _Builder, vm: Resource, name: str, sku: str, size: int) -> Resource:
    age = (b.end - vm.created).days
    disk = b.add("Microsoft.Compute/disks", name, vm.group, age, sku=sku)
    disk.owner, disk.role, disk.size_gb = vm, "attached", size
    return disk


def _add_orphans(b: _Builder) -> None:
    for spec in w.ORPHAN_DISKS:
        _add_orphan_disk(b, spec)
    for group, name in (("RG-Prod-App", "nic-vm-old-erp-01"), ("RG-Test-App", "nic-test-temp-01")):
        b.add("Microsoft.Network/networkInterfaces", name, group, 210, role="orphan")
    for group, name in (
        ("RG-Prod-App", "pip-vm-old-erp-01"),
        ("RG-NonProd-Network", "pip-test-vpn"),
    ):
        b.add(
            "Microsoft.Network/publicIPAddresses", name, group, 230, role="orphan", sku="Standard"
        )


def _add_orphan_disk(b: _Builder, spec: w.Disk) -> Resource:
    disk = b.add("Microsoft.Compute/disks", spec.name, spec.group, spec.age)
    disk.sku, disk.size_gb, disk.role = spec.sku, spec.size_gb, spec.role
    if spec.detached is not None:
        disk.attrs["detached_days"] = str(spec.detached)
    if spec.role == "asr":
        disk.tags["ASR-ReplicaDisk"] = "vm-lims-01"
    if spec.role == "aks_volume":
        disk.tags.update(w.PVC_TAGS)
    return disk


def _add_snapshots(b: _Builder) -> None:
    for spec in w.SNAPSHOTS:
        _add_snapshot(b, *spec, role="old" if spec[-1] > 120 else "recent")


def _add_snapshot(
    b: _Builder, group: str, name: str, vm_name: str, source: str | int, age: int, *, role: str
) -> Resource:
    vm = b.by_name[vm_name]
    disk = vm.linked("os_disk")[0] if source == "os" else vm.linked("data_disks")[int(source)]
    snap = b.add("Microsoft.Compute/snapshots", name, group, age, role=role, sku="Standard_LRS")
    snap.size_gb = disk.size_gb
    snap.links["source"] = [disk]
    return snap


def _add_look_alikes(b: _Builder) -> None:
    """Resources that resemble a finding but are fine (see ``planted.LOOK_ALIKES``)."""
    for spec in w.LOOK_ALIKE_VMS:
        vm = _add_vm(b, spec)
        if spec.role == "aks":
            vm.tags.update(w.AKS_NODE_TAGS)
        if spec.role == "fresh":  # created on the last day, running its last hours only
            vm.outages = ((b.at(0, 0), 24 - w.FRESH_VM_HOURS),)
    for disk in w.LOOK_ALIKE_DISKS:
        _add_orphan_disk(b, disk)
    snapshot = _add_snapshot(b, *w.GOLDEN_SNAPSHOT, role="image_source")
    group, name, _ = w.IMAGE
    age = (b.end - snapshot.created).days - 1
    image = b.add("Microsoft.Compute/images", name, group, age, role="image")
    image.links["source"] = [snapshot]
    image.attrs["os"] = snapshot.linked("source")[0].attrs["os"]
    # No backend pool, but inbound NAT rules forward RDP to the jump host.
    nat = b.add("Microsoft.Network/loadBalancers", "lb-shared-mgmt-nat", "RG-Shared-Network", 400)
    nat.sku, nat.role = "Standard", "nat"
    nat.links["frontend"] = [_add_frontend_ip(b, nat, "RG-Shared-Network")]
    nat.links["nat"] = [b.by_name["nic-vm-jump-01"]]


def _add_balancers(b: _Builder) -> None:
    web = [b.by_name[f"nic-vm-web-0{i}"] for i in range(1, 5)]
    app = [b.by_name[f"nic-vm-app-0{i}"] for i in range(1, 5)]
    for name, backend, public in (("lb-prod-web", web, True), ("lb-prod-app", app, False)):
        lb = b.add(
            "Microsoft.Network/loadBalancers", name, "RG-Prod-Network", w.OLD, sku="Standard"
        )
        lb.links["backend"] = backend
        if public:
            lb.links["frontend"] = [_add_frontend_ip(b, lb, "RG-Prod-Network")]
    idle = b.add("Microsoft.Network/loadBalancers", "lb-prod-legacy", "RG-Prod-Integration", 260)
    idle.sku, idle.role = "Standard", "idle"
    idle.links["frontend"] = [_add_frontend_ip(b, idle, "RG-Prod-Integration")]
    for name, group, targets, role in (
        ("agw-prod-portal", "RG-Prod-Web", 3, "busy"),
        ("agw-clinical-legacy", "RG-Prod-Clinical", 0, "idle"),
    ):
        gateway = b.add("Microsoft.Network/applicationGateways", name, group, w.OLD, role=role)
        gateway.sku, gateway.count, gateway.usage = "Standard_v2", targets, 9.0 if targets else 0.4
        gateway.links["frontend"] = [_add_frontend_ip(b, gateway, group)]


def _add_frontend_ip(b: _Builder, holder: Resource, group: str) -> Resource:
    pip = b.add("Microsoft.Network/publicIPAddresses", f"pip-{holder.name}", group, w.OLD)
    pip.owner, pip.sku = holder, "Standard"
    pip.created = holder.created
    return pip


def _add_plans(b: _Builder) -> None:
    for spec in w.PLANS:
        plan = b.add("Microsoft.Web/serverFarms", spec.name, spec.group, spec.age, role=spec.role)
        plan.sku, plan.count = spec.sku, spec.instances
        plan.attrs["sites"] = str(spec.sites)


def _add_sql(b: _Builder) -> None:
    for group, server_name in w.SQL_SERVERS:
        b.add("Microsoft.Sql/servers", server_name, group, w.OLD)
    for server_name, name, sku, role in w.DATABASES:
        server = b.by_name[server_name]
        db = b.add("Microsoft.Sql/servers/databases", name, server.group, w.OLD, sku=sku, role=role)
        db.owner = server


def _add_storage(b: _Builder) -> None:
    for spec in w.STORAGE:
        account = b.add("Microsoft.Storage/storageAccounts", spec.name, spec.group, spec.age)
        account.sku, account.role = "Standard_LRS", spec.role
        account.size_gb, account.usage = spec.size_gb, spec.transactions
        account.attrs["tier"] = spec.tier


def _add_platform(b: _Builder) -> None:
    for group, name, operations in w.KEY_VAULTS:
        b.add("Microsoft.KeyVault/vaults", name, group, w.OLD, sku="standard", usage=operations)
    for group, name, gigabytes in w.WORKSPACES:
        b.add(
            "Microsoft.OperationalInsights/workspaces",
            name,
            group,
            w.OLD,
            sku="PerGB2018",
            usage=gigabytes,
        )
    for group, name, runs, diu_hours, role in w.FACTORIES:
        factory = b.add(
            "Microsoft.DataFactory/factories", name, group, w.OLD, usage=runs, role=role
        )
        factory.attrs["diu_hours"] = str(diu_hours)
    for target_name, group_id in (("stcpdatalake01", "blob"), ("kv-cp-prod-data", "vault")):
        target = b.by_name[target_name]
        name = f"pe-{target_name}-{group_id}"
        endpoint = b.add("Microsoft.Network/privateEndpoints", name, "RG-Prod-Data", 300)
        nic = b.add(
            "Microsoft.Network/networkInterfaces",
            f"{name}.nic.{endpoint.uid[:8]}",
            "RG-Prod-Data",
            300,
        )
        nic.owner, nic.role = endpoint, "private_endpoint"
        endpoint.links.update(target=[target], nic=[nic])
        endpoint.attrs["group_id"] = group_id
        nic.attrs["subnet"] = endpoint.attrs["subnet"] = "vnet-prod-eastus/snet-pe"


def _add_surge(b: _Builder) -> None:
    """A molecular-dynamics GPU scale set that ran for three days, then was deleted."""
    days_back = b.rng.randint(125, 145)
    surge = b.add(
        "Microsoft.Compute/virtualMachineScaleSets", "vmss-md-sim", "RG-Dev-Sandbox", days_back
    )
    surge.sku, surge.role = "Standard_NC24ads_A100_v4", "surge"
    surge.removed = surge.created + timedelta(days=3)
    spike_days_back = b.rng.randint(24, 39)
    b.by_name["adf-cp-prod-etl"].changed = b.at(spike_days_back, 0)


def _add_reservation(b: _Builder) -> Reservation:
    covered = tuple(r for r in b.resources if r.role == "reserved")
    size = covered[0].sku
    purchased = month_start(b.end, RESERVATION_AGE_MONTHS)
    for offset, vm in enumerate(covered):
        vm.outages = tuple(
            (datetime.combine(day, time(2 + offset)), 3 + offset)
            for day in _second_saturdays(purchased, b.end - timedelta(days=OUTAGE_QUIET_DAYS))
        )
    price = VM_SIZES[size].hourly * (1 - RESERVATION_DISCOUNT_1Y[VM_SIZES[size].family])
    return Reservation(
        order_id=new_guid(b.rng),
        reservation_id=new_guid(b.rng),
        name=f"VM_RI_{size.removeprefix('Standard_')}_prod-web",
        vm_size=size,
        quantity=len(covered),
        purchased=purchased,
        hourly_rate=round(price, 6),
        covered=covered,
    )


def _second_saturdays(first: date, last: date) -> list[date]:
    days = []
    month = first
    while month <= last:
        first_saturday = month + timedelta(days=(5 - month.weekday()) % 7)
        if (second := first_saturday + timedelta(days=7)) <= last:
            days.append(second)
        month = (month + timedelta(days=32)).replace(day=1)
    return days
