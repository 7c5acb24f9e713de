"""What Contoso Pharma runs: resource groups, VMs and platform services as tables.

Each row names a resource and the role the demo gives it. Planted findings are
roles (``idle``, ``rightsize``, ``stopped``, ...); every other resource is
``busy`` or otherwise clearly healthy. Ages are days before the last cost day.
"""

from __future__ import annotations

from typing import Final, NamedTuple

OLD: Final = 520  # created before the 13-month cost window


class Group(NamedTuple):
    subscription: str
    env: str
    team: str
    costcenter: str
    subnet: str
    location: str = "eastus"

    @property
    def vnet(self) -> str:
        """Return the virtual network the group's machines sit in."""
        prefix = "hub" if self.subscription == "shared" else self.subscription
        return f"vnet-{prefix}-{self.location}"


EU = "westeurope"
AKS_NODE_GROUP: Final = "MC_RG-Prod-App_aks-cp-prod_eastus"

GROUPS: Final[dict[str, Group]] = {
    "RG-Prod-Web": Group("prod", "prod", "digital", "CC-1100", "snet-web"),
    "RG-Prod-App": Group("prod", "prod", "platform", "CC-1200", "snet-app"),
    "RG-Prod-Data": Group("prod", "prod", "data", "CC-1300", "snet-data"),
    "RG-Prod-Research": Group("prod", "prod", "research", "CC-2100", "snet-research"),
    "RG-Prod-Clinical": Group("prod", "prod", "clinical", "CC-2200", "snet-clinical", EU),
    "RG-Prod-Integration": Group("prod", "prod", "integration", "CC-1400", "snet-integration"),
    "RG-Prod-Network": Group("prod", "prod", "network", "CC-1000", "snet-web"),
    "RG-Dev-Web": Group("nonprod", "dev", "digital", "CC-1100", "snet-dev"),
    "RG-Dev-App": Group("nonprod", "dev", "platform", "CC-1200", "snet-dev"),
    "RG-Test-App": Group("nonprod", "test", "platform", "CC-1200", "snet-test"),
    "RG-Test-Data": Group("nonprod", "test", "data", "CC-1300", "snet-test"),
    "RG-Dev-Sandbox": Group("nonprod", "dev", "research", "CC-2100", "snet-sandbox"),
    "RG-QA-Validation": Group("nonprod", "test", "quality", "CC-2300", "snet-qa"),
    "RG-NonProd-Network": Group("nonprod", "dev", "network", "CC-1000", "snet-dev"),
    "RG-Shared-Network": Group("shared", "shared", "network", "CC-1000", "snet-mgmt"),
    "RG-Shared-Identity": Group("shared", "shared", "identity", "CC-1500", "snet-identity"),
    "RG-Shared-Mgmt": Group("shared", "shared", "cloudops", "CC-1000", "snet-mgmt"),
    "RG-Shared-Backup": Group("shared", "shared", "cloudops", "CC-1000", "snet-backup"),
    "RG-Shared-Security": Group("shared", "shared", "security", "CC-1500", "snet-security"),
    "RG-Shared-Monitoring": Group("shared", "shared", "cloudops", "CC-1000", "snet-mgmt"),
    # The node resource group AKS creates for cluster aks-cp-prod (MC_<group>_<cluster>_<region>).
    AKS_NODE_GROUP: Group("prod", "prod", "platform", "CC-1200", "snet-app"),
}

SUBSCRIPTIONS: Final = (
    ("prod", "Contoso Pharma Production", "IT Operations"),
    ("nonprod", "Contoso Pharma Dev-Test", "Research & Development IT"),
    ("shared", "Contoso Pharma Shared Services", "Platform Engineering"),
)

PROD_SUBNETS = ("snet-web", "snet-app", "snet-data", "snet-research", "snet-integration", "snet-pe")
NONPROD_SUBNETS = ("snet-dev", "snet-test", "snet-sandbox", "snet-qa")
HUB_SUBNETS = ("snet-identity", "snet-mgmt", "snet-backup", "snet-security", "snet-appgw")

