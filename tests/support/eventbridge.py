"""EventBridge on a local cloud, for tests: buses, queues, rules and bus policies made in one
call each, events put and received, and the forwarder role rules deliver with."""

from __future__ import annotations

import json
from typing import Any

import boto3

from local_cloud.core.launcher import LocalCloud
from tests.support import new_name

SOURCE = "model-copy.source"
SHARED = "Model Version Shared"

FORWARDER = "events-forwarder"


def forwarder_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{FORWARDER}"


def new_bus(session: boto3.Session, name: str) -> str:
    return session.client("events").create_event_bus(Name=name)["EventBusArn"]


def new_queue(session: boto3.Session, name: str) -> tuple[str, str]:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def new_rule(session: boto3.Session, bus: str, targets: list[dict[str, Any]],
          pattern: dict[str, Any] | None = None, state: str = "ENABLED") -> str:
    events = session.client("events")
    name = new_name("rule")
    arn = events.put_rule(Name=name, EventBusName=bus, State=state,
                          EventPattern=json.dumps(pattern or {"source": [SOURCE]}))["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return arn


def put_event(session: boto3.Session, bus: str, source: str = SOURCE,
         detail_type: str = SHARED, **detail: Any) -> dict[str, Any]:
    return session.client("events").put_events(Entries=[{
        "Source": source, "DetailType": detail_type, "EventBusName": bus,
        "Resources": ["arn:aws:comprehend:us-east-1:111111111111:document-classifier/c"],
        "Detail": json.dumps(detail or {"model": "m"})}])


def received(session: boto3.Session, url: str) -> list[dict[str, Any]]:
    response = session.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0)
    return response.get("Messages", [])


def wait_idle(local_cloud: LocalCloud) -> None:
    assert local_cloud.control("events", "wait_idle", timeout=20)["idle"]


def allow(session: boto3.Session, bus: str, *statements: dict[str, Any]) -> None:
    session.client("events").put_permission(EventBusName=bus, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}))


def statement(bus_arn: str, principal: Any, effect: str = "Allow", sid: str | None = None,
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Sid": sid or new_name("s").replace("-", ""), "Effect": effect,
                 "Principal": principal, "Action": "events:PutEvents", "Resource": bus_arn}
    if condition:
        statement["Condition"] = condition
    return statement
