"""The EventBridge extension's settings and its per-process state: counters per bus, the
recent events kept for tests, pending deliveries and the delivery worker pool.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from local_cloud.iam.organization import DEFAULT_ORG_ID

RECENT_KEPT_PER_BUS = 200


@dataclass
class Config:
    # AWS backs off exponentially with jitter over up to 24 h; locally the n-th retry waits
    # retry_delays_s[n] (the last value repeats) so tests see retries in milliseconds.
    retry_delays_s: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0, 8.0, 16.0, 30.0])
    org_id: str = DEFAULT_ORG_ID
    # Accounts that are *not* members of org_id (every local account is a member by default).
    accounts_outside_org: list[str] = field(default_factory=list)
    workers: int = 8
    # Function ARN -> "ok" | "throttle" | "not_found": answer Lambda targets without running
    # them (for tests of delivery itself); each stubbed call is kept for `lambda_calls`.
    lambda_stubs: dict[str, str] = field(default_factory=dict)


@dataclass
class BusStats:
    events_received: int = 0
    deliveries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed_attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused_by_policy: int = 0
    dead_lettered: int = 0
    dropped: int = 0
    injected_failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"events_received": self.events_received, "deliveries": dict(self.deliveries),
                "failed_attempts": dict(self.failed_attempts),
                "refused_by_policy": self.refused_by_policy,
                "dead_lettered": self.dead_lettered, "dropped": self.dropped,
                "injected_failures": self.injected_failures}


class State:
    """Counters, recent events and the delivery pool; one per server process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.config = Config()
        self.pending = 0
        self.stats: dict[str, BusStats] = defaultdict(BusStats)
        self.recent: dict[str, deque[dict[str, Any]]] = defaultdict(
            lambda: deque(maxlen=RECENT_KEPT_PER_BUS))
        self.pool: ThreadPoolExecutor | None = None
        self.lambda_calls: list[dict[str, Any]] = []
        # entry_failures.EntryFailure rules, in the order they were added
        self.entry_failures: list[Any] = []

    def executor(self) -> ThreadPoolExecutor:
        with self.lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=self.config.workers,
                                               thread_name_prefix="events-delivery")
            return self.pool

    def begin(self) -> None:
        with self.lock:
            self.pending += 1

    def end(self) -> None:
        with self.lock:
            self.pending -= 1
            if self.pending <= 0:
                self.idle.notify_all()

    def count(self, bus_arn: str, update: Any) -> None:
        with self.lock:
            update(self.stats[bus_arn])

    def shutdown(self) -> None:
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


state = State()


def refused(stats: BusStats) -> None:
    stats.refused_by_policy += 1


def dropped(stats: BusStats) -> None:
    stats.dropped += 1


def dead_lettered(stats: BusStats) -> None:
    stats.dead_lettered += 1
