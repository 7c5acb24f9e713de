"""Inventory parsing: Resource Graph, ARM lists and az CLI output into resource rows."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cloudoptima.errors import IngestError
from cloudoptima.ingest.inventory import INVENTORY_FORMATS, inventory_format, parse_inventory
from cloudoptima.storage.schema import RESOURCE_COLUMNS

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
SUB = "00000000-0000-0000-0000-000000000001"
RG_ID = f"/subscriptions/{SUB}/resourceGroups/Prod-RG"
# Written independently of the code under test: SQL type -> Polars dtype.
DTYPES = {
    "VARCHAR": pl.String,
    "JSON": pl.String,
    "DOUBLE": pl.Float64,
    "INTEGER": pl.Int32,
    "BOOLEAN": pl.Boolean,
    "TIMESTAMP": pl.Datetime("us"),
}
SCHEMA = {
    name: DTYPES[sql]
    for name, sql in RESOURCE_COLUMNS.items()
    if name not in ("first_seen", "last_seen", "_import_id")
}


def sample(name: str) -> Path:
    """Path of a shared sample; fail (not skip) when the shared folder is missing."""
    if not SAMPLES.is_dir():
        pytest.fail(f"shared samples not found at {SAMPLES}; clone them next to the repository")
    path = SAMPLES / name
    assert path.is_file(), f"sample {path} is missing"
    return path


def write_json(tmp_path: Path, document: Any, name: str = "inventory.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def body(name: str) -> Any:
    return json.loads(sample(f"azure-rest/{name}").read_text())["responses"]["200"]["body"]


def expected(*rows: dict[str, Any]) -> pl.DataFrame:
    """A frame of the output schema; unspecified columns are null and tags '{}'."""
    return pl.DataFrame([{**dict.fromkeys(SCHEMA), "tags": "{}", **r} for r in rows], SCHEMA)


def res_id(kind: str, name: str) -> str:
    return f"{RG_ID}/providers/{kind}/{name}"


# --- detection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json", "resource-graph-json"),
        ("azure-rest/resourcegraph_ResourcesFirstPageQuery_2022-10-01.json", "resource-graph-json"),
        ("azure-rest/resourcegraph_ResourcesNextPageQuery_2022-10-01.json", "resource-graph-json"),
        (
            "azure-rest/resourcegraph_ResourcesPropertiesQuery_2021-03-01.json",
            "resource-graph-json",
        ),
        ("azure-rest/compute_Disk_ListBySubscription_2024-03-02.json", "arm-list"),
        (
            "azure-rest/compute_VirtualMachine_ListBySubscription_ByLocation_2024-07-01.json",
            "arm-list",
        ),
        ("azure-rest/compute_VirtualMachine_Get_InstanceView_2024-07-01.json", None),
        ("azure-rest/monitor_vm_metrics_captured_response.json", None),
        ("azure-rest/monitor_GetMetric_2023-10-01.json", None),
        ("azure-rest/costmanagement_BillingAccountQuery_2023-11-01.json", None),
        ("cost-exports/ftk_EA_ActualCost_Small.csv", None),
        ("cost-exports/focus1.0_sample_multicloud.csv", None),
    ],
)
def test_detects_format_of_samples(name: str, fmt: str | None) -> None:
    assert inventory_format(sample(name)) == fmt


def test_detection_reads_content_not_file_name(tmp_path: Path) -> None:
    body_ = body("resourcegraph_ResourcesBasicQuery_2021-03-01.json")
    assert inventory_format(write_json(tmp_path, body_, "export.csv")) == "resource-graph-json"


@pytest.mark.parametrize(
    ("document", "fmt"),
    [
        (
            [{"id": res_id("Microsoft.Web/sites", "a"), "type": "Microsoft.Web/sites"}],
            "az-resource-list",
        ),
        ({"count": 0, "data": [], "skip_token": None, "total_records": 0}, "resource-graph-json"),
        ({"value": []}, None),  # an empty ARM list could be anything
        ([], None),
        (
            {"value": [{"id": "/x/usageDetails/1", "type": "Microsoft.Consumption/usageDetails"}]},
            None,
        ),
        ({"error": {"code": "AuthorizationFailed", "message": "no"}}, None),
    ],
)
def test_detects_json_shapes(tmp_path: Path, document: Any, fmt: str | None) -> None:
    assert inventory_format(write_json(tmp_path, document)) == fmt


def test_malformed_json_is_not_detected_but_parse_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "data": [\n    {"id": "/x",}\n  ]\n}\n', encoding="utf-8")
    assert inventory_format(path) is None
    with pytest.raises(IngestError, match=r"broken\.json, line 3: is not valid JSON") as info:
        parse_inventory(path)
    assert info.value.line == 3


# --- Resource Graph -----------------------------------------------------------------


def test_resource_graph_basic_sample() -> None:
    frame = parse_inventory(sample("azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json"))
    sub = "cfbbd179-59d2-4052-aa06-9270a38aa9d6"
    net = f"/subscriptions/{sub}/resourcegroups/{{}}/providers/microsoft.network"
    assert_frame_equal(
        frame,
        expected(
            {
                "resource_id": net.format("rg1") + "/networkinterfaces/mynetworkinterface",
                "name": "myNetworkInterface",
                "type": "microsoft.network/networkinterfaces",
                "location": "centralus",
                "resource_group": "RG1",
                "subscription_id": sub,
                "tags": '{"tag1":"Value1"}',
            },
            {
                "resource_id": net.format("rg2") + "/virtualnetworks/myvnet",
                "name": "myVnet",
                "type": "microsoft.network/virtualnetworks",
                "location": "westus",
                "resource_group": "RG2",
                "subscription_id": sub,
            },
            {
                "resource_id": net.format("rg2") + "/publicipaddresses/mypublicip",
                "name": "myPublicIp",
                "type": "microsoft.network/publicipaddresses",
                "location": "westus",
                "resource_group": "RG2",
                "subscription_id": sub,
            },
        ),
    )


def test_resource_graph_pages_saved_as_an_array_are_concatenated(tmp_path: Path) -> None:
    pages = [
        body("resourcegraph_ResourcesFirstPageQuery_2022-10-01.json"),
        body("resourcegraph_ResourcesNextPageQuery_2022-10-01.json"),
    ]
    path = write_json(tmp_path, pages)
    assert inventory_format(path) == "resource-graph-json"
    frame = parse_inventory(path)
    names = [record["name"] for page in pages for record in page["data"]]
    assert frame["name"].to_list() == names
    assert frame["type"].to_list()[:3] == [
        "microsoft.compute/disks",
        "microsoft.automation/automationaccounts",
        "microsoft.automation/automationaccounts/runbooks",
    ]
    assert frame["resource_id"].to_list() == [
        record["id"].lower() for page in pages for record in page["data"]
    ]


def test_az_graph_query_output_in_table_form(tmp_path: Path) -> None:
    vm_id = res_id("Microsoft.Compute/virtualMachines", "vm1")
    props = {
        "hardwareProfile": {"vmSize": "Standard_D4s_v5"},
        "extended": {"instanceView": {"powerState": {"code": "PowerState/deallocated"}}},
    }
    document = {
        "count": 1,
        "data": {
            "columns": [
                {"name": "id", "type": "string"},
                {"name": "type", "type": "string"},
                {"name": "tenantId", "type": "string"},
                {"name": "properties", "type": "object"},
            ],
            "rows": [[vm_id, "microsoft.compute/virtualmachines", "t-1", props]],
        },
        "skip_token": None,
        "total_records": 1,
    }
    frame = parse_inventory(write_json(tmp_path, document))
    assert_frame_equal(
        frame,
        expected(
            {
                "resource_id": vm_id.lower(),
                "name": "vm1",
                "type": "microsoft.compute/virtualmachines",
                "resource_group": "Prod-RG",
                "subscription_id": SUB,
                "tenant_id": "t-1",
                "properties": json.dumps(props, separators=(",", ":")),
                "vm_size": "Standard_D4s_v5",
                "power_state": "deallocated",
            }
        ),
    )


def test_table_row_with_wrong_cell_count_is_an_error(tmp_path: Path) -> None:
    document = {
        "count": 1,
        "data": {"columns": [{"name": "id"}, {"name": "type"}], "rows": [["/x"]]},
    }
    with pytest.raises(IngestError, match="table row has 1 cells, expected 2") as info:
        parse_inventory(write_json(tmp_path, document))
    assert info.value.row == 1


def test_record_without_id_names_record_and_field() -> None:
    path = sample("azure-rest/resourcegraph_ResourcesPropertiesQuery_2021-03-01.json")
    with pytest.raises(IngestError, match="the resource has no id") as info:
        parse_inventory(path)
    assert (info.value.row, info.value.column) == (1, "id")
    assert path.name in str(info.value)


def test_rule_fields_by_resource_type(tmp_path: Path) -> None:
    nic_ip = f"{res_id('Microsoft.Network/networkInterfaces', 'nic1')}/ipConfigurations/ip1"
    records = [
        _graph(
            "Microsoft.Network/publicIPAddresses", "pip-used", {"ipConfiguration": {"id": nic_ip}}
        ),
        _graph("Microsoft.Network/publicIPAddresses", "pip-nat", {"natGateway": {"id": "/n"}}),
        _graph("Microsoft.Network/publicIPAddresses", "pip-idle", {"ipAddress": "1.2.3.4"}),
        _graph("Microsoft.Network/networkInterfaces", "nic-vm", {"virtualMachine": {"id": "/v"}}),
        _graph("Microsoft.Network/networkInterfaces", "nic-pe", {"privateEndpoint": {"id": "/p"}}),
        _graph("Microsoft.Network/networkInterfaces", "nic-orphan", {"virtualMachine": None}),
        _graph(
            "Microsoft.Storage/storageAccounts", "st1", {"accessTier": "Cool"}, kind="StorageV2"
        ),
        _graph("Microsoft.Web/serverFarms", "plan-empty", {"numberOfSites": 0}),
        _graph("Microsoft.Network/loadBalancers", "lb-idle", {"backendAddressPools": []}),
        _graph("Microsoft.Network/loadBalancers", "lb-used", _lb_properties(nic_ip)),
        _graph("Microsoft.Network/applicationGateways", "agw", _gateway_properties(nic_ip)),
        _graph(
            "Microsoft.Compute/snapshots",
            "snap",
            {"diskSizeGB": 64, "timeCreated": "2024-01-02T03:04:05.1234567+02:00"},
        ),
        _graph(
            "Microsoft.Compute/virtualMachines",
            "vm-stopped",
            {
                "instanceView": {
                    "statuses": [
                        {"code": "ProvisioningState/succeeded"},
                        {"code": "PowerState/stopped"},
                    ]
                }
            },
        ),
    ]
    frame = parse_inventory(
        write_json(tmp_path, {"totalRecords": 13, "count": 13, "data": records})
    )
    columns = [
        "name",
        "public_ip_associated",
        "nic_attached",
        "storage_kind",
        "access_tier",
        "site_count",
        "backend_pool_count",
        "backend_target_count",
        "disk_size_gb",
        "time_created",
        "power_state",
    ]
    snap_time = datetime(2024, 1, 2, 1, 4, 5, 123456)  # 03:04:05.1234567+02:00 in UTC
    rows = [
        ("pip-used", True, None, None, None, None, None, None, None, None, None),
        ("pip-nat", True, None, None, None, None, None, None, None, None, None),
        ("pip-idle", False, None, None, None, None, None, None, None, None, None),
        ("nic-vm", None, True, None, None, None, None, None, None, None, None),
        ("nic-pe", None, True, None, None, None, None, None, None, None, None),
        ("nic-orphan", None, False, None, None, None, None, None, None, None, None),
        ("st1", None, None, "StorageV2", "Cool", None, None, None, None, None, None),
        ("plan-empty", None, None, None, None, 0, None, None, None, None, None),
        ("lb-idle", None, None, None, None, None, 0, 0, None, None, None),
        ("lb-used", None, None, None, None, None, 2, 3, None, None, None),
        ("agw", None, None, None, None, None, 2, 3, None, None, None),
        ("snap", None, None, None, None, None, None, None, 64.0, snap_time, None),
        ("vm-stopped", None, None, None, None, None, None, None, None, None, "stopped"),
    ]
    want = pl.DataFrame(rows, schema={c: SCHEMA[c] for c in columns}, orient="row")
    assert_frame_equal(frame.select(columns), want)


def _graph(rtype: str, name: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    record = {"id": res_id(rtype, name), "name": name, "type": rtype.lower()}
    return {**record, "properties": properties, **extra}


def _lb_properties(nic_ip: str) -> dict[str, Any]:
    # pool-a lists the same NIC twice (as newer API versions do) plus one IP address target.
    nic_ref = {"properties": {"networkInterfaceIPConfiguration": {"id": nic_ip}}}
    address = {"name": "addr1", "properties": {"ipAddress": "10.0.0.9"}}
    pool_a = {
        "properties": {
            "backendIPConfigurations": [{"id": nic_ip}],
            "loadBalancerBackendAddresses": [nic_ref, address],
        }
    }
    pool_b = {"properties": {"backendIPConfigurations": [{"id": nic_ip.replace("nic1", "nic2")}]}}
    return {"backendAddressPools": [pool_a, pool_b], "loadBalancingRules": [{"name": "r"}]}


def _gateway_properties(nic_ip: str) -> dict[str, Any]:
    pool_a = {
        "properties": {"backendAddresses": [{"fqdn": "a.example"}, {"ipAddress": "10.0.0.4"}]}
    }
    pool_b = {"properties": {"backendIPConfigurations": [{"id": nic_ip}], "backendAddresses": []}}
    return {"backendAddressPools": [pool_a, pool_b]}


# --- ARM lists ----------------------------------------------------------------------


def test_arm_vm_list_sample_deduplicates_identical_ids() -> None:
    path = sample("azure-rest/compute_VirtualMachine_ListBySubscription_ByLocation_2024-07-01.json")
    frame = parse_inventory(path)
    vm = json.loads(path.read_text())["responses"]["200"]["body"]["value"][1]
    assert_frame_equal(
        frame,
        expected(
            {
                "resource_id": vm["id"].lower(),
                "name": "{virtualMachineName}",
                "type": "microsoft.compute/virtualmachines",
                "location": "eastus",
                "resource_group": "{resourceGroupName}",
                "subscription_id": "{subscriptionId}",
                "tags": '{"RG":"rg","testTag":"1"}',
                "properties": json.dumps(vm["properties"], separators=(",", ":")),
                "vm_size": "Standard_A0",
            }
        ),
    )


def test_arm_disk_list_sample_with_and_without_the_spec_wrapper(tmp_path: Path) -> None:
    wrapped = parse_inventory(sample("azure-rest/compute_Disk_ListBySubscription_2024-03-02.json"))
    bare = parse_inventory(
        write_json(tmp_path, body("compute_Disk_ListBySubscription_2024-03-02.json"))
    )
    assert_frame_equal(wrapped, bare)
    columns = ["name", "type", "resource_group", "disk_size_gb", "time_created", "tags"]
    tags = '{"department":"Development","project":"ManagedDisks"}'
    disk, group = "microsoft.compute/disks", "myResourceGroup"
    want = pl.DataFrame(
        [
            ("myManagedDisk1", disk, group, 200.0, datetime(2016, 12, 28, 4, 41, 35, 927872), tags),
            ("myManagedDisk2", disk, group, 10.0, datetime(2016, 12, 28, 4, 41, 36, 872242), "{}"),
            ("myManagedDisk3", disk, group, 200.0, datetime(2016, 12, 28, 4, 41, 36, 397393), tags),
        ],
        schema={c: SCHEMA[c] for c in columns},
        orient="row",
    )
    assert_frame_equal(wrapped.select(columns), want)
    assert json.loads(wrapped["properties"][1])["creationData"] == {"createOption": "Empty"}


# --- az CLI -------------------------------------------------------------------------


def _az_vm(name: str, power: str) -> dict[str, Any]:
    return {
        "id": res_id("Microsoft.Compute/virtualMachines", name),
        "name": name,
        "type": "Microsoft.Compute/virtualMachines",
        "location": "westeurope",
        "resourceGroup": "prod-rg",
        "tags": {"env": "prod"},
        "hardwareProfile": {"vmSize": "Standard_B2s"},
        "storageProfile": {
            "osDisk": {"diskSizeGb": 30, "managedDisk": {"storageAccountType": "Premium_LRS"}}
        },
        "networkProfile": {"networkInterfaces": [{"id": "/nic", "resourceGroup": "prod-rg"}]},
        "provisioningState": "Succeeded",
        "vmId": f"id-{name}",
        "powerState": power,
        "publicIps": "20.1.2.3",
        "privateIps": "10.0.0.4",
        "fqdns": "",
        "macAddresses": "00-0D-3A-00-00-01",
    }


def test_az_vm_list_details_rebuilds_arm_properties(tmp_path: Path) -> None:
    path = write_json(tmp_path, [_az_vm("web1", "VM running"), _az_vm("web2", "VM deallocated")])
    assert inventory_format(path) == "az-vm-list"
    frame = parse_inventory(path)
    assert frame.select("name", "resource_group", "vm_size", "power_state", "tags").rows() == [
        ("web1", "prod-rg", "Standard_B2s", "running", '{"env":"prod"}'),
        ("web2", "prod-rg", "Standard_B2s", "deallocated", '{"env":"prod"}'),
    ]
    props = json.loads(frame["properties"][1])
    os_disk = {"diskSizeGB": 30, "managedDisk": {"storageAccountType": "Premium_LRS"}}
    power = {"code": "PowerState/deallocated", "displayStatus": "VM deallocated"}
    assert props == {
        "hardwareProfile": {"vmSize": "Standard_B2s"},
        "storageProfile": {"osDisk": os_disk},
        "networkProfile": {"networkInterfaces": [{"id": "/nic", "resourceGroup": "prod-rg"}]},
        "provisioningState": "Succeeded",
        "vmId": "id-web2",
        "extended": {"instanceView": {"powerState": power}},
    }


def test_az_disk_list(tmp_path: Path) -> None:
    def disk(name: str, state: str, managed_by: str | None, **extra: Any) -> dict[str, Any]:
        return {
            "id": res_id("Microsoft.Compute/disks", name),
            "name": name,
            "type": "Microsoft.Compute/disks",
            "location": "westeurope",
            "resourceGroup": "PROD-RG",
            "managedBy": managed_by,
            "sku": {"name": "Premium_LRS", "tier": "Premium"},
            "diskState": state,
            "diskSizeGb": 1024,
            "diskIopsReadWrite": 5000,
            "diskMBpsReadWrite": 200,
            "tier": "P30",
            "timeCreated": "2023-05-01T10:00:00.5+00:00",
            "tags": None,
            **extra,
        }

    vm = res_id("Microsoft.Compute/virtualMachines", "web1")
    disks = [("d1", "Unattached", None), ("d2", "Attached", vm), ("d3", "Unattached", "")]
    path = write_json(tmp_path, [disk(*args) for args in disks])
    assert inventory_format(path) == "az-disk-list"
    frame = parse_inventory(path)
    want = expected(
        *[
            {
                "resource_id": res_id("Microsoft.Compute/disks", name).lower(),
                "name": name,
                "type": "microsoft.compute/disks",
                "location": "westeurope",
                "resource_group": "PROD-RG",
                "subscription_id": SUB,
                "sku_name": "Premium_LRS",
                "sku_tier": "Premium",
                "managed_by": owner or None,
                "disk_state": state,
                "disk_size_gb": 1024.0,
                "disk_iops": 5000.0,
                "disk_mbps": 200.0,
                "disk_tier": "P30",
                "time_created": datetime(2023, 5, 1, 10, 0, 0, 500000),
            }
            for name, state, owner in disks
        ]
    )
    assert_frame_equal(frame.drop("properties"), want.drop("properties"))
    props = json.loads(frame["properties"][0])
    assert props["diskSizeGB"] == 1024
    assert props["diskIOPSReadWrite"] == 5000
    assert "sku" not in props
    assert "managedBy" not in props


def test_az_resource_list(tmp_path: Path) -> None:
    pip, storage = "Microsoft.Network/publicIPAddresses", "Microsoft.Storage/storageAccounts"
    records = [
        {
            "id": res_id(pip, "pip"),
            "name": "pip",
            "type": pip,
            "location": "westeurope",
            "resourceGroup": "prod-rg",
            "properties": None,
            "tags": None,
            "sku": {"name": "Standard", "tier": "Regional"},
        },
        {
            "id": res_id(storage, "st"),
            "name": "st",
            "type": storage,
            "location": "westeurope",
            "kind": "BlobStorage",
            "properties": None,
            "tags": {"owner": "ana"},
        },
    ]
    path = write_json(tmp_path, records)
    assert inventory_format(path) == "az-resource-list"
    frame = parse_inventory(path)
    assert_frame_equal(
        frame,
        expected(
            {
                "resource_id": records[0]["id"].lower(),
                "name": "pip",
                "type": "microsoft.network/publicipaddresses",
                "location": "westeurope",
                "resource_group": "prod-rg",
                "subscription_id": SUB,
                "sku_name": "Standard",
                "sku_tier": "Regional",
            },
            {
                "resource_id": records[1]["id"].lower(),
                "name": "st",
                "type": "microsoft.storage/storageaccounts",
                "location": "westeurope",
                "resource_group": "Prod-RG",
                "subscription_id": SUB,
                "kind": "BlobStorage",
                "tags": '{"owner":"ana"}',
                "storage_kind": "BlobStorage",
            },
        ),
    )


def test_duplicate_ids_keep_the_last_occurrence(tmp_path: Path) -> None:
    first = {
        "id": res_id("Microsoft.Web/sites", "app"),
        "type": "Microsoft.Web/sites",
        "location": "old",
    }
    other = {"id": res_id("Microsoft.Web/sites", "other"), "type": "Microsoft.Web/sites"}
    last = {**first, "id": first["id"].upper(), "location": "new"}
    frame = parse_inventory(write_json(tmp_path, [first, other, last]))
    assert frame.select("name", "location").rows() == [("other", None), ("APP", "new")]


def test_record_without_id_in_az_list(tmp_path: Path) -> None:
    ok = {"id": res_id("Microsoft.Web/sites", "a"), "type": "Microsoft.Web/sites"}
    path = write_json(tmp_path, [ok, {"name": "b", "type": "Microsoft.Web/sites"}])
    with pytest.raises(
        IngestError, match=r"inventory\.json, row 2, column 'id': the resource has no id"
    ):
        parse_inventory(path)


@pytest.mark.parametrize(
    ("properties", "column", "message"),
    [
        ({"timeCreated": "yesterday"}, "properties.timeCreated", "not an ISO 8601 timestamp"),
        ({"diskSizeGB": "big"}, "properties.diskSizeGB", "not a number"),
        ({"diskSizeGB": True}, "properties.diskSizeGB", "not a number"),
    ],
)
def test_bad_field_values_name_the_field(
    tmp_path: Path, properties: dict[str, Any], column: str, message: str
) -> None:
    record = _graph("Microsoft.Compute/disks", "d", properties)
    with pytest.raises(IngestError, match=message) as info:
        parse_inventory(write_json(tmp_path, {"count": 1, "data": [record]}))
    assert (info.value.row, info.value.column) == (1, column)


def test_properties_that_are_not_an_object_are_an_error(tmp_path: Path) -> None:
    record = {"id": res_id("Microsoft.Web/sites", "a"), "type": "x", "properties": "oops"}
    with pytest.raises(IngestError, match="properties is not a JSON object"):
        parse_inventory(write_json(tmp_path, [record]))


# --- portal CSV ---------------------------------------------------------------------


def _write_portal_csv(path: Path, records: list[dict[str, Any]], header: list[str]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record in records:
            writer.writerow(
                json.dumps(value)
                if isinstance(value, dict | list)
                else ("" if value is None else value)
                for value in (record.get(key) for key in [h.lower() for h in header])
            )


def test_portal_csv_gives_the_same_rows_as_json(tmp_path: Path) -> None:
    common = {
        "location": "westeurope",
        "subscriptionid": SUB,
        "resourcegroup": "prod-rg",
        "tenantid": "t-1",
    }
    disk = {"diskState": "Unattached", "diskSizeGB": 128, "tier": "P10"}
    records = [
        {
            **_graph("Microsoft.Compute/disks", "d1", disk),
            **common,
            "managedby": None,
            "sku": {"name": "Premium_LRS", "tier": "Premium"},
            "tags": {"ASR-ReplicaDisk": "x"},
        },
        {
            **_graph("Microsoft.Network/networkInterfaces", "nic", {"virtualMachine": None}),
            **common,
            "tags": {},
        },
    ]
    header = [
        "ID",
        "Name",
        "TYPE",
        "tenantId",
        "kind",
        "location",
        "resourceGroup",
        "subscriptionId",
        "managedBy",
        "sku",
        "plan",
        "properties",
        "tags",
        "identity",
        "zones",
    ]
    csv_path = tmp_path / "portal.csv"
    _write_portal_csv(csv_path, records, header)
    assert inventory_format(csv_path) == "resource-graph-csv"
    as_json = [
        {
            key: record.get(key.lower())
            for key in [
                "id",
                "name",
                "type",
                "tenantId",
                "location",
                "resourceGroup",
                "subscriptionId",
                "managedBy",
                "sku",
                "properties",
                "tags",
            ]
        }
        for record in records
    ]
    json_frame = parse_inventory(write_json(tmp_path, {"count": 2, "data": as_json}))
    assert_frame_equal(parse_inventory(csv_path), json_frame)
    assert json_frame.select("disk_state", "disk_tier", "nic_attached", "sku_name").rows() == [
        ("Unattached", "P10", None, "Premium_LRS"),
        (None, None, False, None),
    ]


def test_csv_without_type_column_is_not_inventory(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,name\n/subscriptions/x/resourceGroups/rg,rg\n", encoding="utf-8")
    assert inventory_format(path) is None
    with pytest.raises(IngestError, match="the CSV has no 'type' column") as info:
        parse_inventory(path, "resource-graph-csv")
    assert info.value.column == "type"


def test_csv_cell_with_malformed_json_names_row_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "portal.csv"
    good = res_id("Microsoft.Web/sites", "a")
    path.write_text(
        "id,type,PROPERTIES\n"
        f'{good},microsoft.web/sites,"{{""a"":\n1}}"\n'  # a quoted line break: row 1 spans 2 lines
        f'{good}2,microsoft.web/sites,"{{""a"": }}"\n',
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match="malformed JSON in the cell") as info:
        parse_inventory(path)
    assert (info.value.row, info.value.line, info.value.column) == (2, 4, "PROPERTIES")


# --- contract and argument errors ---------------------------------------------------


def test_output_schema_is_the_storage_contract_minus_bookkeeping() -> None:
    frame = parse_inventory(sample("azure-rest/compute_Disk_ListBySubscription_2024-03-02.json"))
    assert frame.schema == pl.Schema(SCHEMA)
    assert frame.columns == [
        c for c in RESOURCE_COLUMNS if c not in ("first_seen", "last_seen", "_import_id")
    ]


def test_empty_resource_graph_result_gives_an_empty_frame(tmp_path: Path) -> None:
    path = write_json(tmp_path, {"count": 0, "data": [], "skip_token": None, "total_records": 0})
    assert_frame_equal(parse_inventory(path), pl.DataFrame(schema=SCHEMA))


def test_non_inventory_json_is_rejected() -> None:
    with pytest.raises(IngestError, match="not an inventory file"):
        parse_inventory(sample("azure-rest/monitor_vm_metrics_captured_response.json"))


def test_explicit_format_that_does_not_match_the_content(tmp_path: Path) -> None:
    path = write_json(tmp_path, [{"id": res_id("Microsoft.Web/sites", "a"), "type": "x"}])
    with pytest.raises(IngestError, match="does not have the shape of arm-list"):
        parse_inventory(path, "arm-list")


def test_unknown_format_name_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown inventory format"):
        parse_inventory(write_json(tmp_path, []), "terraform-state")
    assert "arm-list" in INVENTORY_FORMATS
