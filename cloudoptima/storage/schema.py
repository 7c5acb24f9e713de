"""Table definitions of a workspace database.

Cost rows use FOCUS 1.2 column names plus Microsoft's ``x_`` columns, so any
FOCUS-aware tool can read them; columns of our own start with an underscore.
"""

from __future__ import annotations

# DECIMAL keeps cost sums exact to the cent and beyond, as a finance team expects;
# 38 digits with 10 decimals hold both micro-cent unit prices and large purchases.
MONEY = "DECIMAL(38, 10)"
QUANTITY = "DOUBLE"

# FOCUS 1.2 columns (FOCUS_Spec v1.2, specification/columns/*.md), with our SQL types.
FOCUS_COLUMNS: dict[str, str] = {
    "AvailabilityZone": "VARCHAR",
    "BilledCost": MONEY,
    "BillingAccountId": "VARCHAR",
    "BillingAccountName": "VARCHAR",
    "BillingAccountType": "VARCHAR",
    "BillingCurrency": "VARCHAR",
    "BillingPeriodEnd": "TIMESTAMP",
    "BillingPeriodStart": "TIMESTAMP",
    "CapacityReservationId": "VARCHAR",
    "CapacityReservationStatus": "VARCHAR",
    "ChargeCategory": "VARCHAR",
    "ChargeClass": "VARCHAR",
    "ChargeDescription": "VARCHAR",
    "ChargeFrequency": "VARCHAR",
    "ChargePeriodEnd": "TIMESTAMP",
    "ChargePeriodStart": "TIMESTAMP",
    "CommitmentDiscountCategory": "VARCHAR",
    "CommitmentDiscountId": "VARCHAR",
    "CommitmentDiscountName": "VARCHAR",
    "CommitmentDiscountQuantity": QUANTITY,
    "CommitmentDiscountStatus": "VARCHAR",
    "CommitmentDiscountType": "VARCHAR",
    "CommitmentDiscountUnit": "VARCHAR",
    "ConsumedQuantity": QUANTITY,
    "ConsumedUnit": "VARCHAR",
    "ContractedCost": MONEY,
    "ContractedUnitPrice": MONEY,
    "EffectiveCost": MONEY,
    "InvoiceId": "VARCHAR",
    "InvoiceIssuerName": "VARCHAR",
    "ListCost": MONEY,
    "ListUnitPrice": MONEY,
    "PricingCategory": "VARCHAR",
    "PricingCurrency": "VARCHAR",
    "PricingCurrencyContractedUnitPrice": MONEY,
    "PricingCurrencyEffectiveCost": MONEY,
    "PricingCurrencyListUnitPrice": MONEY,
    "PricingQuantity": QUANTITY,
    "PricingUnit": "VARCHAR",
    "ProviderName": "VARCHAR",
    "PublisherName": "VARCHAR",
    "RegionId": "VARCHAR",
    "RegionName": "VARCHAR",
    "ResourceId": "VARCHAR",
    "ResourceName": "VARCHAR",
    "ResourceType": "VARCHAR",
    "ServiceCategory": "VARCHAR",
    "ServiceName": "VARCHAR",
    "ServiceSubcategory": "VARCHAR",
    "SkuId": "VARCHAR",
    "SkuMeter": "VARCHAR",
    "SkuPriceDetails": "JSON",
    "SkuPriceId": "VARCHAR",
    "SubAccountId": "VARCHAR",
    "SubAccountName": "VARCHAR",
    "SubAccountType": "VARCHAR",
    "Tags": "JSON",
}

