"""Resource Graph ``properties`` of network and platform resources (see Appendix B)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from cloudoptima.demo import catalog as c
from cloudoptima.demo.estate import Estate, Resource

Json = dict[str, Any]


@dataclass
class Context:
    """What property builders share: the estate and deterministic address plans."""

    estate: Estate
    vnets: dict[str, Resource] = field(default_factory=dict)
    next_host: dict[str, int] = field(default_factory=dict)
    private_ips: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.vnets = {r.name: r for r in self.estate.of_type("Microsoft.Network/virtualNetworks")}

    def subnet_id(self, resource: Resource) -> str:
        """Return the ARM id of the subnet a resource sits in."""
        vnet_name, subnet = resource.attrs["subnet"].split("/")
        vnet = self.vnets[vnet_name]
        return f"{vnet.id}/subnets/{subnet}"

    def private_ip(self, resource: Resource) -> str:
        """Return a stable private address from the resource's subnet range."""
        if resource.id not in self.private_ips:
            vnet_name, subnet = resource.attrs["subnet"].split("/")
            vnet = self.vnets[vnet_name]
            octet = vnet.attrs["subnets"].split(",").index(subnet) + 1
            host = self.next_host.get(resource.attrs["subnet"], 4)
            self.next_host[resource.attrs["subnet"]] = host + 1
            self.private_ips[resource.id] = f"{vnet.attrs['prefix']}.{octet}.{host}"
        return self.private_ips[resource.id]


def iso(moment: date | datetime, hour: int = 9) -> str:
    """Return an ARM timestamp (seven fractional digits, +00:00 offset)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(hour, 14, 27))
    return f"{moment.isoformat(timespec='seconds')}.1234567+00:00"


def public_address(resource: Resource) -> str:
    """Return a stable public IPv4 address in Azure's 20.0.0.0/8 space."""
    digest = hashlib.sha256(resource.uid.encode()).digest()
    return f"20.{digest[0]}.{digest[1]}.{digest[2] % 254 + 1}"


def _ref(resource_id: str) -> Json:
    return {"id": resource_id}


def public_ip_props(pip: Resource, ctx: Context) -> Json:
    """Public IP: associated through ``ipConfiguration`` unless orphaned."""
    props: Json = {
        "provisioningState": "Succeeded",
        "resourceGuid": pip.uid,
        "ipAddress": public_address(pip),
        "publicIPAddressVersion": "IPv4",
        "publicIPAllocationMethod": "Static",
        "idleTimeoutInMinutes": 4,
        "ipTags": [],
        "ddosSettings": {"protectionMode": "VirtualNetworkInherited"},
    }
    if pip.owner is not None:
        props["ipConfiguration"] = _ref(frontend_config_id(pip.owner))
    return props


def frontend_config_id(holder: Resource) -> str:
    """Return the id of the IP configuration that holds a public IP."""
    suffix = {
        "microsoft.network/networkinterfaces": "ipConfigurations/ipconfig1",
        "microsoft.network/loadbalancers": "frontendIPConfigurations/LoadBalancerFrontEnd",
        "microsoft.network/applicationgateways": "frontendIPConfigurations/appGwPublicFrontendIp",
    }[holder.type]
    return f"{holder.id}/{suffix}"


def nic_props(nic: Resource, ctx: Context) -> Json:
    """Network interface: attached to a VM, a private endpoint, or nothing (orphaned)."""
    config: Json = {
        "privateIPAddress": ctx.private_ip(nic),
        "privateIPAllocationMethod": "Dynamic",
        "privateIPAddressVersion": "IPv4",
        "subnet": _ref(ctx.subnet_id(nic)),
        "primary": True,
    }
    if nic.linked("public_ip"):
        config["publicIPAddress"] = _ref(nic.linked("public_ip")[0].id)
    props: Json = {
        "provisioningState": "Succeeded",
        "resourceGuid": nic.uid,
        "ipConfigurations": [
            {"name": "ipconfig1", "id": frontend_config_id(nic), "properties": config}
        ],
        "macAddress": "-".join(f"{b:02X}" for b in hashlib.sha256(nic.uid.encode()).digest()[:6]),
        "enableAcceleratedNetworking": nic.owner is not None and nic.role != "private_endpoint",
        "enableIPForwarding": False,
        "hostedWorkloads": [],
        "tapConfigurations": [],
        "nicType": "Standard",
    }
    if nic.owner is not None:
        key = "privateEndpoint" if nic.role == "private_endpoint" else "virtualMachine"
        props[key] = _ref(nic.owner.id)
    return props


