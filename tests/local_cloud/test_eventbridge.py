"""EventBridge in the local cloud behaves as AWS where the model-copy pipeline depends on it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT

SOURCE = "model-copy.source"
SHARED = "Model Version Shared"


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


FORWARDER = "events-forwarder"


def _role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/{FORWARDER}"


@pytest.fixture(autouse=True, scope="module")
def forwarder_roles(local_cloud) -> None:
    """The rule target role of these tests, in each account: IAM checks what a target role may
    do (these tests are about bus policies, so the role may put events and start executions)."""
    from tests.conftest import session_for

    for profile in ("source", "target", "outsider"):
        iam = session_for(local_cloud, profile).client("iam")
        if any(r["RoleName"] == FORWARDER for r in iam.list_roles()["Roles"]):
            continue
        iam.create_role(RoleName=FORWARDER, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sts:AssumeRole"}]}))
        iam.put_role_policy(RoleName=FORWARDER, PolicyName="deliver", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["events:PutEvents", "states:StartExecution"],
                "Resource": "*"}]}))


def _bus(session: boto3.Session, name: str) -> str:
    return session.client("events").create_event_bus(Name=name)["EventBusArn"]


def _queue(session: boto3.Session, name: str) -> tuple[str, str]:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def _rule(session: boto3.Session, bus: str, targets: list[dict[str, Any]],
          pattern: dict[str, Any] | None = None, state: str = "ENABLED") -> str:
    events = session.client("events")
    name = _name("rule")
    arn = events.put_rule(Name=name, EventBusName=bus, State=state,
                          EventPattern=json.dumps(pattern or {"source": [SOURCE]}))["RuleArn"]
    events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return arn


def _put(session: boto3.Session, bus: str, source: str = SOURCE,
         detail_type: str = SHARED, **detail: Any) -> dict[str, Any]:
    return session.client("events").put_events(Entries=[{
        "Source": source, "DetailType": detail_type, "EventBusName": bus,
        "Resources": ["arn:aws:comprehend:us-east-1:111111111111:document-classifier/c"],
        "Detail": json.dumps(detail or {"model": "m"})}])


def _messages(session: boto3.Session, url: str) -> list[dict[str, Any]]:
    response = session.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0)
    return response.get("Messages", [])


def _idle(local_cloud) -> None:
    assert local_cloud.control("events", "wait_idle", timeout=20)["idle"]


def _allow(session: boto3.Session, bus: str, *statements: dict[str, Any]) -> None:
    session.client("events").put_permission(EventBusName=bus, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": list(statements)}))


def _statement(bus_arn: str, principal: Any, effect: str = "Allow", sid: str | None = None,
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Sid": sid or _name("s").replace("-", ""), "Effect": effect,
                 "Principal": principal, "Action": "events:PutEvents", "Resource": bus_arn}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.fixture()
def pipeline(local_cloud, source, target):
    """A's bus forwards to B's bus (policy allows A only); B's rule feeds a queue in B."""
    local_cloud.control("events", "configure", retry_delays_s=[0.05])
    name = _name("model-copy")
    source_bus, target_bus = _bus(source, name), _bus(target, name)
    target.client("events").put_permission(
        EventBusName=name, Action="events:PutEvents", Principal=SOURCE_ACCOUNT,
        StatementId="AllowSource")
    _rule(source, name, [{"Id": "to-target", "Arn": target_bus,
                          "RoleArn": _role(SOURCE_ACCOUNT)}])
    url, queue_arn = _queue(target, _name("inbox"))
    _rule(target, name, [{"Id": "inbox", "Arn": queue_arn}])
    return {"name": name, "source_bus": source_bus, "target_bus": target_bus, "inbox": url}


