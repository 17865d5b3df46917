"""The local deployer's provider for Step Functions state machines."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from local_cloud.cloudformation.intrinsics import as_text
from local_cloud.cloudformation.resources import (
    Context,
    Created,
    DeployError,
    Providers,
    as_bool,
    not_supported,
    tag_list,
    tagging,
)


def state_machine_definition(properties: Mapping[str, Any]) -> str:
    """The definition text with `${Name}` replaced from DefinitionSubstitutions (CloudFormation
    does this; moto's CloudFormation does not)."""
    if "Definition" in properties:
        text = json.dumps(properties["Definition"], indent=2)
    elif "DefinitionString" in properties:
        text = str(properties["DefinitionString"])
    else:
        raise DeployError("a state machine needs Definition or DefinitionString "
                          "(DefinitionS3Location is not supported locally)")
    for name, value in (properties.get("DefinitionSubstitutions") or {}).items():
        text = text.replace(f"${{{name}}}", as_text(value))
    return text


def _create_state_machine(context: Context, logical_id: str,
                          properties: dict[str, Any]) -> Created:
    not_supported(logical_id, "AWS::StepFunctions::StateMachine", properties,
                   "EncryptionConfiguration")
    name = context.physical_name(properties, "StateMachineName", logical_id, 80)
    request: dict[str, Any] = {}
    if "LoggingConfiguration" in properties:
        request["loggingConfiguration"] = _logging_configuration(
            properties["LoggingConfiguration"])
    if "TracingConfiguration" in properties:
        request["tracingConfiguration"] = {
            "enabled": as_bool(properties["TracingConfiguration"].get("Enabled"))}
    request.update(tagging(properties, "tags", partial(tag_list, key="key", value="value")))
    arn = context.client("stepfunctions").create_state_machine(
        name=name, definition=state_machine_definition(properties),
        roleArn=properties["RoleArn"], type=properties.get("StateMachineType", "STANDARD"),
        **request)["stateMachineArn"]
    return Created(arn, {"Arn": arn, "Name": name, "StateMachineRevisionId": arn})


def _logging_configuration(logging: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's LoggingConfiguration in the API's spelling (the role is checked for
    the log delivery permissions when the state machine is created)."""
    return {"level": logging.get("Level", "OFF"),
            "includeExecutionData": as_bool(logging.get("IncludeExecutionData", False)),
            "destinations": [{"cloudWatchLogsLogGroup": {
                "logGroupArn": d["CloudWatchLogsLogGroup"]["LogGroupArn"]}}
                for d in logging.get("Destinations") or [] if d.get("CloudWatchLogsLogGroup")]}


def _delete_state_machine(context: Context, arn: str, _: dict[str, Any]) -> None:
    context.client("stepfunctions").delete_state_machine(stateMachineArn=arn)


PROVIDERS: Providers = {
    "AWS::StepFunctions::StateMachine": (_create_state_machine, _delete_state_machine),
}
