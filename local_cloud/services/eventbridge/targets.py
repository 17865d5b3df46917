"""Rule targets: what each kind of target receives (Input, InputPath, InputTransformer) and
how it is invoked: another bus (the target's role and the bus policy decide; the event keeps
its sender's account),
SQS, Lambda (the local Lambda runtime, or a stub), Step Functions (an execution in the state
machine's account), CloudWatch Logs (`log_targets`: only with the logs resource policy AWS
requires), archives.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from typing import Any

from local_cloud.core.accounts import REGION
from local_cloud.iam.enforcement import authorize
from local_cloud.iam.evaluator import Request, parse
from local_cloud.iam.operations import Check
from local_cloud.services.eventbridge import log_targets
from local_cloud.services.eventbridge.bus_policy import (
    PUT_EVENTS,
    Caller,
    bus_policy_allows,
    put_events_request,
)
from local_cloud.services.eventbridge.shapes import arn_parts, public
from local_cloud.services.eventbridge.state import refused, state


class DeliveryFailed(Exception):
    """A target invocation failed; `code` is what AWS writes in the DLQ's ERROR_CODE."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


def sqs_send(account: str, region: str, queue: str, body: str,
              attributes: dict[str, Any] | None = None, group_id: str | None = None) -> None:
    from moto.sqs import sqs_backends

    sqs_backends[account][region].send_message(
        queue_name=queue, message_body=body, message_attributes=attributes or {},
        group_id=group_id,
        # Content-based deduplication is how EventBridge feeds FIFO queues.
        deduplication_id=None)


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a target receives: the event, or Input / InputPath / InputTransformer applied."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        found = parse(target["InputPath"]).find(public(event))
        return found[0].value if found else None
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.utils import EventTemplateParser

        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event)  # type: ignore[arg-type]
    return public(event)


