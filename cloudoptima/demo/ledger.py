"""The cost ledger: every charge line priced per day, with the planted reservation and anomalies.

Costs are held as integer micro-dollars (six decimals), so the totals written to
the ground truth equal the sums of the values written to the files exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from cloudoptima.demo import catalog as c
from cloudoptima.demo.estate import Estate, Reservation, Resource
from cloudoptima.demo.meters import Calendar, ChargeLine, Meter, charge_lines, vm_meter

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
MICRO = 1_000_000
HOURS_PER_MONTH = 730  # Azure's monthly-price convention (8760 / 12)
SURGE_FACTOR = 3.5  # the burst adds 3.5x the subscription's median day
SPIKE_FACTOR = 4.0  # the data-factory backfill adds 4x the service's median day
ANOMALY_CONTEXT_DAYS = 14  # "surrounding weeks" on each side of an anomaly


@dataclass
class Ledger:
    """Charge lines with their daily quantities and costs (micro-dollars)."""

    cal: Calendar
    lines: list[ChargeLine]
    quantity: FloatArray  # (lines, days) consumed quantity, 6 decimals
    unit_prices: dict[str, FloatArray]  # list, contracted, effective, billed per line
    costs: dict[str, IntArray]  # list, contracted, effective, billed: (lines, days)

    def line_indices(self, keep: Callable[[ChargeLine], bool]) -> list[int]:
        """Return the positions of the lines ``keep`` accepts."""
        return [i for i, line in enumerate(self.lines) if keep(line)]

    def daily(self, keep: Callable[[ChargeLine], bool], measure: str = "billed") -> IntArray:
        """Return the daily sum of one cost measure over the accepted lines."""
        rows = self.line_indices(keep)
        total: IntArray = self.costs[measure][rows].sum(axis=0)
        return total

    def last_days(self, resource: Resource, days: int = 30, measure: str = "billed") -> int:
        """Return a resource's cost over the last ``days`` days, in micro-dollars."""
        rows = self.line_indices(lambda line: line.resource is resource)
        return int(self.costs[measure][rows, -days:].sum())


def build_ledger(estate: Estate, seed: int) -> Ledger:
    """Price every charge line of ``estate`` per day and plant the cost anomalies."""
    cal = Calendar.between(estate.start, estate.end)
    rng = np.random.default_rng(seed)
    lines = charge_lines(estate, cal, rng)
    if estate.reservation is not None:
        lines = _apply_reservation(lines, estate, cal)
    prices = _unit_prices(lines)
    _plant_surge(lines, prices)
    _plant_spike(cal, lines, prices)
    # Quantities are written with six decimals, so costs are computed from those values.
    stacked = np.vstack([line.quantity for line in lines])
    quantity: FloatArray = np.round(stacked, 6).astype(np.float64)
    for line, row in zip(lines, quantity, strict=True):
        line.quantity = row
    blocks = np.array([line.meter.block for line in lines], dtype=np.float64)[:, None]
    costs = {
        measure: np.rint(quantity / blocks * price[:, None] * MICRO).astype(np.int64)
        for measure, price in prices.items()
    }
    return Ledger(cal, lines, quantity, prices, costs)


def _discount(resource: Resource) -> float:
    return c.NEGOTIATED_DISCOUNT[c.SERVICES[resource.type].category]


def _unit_prices(lines: list[ChargeLine]) -> dict[str, FloatArray]:
    """Return list, contracted, effective and billed unit prices per line."""
    table: dict[str, list[float]] = {"list": [], "contracted": [], "effective": [], "billed": []}
    for line in lines:
        listed = line.meter.list_price
        contracted = round(listed * (1.0 - _discount(line.resource)), 10)
        if line.mode == "standard":
            row = (listed, contracted, contracted, contracted)
        elif line.mode == "used":
            rate = _reservation_rate(line)
            row = (listed, contracted, rate, 0.0)
        elif line.mode == "unused":
            row = (listed, listed, listed, 0.0)
        else:  # purchase: paid now, amortized onto the usage rows
            row = (listed, listed, 0.0, listed)
        for key, value in zip(table, row, strict=True):
            table[key].append(value)
    return {key: np.array(values, dtype=np.float64) for key, values in table.items()}


def _reservation_rate(line: ChargeLine) -> float:
    size = c.VM_SIZES[line.resource.sku]
    return round(size.hourly * (1.0 - c.RESERVATION_DISCOUNT_1Y[size.family]), 6)


def reservation_resource(estate: Estate, reservation: Reservation) -> Resource:
    """Return the pseudo-resource that carries a reservation's purchase and unused rows."""
    owner = reservation.covered[0]
    return Resource(
        arm_type="Microsoft.Capacity/reservationOrders/reservations",
        name=reservation.name,
        subscription=owner.subscription,
        group="",
        location=owner.location,
        created=reservation.purchased,
        uid=reservation.reservation_id,
        sku=reservation.vm_size,
        tags={"env": "prod", "team": "cloudops", "costcenter": "CC-1000"},
        fixed_id=reservation.resource_id,
    )


