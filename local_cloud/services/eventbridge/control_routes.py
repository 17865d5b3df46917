"""Control routes of area `events` (POST /_local/events/<action>): configure, stats, recent,
lambda_calls, reset, wait_idle, as the package docstring describes them.
"""

from __future__ import annotations

import time
from typing import Any

from local_cloud.core import control
from local_cloud.core.accounts import REGION
from local_cloud.iam import organization
from local_cloud.services.eventbridge.entry_failures import fail_entries
from local_cloud.services.eventbridge.shapes import bus_arn
from local_cloud.services.eventbridge.state import Config, state


def configure(**settings: Any) -> dict[str, Any]:
    unknown = set(settings) - set(Config.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown events settings: {sorted(unknown)}")
    with state.lock:
        for key, value in settings.items():
            current = getattr(state.config, key)
            if isinstance(current, dict) and isinstance(value, dict):
                current.update(value)  # stubs accumulate, so tests can add their own
            else:
                setattr(state.config, key, value)
        # The organization is IAM's (aws:PrincipalOrgID); this route is where tests set it.
        organization.configure(org_id=state.config.org_id,
                               accounts_outside=list(state.config.accounts_outside_org))
        return dict(state.config.__dict__)


def stats(account: str | None = None, bus: str | None = None) -> dict[str, Any]:
    with state.lock:
        return {arn: s.as_dict() for arn, s in state.stats.items()
                if (account is None or f":{account}:" in arn)
                and (bus is None or arn.endswith(f"event-bus/{bus}"))}


def recent(account: str, bus: str = "default", limit: int = 20,
           region: str = REGION) -> list[dict[str, Any]]:
    """The last `limit` events seen on a bus, oldest first, with the rules they matched."""
    with state.lock:
        records = list(state.recent[bus_arn(account, region, bus)])
    return records[-limit:] if limit else records


def lambda_calls(function_arn: str | None = None) -> list[dict[str, Any]]:
    """Calls answered by `lambda_stubs`, oldest first."""
    with state.lock:
        return [c for c in state.lambda_calls
                if function_arn is None or c["function_arn"] == function_arn]


def reset() -> dict[str, Any]:
    with state.lock:
        state.lambda_calls.clear()
        state.entry_failures.clear()
        state.stats.clear()
        state.recent.clear()
        state.config = Config()
    organization.reset()
    return {"reset": True}


def wait_idle(timeout: float = 30.0) -> dict[str, Any]:
    """Block until no delivery is pending (retries waiting included) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    with state.lock:
        while state.pending > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return {"idle": False, "pending": state.pending}
            state.idle.wait(left)
        return {"idle": True, "pending": 0}


def register() -> None:
    for action, handler in (("configure", configure), ("stats", stats), ("recent", recent),
                            ("reset", reset), ("wait_idle", wait_idle),
                            ("lambda_calls", lambda_calls), ("fail_entries", fail_entries)):
        control.register("events", action, handler)
