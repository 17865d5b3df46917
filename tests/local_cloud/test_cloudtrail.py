"""CloudTrail's "AWS API Call via CloudTrail" events for Comprehend: they reach EventBridge only in
an account with a trail that is logging (EventBridge User Guide, "Events from AWS services"),
failed calls are recorded too (errorCode, errorMessage, responseElements null), and each record
has the shape of AWS's documented one (fixtures/cloudtrail/comprehend-records.json says where
that comes from)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, TARGET_ACCOUNT
from local_cloud.services.cloudtrail.setup import start_trail
from tests.support.comprehend import (
    NO_RETRIES,
    TARGET_ROLE,
    create_classifier,
    new_name,
    raised_error,
    shared_model,
)

DOCUMENTED = json.loads((Path(__file__).parent / "fixtures" / "cloudtrail" /
                         "comprehend-records.json").read_text())
CLOUDTRAIL = {"source": ["aws.comprehend"], "detail-type": ["AWS API Call via CloudTrail"]}
OTHER_REGION = "eu-west-1"


pytestmark = pytest.mark.usefixtures("fast_models")


@pytest.fixture
def trails() -> Iterator[Callable[..., str]]:
    """Start trails (session, **options) for one test; every one is deleted afterwards."""
    started: list[tuple[boto3.Session, str, str]] = []

    def start(session: boto3.Session, region: str = REGION, **options: Any) -> str:
        name = new_name("trail")
        start_trail(session, name, region=region, **options)
        started.append((session, region, name))
        return name

    yield start
    for session, region, name in started:
        session.client("cloudtrail", region_name=region).delete_trail(Name=name)


def _queue_on_default_bus(session: boto3.Session, pattern: dict[str, Any]) -> str:
    sqs, events = session.client("sqs"), session.client("events")
    url = sqs.create_queue(QueueName=new_name("trail"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = new_name("rule")
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    return str(url)


def _received(session: boto3.Session, url: str, until: Callable[[list[dict[str, Any]]], bool],
              timeout: float = 10.0) -> list[dict[str, Any]]:
    """Every event on the queue, read until `until(events)` holds (or the timeout)."""
    sqs = session.client("sqs")
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not until(events):
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=1).get("Messages", [])
        events.extend(json.loads(m["Body"]) for m in messages)
    assert until(events), f"the awaited events did not arrive; got {events}"
    return events


def _names(events: list[dict[str, Any]]) -> list[str]:
    return [e["detail"]["requestParameters"].get("documentClassifierName", "") for e in events]


def _has(name: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda events: name in _names(events)


# --- a trail that is logging -------------------------------------------------------------------

def test_create_events_reach_eventbridge_only_while_a_trail_logs(outsider, trails):
    """Calls made before the last one must not be recorded: events are put while the call is
    answered, so had they been, they would be on the queue before the last one's."""
    assert outsider.client("cloudtrail").describe_trails()["trailList"] == []
    url = _queue_on_default_bus(outsider, CLOUDTRAIL)
    unrecorded = [new_name("none")]
    create_classifier(outsider, unrecorded[-1])  # no trail at all

    trail = trails(outsider, logging=False)
    unrecorded.append(new_name("stopped"))
    create_classifier(outsider, unrecorded[-1])  # a trail that is not logging

    outsider.client("cloudtrail").start_logging(Name=trail)
    recorded = new_name("logging")
    create_classifier(outsider, recorded)

    outsider.client("cloudtrail").stop_logging(Name=trail)
    unrecorded.append(new_name("stopped-again"))
    create_classifier(outsider, unrecorded[-1])
    last = new_name("last")
    outsider.client("cloudtrail").start_logging(Name=trail)
    create_classifier(outsider, last)

    names = _names(_received(outsider, url, _has(last)))
    assert recorded in names and last in names
    assert not set(unrecorded) & set(names)


def test_a_trail_of_another_region_counts_only_when_it_is_multi_region(outsider, trails):
    url = _queue_on_default_bus(outsider, CLOUDTRAIL)
    trails(outsider, region=OTHER_REGION)
    elsewhere = new_name("elsewhere")
    create_classifier(outsider, elsewhere)

    trails(outsider, region=OTHER_REGION, multi_region=True)
    everywhere = new_name("everywhere")
    create_classifier(outsider, everywhere)

    names = _names(_received(outsider, url, _has(everywhere)))
    assert elsewhere not in names


def test_a_trail_in_another_account_does_not_record_this_ones_calls(source, outsider, trails):
    url = _queue_on_default_bus(outsider, CLOUDTRAIL)
    trails(source)
    unrecorded = new_name("other-account")
    create_classifier(outsider, unrecorded)
    trails(outsider)
    recorded = new_name("own")
    create_classifier(outsider, recorded)

    assert unrecorded not in _names(_received(outsider, url, _has(recorded)))


# --- failed calls ------------------------------------------------------------------------------

def test_a_failed_create_is_recorded_with_its_error(outsider, trails):
    trails(outsider)
    url = _queue_on_default_bus(outsider, CLOUDTRAIL)
    name = new_name("twice")
    arn = create_classifier(outsider, name)

    refused = raised_error(lambda: create_classifier(outsider, name)).response["Error"]

    events = _received(outsider, url, lambda got: len(
        [e for e in got if name in _names([e])]) == 2)
    created, failed = sorted((e["detail"] for e in events if name in _names([e])),
                             key=lambda d: "errorCode" in d)
    assert "errorCode" not in created and created["responseElements"] == {
        "documentClassifierArn": arn}
    assert failed["errorCode"] == refused["Code"] == "ResourceInUseException"
    assert failed["errorMessage"] == refused["Message"]
    assert "responseElements" in failed and failed["responseElements"] is None
    assert failed["requestParameters"]["documentClassifierName"] == name


