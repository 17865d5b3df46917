"""The local deployer's provider for CloudTrail trails."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_bool,
    not_supported,
    pick,
    tagging,
)


def _create_trail(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    not_supported(logical_id, "AWS::CloudTrail::Trail", properties, "AdvancedEventSelectors",
                   "InsightSelectors")
    cloudtrail = context.client("cloudtrail")
    name = context.physical_name(properties, "TrailName", logical_id, 128)
    request = {key: (as_bool(value) if key.startswith(("Is", "Include", "Enable")) else value)
               for key, value in pick(properties, "S3BucketName", "S3KeyPrefix",
                                       "IsMultiRegionTrail", "IncludeGlobalServiceEvents",
                                       "EnableLogFileValidation", "KMSKeyId",
                                       "IsOrganizationTrail", "SnsTopicName").items()}
    request.update(tagging(properties, "TagsList"))
    arn = cloudtrail.create_trail(Name=name, **request)["TrailARN"]
    if properties.get("EventSelectors"):
        cloudtrail.put_event_selectors(TrailName=name, EventSelectors=[
            {**selector, "IncludeManagementEvents": as_bool(
                selector.get("IncludeManagementEvents", True))}
            for selector in properties["EventSelectors"]])
    if as_bool(properties.get("IsLogging")):
        cloudtrail.start_logging(Name=name)
    return Created(name, {"Arn": arn})


def _delete_trail(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("cloudtrail").delete_trail(Name=name)


PROVIDERS: Providers = {
    "AWS::CloudTrail::Trail": (_create_trail, _delete_trail),
}
