"""A CloudWatch Logs log group as a rule target: the local cloud writes the event only when the
group exists and a logs resource policy lets EventBridge write to it, as AWS requires
(EventBridge User Guide, "Using resource-based policies for Amazon EventBridge", CloudWatch
Logs permissions); otherwise the delivery fails and goes to the target's dead-letter queue."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT
from tests.support import new_name
from tests.support.eventbridge import new_bus, new_queue, new_rule, received, wait_idle

SOURCE = "model-copy"
STARTED = "Model Import Started"


def _group_arn(name: str) -> str:
    return f"arn:aws:logs:{REGION}:{SOURCE_ACCOUNT}:log-group:{name}"


def _policy(resource: str, principal: str = "events.amazonaws.com",
            effect: str = "Allow") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "TrustEventsToStoreLogEvent", "Effect": effect,
        "Principal": {"Service": [principal, "delivery.logs.amazonaws.com"]},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": resource}]})


@pytest.fixture()
def policies(source):
    """Logs resource policies are per account and Region: each test removes its own, so that
    none admits EventBridge to another test's group."""
    names: list[str] = []
    yield names
    for name in names:
        source.client("logs").delete_resource_policy(policyName=name)


def _setup(session: boto3.Session, local_cloud: Any, policies: list[str], *,
           create_group: bool = True, policy: str | None = None,
           target_arn: str | None = None) -> dict[str, str]:
    """A bus whose rule targets a log group, with a dead-letter queue; returns the names."""
    local_cloud.control("events", "configure", retry_delays_s=[0.01])
    bus, group = new_name("bus"), f"/aws/events/{new_name('deliveries')}"
    logs = session.client("logs")
    if create_group:
        logs.create_log_group(logGroupName=group)
    policy_name = new_name("policy")
    if policy is not None:
        logs.put_resource_policy(policyName=policy_name, policyDocument=policy)
        policies.append(policy_name)
    new_bus(session, bus)
    dlq_url, dlq_arn = new_queue(session, new_name("dlq"))
    new_rule(session, bus, [{
        "Id": "delivery-log", "Arn": target_arn or _group_arn(group),
        "RetryPolicy": {"MaximumRetryAttempts": 2}, "DeadLetterConfig": {"Arn": dlq_arn}}],
        pattern={"source": [SOURCE], "detail-type": [STARTED]})
    return {"bus": bus, "group": group, "dlq": dlq_url, "policy": policy_name}


def _put_started(session: boto3.Session, bus: str, correlation_id: str) -> str:
    entry = session.client("events").put_events(Entries=[{
        "Source": SOURCE, "DetailType": STARTED, "EventBusName": bus,
        "Detail": json.dumps({"correlationId": correlation_id, "status": "IMPORTING"})}])
    return str(entry["Entries"][0]["EventId"])


def _logged(session: boto3.Session, group: str) -> list[dict[str, Any]]:
    try:
        found = session.client("logs").filter_log_events(logGroupName=group)["events"]
    except session.client("logs").exceptions.ResourceNotFoundException:
        return []
    return [json.loads(e["message"]) for e in found]


def test_an_allowed_log_group_receives_the_whole_event(local_cloud, source, policies):
    names = _setup(source, local_cloud, policies, policy=_policy(
        f"arn:aws:logs:{REGION}:{SOURCE_ACCOUNT}:log-group:/aws/events/*:*"))
    event_id = _put_started(source, names["bus"], "cli-copy-1")
    wait_idle(local_cloud)
    [logged] = _logged(source, names["group"])
    assert logged["id"] == event_id and logged["detail-type"] == STARTED
    assert logged["detail"]["correlationId"] == "cli-copy-1"
    assert logged["account"] == SOURCE_ACCOUNT and logged["time"].endswith("Z")
    assert received(source, names["dlq"]) == []


def test_a_group_arn_with_the_stream_wildcard_is_the_same_target(local_cloud, source, policies):
    group = f"/aws/events/{new_name('wild')}"
    names = _setup(source, local_cloud, policies, policy=_policy(_group_arn(group) + ":*"),
                   target_arn=_group_arn(group) + ":*", create_group=False)
    source.client("logs").create_log_group(logGroupName=group)
    _put_started(source, names["bus"], "cli-copy-2")
    wait_idle(local_cloud)
    assert [e["detail"]["correlationId"] for e in _logged(source, group)] == ["cli-copy-2"]


def test_without_a_resource_policy_the_event_is_dead_lettered_not_logged(local_cloud, source,
                                                                         policies):
    names = _setup(source, local_cloud, policies, policy=None)
    _put_started(source, names["bus"], "cli-copy-3")
    wait_idle(local_cloud)
    assert _logged(source, names["group"]) == []
    [dead] = received(source, names["dlq"])
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert "events.amazonaws.com" in attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "0"  # a missing permission is not retried
    assert json.loads(dead["Body"])["detail"]["correlationId"] == "cli-copy-3"


def test_a_policy_for_other_groups_or_principals_does_not_admit_eventbridge(local_cloud, source,
                                                                           policies):
    for policy in (_policy(f"arn:aws:logs:{REGION}:{SOURCE_ACCOUNT}:log-group:/aws/other/*:*"),
                   _policy("*", principal="lambda.amazonaws.com").replace(
                       ', "delivery.logs.amazonaws.com"', ""),
                   _policy("*", effect="Deny")):
        names = _setup(source, local_cloud, policies, policy=policy)
        _put_started(source, names["bus"], "cli-copy-4")
        wait_idle(local_cloud)
        assert _logged(source, names["group"]) == [], policy
        assert len(received(source, names["dlq"])) == 1, policy


def test_a_missing_log_group_is_dead_lettered(local_cloud, source, policies):
    names = _setup(source, local_cloud, policies, create_group=False, policy=_policy("*"))
    _put_started(source, names["bus"], "cli-copy-5")
    wait_idle(local_cloud)
    [dead] = received(source, names["dlq"])
    assert dead["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "RESOURCE_NOT_FOUND"