# Microsoft FocusCost x_ columns (finops-toolkit dataset metadata 1.0 .. 1.2).
# Columns renamed by Microsoft (x_SkuMeterName, x_InvoiceId, x_PricingCurrency,
# x_SkuDetails) are stored under their FOCUS 1.2 names instead.
MICROSOFT_COLUMNS: dict[str, str] = {
    "x_AccountId": "VARCHAR",
    "x_AccountName": "VARCHAR",
    "x_AccountOwnerId": "VARCHAR",
    "x_AmortizationClass": "VARCHAR",
    "x_BilledCostInUsd": MONEY,
    "x_BilledUnitPrice": MONEY,
    "x_BillingAccountId": "VARCHAR",
    "x_BillingAccountName": "VARCHAR",
    "x_BillingExchangeRate": QUANTITY,
    "x_BillingExchangeRateDate": "TIMESTAMP",
    "x_BillingProfileId": "VARCHAR",
    "x_BillingProfileName": "VARCHAR",
    "x_ContractedCostInUsd": MONEY,
    "x_CostAllocationRuleName": "VARCHAR",
    "x_CostCenter": "VARCHAR",
    "x_CustomerId": "VARCHAR",
    "x_CustomerName": "VARCHAR",
    "x_EffectiveCostInUsd": MONEY,
    "x_EffectiveUnitPrice": MONEY,
    "x_InvoiceIssuerId": "VARCHAR",
    "x_InvoiceSectionId": "VARCHAR",
    "x_InvoiceSectionName": "VARCHAR",
    "x_ListCostInUsd": MONEY,
    "x_PartnerCreditApplied": "VARCHAR",
    "x_PartnerCreditRate": "VARCHAR",
    "x_PricingBlockSize": QUANTITY,
    "x_PricingSubcategory": "VARCHAR",
    "x_PricingUnitDescription": "VARCHAR",
    "x_PublisherCategory": "VARCHAR",
    "x_PublisherId": "VARCHAR",
    "x_ResellerId": "VARCHAR",
    "x_ResellerName": "VARCHAR",
    "x_ResourceGroupName": "VARCHAR",
    "x_ResourceType": "VARCHAR",
    "x_ServiceModel": "VARCHAR",
    "x_ServicePeriodEnd": "TIMESTAMP",
    "x_ServicePeriodStart": "TIMESTAMP",
    "x_SkuDescription": "VARCHAR",
    "x_SkuIsCreditEligible": "BOOLEAN",
    "x_SkuMeterCategory": "VARCHAR",
    "x_SkuMeterId": "VARCHAR",
    "x_SkuMeterSubcategory": "VARCHAR",
    "x_SkuOfferId": "VARCHAR",
    "x_SkuOrderId": "VARCHAR",
    "x_SkuOrderName": "VARCHAR",
    "x_SkuPartNumber": "VARCHAR",
    "x_SkuPlanName": "VARCHAR",
    "x_SkuRegion": "VARCHAR",
    "x_SkuServiceFamily": "VARCHAR",
    "x_SkuTerm": "VARCHAR",
    "x_SkuTier": "VARCHAR",
}

# Our own bookkeeping columns on every cost row.
INTERNAL_COST_COLUMNS: dict[str, str] = {
    "_import_id": "INTEGER",
    # 'focus' (fills both costs), 'actual' (BilledCost only), 'amortized' (EffectiveCost only)
    "_dataset": "VARCHAR",
}

COST_COLUMNS: dict[str, str] = {**FOCUS_COLUMNS, **MICROSOFT_COLUMNS, **INTERNAL_COST_COLUMNS}

# Inventory: the latest snapshot of each resource, with what the rules need extracted.
RESOURCE_COLUMNS: dict[str, str] = {
    "resource_id": "VARCHAR",  # lower-cased ARM id, the join key to costs and metrics
    "name": "VARCHAR",
    "type": "VARCHAR",  # lower-cased ARM type, e.g. microsoft.compute/disks
    "location": "VARCHAR",
    "resource_group": "VARCHAR",
    "subscription_id": "VARCHAR",
    "tenant_id": "VARCHAR",
    "kind": "VARCHAR",
    "sku_name": "VARCHAR",
    "sku_tier": "VARCHAR",
    "managed_by": "VARCHAR",
    "tags": "JSON",
    "properties": "JSON",  # the full properties object as delivered
    "vm_size": "VARCHAR",
    "power_state": "VARCHAR",  # running | stopped | deallocated | starting | ...
    "disk_state": "VARCHAR",
    "disk_size_gb": "DOUBLE",
    "disk_iops": "DOUBLE",
    "disk_mbps": "DOUBLE",
    "disk_tier": "VARCHAR",
    "public_ip_associated": "BOOLEAN",
    "nic_attached": "BOOLEAN",
    "storage_kind": "VARCHAR",
    "access_tier": "VARCHAR",
    "site_count": "INTEGER",
    "backend_pool_count": "INTEGER",
    "backend_target_count": "INTEGER",
    "time_created": "TIMESTAMP",
    "first_seen": "TIMESTAMP",
    "last_seen": "TIMESTAMP",
    "_import_id": "INTEGER",
}

METRIC_COLUMNS: dict[str, str] = {
    "resource_id": "VARCHAR",  # lower-cased
    "metric": "VARCHAR",  # display name, e.g. 'Percentage CPU'
    "dimensions": "VARCHAR",  # JSON object text of split dimensions, '{}' when none
    "timestamp": "TIMESTAMP",  # UTC start of the grain
    "grain": "VARCHAR",  # ISO 8601 duration, e.g. PT1H
    "unit": "VARCHAR",
    "average": "DOUBLE",
    "maximum": "DOUBLE",
    "minimum": "DOUBLE",
    "total": "DOUBLE",
    "count": "DOUBLE",
    "_import_id": "INTEGER",
}