# (group, virtual network, address prefix, subnets)
VNETS: Final = (
    ("RG-Prod-Network", "vnet-prod-eastus", "10.10", PROD_SUBNETS),
    ("RG-Prod-Network", "vnet-prod-westeurope", "10.20", ("snet-clinical", "snet-appgw")),
    ("RG-NonProd-Network", "vnet-nonprod-eastus", "10.30", NONPROD_SUBNETS),
    ("RG-Shared-Network", "vnet-hub-eastus", "10.0", HUB_SUBNETS),
)

NSGS: Final = (
    ("RG-Prod-Network", "nsg-prod-web"),
    ("RG-Prod-Network", "nsg-prod-app"),
    ("RG-Prod-Network", "nsg-prod-data"),
    ("RG-Prod-Clinical", "nsg-clinical"),
    ("RG-NonProd-Network", "nsg-nonprod-default"),
    ("RG-Shared-Network", "nsg-hub-mgmt"),
)


class Vm(NamedTuple):
    group: str
    name: str
    size: str
    role: str = "busy"
    os: str = "Linux"
    data: tuple[tuple[str, int], ...] = ()  # (disk sku, size GB) per data disk
    age: int = OLD
    public_ip: bool = False


P, E, S = "Premium_LRS", "StandardSSD_LRS", "Standard_LRS"

