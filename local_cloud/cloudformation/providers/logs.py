"""The local deployer's provider for CloudWatch Logs log groups and resource policies."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_json,
    pick,
    tag_map,
    tagging,
)


def _create_log_group(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    logs = context.client("logs")
    name = context.physical_name(properties, "LogGroupName", logical_id, 512)
    request = pick(properties, "KmsKeyId", "LogGroupClass")
    request.update(tagging(properties, "tags", tag_map))
    logs.create_log_group(logGroupName=name, **{
        {"KmsKeyId": "kmsKeyId", "LogGroupClass": "logGroupClass"}.get(key, key): value
        for key, value in request.items()})
    if "RetentionInDays" in properties:
        logs.put_retention_policy(logGroupName=name,
                                  retentionInDays=int(properties["RetentionInDays"]))
    return Created(name, {"Arn": context.arn("logs", f"log-group:{name}:*")})


def _delete_log_group(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("logs").delete_log_group(logGroupName=name)


def _create_resource_policy(context: Context, logical_id: str,
                            properties: dict[str, Any]) -> Created:
    # An account-level policy (PolicyName, PolicyDocument as JSON text); Ref is its name.
    name = properties["PolicyName"]
    document = properties["PolicyDocument"]
    context.client("logs").put_resource_policy(
        policyName=name, policyDocument=document if isinstance(document, str)
        else as_json(document))
    return Created(name, {})


def _delete_resource_policy(context: Context, name: str, _: dict[str, Any]) -> None:
    try:
        context.client("logs").delete_resource_policy(policyName=name)
    except ClientError as error:  # already gone
        if "ResourceNotFound" not in str(error):
            raise


PROVIDERS: Providers = {
    "AWS::Logs::LogGroup": (_create_log_group, _delete_log_group),
    "AWS::Logs::ResourcePolicy": (_create_resource_policy, _delete_resource_policy),
}
