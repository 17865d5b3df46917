"""The local deployer's provider for SSM parameters."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudformation.intrinsics import as_text
from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    pick,
    tagging,
)


def _create_parameter(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    name = context.physical_name(properties, "Name", f"CFN-{logical_id}", 2048)
    request = pick(properties, "Description", "AllowedPattern", "Tier", "DataType")
    request.update(tagging(properties))
    value = as_text(properties["Value"])
    context.client("ssm").put_parameter(Name=name, Value=value,
                                        Type=properties.get("Type", "String"), **request)
    return Created(name, {"Type": properties.get("Type", "String"), "Value": value})


def _delete_parameter(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("ssm").delete_parameter(Name=name)


PROVIDERS: Providers = {
    "AWS::SSM::Parameter": (_create_parameter, _delete_parameter),
}
