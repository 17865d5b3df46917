"""EventBridge bus policies and cross-account delivery in the local cloud, as AWS where the
model-copy pipeline depends on them: who may put events on a bus, and what a forwarded
event keeps."""

from __future__ import annotations

import json

import pytest

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support import new_name
from tests.support.eventbridge import (
    SHARED,
    SOURCE,
    allow,
    forwarder_role,
    new_bus,
    new_queue,
    new_rule,
    put_event,
    received,
    statement,
    wait_idle,
)

pytestmark = pytest.mark.usefixtures("forwarder_roles")


def test_forwarded_event_keeps_sender_account_id_time_and_resources(local_cloud, source, target,
                                                                   forwarding):
    entry = put_event(source, forwarding["name"], model="classifier-1")["Entries"][0]
    wait_idle(local_cloud)

    [message] = received(target, forwarding["inbox"])
    event = json.loads(message["Body"])
    assert event["account"] == SOURCE_ACCOUNT
    assert event["id"] == entry["EventId"]
    assert event["resources"] == [
        "arn:aws:comprehend:us-east-1:111111111111:document-classifier/c"]
    assert event["region"] == REGION
    assert event["detail"] == {"model": "classifier-1"}
    assert event["time"].endswith("Z")
    seen = local_cloud.control("events", "recent", account=TARGET_ACCOUNT, bus=forwarding["name"])
    assert seen[-1]["event"]["id"] == entry["EventId"]
    assert seen[-1]["received_via"].startswith(f"arn:aws:events:{REGION}:{SOURCE_ACCOUNT}:rule/")


def test_outsider_rule_is_refused_and_dead_lettered(local_cloud, outsider, target, forwarding):
    outsider_bus = new_name("outsider")
    new_bus(outsider, outsider_bus)
    dlq_url, dlq_arn = new_queue(outsider, new_name("outsider-dlq"))
    rule_arn = new_rule(outsider, outsider_bus, [{
        "Id": "to-target", "Arn": forwarding["target_bus"],
        "RoleArn": forwarder_role(OUTSIDER_ACCOUNT),
        "DeadLetterConfig": {"Arn": dlq_arn}}])

    put_event(outsider, outsider_bus)
    wait_idle(local_cloud)

    assert received(target, forwarding["inbox"]) == []
    [dead] = received(outsider, dlq_url)
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["RULE_ARN"] == rule_arn
    assert attributes["TARGET_ARN"] == forwarding["target_bus"]
    assert "not authorized" in attributes["ERROR_MESSAGE"].lower()
    assert json.loads(dead["Body"])["account"] == OUTSIDER_ACCOUNT
    stats = local_cloud.control("events", "stats")
    assert stats[forwarding["target_bus"]]["refused_by_policy"] >= 1
    outsider_bus_arn = f"arn:aws:events:{REGION}:{OUTSIDER_ACCOUNT}:event-bus/{outsider_bus}"
    assert stats[outsider_bus_arn]["dead_lettered"] == 1


def test_put_events_to_another_accounts_bus_arn_follows_its_policy(local_cloud, source, target,
                                                                  outsider, forwarding):
    allowed = put_event(source, forwarding["target_bus"], model="direct")
    refused = put_event(outsider, forwarding["target_bus"])
    wait_idle(local_cloud)

    assert allowed["FailedEntryCount"] == 0
    assert refused["FailedEntryCount"] == 1
    assert refused["Entries"][0]["ErrorCode"] == "AccessDeniedException"
    [message] = received(target, forwarding["inbox"])
    assert json.loads(message["Body"])["account"] == SOURCE_ACCOUNT
    assert json.loads(message["Body"])["detail"] == {"model": "direct"}


def test_put_events_to_own_bus_by_arn_is_allowed_without_policy(local_cloud, source):
    name = new_name("own")
    bus_arn = new_bus(source, name)
    assert put_event(source, bus_arn)["FailedEntryCount"] == 0


