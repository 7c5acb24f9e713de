"""The format catalogue: every registered format is recognised by its content alone."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from cloudoptima import Workspace
from cloudoptima.errors import CloudOptimaError
from cloudoptima.ingest.detect import detect
from cloudoptima.ingest.formats import FORMATS, Format, Probe, load_builtin_formats, register
from cloudoptima.ingest.sniff import sniff

VM = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
DISK = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Compute/disks/d1"
MCA_HEADER = (
    "invoiceId,previousInvoiceId,billingAccountId,billingAccountName,billingProfileId,"
    "billingProfileName,invoiceSectionId,invoiceSectionName,resellerName,resellerMpnId,costCenter,"
    "billingPeriodEndDate,billingPeriodStartDate,servicePeriodEndDate,servicePeriodStartDate,date,"
    "serviceFamily,productOrderId,productOrderName,consumedService,meterId,meterName,meterCategory,"
    "meterSubCategory,meterRegion,ProductId,ProductName,SubscriptionId,subscriptionName,"
    "publisherType,publisherId,publisherName,resourceGroupName,ResourceId,resourceLocation,location,"
    "effectivePrice,quantity,unitOfMeasure,chargeType,billingCurrency,pricingCurrency,"
    "costInBillingCurrency,costInPricingCurrency,costInUsd,paygCostInBillingCurrency,paygCostInUsd,"
    "exchangeRatePricingToBilling,exchangeRateDate,isAzureCreditEligible,serviceInfo1,serviceInfo2,"
    "additionalInfo,tags,PayGPrice,frequency,term,reservationId,reservationName,pricingModel,"
    "unitPrice,costAllocationRuleName,benefitId,benefitName,provider"
)

Writer = Callable[[Path, Path], bytes]  # (samples, target) -> the bytes to write


def _sample(name: str) -> Writer:
    return lambda samples, _: (samples / name).read_bytes()


def _text(text: str) -> Writer:
    return lambda _, __: text.encode("utf-8")


def _json(document: object) -> Writer:
    return lambda _, __: json.dumps(document).encode("utf-8")


def _parquet(frame: dict[str, list[object]]) -> Writer:
    def write(_: Path, target: Path) -> bytes:
        pl.DataFrame(frame).write_parquet(target)
        return target.read_bytes()

    return write


def _mca_row() -> str:
    cells = dict.fromkeys(MCA_HEADER.split(","), "")
    cells.update(
        date="09/01/2026",
        billingProfileId="BP1",
        invoiceSectionId="IS1",
        SubscriptionId="s1",
        ResourceId=VM,
        meterId="m1",
        meterCategory="Virtual Machines",
        costInBillingCurrency="1.5",
        billingCurrency="EUR",
    )
    return MCA_HEADER + "\n" + ",".join(cells.values()) + "\n"


# One real or hand-built example of every registered format.
EXAMPLES: dict[str, Writer] = {
    "focus": _sample("cost-exports/focus1.0_sample_multicloud.csv"),
    "ea": _sample("cost-exports/opencost_headersets_Enterprise.csv"),
    "ea-legacy": _sample("cost-exports/ftk_EA_ActualCost_Small.csv"),
    "mca-partner": _sample("cost-exports/opencost_headersets_EnterpriseCamel.csv"),
    "payg": _sample("cost-exports/opencost_headersets_German.csv"),
    "mca": _text(_mca_row()),
    "azure-usage": _text(
        f"Date,SubscriptionId,MeterCategory,MeterId,ResourceId\n09/01/2026,s1,VM,m1,{VM}\n"
    ),
    "ea-reservation-recommendations": _sample(
        "cost-exports/ftk_EA-Reservations-Recommendations_early.csv"
    ),
    "resource-graph-json": _sample("azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json"),
    "resource-graph-csv": _text(f"id,name,type\n{VM},vm1,microsoft.compute/virtualmachines\n"),
    "arm-list": _sample("azure-rest/compute_Disk_ListBySubscription_2024-03-02.json"),
    "az-resource-list": _json([{"id": VM, "type": "Microsoft.Compute/virtualMachines"}]),
    "az-vm-list": _json(
        [{"id": VM, "type": "Microsoft.Compute/virtualMachines", "powerState": "VM running"}]
    ),
    "az-disk-list": _json([{"id": DISK, "type": "Microsoft.Compute/disks", "diskSizeGb": 32}]),
    "monitor-json": _sample("azure-rest/monitor_vm_metrics_captured_response.json"),
    "azure-metrics-csv": _text(
        f"TimeGenerated,ResourceId,MetricName,Average\n2025-01-01T00:00:00Z,{VM},Percentage CPU,5\n"
    ),
    "azure-metrics-parquet": _parquet(
        {
            "TimeGenerated": ["2025-01-01T00:00:00Z"],
            "ResourceId": [VM],
            "MetricName": ["Percentage CPU"],
            "Average": [5.0],
        }
    ),
}
# Names that point at another kind or format than the content holds.
MISLEADING = ("amortized-cost.csv", "metrics.json", "inventory.parquet", "focus.csv")


def test_every_registered_format_has_an_example() -> None:
    assert set(load_builtin_formats()) == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("file_name", MISLEADING)
def test_each_format_is_detected_from_content_whatever_the_name(
    samples: Path, tmp_path: Path, name: str, file_name: str
) -> None:
    scratch = tmp_path / "scratch.bin"
    data = EXAMPLES[name](samples, scratch)
    path = tmp_path / file_name
    path.write_bytes(data)
    detected = detect(path)
    assert (detected.format, detected.kind) == (name, FORMATS[name].kind)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_only_the_own_probe_recognises_an_example(samples: Path, tmp_path: Path, name: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(EXAMPLES[name](samples, tmp_path / "scratch.bin"))
    sniffed = sniff(path)
    matches = [
        fmt.name
        for fmt in FORMATS.values()
        if sniffed.file_type in fmt.file_types and fmt.probe(sniffed) is not None
    ]
    assert matches == [name]


def test_a_format_name_is_registered_once() -> None:
    existing = FORMATS["focus"]
    clash = Format("focus", "cost", ("csv",), lambda _: Probe(), existing.load)
    with pytest.raises(CloudOptimaError, match="already registered"):
        register(clash)
    with pytest.raises(CloudOptimaError, match="unknown kind"):
        register(Format("x-new", "invoices", ("csv",), lambda _: None, existing.load))
    assert FORMATS["focus"] is existing
    assert "x-new" not in FORMATS


# --- the file name as a tie-breaker -------------------------------------------------

HEADER = "SubscriptionId,Date,MeterCategory,MeterId,ResourceId,CostInBillingCurrency,BillingCurrencyCode,ChargeType,PricingModel"
SUB = "11111111-1111-1111-1111-111111111111"
ON_DEMAND = [f"{SUB},09/0{d}/2026,Virtual Machines,m1,{VM},2,USD,Usage,OnDemand" for d in (1, 2)]
# Reservation usage billed at 0 is how an actual-cost export looks.
COVERED_AT_ZERO = [f"{SUB},09/03/2026,Virtual Machines,m1,{VM},0,USD,Usage,Reservation"]


def _export(folder: Path, name: str, rows: list[str]) -> Path:
    path = folder / name
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_name_breaks_a_tie_and_the_log_says_so(tmp_path: Path, workspace: Workspace) -> None:
    path = _export(tmp_path, "contoso-amortizedcost-202609.csv", ON_DEMAND)
    [result] = workspace.ingest([path])
    assert (result.status, result.rows) == ("loaded", 2)
    assert result.message == (
        "2 amortized cost rows; dataset 'amortized' taken from the file name: "
        "no row tells actual from amortized cost"
    )
    log = workspace.imports().row(0, named=True)
    assert (log["dataset"], log["message"]) == ("amortized", result.message)
    assert workspace.totals().row(0, named=True)["EffectiveCost"] == 4


def test_without_a_telling_name_the_assumption_is_logged(
    tmp_path: Path, workspace: Workspace
) -> None:
    [result] = workspace.ingest([_export(tmp_path, "export.csv", ON_DEMAND)])
    assert result.message == (
        "2 actual cost rows; no row tells actual from amortized cost: loaded as actual"
    )


def test_the_rows_outrank_a_misleading_name(tmp_path: Path, workspace: Workspace) -> None:
    path = _export(tmp_path, "amortized-cost.csv", ON_DEMAND + COVERED_AT_ZERO)
    [result] = workspace.ingest([path])
    assert (result.status, result.message) == ("loaded", "3 actual cost rows")
    assert workspace.imports().row(0, named=True)["dataset"] == "actual"


def test_a_misleading_name_does_not_change_the_kind(
    samples: Path, tmp_path: Path, workspace: Workspace
) -> None:
    inventory = samples / "azure-rest/resourcegraph_ResourcesBasicQuery_2021-03-01.json"
    path = tmp_path / "focus-amortized-metrics.csv"
    shutil.copy(inventory, path)
    [result] = workspace.ingest([path])
    assert (result.status, result.kind, result.format) == (
        "loaded",
        "inventory",
        "resource-graph-json",
    )
    assert "file name" not in result.message