def test_forwarded_event_keeps_sender_account_id_time_and_resources(local_cloud, source, target,
                                                                   pipeline):
    entry = _put(source, pipeline["name"], model="classifier-1")["Entries"][0]
    _idle(local_cloud)

    [message] = _messages(target, pipeline["inbox"])
    event = json.loads(message["Body"])
    assert event["account"] == SOURCE_ACCOUNT
    assert event["id"] == entry["EventId"]
    assert event["resources"] == [
        "arn:aws:comprehend:us-east-1:111111111111:document-classifier/c"]
    assert event["region"] == REGION
    assert event["detail"] == {"model": "classifier-1"}
    assert event["time"].endswith("Z")
    seen = local_cloud.control("events", "recent", account=TARGET_ACCOUNT, bus=pipeline["name"])
    assert seen[-1]["event"]["id"] == entry["EventId"]
    assert seen[-1]["received_via"].startswith(f"arn:aws:events:{REGION}:{SOURCE_ACCOUNT}:rule/")


def test_outsider_rule_is_refused_and_dead_lettered(local_cloud, outsider, target, pipeline):
    outsider_bus = _name("outsider")
    _bus(outsider, outsider_bus)
    dlq_url, dlq_arn = _queue(outsider, _name("outsider-dlq"))
    rule_arn = _rule(outsider, outsider_bus, [{
        "Id": "to-target", "Arn": pipeline["target_bus"], "RoleArn": _role(OUTSIDER_ACCOUNT),
        "DeadLetterConfig": {"Arn": dlq_arn}}])

    _put(outsider, outsider_bus)
    _idle(local_cloud)

    assert _messages(target, pipeline["inbox"]) == []
    [dead] = _messages(outsider, dlq_url)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"] == rule_arn
    assert attributes["TARGET_ARN"] == pipeline["target_bus"]
    assert "not authorized" in attributes["ERROR_MESSAGE"].lower()
    assert json.loads(dead["Body"])["account"] == OUTSIDER_ACCOUNT
    stats = local_cloud.control("events", "stats")
    assert stats[pipeline["target_bus"]]["refused_by_policy"] >= 1
    outsider_bus_arn = f"arn:aws:events:{REGION}:{OUTSIDER_ACCOUNT}:event-bus/{outsider_bus}"
    assert stats[outsider_bus_arn]["dead_lettered"] == 1


def test_put_events_to_another_accounts_bus_arn_follows_its_policy(local_cloud, source, target,
                                                                  outsider, pipeline):
    allowed = _put(source, pipeline["target_bus"], model="direct")
    refused = _put(outsider, pipeline["target_bus"])
    _idle(local_cloud)

    assert allowed["FailedEntryCount"] == 0
    assert refused["FailedEntryCount"] == 1
    assert refused["Entries"][0]["ErrorCode"] == "AccessDeniedException"
    [message] = _messages(target, pipeline["inbox"])
    assert json.loads(message["Body"])["account"] == SOURCE_ACCOUNT
    assert json.loads(message["Body"])["detail"] == {"model": "direct"}


def test_put_events_to_own_bus_by_arn_is_allowed_without_policy(local_cloud, source):
    name = _name("own")
    bus_arn = _bus(source, name)
    assert _put(source, bus_arn)["FailedEntryCount"] == 0


def test_explicit_deny_wins_over_allow(local_cloud, source, target, outsider):
    name = _name("deny")
    bus_arn = _bus(target, name)
    _allow(target, name,
           _statement(bus_arn, "*", condition={
               "StringEquals": {"aws:PrincipalOrgID": "o-modelcopylocal"}}),
           _statement(bus_arn, {"AWS": f"arn:aws:iam::{OUTSIDER_ACCOUNT}:root"}, effect="Deny"))

    assert _put(source, bus_arn)["FailedEntryCount"] == 0
    assert _put(outsider, bus_arn)["Entries"][0]["ErrorCode"] == "AccessDeniedException"


def test_org_condition_refuses_accounts_outside_the_org(local_cloud, source, target):
    name = _name("org")
    bus_arn = _bus(target, name)
    _allow(target, name, _statement(bus_arn, "*", condition={
        "StringEquals": {"aws:PrincipalOrgID": "o-modelcopylocal"}}))
    try:
        local_cloud.control("events", "configure", accounts_outside_org=[SOURCE_ACCOUNT])
        assert _put(source, bus_arn)["FailedEntryCount"] == 1
    finally:
        local_cloud.control("events", "configure", accounts_outside_org=[])
    assert _put(source, bus_arn)["FailedEntryCount"] == 0