def test_explicit_deny_wins_over_allow(local_cloud, source, target, outsider):
    name = new_name("deny")
    bus_arn = new_bus(target, name)
    allow(target, name,
           statement(bus_arn, "*", condition={
               "StringEquals": {"aws:PrincipalOrgID": "o-modelcopylocal"}}),
           statement(bus_arn, {"AWS": f"arn:aws:iam::{OUTSIDER_ACCOUNT}:root"}, effect="Deny"))

    assert put_event(source, bus_arn)["FailedEntryCount"] == 0
    assert put_event(outsider, bus_arn)["Entries"][0]["ErrorCode"] == "AccessDeniedException"


def test_org_condition_refuses_accounts_outside_the_org(local_cloud, source, target):
    name = new_name("org")
    bus_arn = new_bus(target, name)
    allow(target, name, statement(bus_arn, "*", condition={
        "StringEquals": {"aws:PrincipalOrgID": "o-modelcopylocal"}}))
    try:
        local_cloud.control("events", "configure", accounts_outside_org=[SOURCE_ACCOUNT])
        assert put_event(source, bus_arn)["FailedEntryCount"] == 1
    finally:
        local_cloud.control("events", "configure", accounts_outside_org=[])
    assert put_event(source, bus_arn)["FailedEntryCount"] == 0


def test_condition_on_source_and_detail_type(local_cloud, source, target):
    name = new_name("cond")
    bus_arn = new_bus(target, name)
    allow(target, name, statement(bus_arn, [SOURCE_ACCOUNT], condition={
        "StringEquals": {"events:source": [SOURCE]},
        "ForAllValues:StringLike": {"events:detail-type": ["Model Version *"]}}))

    assert put_event(source, bus_arn)["FailedEntryCount"] == 0
    assert put_event(source, bus_arn, source="someone.else")["FailedEntryCount"] == 1
    assert put_event(source, bus_arn, detail_type="Other")["FailedEntryCount"] == 1


def test_put_permission_with_policy_replaces_the_policy(local_cloud, source, target):
    name = new_name("replace")
    bus_arn = new_bus(target, name)
    allow(target, name, statement(bus_arn, SOURCE_ACCOUNT))
    assert put_event(source, bus_arn)["FailedEntryCount"] == 0
    allow(target, name, statement(bus_arn, OUTSIDER_ACCOUNT))
    assert put_event(source, bus_arn)["FailedEntryCount"] == 1
    policy = json.loads(target.client("events").describe_event_bus(Name=name)["Policy"])
    assert len(policy["Statement"]) == 1

def test_cloudformation_event_bus_policy_is_applied_and_ref_gives_the_name(local_cloud, source,
                                                                          target, outsider):
    name = new_name("stack-bus")
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
    assert put_event(source, bus_arn)["FailedEntryCount"] == 0
    assert put_event(outsider, bus_arn)["FailedEntryCount"] == 1

def test_put_events_to_a_missing_bus_in_another_account_is_refused_per_entry(
        local_cloud, source, target, forwarding):
    """No bus, so no policy allows the sender: that entry fails, the others are delivered."""
    missing = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/{new_name('nobus')}"
    response = source.client("events").put_events(Entries=[
        {"Source": SOURCE, "DetailType": SHARED, "EventBusName": missing, "Detail": "{}"},
        {"Source": SOURCE, "DetailType": SHARED, "EventBusName": forwarding["target_bus"],
         "Detail": json.dumps({"model": "kept"})}])
    wait_idle(local_cloud)

    assert response["FailedEntryCount"] == 1
    assert response["Entries"][0]["ErrorCode"] == "AccessDeniedException"
    assert missing in response["Entries"][0]["ErrorMessage"]
    assert "EventId" in response["Entries"][1]
    [message] = received(target, forwarding["inbox"])
    assert json.loads(message["Body"])["detail"] == {"model": "kept"}
