"""How a sync runs: what it fetches, how far back, how hard it pushes (no SDK imports)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from cloudoptima.azure.report import DATASETS
from cloudoptima.errors import CloudOptimaError

# (fraction done 0..1, what is happening): drives the CLI's bar and st.progress.
SyncProgress = Callable[[float, str], None]


@dataclass(frozen=True)
class Tuning:
    """Retries, back-off, timeouts and the throttling floor of every call."""

    retry_total: int = 6
    retry_backoff: float = 0.8  # seconds; doubles per consecutive failure
    retry_backoff_max: int = 60
    read_timeout_s: int = 120
    remaining_floor: int = 10  # pause when Resource Manager says fewer calls remain
    pause_s: float = 2.0  # that pause, and the Cost Details polling interval


@dataclass(frozen=True)
class SyncOptions:
    """What a sync fetches and how."""

    days: int = 30  # costs (whole months back to then) and hourly metrics
    only: tuple[str, ...] = DATASETS
    concurrency: int = 8  # parallel metrics and instance-view calls
    subscription_batch: int = 100  # subscriptions per Resource Graph query
    large_scope_resources: int = 5000  # from this many resources, Cost Details reports
    tuning: Tuning = field(default_factory=Tuning)

    def choose(self, *, days: int | None = None, only: Iterable[str] | None = None) -> SyncOptions:
        """These options with the command line's ``--days`` and ``--only``, checked."""
        chosen = replace(self, days=self.days if days is None else days)
        if only is not None:
            names = tuple(dict.fromkeys(n.strip().lower() for n in only if n.strip()))
            unknown = [n for n in names if n not in DATASETS]
            if unknown or not names:
                raise CloudOptimaError(
                    f"--only takes {', '.join(DATASETS)} (comma separated), not "
                    f"'{', '.join(unknown) or 'nothing'}'"
                )
            chosen = replace(chosen, only=tuple(d for d in DATASETS if d in names))
        if not 1 <= chosen.days <= 366:
            raise CloudOptimaError("--days must be between 1 and 366")
        return chosen
