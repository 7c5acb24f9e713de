"""Chart builders: colours that never repeat, every group-by in the series, one tick per
month, partial periods marked, names drawn as text."""

from __future__ import annotations

from datetime import date

import polars as pl

from cloudoptima import charts

MONTHS = [date(2026, 9, 1), date(2026, 10, 1), date(2026, 11, 1)]
SERVICES = [f"Service {i:02d}" for i in range(14)] + [
    "Virtual Machines",
    "Virtual Machine Scale Sets",
]


def monthly(services: list[str], env: list[str] | None = None) -> pl.DataFrame:
    rows = []
    for month in MONTHS:
        for rank, service in enumerate(services):
            for tag in env or [None]:
                rows.append(
                    {"period": month, "ServiceName": service, "tag:env": tag, "cost": 100.0 + rank}
                )
    return pl.DataFrame(rows)


def bars(figure: object) -> list[dict[str, object]]:
    return [t for t in figure.to_dict()["data"] if t["type"] == "bar"]  # type: ignore[attr-defined]


def test_a_chart_never_repeats_a_colour_and_the_rest_is_grey() -> None:
    figure = charts.period_stack(monthly(SERVICES), "period", ["ServiceName"], "cost", "USD")
    traces = bars(figure)
    assert len(traces) == 11  # the top 10 and (other)
    colours = [t["marker"]["color"] for t in traces]
    assert len(set(colours)) == 11
    other = next(t for t in traces if t["name"] == "(other)")
    assert other["marker"]["color"] == charts.GREYS["(other)"]


def test_a_series_keeps_its_colour_from_one_chart_to_the_next() -> None:
    wide = charts.series_colours(["Virtual Machines", "Storage", "Key Vault", "Azure Monitor"])
    narrow = charts.series_colours(["Key Vault", "Virtual Machines"])
    assert wide["Virtual Machines"] == narrow["Virtual Machines"]
    assert wide["Key Vault"] == narrow["Key Vault"]
    many = charts.series_colours([f"s{i}" for i in range(len(charts.PALETTE))])
    assert len(set(many.values())) == len(charts.PALETTE)  # collisions move to a free colour


def test_both_group_bys_name_the_series() -> None:
    frame = monthly(["Virtual Machines", "Storage"], env=["prod", "dev"])
    figure = charts.period_stack(frame, "period", ["ServiceName", "tag:env"], "cost", "USD")
    names = {t["name"] for t in bars(figure)}
    assert names == {
        "Virtual Machines · prod",
        "Virtual Machines · dev",
        "Storage · prod",
        "Storage · dev",
    }
    assert figure.layout.legend.title.text == "Service · Tag env"


def test_one_tick_per_month_and_the_partial_month_marked() -> None:
    frame = monthly(["Virtual Machines"])
    figure = charts.period_stack(
        frame,
        "period",
        ["ServiceName"],
        "cost",
        "USD",
        grain="month",
        first=date(2026, 9, 1),
        last=date(2026, 11, 24),
    )
    assert list(figure.layout.xaxis.categoryarray) == [
        "Sep 2026",
        "Oct 2026",
        "Nov 2026<br>to 24 Nov (partial)",
    ]
    (trace,) = bars(figure)
    assert trace["marker"]["pattern"]["shape"] == ["", "", "/"]
    started = charts.period_stack(
        frame, "period", ["ServiceName"], "cost", "USD", first=date(2026, 9, 15)
    )
    assert started.layout.xaxis.categoryarray[0] == "Sep 2026<br>from 15 Sep (partial)"


def test_weeks_and_partial_weeks() -> None:
    assert charts.period_label(date(2026, 11, 23), "week") == "Week of 23 Nov 2026"
    assert charts.is_partial(date(2026, 11, 23), "week", date(2026, 11, 1), date(2026, 11, 24))
    assert not charts.is_partial(date(2026, 11, 16), "week", date(2026, 11, 1), date(2026, 11, 24))


def test_names_are_drawn_as_text_not_markup() -> None:
    frame = pl.DataFrame({"name": ['<a href="http://evil.invalid">Log in</a>'], "cost": [5.0]})
    figure = charts.ranked_bars(frame, "name", "cost", "USD")
    assert figure.data[0].y == ('&lt;a href="http://evil.invalid"&gt;Log in&lt;/a&gt;',)
    assert figure.data[0].text == ("USD 5.00",)