def test_condition_on_source_and_detail_type(local_cloud, source, target):
    name = _name("cond")
    bus_arn = _bus(target, name)
    _allow(target, name, _statement(bus_arn, [SOURCE_ACCOUNT], condition={
        "StringEquals": {"events:source": [SOURCE]},
        "ForAllValues:StringLike": {"events:detail-type": ["Model Version *"]}}))

    assert _put(source, bus_arn)["FailedEntryCount"] == 0
    assert _put(source, bus_arn, source="someone.else")["FailedEntryCount"] == 1
    assert _put(source, bus_arn, detail_type="Other")["FailedEntryCount"] == 1


def test_put_permission_with_policy_replaces_the_policy(local_cloud, source, target):
    name = _name("replace")
    bus_arn = _bus(target, name)
    _allow(target, name, _statement(bus_arn, SOURCE_ACCOUNT))
    assert _put(source, bus_arn)["FailedEntryCount"] == 0
    _allow(target, name, _statement(bus_arn, OUTSIDER_ACCOUNT))
    assert _put(source, bus_arn)["FailedEntryCount"] == 1
    policy = json.loads(target.client("events").describe_event_bus(Name=name)["Policy"])
    assert len(policy["Statement"]) == 1


def test_disabled_rule_stays_silent(local_cloud, source):
    name = _name("disabled")
    _bus(source, name)
    url, queue_arn = _queue(source, _name("silent"))
    _rule(source, name, [{"Id": "q", "Arn": queue_arn}], state="DISABLED")
    _put(source, name)
    _idle(local_cloud)
    assert _messages(source, url) == []
    assert local_cloud.control("events", "recent", account=SOURCE_ACCOUNT,
                               bus=name)[-1]["matched_rules"] == []


def test_target_input_and_input_path(local_cloud, source):
    name = _name("input")
    _bus(source, name)
    url_fixed, arn_fixed = _queue(source, _name("fixed"))
    url_path, arn_path = _queue(source, _name("path"))
    _rule(source, name, [{"Id": "fixed", "Arn": arn_fixed, "Input": '{"fixed": true}'},
                         {"Id": "path", "Arn": arn_path, "InputPath": "$.detail"}])
    _put(source, name, model="m-7")
    _idle(local_cloud)
    assert json.loads(_messages(source, url_fixed)[0]["Body"]) == {"fixed": True}
    assert json.loads(_messages(source, url_path)[0]["Body"]) == {"model": "m-7"}


def test_lambda_target_receives_the_event(local_cloud, source, target, pipeline):
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{_name('import')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "ok"})
    _rule(target, pipeline["name"], [{"Id": "fn", "Arn": function_arn}])
    entry = _put(source, pipeline["name"])["Entries"][0]
    _idle(local_cloud)

    [call] = local_cloud.control("events", "lambda_calls", function_arn=function_arn)
    assert call["payload"]["id"] == entry["EventId"]
    assert call["payload"]["account"] == SOURCE_ACCOUNT


def test_throttled_lambda_is_retried_then_dead_lettered(local_cloud, target):
    name = _name("throttle")
    _bus(target, name)
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{_name('busy')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "throttle"},
                        retry_delays_s=[0.01, 0.02])
    dlq_url, dlq_arn = _queue(target, _name("dlq"))
    _rule(target, name, [{"Id": "fn", "Arn": function_arn,
                          "RetryPolicy": {"MaximumRetryAttempts": 2},
                          "DeadLetterConfig": {"Arn": dlq_arn}}])
    _put(target, name)
    _idle(local_cloud)

    assert len(local_cloud.control("events", "lambda_calls", function_arn=function_arn)) == 3
    [dead] = _messages(target, dlq_url)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "THROTTLING"
    assert attributes["RETRY_ATTEMPTS"] == "2"
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"


