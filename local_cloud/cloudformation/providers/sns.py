"""The local deployer's provider for SNS topics."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudformation.intrinsics import as_text
from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_bool,
    pick,
)


def _create_topic(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    sns = context.client("sns")
    fifo = as_bool(properties.get("FifoTopic", False))
    name = context.physical_name(properties, "TopicName", logical_id, 256, ".fifo" if fifo else "")
    attributes = {key: as_text(value) for key, value in pick(
        properties, "DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication").items()}
    if fifo:
        attributes["FifoTopic"] = "true"
    arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
    for subscription in properties.get("Subscription", []):
        sns.subscribe(TopicArn=arn, Protocol=subscription["Protocol"],
                      Endpoint=subscription["Endpoint"])
    return Created(arn, {"TopicArn": arn, "TopicName": name})


def _delete_topic(context: Context, arn: str, _: dict[str, Any]) -> None:
    context.client("sns").delete_topic(TopicArn=arn)


PROVIDERS: Providers = {
    "AWS::SNS::Topic": (_create_topic, _delete_topic),
}
