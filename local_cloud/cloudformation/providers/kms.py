"""The local deployer's provider for KMS keys and aliases."""

from __future__ import annotations

from functools import partial
from typing import Any

from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_bool,
    as_json,
    pick,
    tag_list,
    tagging,
)


def _create_key(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    kms = context.client("kms")
    request = pick(properties, "Description", "KeyUsage", "KeySpec", "MultiRegion")
    if "KeyPolicy" in properties:
        request["Policy"] = as_json(properties["KeyPolicy"])
    request.update(tagging(properties, form=partial(tag_list, key="TagKey", value="TagValue")))
    key = kms.create_key(**request)["KeyMetadata"]
    if as_bool(properties.get("EnableKeyRotation", False)):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return Created(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})


def _delete_key(context: Context, key_id: str, _: dict[str, Any]) -> None:
    context.client("kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def _create_key_alias(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    context.client("kms").create_alias(AliasName=properties["AliasName"],
                                       TargetKeyId=properties["TargetKeyId"])
    return Created(properties["AliasName"])


def _delete_key_alias(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("kms").delete_alias(AliasName=name)


PROVIDERS: Providers = {
    "AWS::KMS::Key": (_create_key, _delete_key),
    "AWS::KMS::Alias": (_create_key_alias, _delete_key_alias),
}
