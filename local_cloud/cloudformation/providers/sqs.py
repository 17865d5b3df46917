"""The local deployer's provider for SQS queues and queue policies."""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import ClientError

from local_cloud.cloudformation.intrinsics import as_text
from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_bool,
    as_json,
    pick,
    tag_map,
    tagging,
)

QUEUE_ATTRIBUTES = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                    "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy",
                    "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
                    "SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication",
                    "DeduplicationScope", "FifoThroughputLimit")


def _create_queue(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    sqs = context.client("sqs")
    fifo = as_bool(properties.get("FifoQueue", False))
    name = context.physical_name(properties, "QueueName", logical_id, 80, ".fifo" if fifo else "")
    attributes = {key: (as_json(value) if isinstance(value, dict) else as_text(value))
                  for key, value in pick(properties, *QUEUE_ATTRIBUTES).items()}
    if not fifo:
        attributes.pop("FifoQueue", None)  # SQS refuses FifoQueue=false
    request: dict[str, Any] = {"Attributes": attributes}
    request.update(tagging(properties, "tags", tag_map))
    url = sqs.create_queue(QueueName=name, **request)["QueueUrl"]
    arn = context.arn("sqs", name)
    return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})


def _delete_queue(context: Context, url: str, _: dict[str, Any]) -> None:
    context.client("sqs").delete_queue(QueueUrl=url)


def _create_queue_policy(context: Context, logical_id: str,
                         properties: dict[str, Any]) -> Created:
    sqs = context.client("sqs")
    for url in properties["Queues"]:
        sqs.set_queue_attributes(QueueUrl=url,
                                 Attributes={"Policy": as_json(properties["PolicyDocument"])})
    return Created(context.generated_name(logical_id, 128), {},
                   {"queues": properties["Queues"]})


def _delete_queue_policy(context: Context, _: str, teardown: dict[str, Any]) -> None:
    sqs = context.client("sqs")
    for url in teardown["queues"]:
        with contextlib.suppress(ClientError):  # the queue may be gone already
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})


PROVIDERS: Providers = {
    "AWS::SQS::Queue": (_create_queue, _delete_queue),
    "AWS::SQS::QueuePolicy": (_create_queue_policy, _delete_queue_policy),
}
