"""Cost Management "cost and usage details" exports (EA, MCA, PAYG) mapped to FOCUS.

Follows finops-toolkit's FOCUS conversion (docs-mslearn/focus/convert.md): actual
cost fills BilledCost, amortized cost fills EffectiveCost, so importing both
datasets for one period never counts a cost twice.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudoptima.ingest.formats import Probe, ProbeFn
from cloudoptima.ingest.headers import LEGACY_ALIASES, canonical_field, normalise_name
from cloudoptima.ingest.sniff import Sniffed
from cloudoptima.ingest.sqltypes import as_json_object, as_number, as_timestamp
from cloudoptima.reference.currencies import check_currency
from cloudoptima.storage.schema import QUANTITY
from cloudoptima.storage.sql import quote_literal

REQUIRED_FIELDS = ("date", "cost")
# Workspace column -> the export field its value comes from (to name a bad value's cell).
RAW_FIELDS = {
    "ChargePeriodStart": "date",
    "BillingPeriodStart": "billingperiodstartdate",
    "BillingPeriodEnd": "billingperiodenddate",
    "BilledCost": "cost",
    "EffectiveCost": "cost",
    "BillingCurrency": "currency",
    "ListCost": "paygcostinbillingcurrency",
    "ContractedUnitPrice": "unitprice",
    "ListUnitPrice": "paygprice",
    "x_EffectiveUnitPrice": "effectiveprice",
    "x_BilledCostInUsd": "costinusd",
    "x_EffectiveCostInUsd": "costinusd",
    "ConsumedQuantity": "quantity",
    "x_BillingExchangeRate": "exchangeratepricingtobilling",
}
# The Cost Management export flavours, in the order their probes are tried.
LEGACY_FORMATS = ("payg", "mca-partner", "mca", "ea", "ea-legacy", "azure-usage")


def probe_cost_details(name: str) -> ProbeFn:
    """The content probe of one export flavour (``name`` from LEGACY_FORMATS)."""

    def probe(sniffed: Sniffed) -> Probe | None:
        found = legacy_format({normalise_name(n) for n in sniffed.names})
        return Probe(found[1]) if found and found[0] == name else None

    probe.__name__ = f"probe_{name.replace('-', '_')}"
    return probe


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


def focus_select(cols: LegacyColumns, dataset: str | None, currency: str | None) -> dict[str, str]:
    """FOCUS column -> SQL expression over the source relation, for one export.

    ``dataset`` None fills the columns of both datasets; the loader keeps one of them
    once the stored rows have told which dataset the export is.
    """
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
        "BilledCost": cost if dataset in (None, "actual") else "NULL",
        "EffectiveCost": (
            f"CASE WHEN {chargetype} IN ('Purchase', 'Refund') AND {is_commitment} THEN 0 ELSE {cost} END"
            if dataset in (None, "amortized")
            else "NULL"
        ),
        "ListCost": _list_cost(c),
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
    exprs.update(_unit_columns(c))
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
    return f"upper(trim(coalesce({c.ref('currency')}, {fallback})))"


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


def _unit_columns(c: LegacyColumns) -> dict[str, str]:
    """Block size and distinct unit of UnitOfMeasure, from the PricingUnits join."""
    uom = c.ref("unitofmeasure")
    # Units missing from PricingUnits fall back to splitting a leading number off
    # ('7 Widgets' -> 7, 'Widgets'; 'GB' -> 1, 'GB'), as open_data.pricing_unit does.
    block = f"coalesce(u.unit_block, TRY_CAST(regexp_extract({uom}, '^\\s*([0-9.]+)', 1) AS DOUBLE), 1.0)"
    unit = f"coalesce(u.unit_name, nullif(trim(regexp_replace({uom}, '^\\s*[0-9.]+\\s*', '')), ''))"
    usage = f"coalesce({c.ref('chargetype')}, 'Usage') = 'Usage'"
    quantity = as_number(c.ref("quantity"), c.header("quantity"), QUANTITY)
    # convert.md: ContractedCost = UnitPrice * Quantity / x_PricingBlockSize (EA unit
    # prices are per UnitOfMeasure, e.g. per 100 hours)
    price = as_number(c.ref("unitprice"), c.header("unitprice"))
    contracted = f"{price} * {quantity} / {block}" if c.has("unitprice") else "NULL"
    return {
        "ContractedCost": contracted,
        "x_PricingBlockSize": block,
        "PricingUnit": unit,
        "ConsumedUnit": f"CASE WHEN {usage} THEN {unit} END",
        "PricingQuantity": f"{quantity} / {block}",
        "x_PricingUnitDescription": uom,
    }


def lookup_joins(c: LegacyColumns) -> tuple[str, str]:
    """(key columns to add to the source, LEFT JOINs on the open-data lookups).

    The lookups are registered by :func:`cloudoptima.ingest.lookups.register_lookups`;
    each join adds only the columns named in :func:`_resource_columns` and
    :func:`_unit_columns`, so no source column (``c0``..) is shadowed.
    """
    r = c.ref
    rid = f"lower({r('resourceid')})"
    # the last provider segment with up to one child type: .../servers/x/databases/y
    arm_type = (
        f"nullif(regexp_extract({rid}, '.*/providers/([^/]+/[^/]+)', 1) "
        f"|| coalesce('/' || nullif(regexp_extract({rid}, '.*/providers/[^/]+/[^/]+/[^/]+/([^/]+)/[^/]+$', 1), ''), ''), '')"
    )
    keys = (
        f"coalesce({arm_type}, lower({r('resourcetype')})) AS _arm_type, "
        f"lower(trim({r('resourcelocation')})) AS _region_key, "
        f"trim({r('unitofmeasure')}) AS _unit_key, "
        f"lower(trim({r('consumedservice')})) AS _service_key"
    )
    joins = (
        "LEFT JOIN lk_units u ON u.unit_key = s._unit_key "
        "LEFT JOIN lk_regions g ON g.region_key = s._region_key "
        "LEFT JOIN lk_types t ON t.type_key = s._arm_type "
        "LEFT JOIN lk_services sv ON sv.service_key = s._service_key AND sv.service_type = s._arm_type "
        "LEFT JOIN lk_service_types st ON st.service_type = s._arm_type "
        "LEFT JOIN lk_service_providers sp ON sp.service_key = "
        "coalesce(split_part(s._arm_type, '/', 1), s._service_key)"
    )
    return keys, joins


def _account_columns(c: LegacyColumns, dataset: str | None) -> dict[str, str]:
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
        if dataset in (None, "actual")
        else "NULL",
        "x_EffectiveCostInUsd": as_number(r("costinusd"), c.header("costinusd"))
        if dataset in (None, "amortized")
        else "NULL",
    }


def _resource_columns(c: LegacyColumns) -> dict[str, str]:
    r = c.ref
    rid = f"nullif(lower({r('resourceid')}), '')"
    family = r("servicefamily")
    allowed = ", ".join(quote_literal(category) for category in FOCUS_SERVICE_CATEGORIES)
    return {
        "ResourceId": rid,
        "ResourceName": f"coalesce({r('resourcename')}, nullif(split_part({rid}, '/', -1), ''))",
        "x_ResourceType": "s._arm_type",
        "ResourceType": "coalesce(t.type_name, s._arm_type)",
        "x_ResourceGroupName": r("resourcegroup"),
        "RegionId": "coalesce(g.region_id, nullif(replace(s._region_key, ' ', ''), ''))",
        "RegionName": f"coalesce(g.region_name, {r('resourcelocation')})",
        # finops-toolkit convert.md: Services maps ConsumedService + ResourceType; the
        # type alone, then the provider, then the export's own columns are fallbacks.
        "ServiceName": (
            f"coalesce(sv.service_name, st.service_name, {r('metercategory')}, "
            f"{r('servicename')}, 'Unknown')"
        ),
        "ServiceCategory": (
            "coalesce(sv.service_category, st.service_category, "
            f"CASE WHEN {family} IN ({allowed}) THEN {family} END, sp.service_category, 'Other')"
        ),
        "ServiceSubcategory": "coalesce(sv.service_subcategory, st.service_subcategory)",
    }


# FOCUS 1.2 ServiceCategory allowed values (specification/columns/servicecategory.md).
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
