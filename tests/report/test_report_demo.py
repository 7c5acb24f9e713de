"""The report of the demo workspace: its figures are the library's, every page renders, same bytes.

Every page is rendered to ``test-artifacts/report/demo-<n>.png`` (git-ignored) to look at.

The golden-bytes check stores the SHA-256 of a report drawn with a fixed date in
``tests/report/golden.sha256``. A change of layout, fonts, fpdf2 or matplotlib changes
it on purpose: look at the new pages, then refresh the hash with
``CLOUDOPTIMA_REFRESH_GOLDEN=1 .venv/bin/pytest tests/report -k golden``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader

from cloudoptima import Workspace
from cloudoptima.report.builder import Report

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "report"
GOLDEN = Path(__file__).with_name("golden.sha256")
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
# Sections whose content depends only on the data (no forecast fit, no import times).
GOLDEN_SECTIONS = ("breakdowns", "recommendations", "anomalies", "rates")
FIXED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def money(value: object) -> str:
    return f"USD {float(value):,.2f}"  # type: ignore[arg-type]


def amount(value: object) -> str:
    return f"{float(value):,.2f}"  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo_report(demo_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = tmp_path_factory.mktemp("report") / "demo.pdf"
    return demo_workspace.report(path, organisation="Contoso Pharma")


@pytest.fixture(scope="module")
def pages(demo_report: Report) -> list[str]:
    return [page.extract_text() for page in PdfReader(demo_report.path).pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_default_period_is_the_last_full_month(demo_report: Report) -> None:
    assert demo_report.period is not None
    assert (demo_report.period.start, demo_report.period.end) == OCTOBER
    assert demo_report.currencies == ["USD"]
    assert demo_report.pages == len(PdfReader(demo_report.path).pages) >= 6


def test_key_figures_are_the_librarys(
    demo_workspace: Workspace, demo_report: Report, pages: list[str]
) -> None:
    text = flat(" ".join(pages))
    october = demo_workspace.costs(
        start=OCTOBER[0], end=OCTOBER[1], metric="EffectiveCost", currency="USD"
    )["EffectiveCost"].sum()
    september = demo_workspace.costs(
        start=date(2026, 9, 1), end=date(2026, 9, 30), metric="EffectiveCost", currency="USD"
    )["EffectiveCost"].sum()
    month_end = demo_workspace.forecast().month_end.row(0, named=True)
    open_savings = demo_workspace.findings(status="open", currency="USD")["monthly_savings"].sum()
    kpi_page = flat(next(p for p in pages if "Key figures" in p))
    assert f"Spend, October 2026 {amount(october)}" in kpi_page
    assert f"Spend, September 2026 {amount(september)}" in kpi_page
    assert f"Change +{amount(float(october) - float(september))}" in kpi_page
    assert f"November 2026 month end {amount(month_end['projected'])}" in kpi_page
    band = f"80% range {money(month_end['lower_80'])} to {money(month_end['upper_80'])}"
    assert band in kpi_page
    assert f"Open potential savings {amount(open_savings)}" in kpi_page
    assert f"Realized savings {amount(0)}" in kpi_page
    # the executive summary states the same figures
    assert f"the amortized cloud cost was {money(october)}" in text
    assert f"would save {money(open_savings)} a month" in text


def test_last_months_total_is_the_librarys(demo_workspace: Workspace, pages: list[str]) -> None:
    monthly = demo_workspace.costs(grain="month", metric="EffectiveCost", currency="USD")
    october = monthly.filter(pl.col("period") == date(2026, 10, 1))["EffectiveCost"].item()
    september = monthly.filter(pl.col("period") == date(2026, 9, 1))["EffectiveCost"].item()
    text = flat(" ".join(pages))
    change = float(october) - float(september)
    assert f"October 2026 {amount(october)} +{amount(change)}" in text


def test_top_services_are_the_librarys(demo_workspace: Workspace, pages: list[str]) -> None:
    services = demo_workspace.costs(
        "ServiceName", start=OCTOBER[0], end=OCTOBER[1], metric="EffectiveCost", currency="USD"
    ).head(5)
    table = flat(next(p for p in pages if "By service" in p))
    table = table[table.index("Service Cost (USD)") :]
    positions = []
    for name, cost in services.select("ServiceName", "EffectiveCost").iter_rows():
        row = f"{name} {amount(cost)}"
        assert row in table
        positions.append(table.index(row))
    assert positions == sorted(positions)


def test_recommendations_carry_savings_confidence_and_the_az_command(
    demo_workspace: Workspace, pages: list[str]
) -> None:
    top = demo_workspace.findings(status="open", currency="USD").row(0, named=True)
    page = flat(next(p for p in pages if "Top recommendations" in p and "az " in p))
    assert top["resource_name"] in page
    assert f"{top['confidence']} {amount(top['monthly_savings'])}" in page
    assert top["remediation"].split(" --ids")[0] in page


def test_every_page_renders(demo_report: Report) -> None:
    assert shutil.which("pdftoppm"), "poppler-utils (pdftoppm) is needed to render the pages"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("demo-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", str(demo_report.path), str(ARTIFACTS / "demo")],
        check=True,
        timeout=120,
    )
    rendered = sorted(ARTIFACTS.glob("demo-*.png"))
    assert len(rendered) == demo_report.pages
    assert all(p.stat().st_size > 5_000 for p in rendered)  # not blank


def test_the_same_workspace_gives_the_same_bytes(
    demo_workspace: Workspace, demo_report: Report, tmp_path: Path
) -> None:
    again = demo_workspace.report(tmp_path / "again.pdf", organisation="Contoso Pharma")
    assert again.path.read_bytes() == demo_report.path.read_bytes()
    # stamped with the workspace's last change (its last import and the findings it stored)
    imported = max(demo_workspace.imports()["finished_at"]).replace(microsecond=0, tzinfo=UTC)
    assert demo_report.generated_at is not None
    assert 0 <= (demo_report.generated_at - imported).total_seconds() < 120


def test_golden_bytes(demo_workspace: Workspace, tmp_path: Path) -> None:
    written = demo_workspace.report(
        tmp_path / "golden.pdf",
        start=OCTOBER[0],
        end=OCTOBER[1],
        sections=GOLDEN_SECTIONS,
        organisation="Contoso Pharma",
        generated_at=FIXED,
    )
    pdf = written.path.read_bytes()
    assert b"/CreationDate (D:20261201080000Z" in pdf
    digest = hashlib.sha256(pdf).hexdigest()
    if os.environ.get("CLOUDOPTIMA_REFRESH_GOLDEN"):
        GOLDEN.write_text(digest + "\n")
    assert digest == GOLDEN.read_text().strip(), (
        "the report's bytes changed: look at the pages (test-artifacts/report), then refresh "
        "with CLOUDOPTIMA_REFRESH_GOLDEN=1 .venv/bin/pytest tests/report -k golden"
    )


def test_a_chosen_currency_and_sections_and_letter_paper(
    demo_workspace: Workspace, tmp_path: Path
) -> None:
    written = demo_workspace.report(
        tmp_path / "kpis.pdf", sections=["kpis"], currency="usd", paper="Letter"
    )
    reader = PdfReader(written.path)
    assert written.sections == ["kpis"]
    assert len(reader.pages) == 2  # the cover and the key figures
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    assert "Top recommendations" not in reader.pages[1].extract_text()
