"""Per-function counters behind `POST /_local/lambda/stats`."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from local_cloud.services.lambda_runtime.results import InvocationResult


@dataclass
class FunctionStats:
    invocations: int = 0
    cold_starts: int = 0
    init_durations_ms: list[float] = field(default_factory=list)
    durations_ms: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    throttles: int = 0
    async_queued: int = 0
    async_succeeded: int = 0
    async_retries: int = 0
    async_failed: int = 0
    dead_lettered: int = 0
    destination_deliveries: int = 0

    KEEP = 100  # the last durations are enough to see cold and warm starts

    def record(self, result: InvocationResult) -> None:
        self.invocations += 1
        if result.cold_start:
            self.cold_starts += 1
            if result.init_ms is not None:
                self.init_durations_ms = [*self.init_durations_ms, result.init_ms][-self.KEEP:]
        self.durations_ms = [*self.durations_ms, result.duration_ms][-self.KEEP:]
        if not result.ok:
            self.errors += 1
            if result.error_type == "Sandbox.Timedout":
                self.timeouts += 1


class StatsBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_function: dict[str, FunctionStats] = defaultdict(FunctionStats)

    def update(self, function_arn: str, **increments: int) -> None:
        with self._lock:
            stats = self._by_function[function_arn]
            for name, amount in increments.items():
                setattr(stats, name, getattr(stats, name) + amount)

    def record(self, function_arn: str, result: InvocationResult) -> None:
        with self._lock:
            self._by_function[function_arn].record(result)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {arn: asdict(stats) for arn, stats in self._by_function.items()}

    def clear(self) -> None:
        with self._lock:
            self._by_function.clear()
