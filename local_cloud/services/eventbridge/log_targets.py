"""A CloudWatch Logs log group as a rule target, as strict as AWS: the event is written only
when the group exists and a CloudWatch Logs resource policy of the group's account lets
EventBridge (`events.amazonaws.com`) call `logs:CreateLogStream` and `logs:PutLogEvents` on it.

EventBridge uses no role for a log group target, only the logs resource policy (EventBridge
User Guide, "Using resource-based policies for Amazon EventBridge", CloudWatch Logs
permissions). moto writes to any group, and its own writer fails on our events' ISO `time`.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from local_cloud.iam.conditions import Context, as_list, conditions_hold
from local_cloud.iam.evaluator import parse, statements
from local_cloud.iam.matching import action_matches, arn_like

EVENTBRIDGE = "events.amazonaws.com"
WRITE_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents")


class LogTargetRefused(Exception):
    """The group is missing (`missing` True) or no policy lets EventBridge write to it."""

    def __init__(self, message: str, missing: bool) -> None:
        super().__init__(message)
        self.missing = missing


def group_name(resource: str) -> str:
    """`log-group:NAME` or `log-group:NAME:*` (the form `Fn::GetAtt ... Arn` gives) -> NAME."""
    name = resource.split(":", 1)[1] if resource.startswith("log-group:") else resource
    return name[:-2] if name.endswith(":*") else name


def _names_eventbridge(principal: Any) -> bool:
    if principal == "*":
        return True
    services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
    return EVENTBRIDGE in map(str, services)


def _applies(statement: dict[str, Any], action: str, resource: str, context: Context) -> bool:
    if not _names_eventbridge(statement.get("Principal")):
        return False
    if not any(action_matches(action, str(a)) for a in as_list(statement.get("Action"))):
        return False
    return (any(arn_like(resource, str(r)) for r in as_list(statement.get("Resource", "*")))
            and conditions_hold(statement.get("Condition"), context))


def eventbridge_may_write(policies: list[str], stream_arn: str, rule_arn: str) -> bool:
    """Whether the account's logs resource policies allow EventBridge both write actions on
    the stream for this rule (an explicit Deny wins)."""
    parsed = [s for document in policies for s in statements(parse(document))]
    context: Context = {"aws:sourcearn": rule_arn, "aws:sourceaccount": rule_arn.split(":")[4]}
    for action in WRITE_ACTIONS:
        applying = [s for s in parsed if _applies(s, action, stream_arn, context)]
        if any(s.get("Effect") == "Deny" for s in applying):
            return False
        if not any(s.get("Effect") == "Allow" for s in applying):
            return False
    return True


def write_event(account: str, region: str, resource: str, payload: Any, rule_arn: str) -> None:
    """One log stream and one log event per delivery, the event as JSON (what AWS writes)."""
    from moto.logs import logs_backends

    backend = logs_backends[account][region]
    name = group_name(resource)
    if name not in backend.groups:
        raise LogTargetRefused(f"ResourceNotFoundException: The specified log group does not "
                               f"exist: {name}", missing=True)
    stream = str(uuid.uuid4())
    stream_arn = f"arn:aws:logs:{region}:{account}:log-group:{name}:log-stream:{stream}"
    documents = [p.policy_document for p in backend.resource_policies.values()]
    if not eventbridge_may_write(documents, stream_arn, rule_arn):
        raise LogTargetRefused(
            f"AccessDeniedException: {EVENTBRIDGE} is not authorized to perform "
            f"{' and '.join(WRITE_ACTIONS)} on log group {name}: no CloudWatch Logs resource "
            "policy allows it", missing=False)
    backend.create_log_stream(name, stream)
    backend.put_log_events(name, stream, [{"timestamp": int(time.time() * 1000),
                                           "message": json.dumps(payload)}])