VMS: Final = (
    Vm("RG-Prod-Web", "vm-web-01", "Standard_D4s_v5", "reserved"),
    Vm("RG-Prod-Web", "vm-web-02", "Standard_D4s_v5", "reserved"),
    Vm("RG-Prod-Web", "vm-web-03", "Standard_D4s_v5", age=250),
    Vm("RG-Prod-Web", "vm-web-04", "Standard_D4s_v5", age=150),
    Vm("RG-Prod-App", "vm-app-01", "Standard_D8s_v5", data=((P, 512),)),
    Vm("RG-Prod-App", "vm-app-02", "Standard_D8s_v5", data=((P, 512),)),
    Vm("RG-Prod-App", "vm-app-03", "Standard_D8s_v5", data=((P, 512),), age=160),
    Vm("RG-Prod-App", "vm-app-04", "Standard_D8s_v5", data=((P, 512),), age=160),
    Vm("RG-Prod-App", "vm-app-05", "Standard_D8s_v5", "rightsize", data=((E, 512),)),
    Vm("RG-Prod-Data", "vm-sql-01", "Standard_E8s_v5", data=((P, 1024), (P, 1024))),
    Vm("RG-Prod-Data", "vm-sql-02", "Standard_E8s_v5", data=((P, 1024), (P, 1024))),
    Vm("RG-Prod-Data", "vm-etl-01", "Standard_E8s_v5", "rightsize"),
    Vm("RG-Prod-Research", "vm-lims-01", "Standard_E4s_v5", os="Windows"),
    Vm("RG-Prod-Research", "vm-lims-02", "Standard_E4s_v5", os="Windows", age=300),
    Vm("RG-Prod-Research", "vm-hpc-01", "Standard_D16s_v5", "rightsize"),
    Vm("RG-Prod-Research", "vm-chem-01", "Standard_F8s_v2", data=((P, 512),), age=200),
    Vm("RG-Prod-Research", "vm-lims-old-01", "Standard_D4s_v5", "idle", os="Windows"),
    Vm("RG-Prod-Clinical", "vm-ctms-01", "Standard_D4s_v5", data=((P, 2048),), age=240),
    Vm("RG-Prod-Clinical", "vm-ctms-02", "Standard_D4s_v5", age=240),
    Vm("RG-Prod-Clinical", "vm-edc-01", "Standard_D2s_v5", age=240),
    Vm("RG-Prod-Integration", "vm-mft-01", "Standard_D2s_v5", public_ip=True),
    Vm(
        "RG-Prod-Integration",
        "vm-biztalk-01",
        "Standard_D4s_v5",
        "deallocated",
        "Windows",
        ((E, 512),),
    ),
    Vm("RG-Dev-Web", "vm-dev-web-01", "Standard_B2ms", "scheduled", public_ip=True),
    Vm("RG-Dev-Web", "vm-dev-web-02", "Standard_B2ms", "scheduled"),
    Vm("RG-Dev-Web", "vm-dev-web-03", "Standard_B2ms", "scheduled", age=280),
    Vm("RG-Dev-Web", "vm-dev-web-04", "Standard_B2ms", "scheduled", age=180),
    Vm("RG-Dev-Web", "vm-dev-web-05", "Standard_B4ms", "scheduled", age=100),
    Vm("RG-Dev-App", "vm-dev-app-01", "Standard_D4s_v5", "scheduled", data=((E, 128),)),
    Vm("RG-Dev-App", "vm-dev-app-02", "Standard_D4s_v5", "scheduled", data=((E, 128),)),
    Vm("RG-Dev-App", "vm-dev-app-03", "Standard_D4s_v5", "scheduled"),
    Vm("RG-Dev-App", "vm-dev-app-04", "Standard_D4s_v5", "scheduled", age=200),
    Vm("RG-Dev-App", "vm-dev-app-05", "Standard_D4s_v5", "scheduled", age=90),
    Vm("RG-Test-App", "vm-test-app-01", "Standard_D4s_v5", "scheduled"),
    Vm("RG-Test-App", "vm-test-app-02", "Standard_D4s_v5", "scheduled"),
    Vm("RG-Test-App", "vm-test-app-03", "Standard_D4s_v5", "scheduled", age=320),
    Vm("RG-Test-App", "vm-test-app-04", "Standard_D4s_v5", "scheduled", age=120),
    Vm("RG-Test-App", "vm-test-perf-01", "Standard_D8s_v5", "stopped"),
    Vm("RG-Test-Data", "vm-test-sql-01", "Standard_E4s_v5", "scheduled", data=((E, 1024),)),
    Vm("RG-Test-Data", "vm-test-sql-02", "Standard_E4s_v5", "scheduled", data=((E, 1024),)),
    Vm("RG-Test-Data", "vm-test-sql-03", "Standard_E4s_v5", "deallocated", data=((S, 1024),)),
    Vm("RG-Dev-Sandbox", "vm-sbx-01", "Standard_B2ms", "scheduled"),
    Vm("RG-Dev-Sandbox", "vm-sbx-02", "Standard_B2ms", "scheduled", age=260),
    Vm("RG-Dev-Sandbox", "vm-sbx-03", "Standard_B2ms", "scheduled", age=140),
    Vm("RG-Dev-Sandbox", "vm-sbx-ml-01", "Standard_D8s_v5", "idle"),
    Vm("RG-Dev-Sandbox", "vm-sbx-04", "Standard_D2s_v5", "stopped"),
    Vm("RG-Dev-Sandbox", "vm-sbx-05", "Standard_D2s_v5", "deallocated_recent"),
    Vm("RG-QA-Validation", "vm-qa-01", "Standard_D2s_v5", "scheduled"),
    Vm("RG-QA-Validation", "vm-qa-02", "Standard_D2s_v5", "scheduled"),
    Vm("RG-QA-Validation", "vm-qa-03", "Standard_D2s_v5", "scheduled", age=230),
    Vm("RG-QA-Validation", "vm-qa-04", "Standard_D2s_v5", "scheduled", age=110),
    Vm("RG-QA-Validation", "vm-qa-old-01", "Standard_E2s_v5", "idle"),
    Vm("RG-Shared-Identity", "vm-dc-01", "Standard_D2s_v5", os="Windows"),
    Vm("RG-Shared-Identity", "vm-dc-02", "Standard_D2s_v5", os="Windows"),
    Vm("RG-Shared-Mgmt", "vm-jump-01", "Standard_B4ms", os="Windows", public_ip=True),
    Vm("RG-Shared-Mgmt", "vm-mon-01", "Standard_D4s_v5", age=330),
    Vm("RG-Shared-Backup", "vm-backup-01", "Standard_D8s_v5", data=((S, 2048), (S, 2048))),
    Vm("RG-Shared-Security", "vm-siem-01", "Standard_E8s_v5", data=((P, 1024),), age=270),
)