def _apply_reservation(lines: list[ChargeLine], estate: Estate, cal: Calendar) -> list[ChargeLine]:
    """Move covered VM-hours to Committed rows; add the unused and monthly purchase rows."""
    reservation = estate.reservation
    assert reservation is not None
    active = cal.days >= np.datetime64(reservation.purchased)
    used_hours = np.zeros(cal.days.size)
    result = []
    for line in lines:
        result.append(line)
        if line.resource in reservation.covered:
            covered = np.where(active, line.quantity, 0.0)
            line.quantity = np.where(active, 0.0, line.quantity)
            result.append(ChargeLine(line.resource, line.meter, covered, "used"))
            used_hours += covered
    pseudo = reservation_resource(estate, reservation)
    meter = vm_meter(reservation.vm_size, pseudo.location)
    unused = np.where(active, 24.0 * reservation.quantity - used_hours, 0.0)
    unused_meter = _priced(meter, reservation.hourly_rate)
    result.append(ChargeLine(pseudo, unused_meter, unused, "unused"))
    purchases = _purchase_days(cal, reservation.purchased)
    result.append(ChargeLine(pseudo, _purchase_meter(reservation, meter), purchases, "purchase"))
    return result


def _priced(meter: Meter, price: float) -> Meter:
    return Meter(**{**meter.__dict__, "list_price": price})


def _purchase_meter(reservation: Reservation, meter: Meter) -> Meter:
    fee = round(reservation.hourly_rate * reservation.quantity * HOURS_PER_MONTH, 6)
    region = meter.description.rsplit(" - ", 1)[-1]
    description = f"Reserved VM Instance, {reservation.vm_size}, {region}, 1 Year"
    changes = {"list_price": fee, "description": description, "unit_description": "1/Month"}
    return Meter(**{**meter.__dict__, **changes, "unit": "Units"})


def _purchase_days(cal: Calendar, purchased: date) -> FloatArray:
    """Return 1.0 on the 1st of every month since the purchase (monthly billing plan)."""
    first_of_month: NDArray[np.bool_] = cal.days.astype("datetime64[M]") == cal.days
    since_purchase = cal.days >= np.datetime64(purchased)
    billed: FloatArray = (first_of_month & since_purchase).astype(np.float64)
    return billed


Prices = dict[str, FloatArray]
Keep = Callable[[ChargeLine], bool]


def _daily_billed(lines: list[ChargeLine], prices: Prices, keep: Keep) -> FloatArray:
    total = np.zeros(lines[0].quantity.size)
    for line, price in zip(lines, prices["billed"], strict=True):
        if keep(line):
            total += line.quantity / line.meter.block * price
    return total


def context_median(daily: FloatArray | IntArray, days: list[int]) -> float:
    """Return the median of the days around ``days`` (two weeks each side, anomaly excluded)."""
    lo = max(0, min(days) - ANOMALY_CONTEXT_DAYS)
    hi = min(daily.size, max(days) + ANOMALY_CONTEXT_DAYS + 1)
    around = [d for d in range(lo, hi) if d not in days]
    return float(np.median(daily[around]))


def _plant_surge(lines: list[ChargeLine], prices: Prices) -> None:
    """Size the deleted GPU scale set so its burst is SURGE_FACTOR x the subscription's day."""
    index = next(i for i, line in enumerate(lines) if line.resource.role == "surge")
    surge = lines[index]
    days = [int(d) for d in np.flatnonzero(surge.quantity)]
    subscription = surge.resource.subscription

    def same_subscription(line: ChargeLine) -> bool:
        return line.resource.subscription is subscription and line is not surge

    others = _daily_billed(lines, prices, same_subscription)
    target = SURGE_FACTOR * context_median(others, days)
    per_instance_day = 24.0 * prices["billed"][index]
    surge.resource.count = math.ceil(target / per_instance_day)
    surge.quantity = surge.quantity * surge.resource.count


def _plant_spike(cal: Calendar, lines: list[ChargeLine], prices: Prices) -> None:
    """Add a one-day data-factory backfill worth SPIKE_FACTOR x the service's median day."""
    index = next(
        i
        for i, line in enumerate(lines)
        if line.resource.role == "spike" and line.meter.unit == "Hours"
    )
    spike = lines[index]
    assert spike.resource.changed is not None
    day = cal.index(spike.resource.changed.date())

    def data_factory(line: ChargeLine) -> bool:
        return c.SERVICES[line.resource.type].name == "Azure Data Factory"

    extra = SPIKE_FACTOR * context_median(_daily_billed(lines, prices, data_factory), [day])
    spike.quantity[day] += extra / prices["billed"][index]
