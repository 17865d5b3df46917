"""Bus policies: whether a caller may put an event on a bus, as IAM evaluates a resource
policy (explicit Deny wins; the bus's own account is always allowed), and PutPermission
with a whole policy document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local_cloud.iam.evaluator import Principal, Request, evaluate, parse
from local_cloud.iam.organization import org_id_of

PUT_EVENTS = "events:PutEvents"


@dataclass(frozen=True)
class Caller:
    """Who puts an event on a bus: an account (and, for rule deliveries, the rule's role)."""
    account: str
    role_arn: str | None = None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal(caller: Caller) -> Principal:
    """The caller as IAM sees it: a rule delivering with a RoleArn acts as that role."""
    if caller.role_arn:
        name = caller.role_arn.rsplit("/", 1)[-1]
        return Principal(account=caller.account, role_arn=caller.role_arn,
                         arn=f"arn:aws:sts::{caller.account}:assumed-role/{name}/events",
                         org_id=org_id_of(caller.account))
    return Principal.root(caller.account, org_id=org_id_of(caller.account))


def put_events_request(bus_arn: str, event: dict[str, Any]) -> Request:
    """events:PutEvents of one event, with the condition keys EventBridge sets for it."""
    return Request(PUT_EVENTS, bus_arn, {"events:source": str(event.get("source", "")),
                                         "events:detail-type": str(event.get("detail-type", ""))})


def bus_policy_allows(bus: Any, caller: Caller, event: dict[str, Any]) -> bool:
    """Whether the bus's policy lets `caller` put `event` on `bus` (a moto EventBus), decided
    by the local cloud's one evaluator (local_cloud.iam). Same-account callers are decided by
    their identity policies alone, which local_cloud.iam.enforcement checks."""
    if caller.account == bus.account_id:
        return True
    return evaluate(_principal(caller), put_events_request(bus.arn, event), [],
                    parse(bus.policy), identity_checked=False).allowed


def replace_policy(event_bus: Any, policy_text: str | dict[str, Any]) -> None:
    """PutPermission with Policy replaces the whole policy (moto merges by principal)."""
    from moto.core.exceptions import JsonRESTError
    from moto.events.models import EventBusPolicyStatement

    try:
        policy = json.loads(policy_text) if isinstance(policy_text, str) else policy_text
    except json.JSONDecodeError:
        raise JsonRESTError("ValidationException", "This policy contains invalid Json") from None
    event_bus.remove_statements()
    for index, raw in enumerate(_as_list(policy.get("Statement"))):
        statement = EventBusPolicyStatement(
            sid=raw.get("Sid") or f"statement-{index}", principal=raw.get("Principal"),
            action=raw.get("Action"), resource=raw.get("Resource", event_bus.arn),
            effect=raw.get("Effect", "Allow"), condition=raw.get("Condition"))
        event_bus._statements[statement.sid] = statement