IMPORT_COLUMNS: dict[str, str] = {
    "import_id": "INTEGER",
    "file": "VARCHAR",
    "content_hash": "VARCHAR",
    "kind": "VARCHAR",  # cost | inventory | metrics | reservation-recommendations
    "format": "VARCHAR",  # e.g. focus-1.2, ea-legacy, mca, resource-graph-json
    "version": "VARCHAR",
    "dataset": "VARCHAR",  # focus | actual | amortized for costs
    "rows": "BIGINT",
    "billing_period_start": "TIMESTAMP",
    "billing_period_end": "TIMESTAMP",
    "scope": "VARCHAR",
    "status": "VARCHAR",  # loaded | skipped | replaced | failed
    "error": "VARCHAR",
    "message": "VARCHAR",
    "started_at": "TIMESTAMP",
    "finished_at": "TIMESTAMP",
    # Version 5: what a cost import covers and what it did to the imports before it.
    "first_day": "DATE",  # the first and last charge day it holds
    "last_day": "DATE",
    "scope_source": "VARCHAR",  # manifest | path (declared) | rows (inferred from its rows)
    "exported_at": "TIMESTAMP",  # when the export ran, where the manifest or path says
    "replaced": "VARCHAR",  # what it replaced: '#3: 120 rows, 2026-09-01 to 2026-09-10'
    "replaced_rows": "BIGINT",
    "overlapping": "VARCHAR",  # overlaps neither replaced nor disjoint: both kept, and said so
}


RESERVATION_RECOMMENDATION_COLUMNS: dict[str, str] = {
    "sku": "VARCHAR",
    "location": "VARCHAR",
    "term": "VARCHAR",
    "scope": "VARCHAR",
    "look_back_period": "VARCHAR",
    "resource_type": "VARCHAR",
    "meter_id": "VARCHAR",
    "recommended_quantity": "DOUBLE",
    "recommended_quantity_normalized": "DOUBLE",
    "normalized_size": "VARCHAR",
    "instance_flexibility_group": "VARCHAR",
    "instance_flexibility_ratio": "DOUBLE",
    "first_usage_date": "TIMESTAMP",
    "cost_without_reservation": "DOUBLE",
    "total_cost_with_reservation": "DOUBLE",
    "net_savings": "DOUBLE",
    "sku_properties": "JSON",
    "_import_id": "INTEGER",
}

# The tables of the cost database as the migrations leave them (a test holds them equal).
TABLES: dict[str, dict[str, str]] = {
    "costs": COST_COLUMNS,
    "resources": RESOURCE_COLUMNS,
    "metrics": METRIC_COLUMNS,
    "imports": IMPORT_COLUMNS,
    "reservation_recommendations": RESERVATION_RECOMMENDATION_COLUMNS,
}


# Recommendations with their lifecycle: the columns of Workspace.findings(). They are kept
# in the state store (cloudoptima.storage.state), not in the cost database.
FINDING_COLUMNS: dict[str, str] = {
    "finding_id": "VARCHAR",  # rule + ':' + a hash of the resource id: stable across runs
    "rule": "VARCHAR",
    "resource_id": "VARCHAR",
    "resource_name": "VARCHAR",
    "resource_type": "VARCHAR",
    "subscription_id": "VARCHAR",
    "resource_group": "VARCHAR",
    "location": "VARCHAR",
    "title": "VARCHAR",
    "description": "VARCHAR",
    "category": "VARCHAR",
    "impact": "VARCHAR",
    "effort": "VARCHAR",
    "risk": "VARCHAR",
    "confidence": "VARCHAR",
    "monthly_cost": "DOUBLE",
    "monthly_savings": "DOUBLE",
    "annual_savings": "DOUBLE",
    "BillingCurrency": "VARCHAR",
    "cost_basis": "VARCHAR",  # billed | effective: which real cost the savings come from
    "target": "VARCHAR",
    "remediation": "VARCHAR",
    "evidence": "JSON",
    "status": "VARCHAR",  # open | dismissed | snoozed | resolved
    "status_reason": "VARCHAR",
    "snoozed_until": "DATE",
    "resolved_on": "DATE",
    "status_changed_at": "TIMESTAMP",
    "first_seen": "DATE",  # data days (last cost day of the analysis), not wall clock
    "last_seen": "DATE",
}
