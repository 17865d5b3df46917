"""The local deployer's provider for EventBridge buses, bus policies and rules."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from local_cloud.cloudformation.resources import (
    Context,
    Created,
    DeployError,
    Providers,
    as_json,
    ints,
    pick,
    tagging,
)


def _bus_name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def _create_event_bus(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    events = context.client("events")
    name = properties["Name"]
    extra = pick(properties, "EventSourceName", "Description", "KmsKeyIdentifier",
                  "DeadLetterConfig")
    extra.update(tagging(properties))
    arn = events.create_event_bus(Name=name, **extra)["EventBusArn"]
    policy = None
    if properties.get("Policy"):
        policy = as_json(properties["Policy"])
        events.put_permission(EventBusName=name, Policy=policy)
    return Created(name, {"Arn": arn, "Name": name, "Policy": policy})


def _delete_event_bus(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("events").delete_event_bus(Name=name)


def _create_event_bus_policy(context: Context, logical_id: str,
                             properties: dict[str, Any]) -> Created:
    events = context.client("events")
    bus = _bus_name(properties.get("EventBusName", "default"))
    statement_id = properties["StatementId"]
    if "Statement" in properties:
        # One statement among others on the bus: merge it into the current policy.
        bus_arn = events.describe_event_bus(Name=bus)["Arn"]
        current = events.describe_event_bus(Name=bus).get("Policy")
        statements = [statement for statement in
                      (json.loads(current)["Statement"] if current else [])
                      if statement.get("Sid") != statement_id]
        statement = {"Sid": statement_id, "Resource": bus_arn, **properties["Statement"]}
        statements.append(statement)
        events.put_permission(EventBusName=bus, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
    else:
        events.put_permission(EventBusName=bus, StatementId=statement_id,
                              Action=properties.get("Action", "events:PutEvents"),
                              Principal=properties["Principal"],
                              **pick(properties, "Condition"))
    return Created(statement_id, {}, {"bus": bus})


def _delete_event_bus_policy(context: Context, statement_id: str,
                             teardown: dict[str, Any]) -> None:
    context.client("events").remove_permission(EventBusName=teardown["bus"],
                                               StatementId=statement_id)


def _create_rule(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    events = context.client("events")
    name = context.physical_name(properties, "Name", logical_id, 64)
    bus = _bus_name(properties.get("EventBusName", "default"))
    request = pick(properties, "ScheduleExpression", "Description", "RoleArn")
    if "EventPattern" in properties:
        request["EventPattern"] = as_json(properties["EventPattern"])
    rule_arn = events.put_rule(Name=name, EventBusName=bus,
                               State=properties.get("State", "ENABLED"), **request)["RuleArn"]
    targets = [_target(target) for target in properties.get("Targets", [])]
    if targets:
        answer = events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        if answer.get("FailedEntryCount"):
            raise DeployError(f"{logical_id}: targets refused: {answer['FailedEntries']}")
    # CloudFormation's Ref of a rule on a custom bus is "<bus>|<rule>".
    physical_id = name if bus == "default" else f"{bus}|{name}"
    return Created(physical_id, {"Arn": rule_arn}, {"name": name, "bus": bus})


def _target(target: Mapping[str, Any]) -> dict[str, Any]:
    request = dict(target)
    if "RetryPolicy" in request:
        request["RetryPolicy"] = ints(request["RetryPolicy"], "MaximumRetryAttempts",
                                       "MaximumEventAgeInSeconds")
    if isinstance(request.get("Input"), dict):
        request["Input"] = json.dumps(request["Input"])
    return request


def _delete_rule(context: Context, _: str, teardown: dict[str, Any]) -> None:
    events = context.client("events")
    name, bus = teardown["name"], teardown["bus"]
    target_ids = [target["Id"] for target in
                  events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]]
    if target_ids:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=target_ids)
    events.delete_rule(Name=name, EventBusName=bus)


PROVIDERS: Providers = {
    "AWS::Events::EventBus": (_create_event_bus, _delete_event_bus),
    "AWS::Events::EventBusPolicy": (_create_event_bus_policy, _delete_event_bus_policy),
    "AWS::Events::Rule": (_create_rule, _delete_rule),
}
