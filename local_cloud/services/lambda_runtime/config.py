"""Settings of the runtime, AWS's defaults for async invocation, and the errors callers see."""

from __future__ import annotations

from dataclasses import dataclass, field

# AWS's defaults for asynchronous invocation (EventInvokeConfig).
DEFAULT_MAX_RETRY_ATTEMPTS = 2
DEFAULT_MAX_EVENT_AGE_S = 21600


@dataclass
class RuntimeConfig:
    """Knobs of `POST /_local/lambda/configure`. AWS waits ~1 min, then ~2 min between retries."""

    retry_delays_s: list[float] = field(default_factory=lambda: [1.0, 2.0])
    # AWS gives an account 1000 concurrent executions; an import follows its copy for its whole
    # duration, so 50 parallel copies need well over 50 environments here too.
    max_workers: int = 96
    throttle_retry_delay_s: float = 1.0
    # After a restart, how long a re-queued event waits for its function to be deployed again.
    recovery_grace_s: float = 600.0
    # AWS reclaims idle execution environments after some minutes; so do we (frees memory).
    idle_timeout_s: float = 300.0


class FunctionNotFound(LookupError):
    """No function (or version/alias) with this ARN exists in the local cloud."""


class FunctionThrottled(RuntimeError):
    """No concurrency left for the function; the caller may retry later, as with AWS's 429."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Rate Exceeded. ({reason})")
        self.reason = reason
