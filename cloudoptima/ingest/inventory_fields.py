"""Turn one Azure resource record into a row of the ``resources`` table.

Records come in two shapes: Resource Graph and ARM objects keep the resource's settings
in a nested ``properties`` object, while az CLI commands such as ``az vm list`` and
``az disk list`` flatten them to the top level. :func:`unflatten_az_record` rebuilds the
ARM shape first, so :func:`resource_row` reads every field from one place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

JsonObject = dict[str, Any]

# Keys ARM keeps beside ``properties``; az CLI flattens everything else to the top level.
ARM_TOP_LEVEL_KEYS = frozenset(
    {
        "id",
        "name",
        "type",
        "location",
        "tags",
        "sku",
        "kind",
        "managedBy",
        "managedByExtended",
        "plan",
        "identity",
        "zones",
        "etag",
        "extendedLocation",
        "systemData",
        "resources",
        "resourceGroup",
        "subscriptionId",
        "tenantId",
        "properties",
    }
)
# `az vm list -d` adds these from other API calls; they are not VM properties in ARM.
AZ_VM_DETAIL_KEYS = frozenset({"powerState", "publicIps", "privateIps", "fqdns", "macAddresses"})
# az CLI derives key names from the SDK's snake_case attributes, so a few differ from ARM.
AZ_TO_ARM_KEYS = {
    "diskSizeGb": "diskSizeGB",
    "diskIopsReadWrite": "diskIOPSReadWrite",
    "diskIopsReadOnly": "diskIOPSReadOnly",
}

# Columns only some resource types fill; every row starts with them unset.
TYPED_COLUMNS = (
    "vm_size",
    "power_state",
    "disk_state",
    "disk_size_gb",
    "disk_iops",
    "disk_mbps",
    "disk_tier",
    "public_ip_associated",
    "nic_attached",
    "storage_kind",
    "access_tier",
    "site_count",
    "backend_pool_count",
    "backend_target_count",
)


class RecordError(ValueError):
    """A record field is missing or has the wrong shape; ``field`` is its dotted path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def resource_row(record: object, *, flattened: bool = False) -> JsonObject:
    """Return the ``resources`` row of one record (Resource Graph, ARM or az CLI shape)."""
    if not isinstance(record, dict):
        raise RecordError("id", "the record is not a JSON object")
    if flattened:
        record = unflatten_az_record(record)
    resource_id = _text(lookup(record, "id"))
    if not resource_id:
        raise RecordError("id", "the resource has no id")
    props = lookup(record, "properties")
    if props is not None and not isinstance(props, dict):
        raise RecordError("properties", "properties is not a JSON object")
    resource_type = (_text(lookup(record, "type")) or type_from_id(resource_id)).lower()
    row = _common_fields(record, resource_id, resource_type, props)
    row.update(dict.fromkeys(TYPED_COLUMNS))
    extractor = _TYPE_EXTRACTORS.get(resource_type)
    if extractor is not None:
        row.update(extractor(record, props))
    return row


def _common_fields(
    record: JsonObject, resource_id: str, resource_type: str, props: JsonObject | None
) -> JsonObject:
    tags = lookup(record, "tags")
    if tags is not None and not isinstance(tags, dict):
        raise RecordError("tags", "tags is not a JSON object")
    return {
        "resource_id": resource_id.lower(),
        "name": _text(lookup(record, "name")) or resource_id.rstrip("/").rsplit("/", 1)[-1],
        "type": resource_type,
        "location": _text(lookup(record, "location")),
        "resource_group": _text(lookup(record, "resourceGroup"))
        or id_segment(resource_id, "resourcegroups"),
        "subscription_id": _text(lookup(record, "subscriptionId"))
        or id_segment(resource_id, "subscriptions"),
        "tenant_id": _text(lookup(record, "tenantId")),
        "kind": _text(lookup(record, "kind")),
        "sku_name": _sku_part(lookup(record, "sku"), "name"),
        "sku_tier": _sku_part(lookup(record, "sku"), "tier"),
        "managed_by": _text(lookup(record, "managedBy")),
        "tags": json_text(tags or {}),
        "properties": None if props is None else json_text(props),
        # Disks, snapshots and (newer API versions) VMs carry timeCreated.
        "time_created": timestamp_text(lookup(props, "timeCreated"), "properties.timeCreated"),
    }


