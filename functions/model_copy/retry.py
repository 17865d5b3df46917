"""Capped exponential backoff with full jitter for throttled and transient AWS calls."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

T = TypeVar("T")

THROTTLING_CODES = frozenset({
    "TooManyRequestsException", "ThrottlingException", "Throttling",
    "RequestLimitExceeded", "ProvisionedThroughputExceededException",
})
TRANSIENT_CODES = frozenset({"InternalServerException", "ServiceUnavailable",
                             "InternalFailure", "RequestTimeout"})
# call_with_retries' defaults: extra attempts, and the backoff's base and cap in seconds.
RETRY_ATTEMPTS = 8
BACKOFF_BASE_S = 0.2
BACKOFF_CAP_S = 5.0


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def is_retryable(error: BaseException) -> bool:
    if isinstance(error, BotoConnectionError):
        return True
    return error_code(error) in THROTTLING_CODES | TRANSIENT_CODES


def backoff_delay(attempt: int, base: float, cap: float,
                  rng: Callable[[], float] = random.random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng() * min(cap, base * 2 ** min(attempt, 32))


def backoff_delays(attempts: int, base: float, cap: float,
                   rng: Callable[[], float] = random.random) -> list[float]:
    """Full jitter: each delay uniform in [0, min(cap, base * 2**n)]."""
    return [backoff_delay(n, base, cap, rng) for n in range(attempts)]


def call_with_retries(call: Callable[[], T], *, attempts: int = RETRY_ATTEMPTS,
                      base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S,
                      retryable: Callable[[BaseException], bool] = is_retryable,
                      sleep: Callable[[float], None] = time.sleep,
                      on_retry: Callable[[BaseException, int], None] | None = None) -> T:
    """Call; on a retryable error wait and call again, at most `attempts` extra times."""
    delays = backoff_delays(attempts, base, cap)
    for attempt in range(attempts + 1):
        try:
            return call()
        except Exception as error:
            if attempt == attempts or not retryable(error):
                raise
            if on_retry is not None:
                on_retry(error, attempt + 1)
            sleep(delays[attempt])
    raise AssertionError("unreachable")  # pragma: no cover
