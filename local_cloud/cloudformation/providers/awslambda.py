"""The local deployer's provider for Lambda functions, permissions, versions, aliases and
invoke configs."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

from local_cloud.cloudformation.intrinsics import as_text
from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    ints,
    not_supported,
    pick,
    tag_map,
    tagging,
)


def _function_code(properties: Mapping[str, Any]) -> dict[str, Any]:
    code = properties["Code"]
    if "ZipFile" in code:  # inline source: CloudFormation stores it as index.<ext>
        extension = "js" if str(properties.get("Runtime", "")).startswith("nodejs") else "py"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"index.{extension}", code["ZipFile"])
        return {"ZipFile": buffer.getvalue()}
    return pick(code, "S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")


def _create_function(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    kind = "AWS::Lambda::Function"
    not_supported(logical_id, kind, properties, "Layers", "VpcConfig", "FileSystemConfigs",
                   "LoggingConfig", "SnapStart", "CodeSigningConfigArn")
    name = context.physical_name(properties, "FunctionName", logical_id, 64)
    request = ints(pick(properties, "Runtime", "Role", "Handler", "Description", "Timeout",
                          "MemorySize", "Environment", "DeadLetterConfig", "Architectures",
                          "TracingConfig", "KmsKeyArn", "PackageType", "EphemeralStorage",
                          "ImageConfig"), "Timeout", "MemorySize")
    if "KmsKeyArn" in request:
        request["KMSKeyArn"] = request.pop("KmsKeyArn")
    if "Environment" in request:  # the API wants every variable as text
        variables = request["Environment"].get("Variables", {})
        request["Environment"] = {"Variables": {key: as_text(value)
                                                for key, value in variables.items()}}
    request.update(tagging(properties, form=tag_map))
    function = context.client("lambda").create_function(
        FunctionName=name, Code=_function_code(properties), **request)
    if "ReservedConcurrentExecutions" in properties:
        context.client("lambda").put_function_concurrency(
            FunctionName=name,
            ReservedConcurrentExecutions=int(properties["ReservedConcurrentExecutions"]))
    return Created(name, {"Arn": function["FunctionArn"]})


def _delete_function(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("lambda").delete_function(FunctionName=name)


def _create_permission(context: Context, logical_id: str,
                       properties: dict[str, Any]) -> Created:
    statement_id = context.generated_name(logical_id, 100)
    context.client("lambda").add_permission(
        StatementId=statement_id,
        **pick(properties, "FunctionName", "Action", "Principal", "SourceArn", "SourceAccount",
                "EventSourceToken", "PrincipalOrgID", "FunctionUrlAuthType"))
    return Created(statement_id, {}, {"function": properties["FunctionName"]})


def _delete_permission(context: Context, statement_id: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").remove_permission(FunctionName=teardown["function"],
                                               StatementId=statement_id)


def _create_event_invoke_config(context: Context, logical_id: str,
                                properties: dict[str, Any]) -> Created:
    request = ints(pick(properties, "FunctionName", "Qualifier", "MaximumRetryAttempts",
                          "MaximumEventAgeInSeconds", "DestinationConfig"),
                    "MaximumRetryAttempts", "MaximumEventAgeInSeconds")
    context.client("lambda").put_function_event_invoke_config(**request)
    qualifier = properties.get("Qualifier", "$LATEST")
    return Created(f"{properties['FunctionName']}|{qualifier}", {},
                   pick(properties, "FunctionName", "Qualifier"))


def _delete_event_invoke_config(context: Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").delete_function_event_invoke_config(**teardown)


def _create_version(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    version = context.client("lambda").publish_version(
        **pick(properties, "FunctionName", "Description"))
    arn = version["FunctionArn"]
    if not arn.endswith(f":{version['Version']}"):
        arn = f"{arn}:{version['Version']}"
    return Created(arn, {"Version": version["Version"], "FunctionArn": arn},
                   {"function": properties["FunctionName"], "version": version["Version"]})


def _delete_version(context: Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").delete_function(FunctionName=teardown["function"],
                                             Qualifier=teardown["version"])


def _create_alias(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    not_supported(logical_id, "AWS::Lambda::Alias", properties, "RoutingConfig",
                   "ProvisionedConcurrencyConfig")
    alias = context.client("lambda").create_alias(
        **pick(properties, "FunctionName", "Name", "FunctionVersion", "Description"))
    return Created(alias["AliasArn"], {"AliasArn": alias["AliasArn"]},
                   {"function": properties["FunctionName"], "name": properties["Name"]})


def _delete_alias(context: Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("lambda").delete_alias(FunctionName=teardown["function"],
                                          Name=teardown["name"])


PROVIDERS: Providers = {
    "AWS::Lambda::Function": (_create_function, _delete_function),
    "AWS::Lambda::Permission": (_create_permission, _delete_permission),
    "AWS::Lambda::EventInvokeConfig": (_create_event_invoke_config, _delete_event_invoke_config),
    "AWS::Lambda::Version": (_create_version, _delete_version),
    "AWS::Lambda::Alias": (_create_alias, _delete_alias),
}