def _lb_frontend(lb: Resource, ctx: Context) -> Json:
    name = "LoadBalancerFrontEnd"
    props: Json
    if lb.linked("frontend"):
        props = {"publicIPAddress": _ref(lb.linked("frontend")[0].id)}
    else:
        props = {"privateIPAddress": ctx.private_ip(lb), "subnet": _ref(ctx.subnet_id(lb))}
    return {"name": name, "id": f"{lb.id}/frontendIPConfigurations/{name}", "properties": props}


def _lb_backend(lb: Resource) -> tuple[list[Json], list[Json], list[Json]]:
    """Return the backend pool, the rule and the probe of a load balancer in use."""
    pool_name = f"bepool-{lb.name.removeprefix('lb-')}"
    pool_id = f"{lb.id}/backendAddressPools/{pool_name}"
    rule_id = f"{lb.id}/loadBalancingRules/rule-https"
    probe_id = f"{lb.id}/probes/probe-https"
    targets = [_ref(frontend_config_id(nic)) for nic in lb.linked("backend")]
    pool_props = {"backendIPConfigurations": targets, "loadBalancingRules": [_ref(rule_id)]}
    rule_props = {
        "frontendPort": 443,
        "backendPort": 443,
        "protocol": "Tcp",
        "frontendIPConfiguration": _ref(_lb_frontend_id(lb)),
        "backendAddressPool": _ref(pool_id),
        "probe": _ref(probe_id),
    }
    probe_props = {"protocol": "Tcp", "port": 443, "intervalInSeconds": 5}
    return (
        [{"name": pool_name, "id": pool_id, "properties": pool_props}],
        [{"name": "rule-https", "id": rule_id, "properties": rule_props}],
        [{"name": "probe-https", "id": probe_id, "properties": probe_props}],
    )


def _lb_frontend_id(lb: Resource) -> str:
    return f"{lb.id}/frontendIPConfigurations/LoadBalancerFrontEnd"


def load_balancer_props(lb: Resource, ctx: Context) -> Json:
    """Load balancer: an idle one has a frontend but no backend pool and no rules; a NAT one
    has no backend pool either, but forwards a port to each of its ``nat`` NICs."""
    pools, rules, probes = _lb_backend(lb) if lb.linked("backend") else ([], [], [])
    return {
        "provisioningState": "Succeeded",
        "resourceGuid": lb.uid,
        "frontendIPConfigurations": [_lb_frontend(lb, ctx)],
        "backendAddressPools": pools,
        "loadBalancingRules": rules,
        "probes": probes,
        "inboundNatRules": _nat_rules(lb),
        "inboundNatPools": [],
        "outboundRules": [],
    }


def _nat_rules(lb: Resource) -> list[Json]:
    """RDP forwarded from port 50001, 50002, ... of the frontend to each NAT target."""
    rules = []
    for index, nic in enumerate(lb.linked("nat"), start=1):
        name = f"rdp-{nic.name.removeprefix('nic-')}"
        props = {
            "frontendIPConfiguration": _ref(_lb_frontend_id(lb)),
            "backendIPConfiguration": _ref(frontend_config_id(nic)),
            "frontendPort": 50000 + index,
            "backendPort": 3389,
            "protocol": "Tcp",
            "idleTimeoutInMinutes": 4,
            "enableFloatingIP": False,
        }
        rules.append({"name": name, "id": f"{lb.id}/inboundNatRules/{name}", "properties": props})
    return rules


