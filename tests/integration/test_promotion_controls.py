"""Promotion controls on the local cloud: dry-run, approval gate, current version, rollback."""

from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from model_copy.approval import decide, pending_approvals
from model_copy.promotion import NothingToRollBack, current_version, rollback

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.comprehend import imports
from tests.support.deployments import redeployed
from tests.support.history import state


def _history(copier: Copier, execution_arn: str) -> list[dict]:
    sfn = copier.source.client("stepfunctions")
    return sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]


def _wait_for_approval_request(copier: Copier, execution_arn: str) -> dict:
    """The open approval request's detail: its task token and the copy it is about."""
    return copier.wait_for(lambda: pending_approvals(
        _history(copier, execution_arn)).get(TARGET_ACCOUNT), timeout=30)


def test_dry_run_reports_the_plan_and_changes_nothing(copier: Copier, local_cloud):
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    before = local_cloud.control("comprehend", "stats")["accounts"]
    execution = copier.wait_execution(copier.start(manual_input(arn, dryRun=True)))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    plan = json.loads(execution["output"])
    assert plan["dryRun"] is True and plan["modelStatus"] == "TRAINED"
    assert [t["account"] for t in plan["targets"]] == [TARGET_ACCOUNT]
    after = local_cloud.control("comprehend", "stats")["accounts"]
    source_ops = after[SOURCE_ACCOUNT]["operations"]
    assert "PutResourcePolicy" not in source_ops or (
        source_ops["PutResourcePolicy"] == before[SOURCE_ACCOUNT]["operations"].get(
            "PutResourcePolicy"))
    assert after.get(TARGET_ACCOUNT, {}).get("imports", 0) == before.get(
        TARGET_ACCOUNT, {}).get("imports", 0)
    states = [e.get("stateEnteredEventDetails", {}).get("name") for e in
              _history(copier, execution["executionArn"])]
    assert state("ShareWithTarget") not in states
    assert state("AnnounceShareAndWait") not in states


def test_dry_run_still_fails_on_a_missing_model(copier: Copier):
    missing = f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/none/version/v9"
    execution = copier.wait_execution(copier.start(manual_input(missing, dryRun=True)))
    assert execution["status"] == "FAILED" and execution["error"] == "SourceModelNotFound"


def test_trained_copies_become_current_and_rollback_steps_back(copier: Copier, target):
    name = f"prom-{uuid.uuid4().hex[:6]}"
    arns = []
    for version in ("v1", "v2"):
        source_arn = copier.create_classifier(name=name, version=version)
        execution = copier.wait_execution(copier.start(manual_input(source_arn)))
        assert execution["status"] == "SUCCEEDED", execution.get("cause")
        arns.append(json.loads(execution["output"])["results"][0]["targetModelArn"])
    ssm, events = target.client("ssm"), target.client("events")
    assert current_version(ssm, name) == arns[1]
    promotion = rollback(ssm, events, "model-copy", name, by="ops")
    assert (promotion.previous_arn, promotion.model_arn) == (arns[1], arns[0])
    assert current_version(ssm, name) == arns[0]
    with pytest.raises(NothingToRollBack, match="first version"):
        rollback(ssm, events, "model-copy", name, by="ops")
    both_models = target.client("comprehend").list_document_classifiers()[
        "DocumentClassifierPropertiesList"]
    assert {m["DocumentClassifierArn"] for m in both_models} >= set(arns), "nothing is deleted"


def test_an_older_source_version_imported_later_does_not_become_current(copier: Copier,
                                                                        target):
    """v1 and v2 created in that order; copying v2 then v1 leaves v2 current (issue 14)."""
    name = f"order-{uuid.uuid4().hex[:6]}"
    sources = {version: copier.create_classifier(name=name, version=version)
               for version in ("v1", "v2")}
    copies = {}
    for version in ("v2", "v1"):
        execution = copier.wait_execution(copier.start(manual_input(sources[version])))
        assert execution["status"] == "SUCCEEDED", execution.get("cause")
        copies[version] = json.loads(execution["output"])["results"][0]["targetModelArn"]
    assert current_version(target.client("ssm"), name) == copies["v2"]


def test_rollback_of_a_model_never_promoted_says_so(target):
    with pytest.raises(NothingToRollBack, match="never been promoted"):
        rollback(target.client("ssm"), target.client("events"), "model-copy",
                 "no-such-model", by="ops")


@pytest.fixture(scope="module")
def gated(local_cloud, deployed):
    """The source redeployed so that copies to the target wait for an approval."""
    with redeployed(local_cloud, source={"ApprovalRequiredAccountIds": TARGET_ACCOUNT,
                                         "ApprovalTimeoutSeconds": "10"}) as stacks:
        yield stacks


@pytest.fixture
def gated_copier(source, target, gated) -> Copier:
    return Copier(source=source, target=target, pipeline=gated)


