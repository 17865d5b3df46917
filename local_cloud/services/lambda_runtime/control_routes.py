"""Control routes of area `lambda`: configure, stats, reset, wait_idle."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from local_cloud.core import control
from local_cloud.services.lambda_runtime.api import runtime
from local_cloud.services.lambda_runtime.config import RuntimeConfig


def _configure(**changes: Any) -> dict[str, Any]:
    config = runtime().config
    for name, value in changes.items():
        if not hasattr(config, name):
            raise ValueError(f"unknown setting {name!r}; known: {sorted(asdict(config))}")
        setattr(config, name, value)
    return asdict(config)


def _stats(function_name: str | None = None) -> dict[str, Any]:
    by_function = runtime().stats.snapshot()
    if function_name:
        by_function = {arn: s for arn, s in by_function.items()
                       if arn.split(":")[6] == function_name}
    return {"functions": by_function, "workers": runtime().pool.counts(),
            "async_pending": runtime().pending()}


def _reset() -> dict[str, Any]:
    """Forget statistics, queued async work and warm workers; settings back to defaults."""
    current = runtime()
    current.clear_queue()
    current.pool.stop_all()
    current.stats.clear()
    defaults = RuntimeConfig()
    for name, value in asdict(defaults).items():
        setattr(current.config, name, value)
    return {"reset": True}


def _wait_idle(timeout_s: float = 30.0) -> dict[str, Any]:
    return runtime().wait_idle(timeout_s)


def register() -> None:
    control.register("lambda", "configure", _configure)
    control.register("lambda", "stats", _stats)
    control.register("lambda", "reset", _reset)
    control.register("lambda", "wait_idle", _wait_idle)