def app_gateway_props(gateway: Resource, ctx: Context) -> Json:
    """Application gateway: the idle one's only backend pool has no targets."""
    base = gateway.id
    pool_name = f"bepool-{gateway.name.removeprefix('agw-')}"
    addresses = [
        {"fqdn": f"app-{gateway.name.removeprefix('agw-')}-{i:02d}.azurewebsites.net"}
        for i in range(1, gateway.count + 1)
    ]
    frontend_id = frontend_config_id(gateway)
    autoscale = {"minCapacity": 0 if gateway.role == "idle" else 2, "maxCapacity": 10}
    port = {"name": "port_443", "id": f"{base}/frontendPorts/port_443", "properties": {"port": 443}}
    return {
        "provisioningState": "Succeeded",
        "resourceGuid": gateway.uid,
        "sku": {"name": "Standard_v2", "tier": "Standard_v2", "family": "Generation_1"},
        "autoscaleConfiguration": autoscale,
        "operationalState": "Running",
        "gatewayIPConfigurations": [
            {
                "name": "appGatewayIpConfig",
                "id": f"{base}/gatewayIPConfigurations/appGatewayIpConfig",
                "properties": {"subnet": _ref(_appgw_subnet(gateway, ctx))},
            }
        ],
        "frontendIPConfigurations": [
            {
                "name": frontend_id.rsplit("/", 1)[1],
                "id": frontend_id,
                "properties": {"publicIPAddress": _ref(gateway.linked("frontend")[0].id)},
            }
        ],
        "frontendPorts": [port],
        "backendAddressPools": [
            {
                "name": pool_name,
                "id": f"{base}/backendAddressPools/{pool_name}",
                "properties": {"backendAddresses": addresses, "backendIPConfigurations": []},
            }
        ],
    }


def _appgw_subnet(gateway: Resource, ctx: Context) -> str:
    vnet = "vnet-prod-westeurope" if gateway.location == "westeurope" else "vnet-hub-eastus"
    return f"{ctx.vnets[vnet].id}/subnets/snet-appgw"


def private_endpoint_props(endpoint: Resource, ctx: Context) -> Json:
    """Private endpoint towards a storage account or key vault."""
    target = endpoint.linked("target")[0]
    connection = {
        "privateLinkServiceId": target.id,
        "groupIds": [endpoint.attrs["group_id"]],
        "privateLinkServiceConnectionState": {
            "status": "Approved",
            "description": "Auto-Approved",
            "actionsRequired": "None",
        },
    }
    return {
        "provisioningState": "Succeeded",
        "resourceGuid": endpoint.uid,
        "privateLinkServiceConnections": [
            {
                "name": endpoint.name,
                "id": f"{endpoint.id}/privateLinkServiceConnections/{endpoint.name}",
                "properties": connection,
            }
        ],
        "manualPrivateLinkServiceConnections": [],
        "networkInterfaces": [_ref(endpoint.linked("nic")[0].id)],
        "subnet": _ref(ctx.subnet_id(endpoint)),
        "customNetworkInterfaceName": "",
    }


def vnet_props(vnet: Resource, ctx: Context) -> Json:
    """Virtual network with its subnets (one /24 each)."""
    prefix = vnet.attrs["prefix"]
    subnets = [
        {
            "name": name,
            "id": f"{vnet.id}/subnets/{name}",
            "properties": {"addressPrefix": f"{prefix}.{i}.0/24", "provisioningState": "Succeeded"},
        }
        for i, name in enumerate(vnet.attrs["subnets"].split(","), start=1)
    ]
    return {
        "provisioningState": "Succeeded",
        "resourceGuid": vnet.uid,
        "addressSpace": {"addressPrefixes": [f"{prefix}.0.0/16"]},
        "subnets": subnets,
        "virtualNetworkPeerings": [],
        "enableDdosProtection": False,
    }


