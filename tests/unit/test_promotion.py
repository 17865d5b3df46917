"""The current-version parameter and rollback, against moto's SSM and EventBridge in process."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from unittest import mock

import boto3
import pytest
from model_copy.approval import pending_approval_tokens
from model_copy.promotion import (
    PARAMETER_PREFIX,
    NothingToRollBack,
    current_version,
    parameter_name,
    promote,
    rollback,
)
from moto import mock_aws

from local_cloud.iam.matching import arn_like
from tests.static_checks import REGION, offline_stack

ARN = "arn:aws:comprehend:us-east-1:222222222222:document-classifier/news/version/{}"


@pytest.fixture
def clients() -> Iterator[tuple[object, object, list[dict]]]:
    hidden = {k: "" for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_ENDPOINT_URL")}
    with mock.patch.dict(os.environ, {**hidden, "AWS_ACCESS_KEY_ID": "x",
                                      "AWS_SECRET_ACCESS_KEY": "x"}), mock_aws():
        for key in hidden:
            os.environ.pop(key)
        ssm = boto3.client("ssm", region_name="us-east-1")
        events = boto3.client("events", region_name="us-east-1")
        events.create_event_bus(Name="model-copy")
        sent: list[dict] = []
        original = events.put_events

        def recording_put_events(**kwargs):
            sent.extend(kwargs["Entries"])
            return original(**kwargs)

        events.put_events = recording_put_events
        yield ssm, events, sent


def test_promotions_record_the_current_version_and_announce_it(clients):
    ssm, events, sent = clients
    first = promote(ssm, events, "model-copy", "news", ARN.format("v1"), "imported", "fn")
    second = promote(ssm, events, "model-copy", "news", ARN.format("v2"), "imported", "fn")
    assert first.previous_arn is None and second.previous_arn == ARN.format("v1")
    assert current_version(ssm, "news") == ARN.format("v2")
    details = [json.loads(e["Detail"]) for e in sent]
    assert [e["DetailType"] for e in sent] == ["Model Version Promoted"] * 2
    assert details[1] == {"modelName": "news", "modelArn": ARN.format("v2"),
                          "previousModelArn": ARN.format("v1"), "reason": "imported", "by": "fn"}


def test_rollback_steps_back_one_version_at_a_time_and_stops_at_the_first(clients):
    ssm, events, _ = clients
    for version in ("v1", "v2", "v3"):
        promote(ssm, events, "model-copy", "news", ARN.format(version), "imported", "fn")
    assert rollback(ssm, events, "model-copy", "news", "ops").model_arn == ARN.format("v2")
    assert rollback(ssm, events, "model-copy", "news", "ops").model_arn == ARN.format("v1")
    with pytest.raises(NothingToRollBack, match="first version"):
        rollback(ssm, events, "model-copy", "news", "ops")
    assert current_version(ssm, "news") == ARN.format("v1")


def test_promoting_the_current_version_again_writes_nothing(clients):
    ssm, events, _ = clients
    promote(ssm, events, "model-copy", "news", ARN.format("v1"), "imported", "fn")
    promote(ssm, events, "model-copy", "news", ARN.format("v1"), "imported", "retry")
    history = ssm.get_parameter_history(Name=PARAMETER_PREFIX + "news")["Parameters"]
    assert len(history) == 1


def test_rollback_without_any_promotion_says_so(clients):
    ssm, events, _ = clients
    with pytest.raises(NothingToRollBack, match="never been promoted"):
        rollback(ssm, events, "model-copy", "news", "ops")


def test_the_import_role_reads_and_writes_the_current_version_parameters_only():
    target = offline_stack("target")
    role = target.raw["ImportModelFunction"]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [statement for policy in target.resources[role]["Properties"]["Policies"]
                  for statement in policy["PolicyDocument"]["Statement"]
                  if any(action.startswith("ssm:") for action in statement["Action"])]
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        (["ssm:GetParameter", "ssm:PutParameter"],
         f"arn:aws:ssm:{REGION}:{target.account}:parameter{PARAMETER_PREFIX}*")]
    parameter = f"arn:aws:ssm:{REGION}:{target.account}:parameter{parameter_name('news')}"
    assert arn_like(parameter, statements[0]["Resource"])


def _scheduled(event_id: int, account: str, token: str) -> dict:
    detail = {"targetAccount": account, "taskToken": token}
    return {"id": event_id, "type": "TaskScheduled", "taskScheduledEventDetails": {
        "resource": "putEvents.waitForTaskToken",
        "parameters": json.dumps({"Entries": [{"DetailType": "Model Copy Approval Requested",
                                               "Detail": detail}]})}}


def test_pending_approvals_are_the_requests_not_yet_answered():
    history = [
        _scheduled(5, "222222222222", "token-b"),
        {"id": 6, "type": "TaskStarted", "previousEventId": 5},
        _scheduled(7, "444444444444", "token-d"),
        {"id": 8, "type": "TaskStarted", "previousEventId": 7},
        {"id": 9, "type": "TaskSucceeded", "previousEventId": 6},
    ]
    assert pending_approval_tokens(history) == {"444444444444": "token-d"}


# ------------------------------------------------------------------ version order (issue 14)
CREATED = {ARN.format("v1"): "2026-11-01T10:00:00+00:00",
           ARN.format("v2"): "2026-11-02T10:00:00+00:00",
           ARN.format("v3"): "2026-11-03T10:00:00+00:00"}


def _import(ssm, events, version: str):
    arn = ARN.format(version)
    return promote(ssm, events, "model-copy", "news", arn, "imported", "fn",
                   source_created_at=CREATED[arn], created_at_of=CREATED.get)


def test_current_moves_only_forward_in_the_source_version_order(clients):
    ssm, events, sent = clients
    _import(ssm, events, "v2")
    late = _import(ssm, events, "v1")  # an older source version, imported later
    assert not late.moved
    assert current_version(ssm, "news") == ARN.format("v2")
    assert [json.loads(e["Detail"])["modelArn"] for e in sent] == [ARN.format("v2")], \
        "nothing is announced when current does not move"
    assert _import(ssm, events, "v3").moved
    assert current_version(ssm, "news") == ARN.format("v3")


def test_rollback_moves_back_and_a_newer_import_moves_forward_again(clients):
    ssm, events, _ = clients
    for version in ("v1", "v2"):
        _import(ssm, events, version)
    rollback(ssm, events, "model-copy", "news", by="ops")
    assert current_version(ssm, "news") == ARN.format("v1")
    assert _import(ssm, events, "v3").moved
    assert current_version(ssm, "news") == ARN.format("v3")


def test_a_current_version_of_unknown_order_is_replaced(clients):
    ssm, events, _ = clients
    promote(ssm, events, "model-copy", "news", ARN.format("v9"), "imported", "fn")
    assert _import(ssm, events, "v1").moved  # v9 predates the ordering: last imported wins


@pytest.mark.parametrize(("value", "normalized"), [
    ("2026-11-02T10:00:00Z", "2026-11-02T10:00:00+00:00"),
    ("2026-11-02T11:00:00+01:00", "2026-11-02T10:00:00+00:00"),
    ("2026-11-02T10:00:00.250000+00:00", "2026-11-02T10:00:00.250000+00:00"),
    (1793613600, "2026-11-02T10:00:00+00:00"),
    (1793613600.0, "2026-11-02T10:00:00+00:00"),
    ("yesterday", None), (None, None), (True, None),
])
def test_source_creation_times_are_normalized_to_utc(value, normalized):
    from model_copy.promotion import order_key

    assert order_key(value) == normalized
