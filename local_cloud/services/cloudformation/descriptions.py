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
    document: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Parameters": [{"ParameterKey": key, "ParameterValue": value}
                       for key, value in stack.parameters.items()],
        "CreationTime": datetime.fromisoformat(stack.created_at),
        "StackStatus": stack.status,
        "DisableRollback": False,
        "NotificationARNs": [],
        "Outputs": [_output(stack, key, value) for key, value in stack.outputs.items()],
        "Tags": {},  # moto's serializer turns a dict into the Key/Value list
        "EnableTerminationProtection": False,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if stack.description:
        document["Description"] = stack.description
    if stack.updated_at:
        document["LastUpdatedTime"] = datetime.fromisoformat(stack.updated_at)
    return document


def summary(stack: Stack) -> dict[str, Any]:
    document: dict[str, Any] = {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": datetime.fromisoformat(stack.created_at),
        "StackStatus": stack.status,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }
    if stack.description:
        document["TemplateDescription"] = stack.description
    if stack.updated_at:
        document["LastUpdatedTime"] = datetime.fromisoformat(stack.updated_at)
    return document


def _output(stack: Stack, key: str, value: Any) -> dict[str, Any]:
    return {"OutputKey": key, "OutputValue": str(value), **stack.output_details.get(key, {})}
