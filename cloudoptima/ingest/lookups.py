"""Small reference tables used to map Azure's legacy columns to FOCUS values.

They follow the finops-toolkit open-data tables (Regions, Services) for the common
cases; values we cannot map are kept as delivered rather than guessed.
"""

from __future__ import annotations

import duckdb

# region id -> display name (Azure's public regions most often seen in exports)
REGIONS: dict[str, str] = {
    "eastus": "East US",
    "eastus2": "East US 2",
    "westus": "West US",
    "westus2": "West US 2",
    "westus3": "West US 3",
    "centralus": "Central US",
    "northcentralus": "North Central US",
    "southcentralus": "South Central US",
    "westcentralus": "West Central US",
    "canadacentral": "Canada Central",
    "canadaeast": "Canada East",
    "brazilsouth": "Brazil South",
    "northeurope": "North Europe",
    "westeurope": "West Europe",
    "uksouth": "UK South",
    "ukwest": "UK West",
    "francecentral": "France Central",
    "germanywestcentral": "Germany West Central",
    "switzerlandnorth": "Switzerland North",
    "norwayeast": "Norway East",
    "swedencentral": "Sweden Central",
    "polandcentral": "Poland Central",
    "italynorth": "Italy North",
    "spaincentral": "Spain Central",
    "eastasia": "East Asia",
    "southeastasia": "Southeast Asia",
    "japaneast": "Japan East",
    "japanwest": "Japan West",
    "koreacentral": "Korea Central",
    "centralindia": "Central India",
    "southindia": "South India",
    "australiaeast": "Australia East",
    "australiasoutheast": "Australia Southeast",
    "uaenorth": "UAE North",
    "southafricanorth": "South Africa North",
    "qatarcentral": "Qatar Central",
    "israelcentral": "Israel Central",
    "mexicocentral": "Mexico Central",
    "global": "Global",
}

# Legacy meter-region spellings ('US East', 'EU West') -> region id.
REGION_ALIASES: dict[str, str] = {
    "useast": "eastus",
    "useast2": "eastus2",
    "uswest": "westus",
    "uswest2": "westus2",
    "uswest3": "westus3",
    "uscentral": "centralus",
    "usnorthcentral": "northcentralus",
    "ussouthcentral": "southcentralus",
    "uswestcentral": "westcentralus",
    "cacentral": "canadacentral",
    "caeast": "canadaeast",
    "brsouth": "brazilsouth",
    "eunorth": "northeurope",
    "euwest": "westeurope",
    "frcentral": "francecentral",
    "decentral": "germanywestcentral",
    "dewestcentral": "germanywestcentral",
    "apeast": "eastasia",
    "apsoutheast": "southeastasia",
    "jaeast": "japaneast",
    "jawest": "japanwest",
    "krcentral": "koreacentral",
    "incentral": "centralindia",
    "aueast": "australiaeast",
    "ausoutheast": "australiasoutheast",
    "aecentral": "uaecentral",
    "aenorth": "uaenorth",
    "zanorth": "southafricanorth",
    "unassigned": "global",
}

# ARM resource provider -> FOCUS ServiceCategory, for exports without ServiceFamily.
PROVIDER_CATEGORIES: dict[str, str] = {
    "microsoft.compute": "Compute",
    "microsoft.containerservice": "Compute",
    "microsoft.web": "Web",
    "microsoft.storage": "Storage",
    "microsoft.network": "Networking",
    "microsoft.sql": "Databases",
    "microsoft.dbforpostgresql": "Databases",
    "microsoft.dbformysql": "Databases",
    "microsoft.documentdb": "Databases",
    "microsoft.cache": "Databases",
    "microsoft.keyvault": "Security",
    "microsoft.operationalinsights": "Management and Governance",
    "microsoft.insights": "Management and Governance",
    "microsoft.datafactory": "Analytics",
    "microsoft.databricks": "Analytics",
    "microsoft.synapse": "Analytics",
    "microsoft.cognitiveservices": "AI and Machine Learning",
    "microsoft.machinelearningservices": "AI and Machine Learning",
    "microsoft.capacity": "Other",
    "microsoft.billingbenefits": "Other",
}

