"""Events arriving on a bus: PutEvents (entry checks, the bus by name or ARN, the bus
policy) and `ingest()`, which records an event and fires the matching rules.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from local_cloud.services.eventbridge import delivery
from local_cloud.services.eventbridge.bus_policy import PUT_EVENTS, Caller, bus_policy_allows
from local_cloud.services.eventbridge.entry_failures import injected_failure
from local_cloud.services.eventbridge.patterns import rule_fires
from local_cloud.services.eventbridge.shapes import arn_parts, bus_arn, event_time, public
from local_cloud.services.eventbridge.state import refused, state


def backend(account: str, region: str) -> Any:
    from moto.events.models import events_backends

    return events_backends[account][region]


def find_bus(account: str, region: str, name_or_arn: str | None) -> Any:
    name = (name_or_arn or "default").rsplit("event-bus/", 1)[-1]
    return backend(account, region).describe_event_bus(name)


def ingest(bus: Any, event: dict[str, Any], received_via: str) -> list[str]:
    """An event arrives on `bus`: record it, fire each ENABLED matching rule. Returns rule ARNs."""
    matched: list[str] = []
    for rule in list(bus.rules.values()):
        if rule_fires(rule, event):
            matched.append(rule.arn)
            delivery.schedule_targets(rule, event)
    record = {"event": public(event), "matched_rules": matched, "received_via": received_via}
    with state.lock:
        state.stats[bus.arn].events_received += 1
        state.recent[bus.arn].append(record)
    return matched


def put_events(self: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replaces EventsBackend.put_events: `self` is the caller's account backend."""
    from moto.events.exceptions import ValidationException

    if len(entries) > 10:
        raise ValidationException(
            "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed "
            "to satisfy constraint: Member must have length less than or equal to 10")
    return [_put_one(self, entry) for entry in entries]


def _entry_error(entry: dict[str, Any]) -> dict[str, str] | None:
    for name in ("Source", "DetailType", "Detail"):
        if not entry.get(name):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {name} is not valid. "
                                    f"Reason: {name} is a required argument."}
    try:
        json.loads(entry["Detail"])
    except ValueError:
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def _put_one(sender: Any, entry: dict[str, Any]) -> dict[str, str]:
    """One entry from `sender` (the caller's account backend)."""
    from moto.events.exceptions import ResourceNotFoundException

    error = _entry_error(entry)
    if error:
        return error
    caller = Caller(account=sender.account_id)
    bus_ref = entry.get("EventBusName") or "default"
    bus_account, bus_region = sender.account_id, sender.region_name
    if bus_ref.startswith("arn:"):
        _, bus_region, bus_account, _ = arn_parts(bus_ref)
    target_arn = bus_arn(bus_account, bus_region, bus_ref.rsplit("event-bus/", 1)[-1])
    injected = injected_failure(target_arn, entry["DetailType"])
    if injected:
        return injected
    try:
        bus = find_bus(bus_account, bus_region, bus_ref)
    except ResourceNotFoundException:
        if bus_account == sender.account_id:
            raise
        # Another account's bus that does not exist has no policy that could allow the
        # sender: the entry is refused as any other cross-account put without a grant.
        return _access_denied(caller, target_arn)
    event = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"],
        "source": entry["Source"], "account": sender.account_id,
        "time": event_time(entry.get("Time")), "region": sender.region_name,
        "resources": list(entry.get("Resources") or []), "detail": json.loads(entry["Detail"]),
        "ingestion-time": time.time(),
    }
    if not bus_policy_allows(bus, caller, event):
        state.count(bus.arn, refused)
        return _access_denied(caller, bus.arn)
    ingest(bus, event, received_via="PutEvents")
    return {"EventId": event["id"]}


def _access_denied(caller: Caller, target_arn: str) -> dict[str, str]:
    return {"ErrorCode": "AccessDeniedException",
            "ErrorMessage": f"User: arn:aws:iam::{caller.account}:root is not authorized to "
                            f"perform: {PUT_EVENTS} on resource: {target_arn} because no "
                            f"resource-based policy allows the {PUT_EVENTS} action"}
