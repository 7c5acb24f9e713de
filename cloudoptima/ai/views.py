"""The curated read-only views Ask may query, and the compact description a model gets.

The views rename the FOCUS columns into plain words and leave out bookkeeping, so a
question and its SQL read alike. ``daily_costs`` and ``resources`` are views over the
workspace's live database (attached read-only as ``live``); ``findings``,
``forecasts`` and ``forecast_month_end`` are tables made from the façade's results
(findings live in the state store, forecasts are fitted), built only when a query
reads them.
"""

from __future__ import annotations

# View name -> SQL over the attached live database.
LIVE_VIEWS: dict[str, str] = {
    "daily_costs": """
        SELECT ChargePeriodStart::DATE AS day,
               BillingCurrency AS billing_currency,
               BilledCost AS billed_cost,
               EffectiveCost AS effective_cost,
               ServiceName AS service_name,
               ServiceCategory AS service_category,
               SubAccountName AS subscription_name,
               lower(regexp_replace(SubAccountId, '^/subscriptions/', '', 'i')) AS subscription_id,
               x_ResourceGroupName AS resource_group,
               coalesce(ResourceName, regexp_extract(ResourceId, '[^/]+$')) AS resource_name,
               lower(ResourceId) AS resource_id,
               ResourceType AS resource_type,
               RegionName AS region,
               ChargeCategory AS charge_category,
               PricingCategory AS pricing_category,
               Tags AS tags
        FROM live.costs""",
    "resources": """
        SELECT name, type, resource_group,
               lower(regexp_replace(subscription_id, '^/subscriptions/', '', 'i')) AS subscription_id,
               location, sku_name, vm_size, power_state, disk_state, disk_size_gb, tags,
               time_created::DATE AS created, resource_id
        FROM live.resources""",
}

# Tables made from the façade's frames: name -> the columns kept, in order.
FINDING_COLUMNS = (
    "finding_id",
    "rule",
    "title",
    "resource_name",
    "resource_type",
    "resource_group",
    "subscription_id",
    "location",
    "monthly_cost",
    "monthly_savings",
    "annual_savings",
    "BillingCurrency",
    "status",
    "target",
    "category",
    "impact",
    "resource_id",
)
FORECAST_COLUMNS = ("ds", "BillingCurrency", "yhat", "lower_80", "upper_80", "lower_95", "upper_95")
MONTH_END_COLUMNS = (
    "month",
    "BillingCurrency",
    "actual_to_date",
    "forecast_rest",
    "projected",
    "lower_80",
    "upper_80",
    "days_remaining",
)
MADE_TABLES = ("findings", "forecasts", "forecast_month_end")
VIEW_NAMES = (*LIVE_VIEWS, *MADE_TABLES)

DESCRIPTION = """\
Views (DuckDB SQL; read-only; amounts are in billing_currency and must never be added across currencies):
daily_costs(day DATE, billing_currency, billed_cost DECIMAL, effective_cost DECIMAL (amortised; the default cost),
  service_name, service_category, subscription_name, subscription_id, resource_group, resource_name, resource_id,
  resource_type (e.g. 'Virtual machine', 'Disk'), region, charge_category ('Usage','Purchase',...), pricing_category,
  tags JSON (read one with json_extract_string(tags, '$.env')))
resources(name, type (lower-case ARM type, e.g. 'microsoft.compute/disks'), resource_group (lower case), subscription_id,
  location, sku_name, vm_size, power_state, disk_state ('Attached','Unattached',...), disk_size_gb, tags JSON, created DATE,
  resource_id)
findings(finding_id, rule (idle_vm, rightsize_vm, unattached_disk, old_snapshot, untagged_cost, ...), title, resource_name,
  resource_type, resource_group, subscription_id, location, monthly_cost, monthly_savings, annual_savings,
  billing_currency, status ('open','dismissed','snoozed','resolved'), target, category, impact, resource_id, tags JSON)
forecasts(day DATE, billing_currency, forecast, lower_80, upper_80, lower_95, upper_95): total daily cost forecast
  from the day after the last cost day
forecast_month_end(month DATE, billing_currency, actual_to_date, forecast_rest, projected, lower_80, upper_80,
  days_remaining): projection of the month holding the last cost day
"""