def test_missing_lambda_is_dead_lettered_without_retry(local_cloud, target):
    name = _name("gone")
    _bus(target, name)
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{_name('gone')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "not_found"})
    dlq_url, dlq_arn = _queue(target, _name("dlq"))
    _rule(target, name, [{"Id": "fn", "Arn": function_arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    _put(target, name)
    _idle(local_cloud)
    assert len(local_cloud.control("events", "lambda_calls", function_arn=function_arn)) == 1
    [dead] = _messages(target, dlq_url)
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "RESOURCE_NOT_FOUND"


def _runtime_ready() -> bool:
    from local_cloud.services import lambda_runtime

    return callable(getattr(lambda_runtime, "invoke_async", None))


@pytest.mark.skipif(not _runtime_ready(),
                    reason="local_cloud.services.lambda_runtime has no invoke_async")
def test_unknown_function_through_the_real_runtime_is_dead_lettered(local_cloud, target):
    name = _name("real")
    _bus(target, name)
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{_name('absent')}"
    local_cloud.control("events", "configure", retry_delays_s=[0.01])
    dlq_url, dlq_arn = _queue(target, _name("dlq"))
    _rule(target, name, [{"Id": "fn", "Arn": function_arn,
                          "RetryPolicy": {"MaximumRetryAttempts": 1},
                          "DeadLetterConfig": {"Arn": dlq_arn}}])
    _put(target, name)
    _idle(local_cloud)
    [dead] = _messages(target, dlq_url)
    assert dead["MessageAttributes"]["TARGET_ARN"]["StringValue"] == function_arn


def test_state_machine_target_starts_an_execution_in_its_account(local_cloud, source, target,
                                                                pipeline):
    sfn = target.client("stepfunctions")
    machine_arn = sfn.create_state_machine(
        name=_name("import"), roleArn=_role(TARGET_ACCOUNT),
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                       "End": True}}}),
    )["stateMachineArn"]
    _rule(target, pipeline["name"], [{"Id": "sfn", "Arn": machine_arn,
                                      "RoleArn": _role(TARGET_ACCOUNT),
                                      "InputPath": "$.detail"}])
    _put(source, pipeline["name"], model="for-sfn")
    _idle(local_cloud)

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
    name = _name("slow")
    _bus(target, name)
    function_arn = f"arn:aws:lambda:{REGION}:{TARGET_ACCOUNT}:function:{_name('slow')}"
    local_cloud.control("events", "configure", lambda_stubs={function_arn: "throttle"},
                        retry_delays_s=[0.5])
    _rule(target, name, [{"Id": "fn", "Arn": function_arn,
                          "RetryPolicy": {"MaximumRetryAttempts": 1}}])
    _put(target, name)
    assert local_cloud.control("events", "wait_idle", timeout=0.05) == {
        "idle": False, "pending": 1}
    _idle(local_cloud)
    stats = local_cloud.control("events", "stats", account=TARGET_ACCOUNT, bus=name)
    assert next(iter(stats.values()))["dropped"] == 1


@pytest.mark.skipif(not _runtime_ready(),
                    reason="local_cloud.services.lambda_runtime has no invoke_async")
