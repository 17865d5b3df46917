"""Step Functions in the local cloud: integrations act as the execution's account, AWS error
names, generated execution names, callbacks and timeouts."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.conftest import session_for
from tests.support import new_name
from tests.support.iam import service_role

ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/copy-model-state-machine"


@pytest.fixture(autouse=True, scope="module")
def execution_roles(local_cloud) -> None:
    """The state machines' roles: IAM checks their tasks' calls, and these tests are about
    accounts, error names and callbacks, so the roles may do anything in their account."""
    for profile, name in (("source", ROLE.rsplit("/", 1)[-1]), ("target", "sm")):
        service_role(session_for(local_cloud, profile), name, "states.amazonaws.com", ["*"],
                     "everything")


def _machine(session: boto3.Session, states: dict[str, Any], start: str,
             role: str = ROLE) -> str:
    definition = {"StartAt": start, "States": states}
    return session.client("stepfunctions").create_state_machine(
        name=new_name("sm"), roleArn=role, definition=json.dumps(definition))["stateMachineArn"]


def _run(session: boto3.Session, machine_arn: str, payload: Any = None,
         timeout: float = 20.0) -> dict[str, Any]:
    sfn = session.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine_arn, name=new_name("run"),
                              input=json.dumps(payload or {}))["executionArn"]
    return _finished(session, arn, timeout)


def _finished(session: boto3.Session, execution_arn: str, timeout: float = 20.0
              ) -> dict[str, Any]:
    sfn = session.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described


def _output(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def test_aws_sdk_task_acts_as_the_state_machine_account(local_cloud, source, target):
    mine = new_name("mine")
    source.client("sqs").create_queue(QueueName=mine)
    theirs = new_name("theirs")
    target.client("sqs").create_queue(QueueName=theirs)
    machine = _machine(source, {"List": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:listQueues",
        "Parameters": {}, "End": True}}, "List")

    urls = _output(_run(source, machine)).get("QueueUrls", [])

    assert any(url.endswith(f"/{SOURCE_ACCOUNT}/{mine}") for url in urls)
    assert not any(theirs in url for url in urls)


def test_comprehend_sdk_task_describes_a_resource_of_the_account(local_cloud, source, target):
    comprehend = source.client("comprehend")
    recognizer = comprehend.create_entity_recognizer(
        RecognizerName=new_name("rec"), VersionName="v1", LanguageCode="en",
        DataAccessRoleArn=ROLE,
        InputDataConfig={"EntityTypes": [{"Type": "THING"}],
                         "Documents": {"S3Uri": "s3://bucket/docs"},
                         "EntityList": {"S3Uri": "s3://bucket/list"}},
    )["EntityRecognizerArn"]
    states = {"Describe": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:comprehend:describeEntityRecognizer",
        "Parameters": {"EntityRecognizerArn.$": "$.arn"}, "End": True}}

    in_source = _output(_run(source, _machine(source, states, "Describe"), {"arn": recognizer}))
    assert in_source["EntityRecognizerProperties"]["EntityRecognizerArn"] == recognizer

    # The same definition run by B's state machine may not read A's recognizer: a model has
    # no resource policy for Describe, so IAM refuses (an error Comprehend's model does not
    # declare, which Step Functions names after the service).
    in_target = _run(target, _machine(target, states, "Describe",
                                      role=f"arn:aws:iam::{TARGET_ACCOUNT}:role/sm"),
                     {"arn": recognizer})
    assert in_target["status"] == "FAILED"
    assert in_target["error"] == "Comprehend.ComprehendException"
    assert (f"assumed-role/sm/states-execution is not authorized to perform: "
            f"comprehend:DescribeEntityRecognizer on resource: {recognizer}") in in_target["cause"]


def test_comprehend_error_name_is_caught_by_its_aws_spelling(local_cloud, source):
    missing = (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
               "document-classifier/absent/version/v1")
    machine = _machine(source, {
        "Describe": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:comprehend:describeDocumentClassifier",
            "Parameters": {"DocumentClassifierArn": missing},
            "Catch": [{"ErrorEquals": ["Comprehend.ResourceNotFoundException"],
                       "ResultPath": "$.error", "Next": "Missing"}],
            "End": True},
        "Missing": {"Type": "Pass", "End": True}}, "Describe")

    output = _output(_run(source, machine))

    assert output["error"]["Error"] == "Comprehend.ResourceNotFoundException"


def test_lambda_invoke_acts_as_the_state_machine_account(local_cloud, source):
    machine = _machine(source, {"Invoke": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "absent-function", "Payload": {}}, "End": True}},
        "Invoke")

    described = _run(source, machine)

    assert described["status"] == "FAILED"
    # The function was looked up in A, not in moto's default account.
    assert SOURCE_ACCOUNT in described.get("cause", ""), described
    assert "123456789012" not in described.get("cause", "")


def _bus_with_queue(session: boto3.Session) -> tuple[str, str]:
    bus = new_name("bus")
    session.client("events").create_event_bus(Name=bus)
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=new_name("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = session.client("events")
    events.put_rule(Name="all", EventBusName=bus,
                    EventPattern=json.dumps({"source": ["model-copy.source"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    return bus, url


def _one_message(session: boto3.Session, url: str, timeout: float = 10.0) -> dict[str, Any]:
    sqs = session.client("sqs")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            return json.loads(messages[0]["Body"])
    raise AssertionError("no message arrived")


def _put_events_state(bus: str, callback: bool, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"model": "m"}
    if callback:
        detail["token.$"] = "$$.Task.Token"
    suffix = ".waitForTaskToken" if callback else ""
    return {"Type": "Task", "Resource": f"arn:aws:states:::events:putEvents{suffix}",
            "Parameters": {"Entries": [{"EventBusName": bus, "Source": "model-copy.source",
                                        "DetailType": "Model Version Shared",
                                        "Detail": detail}]},
            **extra}


def test_put_events_task_puts_on_the_account_bus(local_cloud, source):
    bus, url = _bus_with_queue(source)
    machine = _machine(source, {"Share": _put_events_state(bus, False, End=True)}, "Share")

    assert _run(source, machine)["status"] == "SUCCEEDED"

    event = _one_message(source, url)
    assert event["account"] == SOURCE_ACCOUNT
    assert event["detail"] == {"model": "m"}


def test_wait_for_task_token_resumes_on_send_task_success(local_cloud, source):
    bus, url = _bus_with_queue(source)
    machine = _machine(source, {"Share": _put_events_state(
        bus, True, TimeoutSeconds=30, End=True)}, "Share")
    sfn = source.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    token = _one_message(source, url)["detail"]["token"]
    sfn.send_task_success(taskToken=token, output=json.dumps({"imported": True}))

    assert _output(_finished(source, execution)) == {"imported": True}


def test_wait_for_task_token_fails_on_send_task_failure(local_cloud, source):
    bus, url = _bus_with_queue(source)
    machine = _machine(source, {"Share": _put_events_state(bus, True, End=True)}, "Share")
    sfn = source.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]

    token = _one_message(source, url)["detail"]["token"]
    sfn.send_task_failure(taskToken=token, error="Import.Failed", cause="IN_ERROR")

    described = _finished(source, execution)
    assert (described["status"], described["error"]) == ("FAILED", "Import.Failed")


def test_wait_for_task_token_times_out(local_cloud, source):
    bus, _ = _bus_with_queue(source)
    machine = _machine(source, {
        "Share": _put_events_state(bus, True, TimeoutSeconds=1, Catch=[
            {"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error", "Next": "TimedOut"}],
            End=True),
        "TimedOut": {"Type": "Pass", "End": True}}, "Share")

    output = _output(_run(source, machine, timeout=15))

    assert output["error"]["Error"] == "States.Timeout"


def test_wait_for_task_token_heartbeat_times_out(local_cloud, source):
    bus, _ = _bus_with_queue(source)
    machine = _machine(source, {"Share": _put_events_state(
        bus, True, TimeoutSeconds=30, HeartbeatSeconds=1, End=True)}, "Share")

    described = _run(source, machine, timeout=15)

    assert (described["status"], described.get("error")) == ("FAILED", "States.Timeout")


def test_start_execution_without_name_gets_a_uuid(local_cloud, source):
    machine = _machine(source, {"Done": {"Type": "Pass", "End": True}}, "Done")
    sfn = source.client("stepfunctions")

    first = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    assert first != second
    name = first.rsplit(":", 1)[1]
    assert str(uuid.UUID(name)) == name
    assert _finished(source, second)["status"] == "SUCCEEDED"


def test_map_wait_retry_and_catch(local_cloud, source):
    machine = _machine(source, {
        "Each": {
            "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Pause",
                              "States": {"Pause": {"Type": "Wait", "Seconds": 0,
                                                   "Next": "Double"},
                                         "Double": {"Type": "Pass",
                                                    "Parameters": {"n.$": "$"},
                                                    "End": True}}},
            "ResultPath": "$.results", "Next": "Flaky"},
        "Flaky": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
            "Parameters": {"QueueName": "absent-queue"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1,
                       "IntervalSeconds": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.caught",
                       "Next": "Done"}],
            "End": True},
        "Done": {"Type": "Pass", "End": True}}, "Each")

    output = _output(_run(source, machine, {"items": [1, 2, 3]}))

    assert output["results"] == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert "caught" in output


def _failed_task_cause(described: dict[str, Any]) -> dict[str, Any]:
    assert (described["status"], described["error"]) == ("FAILED", "EventBridge.FailedEntry")
    return json.loads(described["cause"])  # AWS's Cause is a string: the PutEvents response


@pytest.mark.parametrize("callback", [False, True], ids=["request-response", "wait-for-token"])
def test_failed_put_events_entry_fails_the_task_with_eventbridge_failed_entry(
        local_cloud, source, callback):
    bus, _ = _bus_with_queue(source)
    local_cloud.control("events", "fail_entries", error_code="InternalFailure",
                        error_message="injected", bus=bus)
    try:
        machine = _machine(source, {"Share": _put_events_state(
            bus, callback, TimeoutSeconds=30, End=True)}, "Share")
        cause = _failed_task_cause(_run(source, machine))
    finally:
        local_cloud.control("events", "fail_entries", clear=True)

    assert cause["FailedEntryCount"] == 1
    assert cause["Entries"][0]["ErrorCode"] == "InternalFailure"


def test_failed_entry_once_is_retried_by_the_state_retrier(local_cloud, source):
    bus, url = _bus_with_queue(source)
    local_cloud.control("events", "fail_entries", error_code="ThrottlingException", times=1,
                        bus=bus, detail_type="Model Version Shared")
    try:
        machine = _machine(source, {"Share": _put_events_state(bus, False, End=True, Retry=[
            {"ErrorEquals": ["EventBridge.FailedEntry"], "IntervalSeconds": 1,
             "MaxAttempts": 2}])}, "Share")
        assert _run(source, machine)["status"] == "SUCCEEDED"
    finally:
        local_cloud.control("events", "fail_entries", clear=True)
    assert _one_message(source, url)["detail"] == {"model": "m"}


def test_put_events_task_to_another_accounts_bus_keeps_the_sender_account(
        local_cloud, source, target):
    bus, url = _bus_with_queue(target)
    target.client("events").put_permission(
        EventBusName=bus, Action="events:PutEvents", Principal=SOURCE_ACCOUNT,
        StatementId="AllowSource")
    bus_arn = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{bus}"
    machine = _machine(source, {"Share": _put_events_state(bus_arn, False, End=True)}, "Share")

    assert _run(source, machine)["status"] == "SUCCEEDED"

    event = _one_message(target, url)
    assert event["account"] == SOURCE_ACCOUNT
    assert event["detail"] == {"model": "m"}


def test_put_events_task_to_a_refusing_bus_fails_with_access_denied(
        local_cloud, source, target):
    bus, _ = _bus_with_queue(target)
    bus_arn = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{bus}"
    machine = _machine(source, {"Share": _put_events_state(bus_arn, True, End=True)}, "Share")

    cause = _failed_task_cause(_run(source, machine))
    assert cause["Entries"][0]["ErrorCode"] == "AccessDeniedException"


# ------------------------------------------------------------------ the 256 KiB payload limit
# AWS: "Maximum input or output size for a task, state, or execution: 256 KiB of data as a
# UTF-8 encoded string"; a state whose output exceeds it fails with States.DataLimitExceeded.
PAYLOAD_LIMIT = 256 * 1024


def test_a_state_output_over_256_kib_fails_with_data_limit_exceeded(local_cloud, source):
    machine = _machine(source, {"Double": {
        "Type": "Pass", "Parameters": {"a.$": "$.big", "b.$": "$.big"}, "End": True}},
        "Double")
    half = "x" * (PAYLOAD_LIMIT // 2 + 1024)
    described = _run(source, machine, {"big": half})
    assert described["status"] == "FAILED", described
    assert described["error"] == "States.DataLimitExceeded"