# Look-alikes, built after everything else so the rest of the estate draws the same
# random numbers as before they existed: an AKS node (idle-looking, but AKS owns it)
# and a build agent created on the last day, with three hours of metrics.
LOOK_ALIKE_VMS: Final = (
    Vm(AKS_NODE_GROUP, "aks-nodepool1-38290517-vms0", "Standard_D4s_v5", "aks"),
    Vm("RG-Dev-App", "vm-dev-build-07", "Standard_D2s_v5", "fresh", age=0),
)
# Tags AKS puts on the VMs of a node pool.
AKS_NODE_TAGS: Final = {
    "aks-managed-poolName": "nodepool1",
    "aks-managed-orchestrator": "Kubernetes:1.30.6",
    "aks-managed-createOperationID": "5d0c6a52-1b7e-4f0e-9d7e-2c9f1e0a4b11",
}
FRESH_VM_HOURS: Final = 3  # the fresh VM ran the last three hours of the last day

# Days before the last cost day when a VM stopped or was deallocated.
POWER_CHANGE_DAYS: Final = {
    "vm-test-perf-01": 14,
    "vm-sbx-04": 21,
    "vm-biztalk-01": 92,
    "vm-test-sql-03": 61,
    "vm-sbx-05": 5,
}

# Premium data disks planted as under-used: (vm, data disk index).
UNDERUSED_DISKS: Final = (("vm-sql-02", 1), ("vm-ctms-01", 0))


class Disk(NamedTuple):
    group: str
    name: str
    sku: str
    size_gb: int
    role: str  # unattached | asr | aks_volume | upload | detached_recently
    age: int
    detached: int | None = 40  # days since LastOwnershipUpdateTime; None: never attached


ORPHAN_DISKS: Final = (
    Disk("RG-Prod-App", "vm-old-erp-01-data-01", P, 512, "unattached", 210),
    Disk("RG-Test-Data", "disk-migration-temp", E, 1024, "unattached", 150, None),
    Disk("RG-Dev-App", "vm-decom-app-07-osdisk", S, 128, "unattached", OLD, 95),
    Disk("RG-Shared-Backup", "vm-lims-01-osdisk-ASRReplica", E, 128, "asr", 190),
)
# Look-alikes: a Kubernetes persistent volume between pods, a disk waiting for an
# upload (az disk create --upload-type), and one detached two days ago.
LOOK_ALIKE_DISKS: Final = (
    Disk(AKS_NODE_GROUP, "pvc-7f3e9a0c-5b21-4d8e-a6f4-1c2d3e4f5a6b", P, 256, "aks_volume", 120, 20),
    Disk("RG-Shared-Mgmt", "disk-import-lims-archive", S, 1024, "upload", 1, None),
    Disk("RG-Test-App", "vm-test-app-02-data-old", E, 128, "detached_recently", 300, 2),
)
# Tags the AKS CSI driver puts on the disk of a persistent volume.
PVC_TAGS: Final = {
    "kubernetes.io-created-for-pvc-name": "data-lims-search-0",
    "kubernetes.io-created-for-pvc-namespace": "lims",
    "kubernetes.io-created-for-pv-name": "pvc-7f3e9a0c-5b21-4d8e-a6f4-1c2d3e4f5a6b",
    "k8s-azure-created-by": "kubernetes-azure-dd",
}