# ARM type -> FOCUS ResourceType (the singular display name Azure shows).
RESOURCE_TYPES: dict[str, str] = {
    "microsoft.compute/virtualmachines": "Virtual machine",
    "microsoft.compute/virtualmachinescalesets": "Virtual machine scale set",
    "microsoft.compute/disks": "Disk",
    "microsoft.compute/snapshots": "Snapshot",
    "microsoft.compute/images": "Image",
    "microsoft.compute/availabilitysets": "Availability set",
    "microsoft.containerservice/managedclusters": "Kubernetes service",
    "microsoft.network/publicipaddresses": "Public IP address",
    "microsoft.network/networkinterfaces": "Network interface",
    "microsoft.network/loadbalancers": "Load balancer",
    "microsoft.network/applicationgateways": "Application gateway",
    "microsoft.network/virtualnetworks": "Virtual network",
    "microsoft.network/virtualnetworkgateways": "Virtual network gateway",
    "microsoft.network/natgateways": "NAT gateway",
    "microsoft.network/privateendpoints": "Private endpoint",
    "microsoft.network/dnszones": "DNS zone",
    "microsoft.network/bastionhosts": "Bastion",
    "microsoft.network/azurefirewalls": "Firewall",
    "microsoft.storage/storageaccounts": "Storage account",
    "microsoft.sql/servers": "SQL server",
    "microsoft.sql/servers/databases": "SQL database",
    "microsoft.sql/managedinstances": "SQL managed instance",
    "microsoft.dbforpostgresql/flexibleservers": "Azure Database for PostgreSQL flexible server",
    "microsoft.dbformysql/flexibleservers": "Azure Database for MySQL flexible server",
    "microsoft.documentdb/databaseaccounts": "Azure Cosmos DB account",
    "microsoft.cache/redis": "Azure Cache for Redis",
    "microsoft.web/serverfarms": "App Service plan",
    "microsoft.web/sites": "App Service",
    "microsoft.keyvault/vaults": "Key vault",
    "microsoft.operationalinsights/workspaces": "Log Analytics workspace",
    "microsoft.insights/components": "Application Insights",
    "microsoft.datafactory/factories": "Data factory",
    "microsoft.databricks/workspaces": "Azure Databricks service",
    "microsoft.containerregistry/registries": "Container registry",
    "microsoft.recoveryservices/vaults": "Recovery Services vault",
    "microsoft.cognitiveservices/accounts": "Azure AI services",
}

FOCUS_SERVICE_CATEGORIES = (
    "AI and Machine Learning",
    "Analytics",
    "Business Applications",
    "Compute",
    "Databases",
    "Developer Tools",
    "Multicloud",
    "Identity",
    "Integration",
    "Internet of Things",
    "Management and Governance",
    "Media",
    "Migration",
    "Mobile",
    "Networking",
    "Security",
    "Storage",
    "Web",
    "Other",
)


def register_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lookup tables as temporary tables on ``con``."""
    con.execute("CREATE OR REPLACE TEMP TABLE lk_regions (region_id VARCHAR, region_name VARCHAR)")
    con.executemany("INSERT INTO lk_regions VALUES (?, ?)", list(REGIONS.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE lk_region_alias (alias VARCHAR, region_id VARCHAR)")
    aliases = {**{r: r for r in REGIONS}, **REGION_ALIASES}
    aliases.update({name.lower().replace(" ", ""): rid for rid, name in REGIONS.items()})
    con.executemany("INSERT INTO lk_region_alias VALUES (?, ?)", list(aliases.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE lk_types (arm_type VARCHAR, display VARCHAR)")
    con.executemany("INSERT INTO lk_types VALUES (?, ?)", list(RESOURCE_TYPES.items()))
    con.execute("CREATE OR REPLACE TEMP TABLE lk_providers (provider VARCHAR, category VARCHAR)")
    con.executemany("INSERT INTO lk_providers VALUES (?, ?)", list(PROVIDER_CATEGORIES.items()))
