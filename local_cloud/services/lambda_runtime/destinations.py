"""Where a finished asynchronous event goes: OnSuccess/OnFailure destinations, dead letters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

# `api`, not a name from it: a function destination goes through the runtime installed at the
# time of delivery.
from local_cloud.services.lambda_runtime import api
from local_cloud.services.lambda_runtime.async_queue import AsyncInvocation
from local_cloud.services.lambda_runtime.functions import version_arn


def _send_to_sqs(queue_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    sqs_backends[account][region].send_message(name, body, message_attributes=attributes or {})


def _send_to_sns(topic_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
    from moto.sns.models import sns_backends

    region, account = topic_arn.split(":")[3:5]
    sns_attributes = {name: {"Type": value["DataType"], "Value": value["StringValue"]}
                      for name, value in (attributes or {}).items()}
    sns_backends[account][region].publish(body, arn=topic_arn, message_attributes=sns_attributes)


def _send_to_bus(bus_arn: str, detail_type: str, record: dict[str, Any],
                 function_arn: str) -> None:
    from moto.events.models import events_backends

    region, account = bus_arn.split(":")[3:5]
    events_backends[account][region].put_events([{
        "Source": "lambda", "DetailType": detail_type, "Detail": json.dumps(record),
        "Resources": [function_arn], "EventBusName": bus_arn}])


# What Lambda calls, with the function's execution role, to reach each kind of destination.
DESTINATION_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish",
                       "events": "events:PutEvents", "lambda": "lambda:InvokeFunction"}


class DestinationDenied(PermissionError):
    """The execution role may not send to the destination: the record is lost, as on AWS."""


def deliver_to_destination(destination: str, record: dict[str, Any], success: bool,
                           function_arn: str, role_arn: str | None = None) -> None:
    """An invocation record to an SQS queue, SNS topic, event bus or function (AWS's choices),
    sent as the function's execution role (`role_arn`), whose policies must allow it."""
    service = destination.split(":")[2]
    if role_arn and service in DESTINATION_ACTIONS:
        from local_cloud.iam.enforcement import authorize
        from local_cloud.iam.evaluator import Request
        from local_cloud.iam.operations import Check

        refusal = authorize(role_arn, [Check(Request(DESTINATION_ACTIONS[service], destination),
                                             resource_side_checked_by_service=True)],
                            session_name=function_arn.rsplit(":", 1)[-1],
                            via=f"lambda destination of {function_arn}")
        if refusal is not None:
            raise DestinationDenied(refusal)
    if service == "sqs":
        _send_to_sqs(destination, json.dumps(record))
    elif service == "sns":
        _send_to_sns(destination, json.dumps(record))
    elif service == "events":
        outcome = "Success" if success else "Failure"
        _send_to_bus(destination, f"Lambda Function Invocation Result - {outcome}", record,
                     function_arn)
    elif service == "lambda":
        api.invoke_async(destination, record)
    else:
        raise ValueError(f"unsupported destination {destination}")


def invocation_record(invocation: AsyncInvocation, fn: Any, condition: str,
                      response: Any, function_error: str | None,
                      status_code: int = 200) -> dict[str, Any]:
    """The record AWS sends to OnSuccess/OnFailure destinations."""
    response_context: dict[str, Any] = {"statusCode": status_code,
                                        "executedVersion": str(fn.version)}
    if function_error:
        response_context["functionError"] = function_error
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {"requestId": invocation.request_id,
                           "functionArn": version_arn(fn),
                           "condition": condition,
                           "approximateInvokeCount": invocation.attempts},
        "requestPayload": invocation.payload,
        "responseContext": response_context,
        "responsePayload": response,
    }


def dead_letter_attributes(invocation: AsyncInvocation, error: dict[str, Any],
                           ran: bool) -> dict[str, Any]:
    """The message attributes AWS sets on an event sent to a dead-letter queue or topic."""
    return {
        "RequestID": {"DataType": "String", "StringValue": invocation.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200" if ran else "429"},
        "ErrorMessage": {"DataType": "String",
                         "StringValue": str(error.get("errorMessage", ""))[:1024]},
    }


def send_to_dead_letter(target_arn: str, body: str, attributes: dict[str, Any]) -> None:
    """The failed event to the function's DeadLetterConfig target, an SNS topic or SQS queue."""
    if target_arn.split(":")[2] == "sns":
        _send_to_sns(target_arn, body, attributes)
    else:
        _send_to_sqs(target_arn, body, attributes)