def deliver(rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
    arn = target["Arn"]
    service, region, account, resource = arn_parts(arn)
    resource_type = resource.split("/", 1)[0].split(":", 1)[0]
    if service == "events" and resource_type == "event-bus":
        _forward_to_bus(rule, target, event, account or rule.account_id, region)
    elif service == "sqs":
        group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
        try:
            sqs_send(account, region, resource, json.dumps(target_input(target, event)),
                      group_id=group_id)
        except Exception as error:
            raise DeliveryFailed("RESOURCE_NOT_FOUND", str(error), retryable=False) from error
    elif service == "lambda":
        _invoke_lambda(arn, target_input(target, event))
    elif service == "states":
        _start_execution(arn, target, target_input(target, event))
    elif service == "logs":
        _write_to_log_group(rule, account or rule.account_id, region or rule.region_name,
                            resource, target_input(target, event))
    elif service == "events" and not resource_type:
        rule._send_to_events_archive(event["archive-arn"].split("/", 1)[1], event)
    else:
        raise DeliveryFailed("SDK_CLIENT_ERROR", f"target type of {arn} is not emulated",
                             retryable=False)


def _write_to_log_group(rule: Any, account: str, region: str, resource: str,
                        payload: Any) -> None:
    try:
        log_targets.write_event(account, region, resource, payload, rule.arn)
    except log_targets.LogTargetRefused as refusal:
        raise DeliveryFailed("RESOURCE_NOT_FOUND" if refusal.missing else "NO_PERMISSIONS",
                             str(refusal), retryable=False) from refusal


def _forward_to_bus(rule: Any, target: dict[str, Any], event: dict[str, Any],
                    account: str, region: str) -> None:
    name = target["Arn"].rsplit("event-bus/", 1)[-1]
    from local_cloud.services.eventbridge import ingestion  # ingestion -> delivery -> targets

    try:
        bus = ingestion.find_bus(account, region, name)
    except Exception as error:
        raise DeliveryFailed("RESOURCE_NOT_FOUND", str(error), retryable=False) from error
    role_arn = target.get("RoleArn") or rule.role_arn
    caller = Caller(account=rule.account_id, role_arn=role_arn)
    if role_arn:  # EventBridge delivers as the target's role: its policies must allow it
        _authorize_target_role(role_arn, f"rule {rule.arn}", [Check(
            put_events_request(bus.arn, event), resource_policy=parse(bus.policy),
            resource_side_checked_by_service=True)])
    if not bus_policy_allows(bus, caller, event):
        state.count(bus.arn, refused)
        raise DeliveryFailed(
            "NO_PERMISSIONS",
            f"Not authorized to put events on {bus.arn}: no resource-based policy allows "
            f"{PUT_EVENTS} for {rule.account_id}", retryable=False)
    # The forwarded event is the same event: same id, account (the sender), time, resources.
    forwarded = copy.deepcopy(event)
    forwarded["ingestion-time"] = time.time()
    ingestion.ingest(bus, forwarded, received_via=rule.arn)


def _authorize_target_role(role_arn: str, via: str, checks: list[Check]) -> None:
    """A target's RoleArn is the identity EventBridge delivers with (local_cloud.iam)."""
    refusal = authorize(role_arn, checks, session_name="events", via=via)
    if refusal is not None:
        raise DeliveryFailed("NO_PERMISSIONS", refusal, retryable=False)


def _invoke_lambda(function_arn: str, payload: Any) -> None:
    stub = state.config.lambda_stubs.get(function_arn)
    if stub is not None:
        _stubbed_lambda(function_arn, payload, stub)
        return
    try:
        from local_cloud.services import lambda_runtime

        invoke_async = lambda_runtime.invoke_async
    except (ImportError, AttributeError) as error:
        raise DeliveryFailed("SDK_CLIENT_ERROR", "Lambda runtime is not available: "
                             f"{error}", retryable=True) from error
    try:
        invoke_async(function_arn, payload)
    except Exception as error:
        raise _lambda_failure(error) from error


def _stubbed_lambda(function_arn: str, payload: Any, behaviour: str) -> None:
    with state.lock:
        state.lambda_calls.append({"function_arn": function_arn, "payload": payload,
                                    "answer": behaviour})
    if behaviour == "throttle":
        raise DeliveryFailed("THROTTLING", "TooManyRequestsException: Rate exceeded",
                             retryable=True)
    if behaviour == "not_found":
        raise DeliveryFailed("RESOURCE_NOT_FOUND",
                             f"ResourceNotFoundException: Function not found: {function_arn}",
                             retryable=False)


def _lambda_failure(error: Exception) -> DeliveryFailed:
    text = f"{type(error).__name__}: {error}"
    if "Throttl" in text or "TooManyRequests" in text:
        return DeliveryFailed("THROTTLING", text, retryable=True)
    if "NotFound" in text or "not found" in text.lower():
        return DeliveryFailed("RESOURCE_NOT_FOUND", text, retryable=False)
    return DeliveryFailed("SDK_CLIENT_ERROR", text, retryable=True)


def _start_execution(state_machine_arn: str, target: dict[str, Any], payload: Any) -> None:
    from moto.stepfunctions.responses import get_backend

    _, region, account, _ = arn_parts(state_machine_arn)
    if not account and target.get("RoleArn"):
        account = arn_parts(target["RoleArn"])[2]
    backend = get_backend(account, region or REGION)
    try:
        backend.describe_state_machine(state_machine_arn)
    except Exception as error:
        raise DeliveryFailed("RESOURCE_NOT_FOUND", str(error), retryable=False) from error
    if target.get("RoleArn"):
        _authorize_target_role(target["RoleArn"], "rule target", [Check(
            Request("states:StartExecution", state_machine_arn))])
    # AWS names each execution it starts for a rule uniquely.
    backend.start_execution(state_machine_arn, name=str(uuid.uuid4()),
                            execution_input=json.dumps(payload))