def test_failed_imports_are_recorded_in_the_importers_account(local_cloud, source, target,
                                                             trails):
    trails(target)
    url = _queue_on_default_bus(target, {**CLOUDTRAIL, "detail": {"eventName": ["ImportModel"]}})
    unshared = shared_model(source, OUTSIDER_ACCOUNT)  # a policy that does not name B
    refused = raised_error(lambda: target.client("comprehend").import_model(
        SourceModelArn=unshared)).response["Error"]
    shared = shared_model(source, TARGET_ACCOUNT)
    local_cloud.control("comprehend", "inject", operation="ImportModel",
                        error="ResourceUnavailableException", times=1)
    raised_error(lambda: target.client("comprehend", config=NO_RETRIES).import_model(
        SourceModelArn=shared))

    events = _received(target, url, lambda got: len(got) >= 2)
    details = {e["detail"]["requestParameters"]["sourceModelArn"]: e["detail"] for e in events}
    assert details[unshared]["errorCode"] == refused["Code"] == "AccessDeniedException"
    assert details[unshared]["errorMessage"] == refused["Message"]
    assert details[shared]["errorCode"] == "ResourceUnavailableException"
    assert all(d["responseElements"] is None for d in details.values())
    assert {d["recipientAccountId"] for d in details.values()} == {TARGET_ACCOUNT}


# --- the record's shape ------------------------------------------------------------------------

def _shape(value: Any) -> Any:
    """Keys and value types, recursively; lists by their first element."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


def _common(shape: Any, other: Any) -> Any:
    """`shape` kept to the keys `other` has too, at every depth: a documented record is one
    call's example, so a field only one side sent is not compared."""
    if isinstance(shape, dict) and isinstance(other, dict):
        return {key: _common(value, other[key]) for key, value in shape.items() if key in other}
    return shape


def test_records_have_the_shape_of_the_documented_ones(outsider, trails):
    trails(outsider)
    url = _queue_on_default_bus(outsider, CLOUDTRAIL)
    role = f"arn:aws:iam::{OUTSIDER_ACCOUNT}:role/data-access"
    name = new_name("shape")
    create_classifier(outsider, name, version=None, Tags=[{"Key": "CreationTag",
                                                          "Value": "TagValue"}],
                      DataAccessRoleArn=role, ClientRequestToken=new_name("token"),
                      Mode="MULTI_CLASS")
    raised_error(lambda: create_classifier(outsider, name, version=None))

    events = _received(outsider, url, lambda got: len(got) >= 2)
    created, failed = sorted((e["detail"] for e in events), key=lambda d: "errorCode" in d)

    documented = DOCUMENTED["created"]
    # Every documented field is there, with the documented type; eventCategory and
    # managementEvent come with newer eventVersions (aws-facts item 1).
    assert set(documented) <= set(created) <= set(documented) | {"eventCategory",
                                                                 "managementEvent"}
    # Request fields the call sent have the documented names and types.
    expected, actual = _shape(documented["requestParameters"]), _shape(created["requestParameters"])
    assert _common(actual, expected) == _common(expected, actual)
    assert set(expected) - {"volumeKmsKeyId"} <= set(actual)
    for key in ("userIdentity", "responseElements", "resources"):
        assert _shape(created[key]) == _shape(documented[key]), key
    assert created["eventSource"] == documented["eventSource"]
    assert created["eventType"] == documented["eventType"]
    assert created["readOnly"] is False and created["eventName"] == "CreateDocumentClassifier"
    assert created["requestParameters"]["tags"] == [{"key": "CreationTag", "value": "TagValue"}]
    assert {(r["type"], r["ARN"]) for r in created["resources"]} == {
        ("AWS::Comprehend::DocumentClassifier",
         created["responseElements"]["documentClassifierArn"]), ("AWS::IAM::Role", role)}
    # A failed call: the documented failed record's fields, errorCode and errorMessage included.
    assert set(DOCUMENTED["failed"]) - {"resources"} <= set(failed)
    assert failed["responseElements"] is None


def test_an_import_record_names_the_role_that_called(source, target, trails):
    trails(target)
    url = _queue_on_default_bus(target, {**CLOUDTRAIL, "detail": {"eventName": ["ImportModel"]}})
    arn = shared_model(source, TARGET_ACCOUNT)
    copy_name = new_name("evt")

    copy_arn = target.client("comprehend").import_model(
        SourceModelArn=arn, ModelName=copy_name, Tags=[{"Key": "k", "Value": "v"}])["ModelArn"]

    (event,) = _received(target, url, lambda got: len(got) >= 1)
    detail = event["detail"]
    assert event["source"] == "aws.comprehend" and event["account"] == TARGET_ACCOUNT
    assert detail["eventSource"] == "comprehend.amazonaws.com"
    assert detail["eventName"] == "ImportModel" and detail["awsRegion"] == REGION
    assert detail["requestParameters"] == {"sourceModelArn": arn, "modelName": copy_name,
                                           "tags": [{"key": "k", "value": "v"}]}
    assert detail["responseElements"] == {"modelArn": copy_arn}
    assert detail["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == TARGET_ROLE
    assert detail["recipientAccountId"] == TARGET_ACCOUNT
    assert detail["eventID"] and detail["eventTime"].endswith("Z")