# (group, name, source VM, source disk: "os" or data index, age in days)
SNAPSHOTS: Final = (
    ("RG-Prod-Data", "snap-vm-sql-01-data-01-preupgrade", "vm-sql-01", 0, 212),
    ("RG-Prod-Research", "snap-vm-lims-01-os-validation", "vm-lims-01", "os", 161),
    ("RG-Test-Data", "snap-vm-test-sql-01-baseline", "vm-test-sql-01", 0, 305),
    ("RG-Prod-Data", "snap-vm-sql-01-os-daily", "vm-sql-01", "os", 2),
    ("RG-Prod-Data", "snap-vm-sql-02-os-daily", "vm-sql-02", "os", 3),
    ("RG-Prod-Clinical", "snap-vm-ctms-01-data-01", "vm-ctms-01", 0, 10),
    ("RG-Prod-App", "snap-vm-app-01-os-prepatch", "vm-app-01", "os", 17),
    ("RG-Shared-Identity", "snap-vm-dc-01-os", "vm-dc-01", "os", 6),
    ("RG-Shared-Security", "snap-vm-siem-01-data-01", "vm-siem-01", 0, 24),
    ("RG-Test-App", "snap-vm-test-app-01-os", "vm-test-app-01", "os", 12),
    ("RG-Shared-Backup", "snap-vm-backup-01-os", "vm-backup-01", "os", 20),
    ("RG-Prod-Research", "snap-vm-chem-01-data-01", "vm-chem-01", 0, 8),
)
# Look-alike: an old snapshot the golden image IMAGE was built from.
GOLDEN_SNAPSHOT: Final = ("RG-Shared-Mgmt", "snap-vm-jump-01-os-golden", "vm-jump-01", "os", 240)
# (group, name, snapshot it was built from)
IMAGE: Final = ("RG-Shared-Mgmt", "img-jump-golden-2026", "snap-vm-jump-01-os-golden")


class Storage(NamedTuple):
    group: str
    name: str
    tier: str
    size_gb: int  # used capacity on the last day
    transactions: float  # per day
    role: str = "busy"
    age: int = OLD


STORAGE: Final = (
    Storage("RG-Prod-Web", "stcpwebassets01", "Hot", 120, 3.5e6),
    Storage("RG-Prod-App", "stcpappdata01", "Hot", 850, 6.0e6),
    Storage("RG-Prod-Data", "stcpdatalake01", "Hot", 4200, 1.2e7),
    Storage("RG-Prod-Clinical", "stcpclinarchive01", "Hot", 3300, 400, "archive"),
    Storage("RG-Prod-Research", "stcpresimaging01", "Hot", 5600, 250, "archive"),
    Storage("RG-Prod-Research", "stcpresearch02", "Hot", 1500, 2.2e6, age=200),
    Storage("RG-Prod-Research", "stcplimsbackup01", "Cool", 2600, 300),
    Storage("RG-Prod-Integration", "stcpintegration01", "Hot", 45, 1.2e6),
    Storage("RG-Prod-Network", "stcpdiagprod01", "Hot", 30, 1.8e6),
    Storage("RG-Dev-App", "stcpdevapps01", "Hot", 60, 1.1e6),
    Storage("RG-Test-Data", "stcptestdata01", "Hot", 350, 1.4e6),
    Storage("RG-Dev-Sandbox", "stcpsandbox01", "Hot", 25, 1.5e5, age=150),
    Storage("RG-QA-Validation", "stcpqadocs01", "Hot", 12, 8.0e4),
    Storage("RG-NonProd-Network", "stcpdiagnonprod01", "Hot", 18, 1.3e6),
    Storage("RG-Shared-Backup", "stcpbackupvault01", "Cool", 6000, 900),
    Storage("RG-Shared-Mgmt", "stcpfinops01", "Hot", 8, 4.0e4, age=190),
    Storage("RG-Shared-Security", "stcpsecaudit01", "Cool", 1800, 2000),
    Storage("RG-Shared-Network", "stcpdiagshared01", "Hot", 20, 1.5e6),
    Storage("RG-Shared-Mgmt", "stcpfunctions01", "Hot", 4, 2.5e6),
    Storage("RG-Shared-Monitoring", "stcpmonarchive01", "Cool", 900, 500),
)