def test_approved_copy_proceeds_and_keeps_who_approved(gated_copier: Copier, local_cloud):
    arn = gated_copier.create_classifier()
    execution_arn = gated_copier.start(manual_input(arn))
    request = _wait_for_approval_request(gated_copier, execution_arn)
    imports_before = imports(local_cloud)
    time.sleep(0.5)  # the gate holds: nothing is imported while it waits
    assert imports(local_cloud) == imports_before
    decide(gated_copier.source.client("stepfunctions"), request["taskToken"], True, "alice",
           "QA passed", request)
    execution = gated_copier.wait_execution(execution_arn)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    [result] = json.loads(execution["output"])["results"]
    assert result["approval"]["decision"] == "APPROVED"
    assert result["approval"]["by"] == "alice" and result["approval"]["reason"] == "QA passed"


@pytest.mark.fault
def test_rejected_copy_fails_with_the_reason_and_imports_nothing(gated_copier: Copier,
                                                                 local_cloud):
    """A rejected approval fails that target with the reason; nothing is shared."""
    arn = gated_copier.create_classifier()
    execution_arn = gated_copier.start(manual_input(arn))
    request = _wait_for_approval_request(gated_copier, execution_arn)
    decide(gated_copier.source.client("stepfunctions"), request["taskToken"], False, "bob",
           "metrics regressed", request)
    execution = gated_copier.wait_execution(execution_arn)
    assert execution["status"] == "FAILED" and execution["error"] == "CopyFailed"
    assert "ModelCopyRejected" in execution["cause"] and "metrics regressed" in execution["cause"]
    policy_client = gated_copier.source.client("comprehend")
    with pytest.raises(policy_client.exceptions.ClientError):
        policy_client.describe_resource_policy(ResourceArn=arn)


@pytest.mark.fault
def test_unanswered_approval_times_out_as_a_rejection(gated_copier: Copier):
    """An approval nobody answers times out as a rejection."""
    arn = gated_copier.create_classifier()
    execution = gated_copier.wait_execution(gated_copier.start(manual_input(arn)), timeout=60)
    assert execution["status"] == "FAILED"
    assert "ApprovalTimedOut" in execution["cause"] and "within 10 s" in execution["cause"]


def test_approval_event_from_an_integration_answers_the_gate(gated_copier: Copier, source):
    arn = gated_copier.create_classifier()
    execution_arn = gated_copier.start(manual_input(arn))
    request = _wait_for_approval_request(gated_copier, execution_arn)
    # The decision echoes the request's copy fields (the request event carries them).
    source.client("events").put_events(Entries=[{
        "Source": "ml.pipeline", "DetailType": "Model Copy Approved",
        "Detail": json.dumps({**request, "by": "change-board", "reason": "CHG-42"})}])
    execution = gated_copier.wait_execution(execution_arn)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    [result] = json.loads(execution["output"])["results"]
    assert result["approval"]["by"] == "change-board"


@pytest.mark.fault
def test_an_import_outcome_carrying_an_approval_token_approves_nothing(
        gated_copier: Copier, local_cloud, target):
    """'Model Imported' naming this very copy, sent with its approval token, shares nothing."""
    arn = gated_copier.create_classifier()
    execution_arn = gated_copier.start(manual_input(arn))
    request = _wait_for_approval_request(gated_copier, execution_arn)
    # Outcomes go from B straight to A's bus.
    target.client("events").put_events(Entries=[{
        "EventBusName": f"arn:aws:events:us-east-1:{SOURCE_ACCOUNT}:event-bus/model-copy",
        "Source": "model-copy", "DetailType": "Model Imported",
        "Detail": json.dumps({
            "sourceModelArn": arn, "sourceAccount": SOURCE_ACCOUNT,
            "targetAccount": TARGET_ACCOUNT, "status": "TRAINED",
            "correlationId": request["correlationId"], "taskToken": request["taskToken"]})}])
    execution = gated_copier.wait_execution(execution_arn)
    assert execution["status"] == "FAILED"
    assert "answer does not match this copy" in execution["cause"]
    states = [e.get("stateEnteredEventDetails", {}).get("name") for e in
              _history(gated_copier, execution_arn)]
    assert state("ShareWithTarget") not in states, "nothing was shared"


def test_a_decision_for_another_execution_fails_only_the_target_it_reached(
        gated_copier: Copier, source):
    """An approval echoing execution Y's copy, sent with X's token, fails X's target."""
    first = gated_copier.start(manual_input(gated_copier.create_classifier()))
    second = gated_copier.start(manual_input(gated_copier.create_classifier()))
    first_request = _wait_for_approval_request(gated_copier, first)
    second_request = _wait_for_approval_request(gated_copier, second)
    source.client("events").put_events(Entries=[{
        "Source": "ml.pipeline", "DetailType": "Model Copy Approved",
        "Detail": json.dumps({**second_request, "taskToken": first_request["taskToken"],
                              "by": "mallory"})}])
    execution = gated_copier.wait_execution(first)
    assert execution["status"] == "FAILED"
    assert "answer does not match this copy" in execution["cause"]
    decide(gated_copier.source.client("stepfunctions"), second_request["taskToken"], True,
           "alice", None, second_request)
    assert gated_copier.wait_execution(second)["status"] == "SUCCEEDED"


__all__ = ["boto3"]