def unflatten_az_record(record: JsonObject) -> JsonObject:
    """Rebuild the ARM shape (nested ``properties``) of an az CLI ``vm``/``disk`` object."""
    nested = lookup(record, "properties")
    props: JsonObject = dict(nested) if isinstance(nested, dict) else {}
    for key, value in record.items():
        if key not in ARM_TOP_LEVEL_KEYS and key not in AZ_VM_DETAIL_KEYS:
            props[AZ_TO_ARM_KEYS.get(key, key)] = _arm_keys(value)
    power = _text(record.get("powerState"))
    if power:
        # Where Resource Graph puts it, so rules read one place for every source.
        view = props.setdefault("extended", {}).setdefault("instanceView", {})
        view["powerState"] = {"code": f"PowerState/{normalise_power_state(power)}"}
        view["powerState"]["displayStatus"] = power
    top = {key: value for key, value in record.items() if key in ARM_TOP_LEVEL_KEYS}
    return {**top, "properties": props}


def _arm_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {AZ_TO_ARM_KEYS.get(k, k): _arm_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_arm_keys(item) for item in value]
    return value


def lookup(obj: object, *path: str) -> Any:
    """Follow ``path`` through nested objects; keys match case-insensitively as a fallback."""
    for key in path:
        if not isinstance(obj, dict):
            return None
        if key in obj:
            obj = obj[key]
            continue
        lowered = key.lower()
        obj = next((v for k, v in obj.items() if k.lower() == lowered), None)
    return obj


def id_segment(resource_id: str, name: str) -> str | None:
    """Return the segment after ``/name/`` in an ARM id (case-insensitive), e.g. the group."""
    parts = resource_id.strip("/").split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == name:
            return parts[index + 1]
    return None


def type_from_id(resource_id: str) -> str:
    """Derive the resource type from an ARM id: provider namespace plus the type segments."""
    lowered = resource_id.lower()
    marker = lowered.rfind("/providers/")
    if marker < 0:
        return "microsoft.resources/resourcegroups" if "/resourcegroups/" in lowered else ""
    parts = resource_id[marker + len("/providers/") :].strip("/").split("/")
    return "/".join([parts[0], *parts[1::2]])


def json_text(value: Any) -> str:
    """Serialise ``value`` as compact JSON text, keeping non-ASCII characters readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def normalise_power_state(text: str) -> str | None:
    """'PowerState/running' or az's 'VM running' -> 'running'."""
    state = text.strip()
    if "/" in state:
        state = state.split("/", 1)[1]
    elif state.lower().startswith("vm "):
        state = state[3:]
    return state.strip().lower() or None


