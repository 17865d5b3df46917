"""A deployed stack (the deployer's record) in the shapes of CloudFormation's API: `Stack` for
DescribeStacks, `StackSummary` for ListStacks (CloudFormation API reference, data types)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from local_cloud.cloudformation.deployer import Stack


def names(stack: Stack, name_or_id: str) -> bool:
    """Whether a request's StackName (a name or the unique stack id) names this stack."""
    return name_or_id in (stack.name, stack.stack_id)


def described(stack: Stack) -> dict[str, Any]:
    return {
        **_in_both_shapes(stack, description_key="Description"),
        "Parameters": [{"ParameterKey": key, "ParameterValue": value}
                       for key, value in stack.parameters.items()],
        "DisableRollback": False,
        "NotificationARNs": [],
        "Outputs": [_output(stack, key, value) for key, value in stack.outputs.items()],
        "Tags": {},  # moto's serializer turns a dict into the Key/Value list
        "EnableTerminationProtection": False,
    }


def summary(stack: Stack) -> dict[str, Any]:
    return _in_both_shapes(stack, description_key="TemplateDescription")


def _in_both_shapes(stack: Stack, description_key: str) -> dict[str, Any]:
    """What `Stack` and `StackSummary` both tell of a stack; the template's description is
    `Description` in one and `TemplateDescription` in the other. (moto's serializer orders
    the members by the shape, so the order of keys here does not matter.)"""
    document: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": datetime.fromisoformat(stack.created_at),
        "StackStatus": stack.status,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if stack.description:
        document[description_key] = stack.description
    if stack.updated_at:
        document["LastUpdatedTime"] = datetime.fromisoformat(stack.updated_at)
    return document


def _output(stack: Stack, key: str, value: Any) -> dict[str, Any]:
    return {"OutputKey": key, "OutputValue": str(value), **stack.output_details.get(key, {})}