class Plan(NamedTuple):
    group: str
    name: str
    sku: str
    instances: int
    sites: int
    role: str = "busy"
    age: int = OLD


PLANS: Final = (
    Plan("RG-Prod-Web", "asp-prod-web", "P2v3", 3, 6),
    Plan("RG-Prod-App", "asp-prod-api", "P1v3", 3, 4),
    Plan("RG-Prod-Clinical", "asp-prod-clinical", "P1v3", 2, 3, age=240),
    Plan("RG-Prod-Data", "asp-prod-reports", "P2v3", 1, 2, "underused"),
    Plan("RG-Test-App", "asp-test-api", "S2", 1, 3, "underused"),
    Plan("RG-Prod-Integration", "asp-prod-legacy", "P1v3", 1, 0, "empty"),
    Plan("RG-Dev-Sandbox", "asp-dev-free", "F1", 1, 0, "free"),
    Plan("RG-Dev-Web", "asp-dev-web", "S1", 1, 5),
    Plan("RG-QA-Validation", "asp-qa-web", "S1", 1, 2, age=170),
    Plan("RG-Shared-Mgmt", "asp-shared-tools", "P1v3", 1, 3),
)

SQL_SERVERS: Final = (
    ("RG-Prod-Data", "sql-cp-prod-01"),
    ("RG-Prod-Clinical", "sql-cp-clinical-01"),
    ("RG-Test-Data", "sql-cp-test-01"),
    ("RG-Shared-Mgmt", "sql-cp-shared-01"),
)

# (server, database, sku, role)
DATABASES: Final = (
    ("sql-cp-prod-01", "db-orders", "P1", "busy"),
    ("sql-cp-prod-01", "db-inventory", "S3", "busy"),
    ("sql-cp-prod-01", "db-reporting", "S3", "idle"),
    ("sql-cp-prod-01", "db-audit", "S2", "busy"),
    ("sql-cp-prod-01", "db-analytics", "GP_S_Gen5_2", "serverless"),
    ("sql-cp-clinical-01", "db-ctms", "S3", "busy"),
    ("sql-cp-clinical-01", "db-edc", "S2", "busy"),
    ("sql-cp-clinical-01", "db-safety", "P1", "idle"),
    ("sql-cp-clinical-01", "db-archive", "S1", "busy"),
    ("sql-cp-test-01", "db-orders-test", "S1", "busy"),
    ("sql-cp-test-01", "db-inventory-test", "S0", "busy"),
    ("sql-cp-test-01", "db-reporting-test", "S2", "idle"),
    ("sql-cp-test-01", "db-perf-test", "S2", "busy"),
    ("sql-cp-test-01", "db-dev-serverless", "GP_S_Gen5_2", "serverless"),
    ("sql-cp-shared-01", "db-cmdb", "S1", "busy"),
    ("sql-cp-shared-01", "db-finops", "S0", "busy"),
)

# (group, name, operations per day)
KEY_VAULTS: Final = (
    ("RG-Prod-App", "kv-cp-prod-app", 4.0e5),
    ("RG-Prod-Data", "kv-cp-prod-data", 1.5e5),
    ("RG-Prod-Clinical", "kv-cp-clinical", 6.0e4),
    ("RG-Dev-App", "kv-cp-nonprod", 9.0e4),
    ("RG-Shared-Mgmt", "kv-cp-shared", 3.0e4),
    ("RG-Shared-Security", "kv-cp-security", 2.0e4),
)

# (group, name, GB ingested per day)
WORKSPACES: Final = (
    ("RG-Shared-Monitoring", "log-cp-shared-01", 14.0),
    ("RG-Shared-Security", "log-cp-security-01", 7.0),
)

# (group, name, pipeline runs per day, data movement DIU-hours per day, role)
FACTORIES: Final = (
    ("RG-Prod-Data", "adf-cp-prod-etl", 9000.0, 80.0, "spike"),
    ("RG-Prod-Research", "adf-cp-research", 3000.0, 24.0, "busy"),
)
