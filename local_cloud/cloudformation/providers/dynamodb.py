"""The local deployer's provider for DynamoDB tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from local_cloud.cloudformation.resources import (
    LOG,
    Context,
    Created,
    Providers,
    as_bool,
    not_supported,
    pick,
    tagging,
)


def _throughput(value: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(number) for key, number in value.items()}


def _create_table(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    not_supported(logical_id, "AWS::DynamoDB::Table", properties,
                   "ContributorInsightsSpecification", "KinesisStreamSpecification",
                   "ImportSourceSpecification")
    dynamodb = context.client("dynamodb")
    name = context.physical_name(properties, "TableName", logical_id, 255)
    request = pick(properties, "AttributeDefinitions", "KeySchema", "BillingMode",
                    "TableClass", "DeletionProtectionEnabled")
    if "ProvisionedThroughput" in properties:
        request["ProvisionedThroughput"] = _throughput(properties["ProvisionedThroughput"])
    for indexes in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes in properties:
            request[indexes] = [
                {**pick(index, "IndexName", "KeySchema", "Projection"),
                 **({"ProvisionedThroughput": _throughput(index["ProvisionedThroughput"])}
                    if "ProvisionedThroughput" in index else {})}
                for index in properties[indexes]]
    if "StreamSpecification" in properties:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    if "SSESpecification" in properties:
        sse = properties["SSESpecification"]
        request["SSESpecification"] = {"Enabled": as_bool(sse.get("SSEEnabled")),
                                       **pick(sse, "SSEType", "KMSMasterKeyId")}
    request.update(tagging(properties))
    table = dynamodb.create_table(TableName=name, **request)["TableDescription"]
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and as_bool(ttl.get("Enabled")):
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "AttributeName": ttl["AttributeName"], "Enabled": True})
    recovery = properties.get("PointInTimeRecoverySpecification")
    if recovery and as_bool(recovery.get("PointInTimeRecoveryEnabled")):
        try:
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        except ClientError as error:
            LOG.warning("%s: point-in-time recovery not set locally: %s", logical_id, error)
    attributes = {"Arn": table["TableArn"]}
    if "LatestStreamArn" in table:
        attributes["StreamArn"] = table["LatestStreamArn"]
    return Created(name, attributes)


def _delete_table(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("dynamodb").delete_table(TableName=name)


PROVIDERS: Providers = {
    "AWS::DynamoDB::Table": (_create_table, _delete_table),
}
