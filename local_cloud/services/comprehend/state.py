"""The emulator's own state: configuration (control route `configure`/`fail`), per-account
counters and throttle buckets.

One re-entrant lock guards it and the custom models in moto's backends: the server answers
requests on several threads, and a call reads the configuration and changes models together.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    """How models of one name end, instead of TRAINED."""
    message: str
    status: str = "IN_ERROR"
    on: str = "both"  # "training" | "import" | "both"


@dataclass
class Config:
    submitted_s: float = 0.5
    training_s: float = 2.0
    import_s: float = 2.0
    stopping_s: float = 0.5
    deleting_s: float = 0.5
    # Model name -> {"submitted_s"?, "training_s"?, "import_s"?}
    models: dict[str, dict[str, float]] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    throttle_probability: float = 0.0
    throttle_max_per_second: float | None = None
    throttle_operations: list[str] | None = None
    throttle_accounts: list[str] | None = None
    throttle_per: str = "operation"

    def duration(self, model_name: str, key: str) -> float:
        return float(self.models.get(model_name, {}).get(key, getattr(self, key)))


@dataclass
class AccountStats:
    calls: int = 0
    throttled: int = 0
    imports: int = 0
    imports_refused: int = 0
    operations: dict[str, dict[str, int]] = field(default_factory=dict)


class State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config = Config()
        self.stats: dict[str, AccountStats] = {}
        self.buckets: dict[tuple[str, ...], tuple[float, float]] = {}  # key -> (tokens, at)
        self.injections: dict[str, Any] = {}  # operation -> injection.Injection
        self.random = random.Random()

    def account(self, account: str) -> AccountStats:
        return self.stats.setdefault(account, AccountStats())


# Shared by every module of the package; `reset` replaces state.config, so read it through
# `state` each time rather than keeping a reference.
state = State()
