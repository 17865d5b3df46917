"""Whether CloudTrail records the management events of an account in a Region: some trail of
the account that applies to the Region (its own, or a multi-region trail of another Region) is
logging and its event selectors, if any, include write management events.
"""

from __future__ import annotations

from typing import Any


def _records_write_management_events(trail: Any) -> bool:
    selectors = getattr(trail, "event_selectors", None) or []
    if not selectors:  # no basic selectors: the default, all management events
        return True
    return any(s.get("IncludeManagementEvents", True)
               and s.get("ReadWriteType", "All") in ("All", "WriteOnly") for s in selectors)


def is_recording(account: str, region: str) -> bool:
    from moto.cloudtrail.models import cloudtrail_backends

    backend = cloudtrail_backends[account][region]
    return any(trail.status.is_logging and _records_write_management_events(trail)
               for trail in backend.describe_trails(include_shadow_trails=True))
