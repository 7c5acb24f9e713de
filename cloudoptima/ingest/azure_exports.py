"""Cost Management "cost and usage details" exports (EA, MCA, PAYG) mapped to FOCUS.

Follows finops-toolkit's FOCUS conversion (docs-mslearn/focus/convert.md): actual
cost fills BilledCost, amortized cost fills EffectiveCost, so importing both
datasets for one period never counts a cost twice.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudoptima.ingest.headers import LEGACY_ALIASES, canonical_field, normalise_name
from cloudoptima.ingest.sqltypes import as_json_object, as_number, as_timestamp
from cloudoptima.reference.currencies import check_currency
from cloudoptima.storage.schema import QUANTITY
from cloudoptima.storage.sql import quote_literal

REQUIRED_FIELDS = ("date", "cost")


def legacy_format(fields: set[str]) -> tuple[str, str | None] | None:
    """(format, schema version) of a cost-details export with these normalised header names."""
    canon = {canonical_field(f) for f in fields}
    # Recognised by its cost or date column plus typical usage-detail fields; the
    # loader then names whatever required column is missing.
    typical = {"metercategory", "meterid", "subscriptionid", "consumedservice", "resourceid"}
    if not (set(REQUIRED_FIELDS) & canon and len(typical & canon) >= 2):
        return None
    if {"subscriptionguid", "pretaxcost", "usagedatetime"} & fields:
        return "payg", "2019-11-01"
    if {"partnername", "customertenantid"} & fields:
        return "mca-partner", None
    if {"billingprofileid", "invoicesectionid"} <= fields and "accountownerid" not in fields:
        return "mca", "2023-12-01-preview" if "benefitid" in fields else "2021-10-01"
    if "costinbillingcurrency" in fields:
        if "resourcelocationnormalized" in fields:
            return "ea", "2024-08-01"
        return "ea", "2023-12-01-preview" if "benefitid" in fields else "2021-10-01"
    if "cost" in fields:
        return "ea-legacy", None
    return "azure-usage", None


class LegacyColumns:
    """Canonical field -> (SQL reference, header text as the file spells it)."""

    def __init__(self, cells: list[str], refs: list[str]) -> None:
        self.fields: dict[str, tuple[str, str]] = {}
        for cell, ref in zip(cells, refs, strict=True):
            canon = canonical_field(cell)
            # the first spelling in LEGACY_ALIASES wins when a file has two (MCA
            # carries both resourceLocation and the normalised location)
            if canon in self.fields and not self._prefer(canon, cell):
                continue
            self.fields[canon] = (ref, cell.strip().replace("\ufeff", ""))

    def _prefer(self, canon: str, cell: str) -> bool:
        aliases = LEGACY_ALIASES.get(canon, ())
        order = {a: i for i, a in enumerate(aliases)}
        current = normalise_name(self.fields[canon][1])
        return order.get(normalise_name(cell), 99) < order.get(current, 99)

    def has(self, field: str) -> bool:
        return field in self.fields

    def ref(self, field: str) -> str:
        return self.fields[field][0] if field in self.fields else "NULL"

    def header(self, field: str) -> str:
        return self.fields[field][1] if field in self.fields else field


def focus_select(cols: LegacyColumns, dataset: str, currency: str | None) -> dict[str, str]:
    """FOCUS column -> SQL expression over the source relation, for one export."""
    c = cols
    num: Callable[[str], str] = lambda f: as_number(c.ref(f), c.header(f))  # noqa: E731
    qty: Callable[[str], str] = lambda f: as_number(c.ref(f), c.header(f), QUANTITY)  # noqa: E731
    ts: Callable[[str], str] = lambda f: as_timestamp(c.ref(f), c.header(f))  # noqa: E731
    r = c.ref
    cost = num("cost")
    date = f"date_trunc('day', {ts('date')})"
    chargetype = r("chargetype")
    pricingmodel = f"replace({r('pricingmodel')}, ' ', '')"
    is_commitment = f"{pricingmodel} IN ('Reservation', 'SavingsPlan')"
    benefit = f"coalesce({r('benefitid')}, {r('reservationid')})"
    exprs = {
        "BilledCost": cost if dataset == "actual" else "NULL",
        "EffectiveCost": (
            f"CASE WHEN {chargetype} IN ('Purchase', 'Refund') AND {is_commitment} THEN 0 ELSE {cost} END"
            if dataset == "amortized"
            else "NULL"
        ),
        "ListCost": _list_cost(c),
        "ContractedCost": f"{num('unitprice')} * {qty('quantity')}"
        if c.has("unitprice")
        else "NULL",
        "ContractedUnitPrice": num("unitprice"),
        "ListUnitPrice": num("paygprice"),
        "x_EffectiveUnitPrice": num("effectiveprice"),
        "ChargePeriodStart": date,
        "ChargePeriodEnd": f"{date} + INTERVAL 1 DAY",
        "BillingPeriodStart": f"coalesce({ts('billingperiodstartdate')}, date_trunc('month', {date}))",
        "BillingPeriodEnd": (
            f"coalesce({ts('billingperiodenddate')} + INTERVAL 1 DAY, "
            f"date_trunc('month', {date}) + INTERVAL 1 MONTH)"
        ),
        "BillingCurrency": _currency(c, currency),
        "ChargeCategory": _charge_category(chargetype, c.has("chargetype")),
        "ChargeClass": f"CASE WHEN {chargetype} = 'Refund' THEN 'Correction' END",
        "ChargeDescription": r("productname"),
        "ChargeFrequency": _frequency(r("frequency"), c.has("frequency")),
        "PricingCategory": (
            f"CASE {pricingmodel} WHEN 'OnDemand' THEN 'Standard' WHEN 'Spot' THEN 'Dynamic' "
            f"WHEN 'Reservation' THEN 'Committed' WHEN 'SavingsPlan' THEN 'Committed' END"
        ),
        "x_PricingSubcategory": r("pricingmodel"),
        "CommitmentDiscountId": benefit,
        "CommitmentDiscountName": f"coalesce({r('benefitname')}, {r('reservationname')})",
        "CommitmentDiscountType": _benefit_kind(benefit, "'Reservation'", "'Savings Plan'"),
        "CommitmentDiscountCategory": _benefit_kind(benefit, "'Usage'", "'Spend'"),
        "CommitmentDiscountStatus": (
            f"CASE WHEN {chargetype} IN ('UnusedReservation', 'UnusedSavingsPlan') THEN 'Unused' "
            f"WHEN {is_commitment} THEN 'Used' END"
        ),
        "ConsumedQuantity": f"CASE WHEN coalesce({chargetype}, 'Usage') = 'Usage' THEN {qty('quantity')} END",
        "ConsumedUnit": f"CASE WHEN coalesce({chargetype}, 'Usage') = 'Usage' THEN {_unit(r('unitofmeasure'))} END",
        "PricingQuantity": f"{qty('quantity')} / {_block(r('unitofmeasure'))}",
        "PricingUnit": _unit(r("unitofmeasure")),
        "x_PricingBlockSize": _block(r("unitofmeasure")),
        "x_PricingUnitDescription": r("unitofmeasure"),
        "ProviderName": "'Microsoft'",
        "PublisherName": f"coalesce({r('publishername')}, 'Microsoft')",
        "x_PublisherCategory": r("publishertype"),
        "x_PublisherId": r("publisherid"),
        "InvoiceIssuerName": f"coalesce({r('partnername')}, 'Microsoft')",
        "InvoiceId": r("invoiceid"),
        "PricingCurrency": r("pricingcurrency"),
        "x_BillingExchangeRate": qty("exchangeratepricingtobilling"),
        "x_BillingExchangeRateDate": ts("exchangeratedate"),
        "x_ServicePeriodStart": ts("serviceperiodstartdate"),
        "x_ServicePeriodEnd": f"{ts('serviceperiodenddate')} + INTERVAL 1 DAY",
        "Tags": as_json_object(r("tags"), c.header("tags")),
        "SkuPriceDetails": as_json_object(r("additionalinfo"), c.header("additionalinfo")),
        "x_CostAllocationRuleName": r("costallocationrulename"),
        "x_CostCenter": r("costcenter"),
        "x_AccountName": r("accountname"),
        "x_AccountOwnerId": r("accountownerid"),
        "x_AccountId": r("accountid"),
        "x_InvoiceSectionId": r("invoicesectionid"),
        "x_InvoiceSectionName": r("invoicesectionname"),
        "x_CustomerId": r("customertenantid"),
        "x_CustomerName": r("customername"),
        "x_ResellerId": r("resellermpnid"),
        "x_ResellerName": r("resellername"),
        "x_SkuMeterCategory": r("metercategory"),
        "x_SkuMeterSubcategory": r("metersubcategory"),
        "x_SkuMeterId": r("meterid"),
        "x_SkuRegion": r("meterregion"),
        "x_SkuOfferId": r("offerid"),
        "x_SkuPartNumber": r("partnumber"),
        "x_SkuTerm": r("term"),
        "x_SkuOrderId": r("productorderid"),
        "x_SkuOrderName": r("productordername"),
        "x_SkuPlanName": r("planname"),
        "x_SkuServiceFamily": r("servicefamily"),
        "x_SkuTier": r("servicetier"),
        "x_SkuIsCreditEligible": f"TRY_CAST({r('isazurecrediteligible')} AS BOOLEAN)",
        "SkuId": r("productid"),
        "SkuMeter": r("metername"),
        "SubAccountType": "'Subscription'",
    }
    exprs.update(_account_columns(c, dataset))
    exprs.update(_resource_columns(c))
    return exprs


def _list_cost(c: LegacyColumns) -> str:
    if c.has("paygcostinbillingcurrency"):
        return as_number(c.ref("paygcostinbillingcurrency"), c.header("paygcostinbillingcurrency"))
    if c.has("paygprice") and c.has("quantity"):
        price = as_number(c.ref("paygprice"), c.header("paygprice"))
        return f"{price} * {as_number(c.ref('quantity'), c.header('quantity'), QUANTITY)}"
    return "NULL"  # EA exports carry no list cost: leave it unknown rather than invent it


def _currency(c: LegacyColumns, default: str | None) -> str:
    # --currency comes from the user: only a valid ISO 4217 code, and only as a quoted literal.
    fallback = quote_literal(check_currency(default, what="--currency")) if default else "NULL"
    return f"upper(coalesce({c.ref('currency')}, {fallback}))"


def _charge_category(chargetype: str, present: bool) -> str:
    if not present:
        return "'Usage'"
    return (
        f"CASE WHEN {chargetype} IS NULL THEN 'Usage' "
        f"WHEN {chargetype} IN ('Usage', 'Purchase', 'Credit', 'Tax') THEN {chargetype} "
        f"WHEN {chargetype} IN ('UnusedReservation', 'UnusedSavingsPlan') THEN 'Usage' "
        f"WHEN {chargetype} = 'Refund' THEN 'Purchase' ELSE 'Adjustment' END"
    )


def _frequency(frequency: str, present: bool) -> str:
    if not present:
        return "'Usage-Based'"
    return (
        f"CASE {frequency} WHEN 'OneTime' THEN 'One-Time' WHEN 'Recurring' THEN 'Recurring' "
        f"WHEN 'UsageBased' THEN 'Usage-Based' WHEN NULL THEN NULL ELSE 'Other' END"
    )


def _benefit_kind(benefit: str, usage: str, spend: str) -> str:
    return (
        f"CASE WHEN lower({benefit}) LIKE '%/microsoft.capacity/%' THEN {usage} "
        f"WHEN lower({benefit}) LIKE '%/microsoft.billingbenefits/%' THEN {spend} END"
    )


def _block(unit: str) -> str:
    # '100 Hours' -> 100; '1 Hour' or 'GB' -> 1
    return f"coalesce(TRY_CAST(regexp_extract({unit}, '^\\s*([0-9.]+)', 1) AS DOUBLE), 1.0)"


def _unit(unit: str) -> str:
    return f"nullif(trim(regexp_replace({unit}, '^\\s*[0-9.]+\\s*', '')), '')"


def _account_columns(c: LegacyColumns, dataset: str) -> dict[str, str]:
    r = c.ref
    sub = f"lower({r('subscriptionid')})"
    sub_id = f"CASE WHEN {sub} IS NULL THEN NULL WHEN starts_with({sub}, '/subscriptions/') THEN {sub} ELSE '/subscriptions/' || {sub} END"
    mca = c.has("billingprofileid") and not c.has("accountownerid")
    account_id = r("billingprofileid") if mca else r("billingaccountid")
    account_name = r("billingprofilename") if mca else r("billingaccountname")
    return {
        "SubAccountId": sub_id,
        "SubAccountName": r("subscriptionname"),
        "BillingAccountId": f"coalesce({account_id}, {sub_id})",
        "BillingAccountName": account_name,
        "BillingAccountType": "'Billing Profile'" if mca else "'Billing Account'",
        "x_BillingAccountId": r("billingaccountid"),
        "x_BillingAccountName": r("billingaccountname"),
        "x_BillingProfileId": r("billingprofileid"),
        "x_BillingProfileName": r("billingprofilename"),
        "x_BilledCostInUsd": as_number(r("costinusd"), c.header("costinusd"))
        if dataset == "actual"
        else "NULL",
        "x_EffectiveCostInUsd": as_number(r("costinusd"), c.header("costinusd"))
        if dataset == "amortized"
        else "NULL",
    }


def _resource_columns(c: LegacyColumns) -> dict[str, str]:
    r = c.ref
    rid = f"nullif(lower({r('resourceid')}), '')"
    # the last provider segment with up to one child type: .../servers/x/databases/y
    arm_type = (
        f"nullif(regexp_extract({rid}, '.*/providers/([^/]+/[^/]+)', 1) "
        f"|| coalesce('/' || nullif(regexp_extract({rid}, '.*/providers/[^/]+/[^/]+/[^/]+/([^/]+)/[^/]+$', 1), ''), ''), '')"
    )
    provider = f"coalesce(split_part({arm_type}, '/', 1), lower({r('consumedservice')}))"
    location = f"lower(replace({r('resourcelocation')}, ' ', ''))"
    region_id = (
        f"coalesce((SELECT region_id FROM lk_region_alias WHERE alias = {location}), {location})"
    )
    category = (
        f"coalesce(CASE WHEN {r('servicefamily')} IN (SELECT unnest(['Compute','Networking','Storage','Databases','Analytics','Security','Web','Other'])) "
        f"THEN {r('servicefamily')} END, (SELECT category FROM lk_providers WHERE provider = {provider}), 'Other')"
    )
    return {
        "ResourceId": rid,
        "ResourceName": f"coalesce({r('resourcename')}, nullif(split_part({rid}, '/', -1), ''))",
        "x_ResourceType": f"coalesce({arm_type}, lower({r('resourcetype')}))",
        "ResourceType": (
            f"coalesce((SELECT display FROM lk_types WHERE arm_type = coalesce({arm_type}, lower({r('resourcetype')}))), "
            f"{arm_type}, lower({r('resourcetype')}))"
        ),
        "x_ResourceGroupName": r("resourcegroup"),
        "RegionId": region_id,
        "RegionName": f"coalesce((SELECT region_name FROM lk_regions WHERE region_id = {region_id}), {r('resourcelocation')})",
        "ServiceName": f"coalesce({r('metercategory')}, {r('servicename')}, 'Unknown')",
        "ServiceCategory": category,
    }
