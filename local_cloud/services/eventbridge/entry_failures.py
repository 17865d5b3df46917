"""Injected per-entry PutEvents failures: PutEvents can succeed as a call while single
entries fail (`FailedEntryCount` > 0, each failed entry with `ErrorCode`/`ErrorMessage`;
InternalFailure and ThrottlingException are the retryable codes, aws-facts item 7). AWS
does this under load; locally a test asks for it through the control route
`events/fail_entries`, for one entry (`times: 1`), a few, or every time (`times: null`),
on one bus (name or ARN) and/or one detail-type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from local_cloud.services.eventbridge.state import state

DEFAULT_MESSAGES = {
    "InternalFailure": "An internal failure occurred. Try again.",
    "ThrottlingException": "Rate exceeded",
}


@dataclass
class EntryFailure:
    error_code: str
    error_message: str
    times: int | None = None  # None: every matching entry fails
    bus: str | None = None  # a bus name (in any account) or a bus ARN; None: every bus
    detail_type: str | None = None
    failed: int = 0

    def applies_to(self, bus_arn: str, detail_type: str) -> bool:
        if self.detail_type is not None and self.detail_type != detail_type:
            return False
        if self.bus is None:
            return True
        return self.bus == bus_arn or bus_arn.endswith(f":event-bus/{self.bus}")


def fail_entries(error_code: str | None = None, error_message: str | None = None,
                 times: int | None = None, bus: str | None = None,
                 detail_type: str | None = None, clear: bool = False) -> list[dict[str, Any]]:
    """Add a failure rule (or with `clear`, remove them all); returns the rules in force."""
    with state.lock:
        if clear:
            state.entry_failures.clear()
            return []
        if not error_code:
            raise ValueError("error_code is required, e.g. InternalFailure or "
                             "ThrottlingException")
        if times is not None and int(times) < 1:
            raise ValueError("times must be at least 1, or null for every time")
        state.entry_failures.append(EntryFailure(
            error_code=error_code,
            error_message=error_message or DEFAULT_MESSAGES.get(error_code, error_code),
            times=None if times is None else int(times), bus=bus, detail_type=detail_type))
        return [asdict(rule) for rule in state.entry_failures]


def injected_failure(bus_arn: str, detail_type: str) -> dict[str, str] | None:
    """The result entry of an injected failure for this entry, if a rule takes it."""
    with state.lock:
        for rule in state.entry_failures:
            if rule.applies_to(bus_arn, detail_type):
                rule.failed += 1
                if rule.times is not None and rule.failed >= rule.times:
                    state.entry_failures.remove(rule)
                state.stats[bus_arn].injected_failures += 1
                return {"ErrorCode": rule.error_code, "ErrorMessage": rule.error_message}
    return None
