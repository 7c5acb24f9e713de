"""What a sync did: per dataset counts, per subscription failures, duration, retries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudoptima.azure.access import Subscription

DATASETS = ("inventory", "metrics", "costs")


@dataclass(frozen=True)
class PartFailure:
    """One part of a sync that did not land: a dataset of one subscription (or all)."""

    dataset: str
    subscription: Subscription | None
    message: str
    fatal: bool = True  # False: a warning (the dataset still landed)

    def sentence(self) -> str:
        """'costs of Contoso Prod (1111…): access denied …'."""
        where = f" of {self.subscription.label}" if self.subscription else ""
        return f"{self.dataset}{where}: {self.message}"


@dataclass
class SyncReport:
    """The outcome of one sync, as the command line, the app and the import log show it."""

    connection: str
    started: datetime
    finished: datetime | None = None
    datasets: tuple[str, ...] = DATASETS
    subscriptions: int = 0
    counts: dict[str, str] = field(default_factory=dict)  # dataset -> what landed, in words
    failures: list[PartFailure] = field(default_factory=list)
    retries: int = 0
    pauses: int = 0
    imports: list[Any] = field(default_factory=list)  # ImportResult of each file
    import_id: int | None = None  # the sync's own row in the import log

    @property
    def ok(self) -> bool:
        """True when every part landed (warnings aside)."""
        return not self.errors

    @property
    def errors(self) -> list[PartFailure]:
        """The parts that did not land."""
        return [f for f in self.failures if f.fatal]

    @property
    def seconds(self) -> float:
        """How long the sync took."""
        return ((self.finished or self.started) - self.started).total_seconds()

    def failed_parts(self) -> str:
        """'costs of Contoso Dev, metrics of Contoso Dev': which parts failed, for one sentence."""
        parts = dict.fromkeys(
            f.dataset + (f" of {f.subscription.name}" if f.subscription else "")
            for f in self.errors
        )
        return ", ".join(parts)

    def summary(self) -> str:
        """One line for the import log's message."""
        done = "; ".join(f"{d}: {self.counts[d]}" for d in self.datasets if d in self.counts)
        extra = f"; {self.retries} calls retried" if self.retries else ""
        extra += f"; paused {self.pauses} times for Azure's rate limits" if self.pauses else ""
        return (
            f"Azure sync of '{self.connection}', {self.subscriptions} subscription(s): {done}"
            f"{extra}; {self.seconds:.1f} s"
        )
