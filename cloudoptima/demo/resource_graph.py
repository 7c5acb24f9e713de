"""The inventory snapshot as ``az graph query`` prints it (Azure Resource Graph rows)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from cloudoptima.demo import catalog as c
from cloudoptima.demo import inventory_props as p
from cloudoptima.demo.estate import Estate, Resource, power_state
from cloudoptima.demo.inventory_props import Context, Json, iso

IMAGES = {
    "Linux": {
        "publisher": "Canonical",
        "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2",
        "version": "latest",
    },
    "Windows": {
        "publisher": "MicrosoftWindowsServer",
        "offer": "WindowsServer",
        "sku": "2022-datacenter-azure-edition",
        "version": "latest",
    },
}
OS_NAMES = {
    "Linux": ("ubuntu", "22.04"),
    "Windows": ("Windows Server 2022 Datacenter", "10.0.20348"),
}


def disk_reference_id(disk: Resource) -> str:
    """Return a disk id as a VM's storage profile holds it.

    Azure writes the resource group of a VM's disks upper-cased, so joins must
    ignore case; the demo keeps that quirk.
    """
    return disk.id.replace(
        f"/resourceGroups/{disk.group}/", f"/resourceGroups/{disk.group.upper()}/"
    )


def disk_state(disk: Resource, ctx: Context) -> str:
    """Return ``Attached``, ``Reserved`` (owner deallocated), ``ReadyToUpload`` or ``Unattached``."""
    if disk.role == "upload":
        return "ReadyToUpload"
    if disk.owner is None:
        return "Unattached"
    state = power_state(disk.owner, ctx.estate.as_of)
    return "Reserved" if state == "deallocated" else "Attached"


def _managed_disk(disk: Resource) -> Json:
    return {"id": disk_reference_id(disk), "storageAccountType": disk.sku}


def _storage_profile(vm: Resource) -> Json:
    os_disk = vm.linked("os_disk")[0]
    data_disks = [
        {
            "lun": lun,
            "name": disk.name,
            "createOption": "Empty",
            "caching": "ReadOnly" if disk.sku == "Premium_LRS" else "None",
            "diskSizeGB": disk.size_gb,
            "managedDisk": _managed_disk(disk),
            "toBeDetached": False,
            "deleteOption": "Detach",
        }
        for lun, disk in enumerate(vm.linked("data_disks"))
    ]
    os_disk_entry = {
        "osType": vm.attrs["os"],
        "name": os_disk.name,
        "createOption": "FromImage",
        "caching": "ReadWrite",
        "diskSizeGB": os_disk.size_gb,
        "managedDisk": _managed_disk(os_disk),
        "deleteOption": "Delete",
    }
    return {
        "imageReference": IMAGES[vm.attrs["os"]],
        "osDisk": os_disk_entry,
        "dataDisks": data_disks,
    }


def _instance_view(vm: Resource, ctx: Context) -> Json:
    state = power_state(vm, ctx.estate.as_of)
    os_name, os_version = OS_NAMES[vm.attrs["os"]]
    power = {"code": f"PowerState/{state}", "level": "Info", "displayStatus": f"VM {state}"}
    return {
        "computerName": vm.name,
        "osName": os_name,
        "osVersion": os_version,
        "hyperVGeneration": "V2",
        "powerState": power,
    }


def vm_props(vm: Resource, ctx: Context) -> Json:
    """Virtual machine with size, disks, NICs and the instance-view power state."""
    nics = [{"id": nic.id, "properties": {"primary": True}} for nic in vm.linked("nics")]
    return {
        "vmId": vm.uid,
        "hardwareProfile": {"vmSize": vm.sku},
        "storageProfile": _storage_profile(vm),
        "osProfile": {"computerName": vm.name, "adminUsername": "cpadmin"},
        "networkProfile": {"networkInterfaces": nics},
        "provisioningState": "Succeeded",
        "timeCreated": iso(vm.created),
        "extended": {"instanceView": _instance_view(vm, ctx)},
    }


def disk_props(disk: Resource, ctx: Context) -> Json:
    """Managed disk with state, size and provisioned performance."""
    tier = c.DISK_TIERS[disk.sku][disk.size_gb]
    is_os = "os" in disk.attrs
    props: Json = {
        "creationData": {"createOption": "FromImage" if is_os else "Empty"},
        "diskSizeGB": disk.size_gb,
        "diskIOPSReadWrite": tier.iops,
        "diskMBpsReadWrite": tier.mbps,
        "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
        "networkAccessPolicy": "AllowAll",
        "publicNetworkAccess": "Enabled",
        "timeCreated": iso(disk.created),
        "provisioningState": "Succeeded",
        "diskState": disk_state(disk, ctx),
        "diskSizeBytes": disk.size_gb * 2**30,
        "uniqueId": disk.uid,
    }
    if is_os:
        props = {"osType": disk.attrs["os"], "hyperVGeneration": "V2", **props}
    if disk.sku != "Standard_LRS":
        props["tier"] = tier.name  # Standard HDD disks have no performance tier
    if disk.role == "upload":
        props["creationData"] = {"createOption": "Upload", "uploadSizeBytes": disk.size_gb * 2**30}
    ownership = _last_ownership_update(disk, ctx)
    if ownership is not None:
        # Resource Graph capitalises this one key; it is when the disk was last attached or detached.
        props["LastOwnershipUpdateTime"] = ownership
    return props


def _last_ownership_update(disk: Resource, ctx: Context) -> str | None:
    if disk.owner is not None:
        return iso(disk.created, hour=10)
    days = disk.attrs.get("detached_days")
    return iso(ctx.estate.end - timedelta(days=int(days)), hour=16) if days else None


def snapshot_props(snap: Resource, ctx: Context) -> Json:
    """Full (not incremental) snapshot of a managed disk."""
    source = snap.linked("source")[0]
    return {
        "creationData": {
            "createOption": "Copy",
            "sourceResourceId": source.id,
            "sourceUniqueId": source.uid,
        },
        "diskSizeGB": snap.size_gb,
        "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
        "incremental": False,
        "networkAccessPolicy": "AllowAll",
        "timeCreated": iso(snap.created, hour=1),
        "provisioningState": "Succeeded",
        "diskState": "Unattached",
        "diskSizeBytes": snap.size_gb * 2**30,
        "uniqueId": snap.uid,
    }


def image_props(image: Resource, ctx: Context) -> Json:
    """Managed image built from a snapshot of an OS disk."""
    snapshot = image.linked("source")[0]
    os_disk = {
        "osType": image.attrs["os"],
        "osState": "Generalized",
        "snapshot": {"id": snapshot.id},
        "caching": "ReadWrite",
        "storageAccountType": "Standard_LRS",
        "diskSizeGB": snapshot.size_gb,
    }
    return {
        "sourceVirtualMachine": None,
        "storageProfile": {"osDisk": os_disk, "dataDisks": [], "zoneResilient": False},
        "provisioningState": "Succeeded",
        "hyperVGeneration": "V2",
    }


PropsBuilder = Callable[[Resource, Context], Json]

PROPERTIES: dict[str, PropsBuilder] = {
    "microsoft.compute/virtualmachines": vm_props,
    "microsoft.compute/disks": disk_props,
    "microsoft.compute/snapshots": snapshot_props,
    "microsoft.compute/images": image_props,
    "microsoft.network/publicipaddresses": p.public_ip_props,
    "microsoft.network/networkinterfaces": p.nic_props,
    "microsoft.network/loadbalancers": p.load_balancer_props,
    "microsoft.network/applicationgateways": p.app_gateway_props,
    "microsoft.network/privateendpoints": p.private_endpoint_props,
    "microsoft.network/virtualnetworks": p.vnet_props,
    "microsoft.network/networksecuritygroups": p.nsg_props,
    "microsoft.web/serverfarms": p.plan_props,
    "microsoft.sql/servers": p.sql_server_props,
    "microsoft.sql/servers/databases": p.database_props,
    "microsoft.storage/storageaccounts": p.storage_props,
    "microsoft.keyvault/vaults": p.key_vault_props,
    "microsoft.operationalinsights/workspaces": p.workspace_props,
    "microsoft.datafactory/factories": p.factory_props,
}


def _sku(resource: Resource) -> Json | None:
    """Return the top-level ``sku`` object as Resource Graph shows it (None when absent)."""
    kind = resource.type
    if kind == "microsoft.compute/disks" or kind == "microsoft.compute/snapshots":
        return {"name": resource.sku, "tier": c.DISK_SKU_TIER.get(resource.sku, "Standard")}
    if kind in ("microsoft.network/publicipaddresses", "microsoft.network/loadbalancers"):
        return {"name": resource.sku, "tier": "Regional"}
    if kind == "microsoft.web/serverfarms":
        tier = c.PLAN_SKUS[resource.sku][0]
        family = resource.sku[0] if tier != "PremiumV3" else "Pv3"
        size = {"name": resource.sku, "tier": tier, "size": resource.sku, "family": family}
        return {**size, "capacity": 0 if tier == "Free" else resource.count}
    if kind == "microsoft.sql/servers/databases":
        return _database_sku(resource.sku)
    if kind == "microsoft.storage/storageaccounts":
        return {"name": resource.sku, "tier": "Standard"}
    return None


def _database_sku(service_objective: str) -> Json:
    """Return a database's ARM ``sku``: the edition as name, the DTUs as capacity."""
    if service_objective.startswith("GP_S_"):
        return {"name": "GP_S_Gen5", "tier": "GeneralPurpose", "family": "Gen5", "capacity": 2}
    _, tier, dtus, _ = c.sql_sku(service_objective)
    return {"name": tier, "tier": tier, "capacity": dtus}