def test_real_function_receives_the_forwarded_event(local_cloud, source, target, pipeline,
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
        RoleName=_name("import-fn"), AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    function_arn = target.client("lambda").create_function(
        FunctionName=_name("import"), Runtime="python3.11", Handler="app.handler",
        Role=role_arn, Code={"ZipFile": code.getvalue()},
        Environment={"Variables": {"OUT": str(out)}})["FunctionArn"]
    _rule(target, pipeline["name"], [{"Id": "fn", "Arn": function_arn}])

    entry = _put(source, pipeline["name"], model="real")["Entries"][0]
    _idle(local_cloud)
    assert local_cloud.control("lambda", "wait_idle", timeout_s=20)

    event = json.loads(out.read_text())
    assert (event["id"], event["account"]) == (entry["EventId"], SOURCE_ACCOUNT)
    assert event["detail"] == {"model": "real"}


def test_cloudformation_event_bus_policy_is_applied_and_ref_gives_the_name(local_cloud, source,
                                                                          target, outsider):
    name = _name("stack-bus")
    template = {"Resources": {"Bus": {"Type": "AWS::Events::EventBus", "Properties": {
        "Name": name,
        "Policy": {"Version": "2012-10-17", "Statement": [{
            "Sid": "AllowSource", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"},
            "Action": "events:PutEvents",
            "Resource": f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{name}"}]}}}},
        "Outputs": {"BusName": {"Value": {"Ref": "Bus"}}}}
    cloudformation = target.client("cloudformation")
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    [stack] = cloudformation.describe_stacks(StackName=name)["Stacks"]
    assert stack["Outputs"][0]["OutputValue"] == name

    bus_arn = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{name}"
    assert _put(source, bus_arn)["FailedEntryCount"] == 0
    assert _put(outsider, bus_arn)["FailedEntryCount"] == 1


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


def test_put_events_to_a_missing_bus_in_another_account_is_refused_per_entry(
        local_cloud, source, target, pipeline):
    """No bus, so no policy allows the sender: that entry fails, the others are delivered."""
    missing = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{_name('nobus')}"
    response = source.client("events").put_events(Entries=[
        {"Source": SOURCE, "DetailType": SHARED, "EventBusName": missing, "Detail": "{}"},
        {"Source": SOURCE, "DetailType": SHARED, "EventBusName": pipeline["target_bus"],
         "Detail": json.dumps({"model": "kept"})}])
    _idle(local_cloud)

    assert response["FailedEntryCount"] == 1
    assert response["Entries"][0]["ErrorCode"] == "AccessDeniedException"
    assert missing in response["Entries"][0]["ErrorMessage"]
    assert "EventId" in response["Entries"][1]
    [message] = _messages(target, pipeline["inbox"])
    assert json.loads(message["Body"])["detail"] == {"model": "kept"}


def _fail_entries(local_cloud, **rule: Any) -> dict[str, Any]:
    return local_cloud.control("events", "fail_entries", **rule)


def test_injected_entry_failure_once_fails_one_entry_then_passes(local_cloud, source, target,
                                                                  pipeline):
    _fail_entries(local_cloud, error_code="InternalFailure", times=1,
                  bus=pipeline["target_bus"], detail_type=SHARED)
    try:
        first = _put(source, pipeline["target_bus"], model="first")
        other_type = _put(source, pipeline["target_bus"], detail_type="Other", model="other")
        second = _put(source, pipeline["target_bus"], model="second")
        _idle(local_cloud)
    finally:
        _fail_entries(local_cloud, clear=True)

    assert first["FailedEntryCount"] == 1
    assert first["Entries"][0]["ErrorCode"] == "InternalFailure"
    assert first["Entries"][0]["ErrorMessage"]
    assert other_type["FailedEntryCount"] == 0
    assert second["FailedEntryCount"] == 0
    bodies = [json.loads(m["Body"])["detail"] for m in _messages(target, pipeline["inbox"])]
    assert {"model": "first"} not in bodies
    assert {"model": "second"} in bodies


def test_injected_entry_failure_every_time_only_on_its_bus(local_cloud, source, pipeline):
    own_bus = _name("own")
    _bus(source, own_bus)
    rules = _fail_entries(local_cloud, error_code="ThrottlingException",
                          error_message="Rate exceeded", bus=pipeline["name"])
    try:
        assert rules[-1]["times"] is None
        for _ in range(3):
            entry = _put(source, pipeline["target_bus"])["Entries"][0]
            assert (entry["ErrorCode"], entry["ErrorMessage"]) == (
                "ThrottlingException", "Rate exceeded")
        assert _put(source, own_bus)["FailedEntryCount"] == 0
        stats = local_cloud.control("events", "stats")
        assert stats[pipeline["target_bus"]]["injected_failures"] == 3
    finally:
        assert _fail_entries(local_cloud, clear=True) == []
    assert _put(source, pipeline["target_bus"])["FailedEntryCount"] == 0


def test_injected_entry_failure_rejects_unknown_settings(local_cloud):
    with pytest.raises(Exception, match="error_code"):
        _fail_entries(local_cloud, error_code="", times=1)
    with pytest.raises(Exception, match="times"):
        _fail_entries(local_cloud, error_code="InternalFailure", times=0)
