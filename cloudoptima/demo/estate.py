"""The demo estate's resource model: subscriptions, resources and their timelines.

A :class:`Resource` carries what every output needs: its ARM identity, tags,
SKU, the *role* the demo gives it (busy, idle, stopped, ...) and the dates that
shape its cost and metrics. Cost rows, metrics, inventory and ground truth are
all derived from these objects, which keeps the four outputs consistent.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

# Child types whose ARM id nests under the owner's id.
CHILD_SEGMENTS = {"Microsoft.Sql/servers/databases": "databases"}

# Scheduled (dev/test) VMs run on weekdays between these UTC hours.
SCHEDULE_START_HOUR = 7
SCHEDULE_STOP_HOUR = 19

BoolArray = NDArray[np.bool_]
HourArray = NDArray[np.datetime64]


@dataclass(frozen=True)
class Subscription:
    """An Azure subscription of the demo company."""

    key: str  # prod | nonprod | shared
    guid: str
    name: str
    department: str
    department_id: str

    @property
    def sub_account_id(self) -> str:
        """Return the FOCUS SubAccountId, ``/subscriptions/<guid>``."""
        return f"/subscriptions/{self.guid}"


@dataclass(eq=False)
class Resource:
    """One Azure resource, as the demo plants it."""

    arm_type: str  # ARM-cased provider type, e.g. Microsoft.Compute/virtualMachines
    name: str
    subscription: Subscription
    group: str  # ARM-cased resource group name
    location: str
    created: date
    uid: str
    role: str = "busy"
    sku: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    owner: Resource | None = field(default=None, repr=False)
    links: dict[str, list[Resource]] = field(default_factory=dict, repr=False)
    size_gb: int = 0
    count: int = 1  # instances of a plan, sites of a plan, ...
    usage: float = 0.0  # daily usage level of usage-billed services
    changed: datetime | None = None  # when a VM stopped/deallocated or a cost spike hit
    removed: date | None = None  # first day the resource no longer existed
    outages: tuple[tuple[datetime, int], ...] = ()  # (start, hours) deallocated windows
    fixed_id: str = ""  # ids that are not under a resource group (reservations)
    attrs: dict[str, str] = field(default_factory=dict)  # inventory-only details

    @property
    def id(self) -> str:
        """Return the ARM-cased resource id."""
        if self.fixed_id:
            return self.fixed_id
        if self.owner is not None and self.arm_type in CHILD_SEGMENTS:
            return f"{self.owner.id}/{CHILD_SEGMENTS[self.arm_type]}/{self.name}"
        return (
            f"/subscriptions/{self.subscription.guid}/resourceGroups/{self.group}"
            f"/providers/{self.arm_type}/{self.name}"
        )

    @property
    def type(self) -> str:
        """Return the lower-cased ARM type, as Resource Graph and the exports use it."""
        return self.arm_type.lower()

    def linked(self, key: str) -> list[Resource]:
        """Return the resources linked under ``key`` (empty when none)."""
        return self.links.get(key, [])


@dataclass(frozen=True)
class Reservation:
    """A one-year VM reservation billed monthly."""

    order_id: str
    reservation_id: str
    name: str
    vm_size: str
    quantity: int
    purchased: date
    hourly_rate: float  # amortized price per covered VM-hour
    covered: tuple[Resource, ...]

    @property
    def resource_id(self) -> str:
        """Return the reservation's ARM id as cost exports write it."""
        return (
            f"/providers/Microsoft.Capacity/reservationOrders/{self.order_id}"
            f"/reservations/{self.reservation_id}"
        )


@dataclass
class Estate:
    """The whole demo company at one point in time."""

    seed: int
    end: date  # last day with cost data
    start: date  # first day with cost data
    as_of: datetime  # inventory snapshot
    tenant_id: str
    billing_account: str
    subscriptions: list[Subscription]
    resources: list[Resource]
    reservation: Reservation | None = None
    workspace_id: str = ""  # Log Analytics workspace receiving AzureMetrics

    @property
    def listed(self) -> list[Resource]:
        """Return the resources that exist at the snapshot (what Resource Graph lists)."""
        return [
            r
            for r in self.resources
            if not r.fixed_id and (r.removed is None or r.removed > self.end)
        ]

    def of_type(self, arm_type: str) -> list[Resource]:
        """Return the listed resources of one ARM type (case-insensitive)."""
        return [r for r in self.listed if r.type == arm_type.lower()]


def new_guid(rng: random.Random) -> str:
    """Return a deterministic version-4 GUID drawn from ``rng``."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hours_between(first_day: date, last_day: date) -> HourArray:
    """Return every UTC hour from ``first_day`` 00:00 to ``last_day`` 23:00."""
    start = np.datetime64(first_day, "h")
    stop = np.datetime64(last_day + timedelta(days=1), "h")
    return np.arange(start, stop, dtype="datetime64[h]")


def _at(moment: date | datetime) -> np.datetime64:
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    return np.datetime64(moment, "h")


def vm_power(vm: Resource, hours: HourArray) -> tuple[BoolArray, BoolArray]:
    """Return the (running, billed) masks of a VM over ``hours``.

    A stopped VM keeps its compute allocation, so it is billed while not running;
    a deallocated VM is neither.
    """
    exists = hours >= _at(vm.created)
    if vm.removed is not None:
        exists &= hours < _at(vm.removed)
    running = exists.copy()
    if vm.role == "scheduled":
        running &= _in_schedule(hours)
    billed = running.copy()
    if vm.changed is not None:
        after = hours >= _at(vm.changed)
        running &= ~after
        billed = running | (exists & after) if vm.role == "stopped" else running.copy()
    for start, length in vm.outages:
        outage = (hours >= _at(start)) & (hours < _at(start) + np.timedelta64(length, "h"))
        running &= ~outage
        billed &= ~outage
    return running, billed


def _in_schedule(hours: HourArray) -> BoolArray:
    days = hours.astype("datetime64[D]")
    # 1970-01-01 was a Thursday, so (days + 3) % 7 gives Monday = 0.
    weekday = (days.astype(np.int64) + 3) % 7
    hour = (hours - days).astype(np.int64)
    in_hours = (hour >= SCHEDULE_START_HOUR) & (hour < SCHEDULE_STOP_HOUR)
    result: BoolArray = (weekday < 5) & in_hours
    return result


def power_state(vm: Resource, as_of: datetime) -> str:
    """Return the VM's power state (running, stopped, deallocated) at ``as_of``."""
    running, billed = vm_power(vm, np.array([np.datetime64(as_of, "h")]))
    if running[0]:
        return "running"
    return "stopped" if billed[0] else "deallocated"


def deallocated_since(vm: Resource, start: date, as_of: datetime) -> date | None:
    """Return the day a VM deallocated at ``as_of`` was last deallocated."""
    if power_state(vm, as_of) != "deallocated":
        return None
    if vm.changed is not None:
        return vm.changed.date()
    hours = hours_between(start, as_of.date())
    hours = hours[hours <= np.datetime64(as_of, "h")]
    running, _ = vm_power(vm, hours)
    last = hours[running][-1] + np.timedelta64(1, "h")
    return date.fromisoformat(str(last.astype("datetime64[D]")))
