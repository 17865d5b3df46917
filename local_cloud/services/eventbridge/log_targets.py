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

from local_cloud.iam import Request, parse, service_allowed

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


def eventbridge_may_write(policies: list[str], stream_arn: str, rule_arn: str) -> bool:
    """Whether the account's logs resource policies allow EventBridge both write actions on
    the stream for this rule (an explicit Deny wins)."""
    parsed = [parse(document) for document in policies]
    context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": rule_arn.split(":")[4]}
    return all(service_allowed(parsed, EVENTBRIDGE, Request(action, stream_arn, context))
               for action in WRITE_ACTIONS)


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
