"""Turn the ledger into Microsoft FocusCost 1.2 rows (a polars frame of text columns).

Every column is text as it appears in the CSV export: dates as
``2025-01-01T00:00:00Z``, numbers in plain decimal notation, nulls as empty
fields. The Parquet writer casts these texts to typed columns.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

import numpy as np
import polars as pl

from cloudoptima.demo import catalog as c
from cloudoptima.demo.estate import Estate
from cloudoptima.demo.ledger import Ledger
from cloudoptima.demo.meters import ChargeLine
from cloudoptima.storage.schema import FOCUS_COLUMNS, MICROSOFT_COLUMNS

# Columns of FOCUS 1.2 that Microsoft's FocusCost 1.2 export does not contain.
NOT_EXPORTED = frozenset(
    {
        "AvailabilityZone",
        "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
    }
)
FOCUS_HEADER: tuple[str, ...] = (
    *(name for name in FOCUS_COLUMNS if name not in NOT_EXPORTED),
    *MICROSOFT_COLUMNS,
)
COLUMN_TYPES: dict[str, str] = {**FOCUS_COLUMNS, **MICROSOFT_COLUMNS}

COST_SCALE = 6  # ledger costs are micro-dollars
PRICE_SCALE = 10  # unit prices and quantities are written with up to ten decimals
COST_COLUMNS = {
    "billed": ("BilledCost", "x_BilledCostInUsd"),
    "effective": ("EffectiveCost", "x_EffectiveCostInUsd"),
    "contracted": ("ContractedCost", "x_ContractedCostInUsd"),
    "list": ("ListCost", "x_ListCostInUsd"),
}
PRICE_COLUMNS = {
    "list": "ListUnitPrice",
    "contracted": "ContractedUnitPrice",
    "effective": "x_EffectiveUnitPrice",
    "billed": "x_BilledUnitPrice",
}
NAMESPACE = uuid.UUID("7c3e4f1a-2b9d-4c8e-9a61-0d5f3b2e8c47")


def _decimal_text(values: pl.Expr, scale: int) -> pl.Expr:
    """Render non-negative integers scaled by 10**scale as plain decimals, trailing zeros cut."""
    unit = 10**scale
    whole = (values // unit).cast(pl.String)
    fraction = (values % unit).cast(pl.String).str.zfill(scale)
    text: pl.Expr = (whole + "." + fraction).str.replace(r"\.?0+$", "")
    return text


def _scaled(values: np.ndarray, scale: int) -> pl.Series:
    return pl.Series(np.rint(values * 10**scale).astype(np.int64))


def _code(text: str, length: int) -> str:
    """Return a stable uppercase code derived from ``text`` (part numbers, invoice ids)."""
    digest = hashlib.sha256(text.encode()).hexdigest().upper()
    return digest[:length]


def _tags_text(tags: dict[str, str]) -> str | None:
    return json.dumps(tags, separators=(",", ":")) if tags else None


def _line_columns(estate: Estate, line: ChargeLine) -> dict[str, str | None]:
    """Return the columns that are the same on every row of a charge line."""
    resource, meter = line.resource, line.meter
    service = c.SERVICES[resource.type]
    region_name, meter_region = c.REGIONS[resource.location]
    committed = line.mode != "standard"
    meter_key = f"{meter.category}|{meter.subcategory}|{meter.name}|{meter_region}"
    return {
        "ResourceId": resource.id,
        "ResourceName": resource.name,
        "ResourceType": service.resource_type,
        "x_ResourceType": resource.type,
        "x_ResourceGroupName": resource.group or None,
        "SubAccountId": resource.subscription.sub_account_id,
        "SubAccountName": resource.subscription.name,
        "x_InvoiceSectionId": resource.subscription.department_id,
        "x_InvoiceSectionName": resource.subscription.department,
        "RegionId": resource.location,
        "RegionName": region_name,
        "x_SkuRegion": meter_region,
        "ServiceName": service.name,
        "ServiceCategory": service.category,
        "ServiceSubcategory": service.subcategory,
        "x_ServiceModel": service.model,
        "Tags": _tags_text(resource.tags),
        "SkuMeter": meter.name,
        "ChargeDescription": meter.description,
        "x_SkuDescription": meter.description,
        "x_SkuMeterCategory": meter.category,
        "x_SkuMeterSubcategory": meter.subcategory or None,
        "x_SkuServiceFamily": meter.family,
        "ConsumedUnit": None if line.mode == "purchase" else meter.unit,
        "PricingUnit": meter.unit,
        "x_PricingUnitDescription": meter.unit_description,
        "SkuPriceDetails": meter.details or None,
        "x_SkuMeterId": str(uuid.uuid5(NAMESPACE, meter_key)),
        "x_SkuPartNumber": f"{_code(meter_key, 3)}-{int(_code(meter_key, 8), 16) % 100000:05d}",
        "ChargeCategory": "Purchase" if line.mode == "purchase" else "Usage",
        "ChargeFrequency": "Recurring" if line.mode == "purchase" else "Usage-Based",
        "PricingCategory": "Committed" if committed else "Standard",
        "x_PricingSubcategory": "Committed Usage" if committed else "Standard",
        **_commitment_columns(estate, line),
    }


def _commitment_columns(estate: Estate, line: ChargeLine) -> dict[str, str | None]:
    reservation = estate.reservation
    if line.mode == "standard" or reservation is None:
        return {}
    status = {"used": "Used", "unused": "Unused"}.get(line.mode)
    amortization = "Principal" if line.mode == "purchase" else "Amortized Charge"
    region = c.REGIONS[line.resource.location][1]
    return {
        "CommitmentDiscountCategory": "Usage",
        "CommitmentDiscountId": reservation.resource_id,
        "CommitmentDiscountName": reservation.name,
        "CommitmentDiscountStatus": status,
        "CommitmentDiscountType": "Reservation",
        "CommitmentDiscountUnit": "Hours" if status else None,
        "x_AmortizationClass": amortization,
        "x_SkuOrderId": reservation.order_id,
        "x_SkuOrderName": f"Reserved VM Instance, {reservation.vm_size}, {region}, 1 Year",
        "x_SkuTerm": "12",
    }


def _lines_frame(estate: Estate, ledger: Ledger) -> pl.DataFrame:
    records = [_line_columns(estate, line) for line in ledger.lines]
    names = sorted({name for record in records for name in record})
    return pl.DataFrame(
        {name: [record.get(name) for record in records] for name in names},
        schema=dict.fromkeys(names, pl.String),
    )


def _days_frame(estate: Estate, ledger: Ledger) -> pl.DataFrame:
    days = [day.item() for day in ledger.cal.days]
    month_starts = [day.replace(day=1) for day in days]
    next_months = [(start + timedelta(days=32)).replace(day=1) for start in month_starts]
    current = estate.end.replace(day=1)

    def stamp(values: list[object]) -> list[str]:
        return [f"{value}T00:00:00Z" for value in values]

    invoices = [
        None if start == current else f"G{int(_code(f'{estate.seed}{start}', 8), 16) % 10**9:09d}"
        for start in month_starts
    ]
    return pl.DataFrame(
        {
            "ChargePeriodStart": stamp(days),
            "ChargePeriodEnd": stamp([day + timedelta(days=1) for day in days]),
            "BillingPeriodStart": stamp(month_starts),
            "BillingPeriodEnd": stamp(next_months),
            "InvoiceId": invoices,
            "_month": [start.strftime("%Y-%m") for start in month_starts],
        },
        schema_overrides={"InvoiceId": pl.String},
    )


def _constant_columns(estate: Estate) -> dict[str, str]:
    account = estate.billing_account
    return {
        "BillingAccountId": f"/providers/Microsoft.Billing/billingAccounts/{account}",
        "BillingAccountName": "Contoso Pharma",
        "BillingAccountType": "Billing Account",
        "BillingCurrency": "USD",
        "PricingCurrency": "USD",
        "InvoiceIssuerName": "Microsoft",
        "ProviderName": "Microsoft",
        "PublisherName": "Microsoft",
        "SubAccountType": "Subscription",
        "x_AccountId": str(int(_code(account, 6), 16) % 1000000),
        "x_AccountName": "Contoso Pharma Cloud Operations",
        "x_AccountOwnerId": "cloudops@contosopharma.example",
        "x_BillingAccountId": account,
        "x_BillingAccountName": "Contoso Pharma",
        "x_BillingProfileId": account,
        "x_BillingProfileName": "Contoso Pharma",
        "x_BillingExchangeRate": "1",
        "x_PublisherCategory": "Cloud Provider",
        "x_SkuIsCreditEligible": "true",
        "x_SkuOfferId": "MS-AZR-0017P",
    }


def _numeric_frame(ledger: Ledger, line_index: np.ndarray, day_index: np.ndarray) -> pl.DataFrame:
    quantity = ledger.quantity[line_index, day_index]
    blocks = np.array([line.meter.block for line in ledger.lines], dtype=np.float64)[line_index]
    purchase = np.array([line.mode == "purchase" for line in ledger.lines])[line_index]
    committed = np.array([line.mode in ("used", "unused") for line in ledger.lines])[line_index]
    columns = {
        "_quantity": _scaled(quantity, PRICE_SCALE),
        "_pricing_quantity": _scaled(quantity / blocks, PRICE_SCALE),
        "_block": _scaled(blocks, PRICE_SCALE),
        "_purchase": pl.Series(purchase),
        "_committed": pl.Series(committed),
    }
    for measure, names in COST_COLUMNS.items():
        columns[f"_{names[0]}"] = pl.Series(ledger.costs[measure][line_index, day_index])
    for measure, name in PRICE_COLUMNS.items():
        columns[f"_{name}"] = _scaled(ledger.unit_prices[measure][line_index], PRICE_SCALE)
    frame = pl.DataFrame(columns)
    return frame.select(*_numeric_expressions())


def _numeric_expressions() -> list[pl.Expr]:
    def price(name: str) -> pl.Expr:
        return _decimal_text(pl.col(f"_{name}"), PRICE_SCALE)

    quantity = price("quantity")
    costs = [
        _decimal_text(pl.col(f"_{names[0]}"), COST_SCALE).alias(name)
        for names in COST_COLUMNS.values()
        for name in names
    ]
    return [
        *costs,
        *(price(name).alias(name) for name in PRICE_COLUMNS.values()),
        pl.when(pl.col("_purchase")).then(None).otherwise(quantity).alias("ConsumedQuantity"),
        price("pricing_quantity").alias("PricingQuantity"),
        price("block").alias("x_PricingBlockSize"),
        pl.when(pl.col("_committed"))
        .then(quantity)
        .otherwise(None)
        .alias("CommitmentDiscountQuantity"),
    ]


def focus_rows(estate: Estate, ledger: Ledger) -> pl.DataFrame:
    """Return every cost row in FocusCost 1.2 column order, plus a ``_month`` key column."""
    day_index, line_index = np.nonzero(ledger.quantity.T)  # day-major: rows sorted by date
    lines = _lines_frame(estate, ledger)[line_index]
    days = _days_frame(estate, ledger)[day_index]
    numbers = _numeric_frame(ledger, line_index, day_index)
    frame = pl.concat([lines, days, numbers], how="horizontal")
    constants = _constant_columns(estate)
    columns = []
    for name in FOCUS_HEADER:
        if name in frame.columns:
            columns.append(pl.col(name))
        elif name in constants:
            columns.append(pl.lit(constants[name], pl.String).alias(name))
        else:
            columns.append(_derived_or_null(name))
    return frame.select(*columns, pl.col("_month"))


def _derived_or_null(name: str) -> pl.Expr:
    derived = {
        "x_ServicePeriodStart": "ChargePeriodStart",
        "x_ServicePeriodEnd": "ChargePeriodEnd",
        "x_BillingExchangeRateDate": "BillingPeriodStart",
    }
    if name in derived:
        return pl.col(derived[name]).alias(name)
    return pl.lit(None, pl.String).alias(name)
