"""Counting every Comprehend call per account and operation, and throttling some of them.

Throttling is off by default; `configure` turns it on by probability, by rate (a token bucket
per account and operation, or per account) or both, for chosen operations and accounts.
"""

from __future__ import annotations

import time

from local_cloud.services.comprehend.state import state


def _throttles(account: str, operation: str) -> bool:
    config = state.config
    if config.throttle_operations is not None and operation not in config.throttle_operations:
        return False
    if config.throttle_accounts is not None and account not in config.throttle_accounts:
        return False
    if config.throttle_probability > 0 and state.random.random() < config.throttle_probability:
        return True
    rate = config.throttle_max_per_second
    if rate is None:
        return False
    # Token bucket: a burst of max(1, rate) calls, refilled at `rate` per second; refused calls
    # take no token, as a service quota behaves.
    key = (account, operation) if config.throttle_per == "operation" else (account,)
    capacity = max(1.0, float(rate))
    now = time.monotonic()
    tokens, at = state.buckets.get(key, (capacity, now))
    tokens = min(capacity, tokens + (now - at) * float(rate))
    if tokens < 1.0:
        state.buckets[key] = (tokens, now)
        return True
    state.buckets[key] = (tokens - 1.0, now)
    return False


def admit(account: str, operation: str) -> bool:
    """Count the call; False when it is throttled."""
    with state.lock:
        throttled = _throttles(account, operation)
        stats = state.account(account)
        per_operation = stats.operations.setdefault(operation, {"calls": 0, "throttled": 0})
        stats.calls += 1
        per_operation["calls"] += 1
        if throttled:
            stats.throttled += 1
            per_operation["throttled"] += 1
    return not throttled