KINDS = {
    "microsoft.storage/storageaccounts": "StorageV2",
    "microsoft.web/serverfarms": "linux",
    "microsoft.sql/servers": "v12.0",
    "microsoft.datafactory/factories": "",
}


def _kind(resource: Resource) -> str:
    if resource.type == "microsoft.sql/servers/databases":
        return "v12.0,user,vcore,serverless" if resource.role == "serverless" else "v12.0,user"
    return KINDS.get(resource.type, "")


def graph_row(resource: Resource, ctx: Context) -> Json:
    """Return one Resource Graph row (keys in the order ``az graph query`` prints them)."""
    is_disk = resource.type == "microsoft.compute/disks"
    managed_by = resource.owner.id if is_disk and resource.owner is not None else ""
    return {
        "id": resource.id,
        "name": resource.name,
        "type": resource.type,
        "tenantId": ctx.estate.tenant_id,
        "kind": _kind(resource),
        "location": resource.location,
        "resourceGroup": resource.group.lower(),
        "subscriptionId": resource.subscription.guid,
        "managedBy": managed_by,
        "sku": _sku(resource),
        "plan": None,
        "properties": PROPERTIES[resource.type](resource, ctx),
        "tags": dict(resource.tags),
        "identity": None,
        "zones": None,
        "extendedLocation": None,
    }


def resource_graph_rows(estate: Estate) -> list[Json]:
    """Return the rows of ``Resources | order by id asc`` for the snapshot."""
    ctx = Context(estate)
    listed = sorted(estate.listed, key=lambda resource: resource.id.lower())
    return [graph_row(resource, ctx) for resource in listed]


def write_inventory(estate: Estate, path: Path) -> Path:
    """Write the snapshot in the ``az graph query`` output shape."""
    rows = resource_graph_rows(estate)
    document = {"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