def timestamp_text(value: Any, field: str) -> str | None:
    """The text of a timestamp field; the SQL parser (sqltypes.try_timestamp) converts it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(field, f"{field} is not a timestamp: {value!r}")
    return value.strip()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text or None


def _sku_part(sku: Any, part: str) -> str | None:
    if isinstance(sku, str):
        # A few classic resources deliver the sku as a bare name.
        return (sku or None) if part == "name" else None
    return _text(lookup(sku, part))


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RecordError(field, f"{field} is not a number: {value!r}")
    try:
        return float(value)
    except ValueError:
        raise RecordError(field, f"{field} is not a number: {value!r}") from None


def _integer(value: Any, field: str) -> int | None:
    number = _number(value, field)
    if number is None:
        return None
    if not number.is_integer():
        raise RecordError(field, f"{field} is not a whole number: {value!r}")
    return int(number)


def _vm_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    code = (
        lookup(props, "extended", "instanceView", "powerState", "code")
        or _power_status(lookup(props, "instanceView", "statuses"))
        # A Resource Graph query may project it as a column, as the Optimization Engine does.
        or lookup(record, "powerState")
    )
    return {
        "vm_size": _text(lookup(props, "hardwareProfile", "vmSize")),
        "power_state": normalise_power_state(code) if isinstance(code, str) else None,
    }


def _power_status(statuses: Any) -> str | None:
    for status in statuses if isinstance(statuses, list) else []:
        code = lookup(status, "code")
        if isinstance(code, str) and code.lower().startswith("powerstate/"):
            return code
    return None


def _disk_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    return {
        "disk_state": _text(lookup(props, "diskState")),
        "disk_size_gb": _number(lookup(props, "diskSizeGB"), "properties.diskSizeGB"),
        "disk_iops": _number(lookup(props, "diskIOPSReadWrite"), "properties.diskIOPSReadWrite"),
        "disk_mbps": _number(lookup(props, "diskMBpsReadWrite"), "properties.diskMBpsReadWrite"),
        "disk_tier": _text(lookup(props, "tier")),
    }


def _snapshot_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    return {"disk_size_gb": _number(lookup(props, "diskSizeGB"), "properties.diskSizeGB")}


def _public_ip_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    # Without a properties object (a query that did not project it) we cannot tell.
    if props is None:
        return {}
    linked = lookup(props, "ipConfiguration") or lookup(props, "natGateway")
    return {"public_ip_associated": bool(linked)}


def _nic_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    if props is None:
        return {}
    owners = ("virtualMachine", "privateEndpoint", "privateLinkService")
    return {"nic_attached": any(lookup(props, key) for key in owners)}


def _storage_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    return {
        "storage_kind": _text(lookup(record, "kind")),
        "access_tier": _text(lookup(props, "accessTier")),
    }


def _plan_fields(record: JsonObject, props: JsonObject | None) -> JsonObject:
    return {"site_count": _integer(lookup(props, "numberOfSites"), "properties.numberOfSites")}


def _backend_fields(*target_keys: str) -> Callable[[JsonObject, JsonObject | None], JsonObject]:
    def extract(record: JsonObject, props: JsonObject | None) -> JsonObject:
        if props is None:
            return {}
        pools = lookup(props, "backendAddressPools") or []
        if not isinstance(pools, list):
            raise RecordError("properties.backendAddressPools", "backendAddressPools is not a list")
        targets = {
            key for index, pool in enumerate(pools) for key in _targets(index, pool, target_keys)
        }
        return {"backend_pool_count": len(pools), "backend_target_count": len(targets)}

    return extract


def _targets(pool_index: int, pool: Any, keys: tuple[str, ...]) -> Iterator[str]:
    """Yield one identity per backend target, so one NIC listed twice counts once."""
    inner = lookup(pool, "properties")
    inner = inner if isinstance(inner, dict) else pool
    for key in keys:
        items = lookup(inner, key)
        for item_index, item in enumerate(items if isinstance(items, list) else []):
            # Newer load balancer API versions list each NIC-based target both under
            # backendIPConfigurations and (by reference) under loadBalancerBackendAddresses.
            ref = _target_ref(item)
            yield ref.lower() if isinstance(ref, str) else f"{pool_index}/{key}/{item_index}"


def _target_ref(item: Any) -> Any:
    nic = "networkInterfaceIPConfiguration"
    return lookup(item, "properties", nic, "id") or lookup(item, nic, "id") or lookup(item, "id")


_TYPE_EXTRACTORS: dict[str, Callable[[JsonObject, JsonObject | None], JsonObject]] = {
    "microsoft.compute/virtualmachines": _vm_fields,
    "microsoft.compute/disks": _disk_fields,
    "microsoft.compute/snapshots": _snapshot_fields,
    "microsoft.network/publicipaddresses": _public_ip_fields,
    "microsoft.network/networkinterfaces": _nic_fields,
    "microsoft.storage/storageaccounts": _storage_fields,
    "microsoft.web/serverfarms": _plan_fields,
    "microsoft.network/loadbalancers": _backend_fields(
        "backendIPConfigurations", "loadBalancerBackendAddresses"
    ),
    "microsoft.network/applicationgateways": _backend_fields(
        "backendAddresses", "backendIPConfigurations"
    ),
}
