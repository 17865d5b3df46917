"""EventBridge rules and their targets in the local cloud: disabled rules, input
transformation, Lambda, state machine and queue targets, retries and dead letters, patterns."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support import new_name
from tests.support.eventbridge import (
    forwarder_role,
    new_bus,
    new_queue,
    new_rule,
    put_event,
    received,
    wait_idle,
)

pytestmark = pytest.mark.usefixtures("forwarder_roles")


def test_disabled_rule_stays_silent(local_cloud, source):
    name = new_name("disabled")
    new_bus(source, name)
    url, queue_arn = new_queue(source, new_name("silent"))
    new_rule(source, name, [{"Id": "q", "Arn": queue_arn}], state="DISABLED")
    put_event(source, name)
    wait_idle(local_cloud)
    assert received(source, url) == []
    assert local_cloud.control("events", "recent", account=SOURCE_ACCOUNT,
                               bus=name)[-1]["matched_rules"] == []


def test_target_input_and_input_path(local_cloud, source):
    name = new_name("input")
    new_bus(source, name)
    url_fixed, arn_fixed = new_queue(source, new_name("fixed"))
    url_path, arn_path = new_queue(source, new_name("path"))
    new_rule(source, name, [{"Id": "fixed", "Arn": arn_fixed, "Input": '{"fixed": true}'},
                            {"Id": "path", "Arn": arn_path, "InputPath": "$.detail"}])
    put_event(source, name, model="m-7")
    wait_idle(local_cloud)
    assert json.loads(received(source, url_fixed)[0]["Body"]) == {"fixed": True}
    assert json.loads(received(source, url_path)[0]["Body"]) == {"model": "m-7"}


def test_lambda_target_receives_the_event(local_cloud, source, target, forwarding):
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{new_name('import')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "ok"})
    new_rule(target, forwarding["name"], [{"Id": "fn", "Arn": function_arn}])
    entry = put_event(source, forwarding["name"])["Entries"][0]
    wait_idle(local_cloud)

    [call] = local_cloud.control("events", "lambda_calls", function_arn=function_arn)
    assert call["payload"]["id"] == entry["EventId"]
    assert call["payload"]["account"] == SOURCE_ACCOUNT


def _dead_letters(local_cloud, target, function_arn: str, **settings: Any) -> list[dict]:
    """One event sent to `function_arn` by a rule on a new bus of B whose target (`settings`:
    RetryPolicy, ...) dead-letters to a new queue: the dead letters."""
    name = new_name("to-function")
    new_bus(target, name)
    dlq_url, dlq_arn = new_queue(target, new_name("dlq"))
    new_rule(target, name, [{"Id": "fn", "Arn": function_arn,
                             "DeadLetterConfig": {"Arn": dlq_arn}, **settings}])
    put_event(target, name)
    wait_idle(local_cloud)
    return received(target, dlq_url)


def test_throttled_lambda_is_retried_then_dead_lettered(local_cloud, target):
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{new_name('busy')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "throttle"},
                        retry_delays_s=[0.01, 0.02])
    [dead] = _dead_letters(local_cloud, target, function_arn,
                           RetryPolicy={"MaximumRetryAttempts": 2})
    assert len(local_cloud.control("events", "lambda_calls", function_arn=function_arn)) == 3
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "THROTTLING"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"


def test_missing_lambda_is_dead_lettered_without_retry(local_cloud, target):
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{new_name('gone')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "not_found"})
    [dead] = _dead_letters(local_cloud, target, function_arn)
    assert len(local_cloud.control("events", "lambda_calls", function_arn=function_arn)) == 1
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "RESOURCE_NOT_FOUND"


def test_unknown_function_through_the_real_runtime_is_dead_lettered(local_cloud, target):
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{new_name('absent')}"
    local_cloud.control("events", "configure", retry_delays_s=[0.01])
    [dead] = _dead_letters(local_cloud, target, function_arn,
                           RetryPolicy={"MaximumRetryAttempts": 1})
    assert dead["MessageAttributes"]["TARGET_ARN"]["StringValue"] == function_arn


def test_state_machine_target_starts_an_execution_in_its_account(local_cloud, source, target,
                                                                forwarding):
    sfn = target.client("stepfunctions")
    machine_arn = sfn.create_state_machine(
        name=new_name("import"), roleArn=forwarder_role(TARGET_ACCOUNT),
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                       "End": True}}}),
    )["stateMachineArn"]
    new_rule(target, forwarding["name"], [{"Id": "sfn", "Arn": machine_arn,
                                          "RoleArn": forwarder_role(TARGET_ACCOUNT),
                                          "InputPath": "$.detail"}])
    put_event(source, forwarding["name"], model="for-sfn")
    wait_idle(local_cloud)

    [execution] = sfn.list_executions(stateMachineArn=machine_arn)["executions"]
    assert execution["executionArn"].startswith(
        f"arn:aws:states:{REGION}:{TARGET_ACCOUNT}:execution:")
    assert not execution["executionArn"].endswith(":None")
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"model": "for-sfn"}
    deadline = time.monotonic() + 10
    while described["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.1)
        described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert described["status"] == "SUCCEEDED"


def test_wait_idle_reports_pending_deliveries(local_cloud, target):
    name = new_name("slow")
    new_bus(target, name)
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{new_name('slow')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "throttle"},
                        retry_delays_s=[0.5])
    new_rule(target, name, [{"Id": "fn", "Arn": function_arn,
                            "RetryPolicy": {"MaximumRetryAttempts": 1}}])
    put_event(target, name)
    assert local_cloud.control("events", "wait_idle", timeout=0.05) == {
        "idle": False, "pending": 1}
    wait_idle(local_cloud)
    stats = local_cloud.control("events", "stats", account=TARGET_ACCOUNT, bus=name)
    assert next(iter(stats.values()))["dropped"] == 1


def test_real_function_receives_the_forwarded_event(local_cloud, source, target, forwarding,
                                                    tmp_path):
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "import json, os\n"
                                   "def handler(event, context):\n"
                                   "    with open(os.environ['OUT'], 'w') as out:\n"
                                   "        json.dump(event, out)\n")
    out = tmp_path / "event.json"
    role_arn = target.client("iam").create_role(
        RoleName=new_name("import-fn"), AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    function_arn = target.client("lambda").create_function(
        FunctionName=new_name("import"), Runtime="python3.11", Handler="app.handler",
        Role=role_arn, Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    new_rule(target, forwarding["name"], [{"Id": "fn", "Arn": function_arn}])

    entry = put_event(source, forwarding["name"], model="real")["Entries"][0]
    wait_idle(local_cloud)
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)

    event = json.loads(out.read_text())
    assert (event["id"], event["account"]) == (entry["EventId"], SOURCE_ACCOUNT)
    assert event["detail"] == {"model": "real"}

def test_pattern_field_matches_inside_an_array_of_objects():
    """CloudTrail records carry tags as [{"key", "value"}]; a rule on tags.key must match."""
    import json as _json

    from moto.events.models import EventPattern

    from local_cloud.services.eventbridge.patterns import flatten_event

    pattern = EventPattern.load(_json.dumps(
        {"detail": {"requestParameters": {"tags": {"key": ["model-copy:targets"]}}}}))
    original = EventPattern._flatten_dict
    EventPattern._flatten_dict = staticmethod(flatten_event)
    try:
        tagged = {"detail": {"requestParameters": {"tags": [
            {"key": "team", "value": "nlp"}, {"key": "model-copy:targets", "value": "x"}]}}}
        untagged = {"detail": {"requestParameters": {"tags": [{"key": "team", "value": "nlp"}]}}}
        assert pattern.matches_event(tagged)
        assert not pattern.matches_event(untagged)
    finally:
        EventPattern._flatten_dict = original
