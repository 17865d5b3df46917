"""Control routes of area `comprehend` (POST /_local/comprehend/<action>): configure, fail,
inject, stats, reset, as the package docstring describes them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from local_cloud.core import control
from local_cloud.services.comprehend.injection import inject
from local_cloud.services.comprehend.state import Config, Outcome, state

_DURATIONS = ("submitted_s", "training_s", "import_s", "stopping_s", "deleting_s")
_THROTTLE_KEYS = ("throttle_probability", "throttle_max_per_second", "throttle_operations",
                  "throttle_accounts", "throttle_per")


def configure(models: dict[str, dict[str, float] | None] | None = None,
              **settings: Any) -> dict[str, Any]:
    unknown = set(settings) - set(_DURATIONS) - set(_THROTTLE_KEYS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: "
                         f"{[*_DURATIONS, 'models', *_THROTTLE_KEYS]}")
    if settings.get("throttle_per", "operation") not in ("operation", "account"):
        raise ValueError("throttle_per must be 'operation' or 'account'")
    with state.lock:
        config = state.config
        for key, value in settings.items():
            if key in _DURATIONS and (value is None or float(value) < 0):
                raise ValueError(f"{key} must be a number >= 0")
            setattr(config, key, float(value) if key in _DURATIONS else value)
        for name, durations in (models or {}).items():
            if durations is None:
                config.models.pop(name, None)
                continue
            bad = set(durations) - {"submitted_s", "training_s", "import_s"}
            if bad:
                raise ValueError(f"per-model durations are submitted_s/training_s/import_s, "
                                 f"not {sorted(bad)}")
            config.models.setdefault(name, {}).update(
                {k: float(v) for k, v in durations.items()})
        state.buckets.clear()
        return asdict(config)


def fail(model_name: str, message: str | None, status: str = "IN_ERROR",
         on: str = "both") -> dict[str, Any]:
    if status not in ("IN_ERROR", "TRAINED_WITH_WARNING"):
        raise ValueError("status must be IN_ERROR or TRAINED_WITH_WARNING")
    if on not in ("both", "training", "import"):
        raise ValueError("on must be both, training or import")
    with state.lock:
        if message is None:
            state.config.outcomes.pop(model_name, None)
        else:
            state.config.outcomes[model_name] = Outcome(message=message, status=status, on=on)
        return {name: asdict(o) for name, o in state.config.outcomes.items()}


def stats(account: str | None = None) -> dict[str, Any]:
    with state.lock:
        chosen = {a: s for a, s in state.stats.items() if account in (None, a)}
        return {"accounts": {a: asdict(s) for a, s in chosen.items()}}


def reset(counters: bool = True, config: bool = True) -> dict[str, Any]:
    with state.lock:
        if counters:
            state.stats.clear()
        if config:
            state.config = Config()
            state.injections.clear()
        state.buckets.clear()
    return {"counters": counters, "config": config}


def register() -> None:
    for action, handler in (("configure", configure), ("fail", fail), ("inject", inject),
                            ("stats", stats), ("reset", reset)):
        control.register("comprehend", action, handler)