def nsg_props(nsg: Resource, ctx: Context) -> Json:
    """Network security group (rules are not needed by any cost rule)."""
    return {"provisioningState": "Succeeded", "resourceGuid": nsg.uid, "securityRules": []}


def plan_props(plan: Resource, ctx: Context) -> Json:
    """App Service plan: ``numberOfSites`` is what the empty-plan rule reads."""
    tier = c.PLAN_SKUS[plan.sku][0]
    return {
        "provisioningState": "Succeeded",
        "status": "Ready",
        "numberOfSites": int(plan.attrs["sites"]),
        "numberOfWorkers": plan.count,
        "maximumNumberOfWorkers": 1 if tier == "Free" else 30,
        "computeMode": "Shared" if tier == "Free" else "Dedicated",
        "reserved": True,
        "elasticScaleEnabled": False,
        "zoneRedundant": False,
    }


def sql_server_props(server: Resource, ctx: Context) -> Json:
    """Logical SQL server."""
    return {
        "administratorLogin": "sqladmin",
        "version": "12.0",
        "state": "Ready",
        "fullyQualifiedDomainName": f"{server.name}.database.windows.net",
        "publicNetworkAccess": "Disabled",
        "minimalTlsVersion": "1.2",
    }


def database_props(db: Resource, ctx: Context) -> Json:
    """SQL database: the service objective (S2, P1, ...) is in the properties."""
    props: Json = {
        "status": "Online",
        "databaseId": db.uid,
        "creationDate": iso(db.created),
        "collation": "SQL_Latin1_General_CP1_CI_AS",
        "maxSizeBytes": 268435456000,
        "currentServiceObjectiveName": db.sku,
        "requestedServiceObjectiveName": db.sku,
        "defaultSecondaryLocation": "westus" if db.location == "eastus" else "northeurope",
        "zoneRedundant": False,
        "readScale": "Disabled",
        "currentBackupStorageRedundancy": "Geo",
    }
    if db.role == "serverless":
        props.update(autoPauseDelay=60, minCapacity=0.5)
    return props


def storage_props(account: Resource, ctx: Context) -> Json:
    """Storage account: ``accessTier`` drives the tiering rule."""
    endpoints = {
        kind: f"https://{account.name}.{kind}.core.windows.net/"
        for kind in ("blob", "dfs", "file", "queue", "table", "web")
    }
    return {
        "provisioningState": "Succeeded",
        "creationTime": iso(account.created),
        "accessTier": account.attrs["tier"],
        "primaryLocation": account.location,
        "statusOfPrimary": "available",
        "primaryEndpoints": endpoints,
        "supportsHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "isHnsEnabled": account.name == "stcpdatalake01",
        "encryption": {"keySource": "Microsoft.Storage", "services": {"blob": {"enabled": True}}},
    }


def key_vault_props(vault: Resource, ctx: Context) -> Json:
    """Key vault."""
    return {
        "provisioningState": "Succeeded",
        "sku": {"family": "A", "name": "standard"},
        "tenantId": ctx.estate.tenant_id,
        "vaultUri": f"https://{vault.name}.vault.azure.net/",
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": True,
    }


def workspace_props(workspace: Resource, ctx: Context) -> Json:
    """Log Analytics workspace; ``customerId`` is the TenantId column of AzureMetrics."""
    return {
        "provisioningState": "Succeeded",
        "customerId": workspace.uid,
        "sku": {"name": "PerGB2018"},
        "retentionInDays": 90 if "security" in workspace.name else 30,
        "createdDate": iso(workspace.created),
        "workspaceCapping": {"dailyQuotaGb": -1.0},
    }


def factory_props(factory: Resource, ctx: Context) -> Json:
    """Data factory (V2)."""
    return {
        "provisioningState": "Succeeded",
        "createTime": iso(factory.created),
        "version": "2018-06-01",
        "publicNetworkAccess": "Enabled",
    }
