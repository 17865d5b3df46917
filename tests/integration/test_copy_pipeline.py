"""The whole copy, A to B, on the local cloud: the template's ASL, rules and real handlers."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from local_cloud.cloudformation import pipeline
from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.comprehend import comprehend_calls, create_classifier, imports
from tests.support.deployments import redeployed


def test_manual_start_copies_a_classifier_to_the_target(copier: Copier, local_cloud):
    arn = copier.create_classifier()
    before = imports(local_cloud)
    execution = copier.wait_execution(copier.start(manual_input(arn)))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    [result] = output["results"]
    assert result["account"] == TARGET_ACCOUNT and result["status"] == "TRAINED"
    copy = copier.target.client("comprehend").describe_document_classifier(
        DocumentClassifierArn=result["targetModelArn"])["DocumentClassifierProperties"]
    assert copy["Status"] == "TRAINED" and copy["SourceModelArn"] == arn
    assert imports(local_cloud) - before == 1


FOREIGN_STATEMENT = {"Sid": "SomebodyElse", "Effect": "Allow",
                     "Action": "comprehend:ImportModel",
                     "Principal": {"AWS": "arn:aws:iam::444444444444:root"}, "Resource": "*"}


def _copy_with_a_foreign_statement(copier: Copier) -> list[dict]:
    """Copy a model whose policy already has someone else's statement; the policy after."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    comprehend = copier.source.client("comprehend")
    comprehend.put_resource_policy(ResourceArn=arn, ResourcePolicy=json.dumps(
        {"Version": "2012-10-17", "Statement": [FOREIGN_STATEMENT]}))
    execution = copier.wait_execution(copier.start(manual_input(arn)))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    policy = comprehend.describe_resource_policy(ResourceArn=arn)["ResourcePolicy"]
    return list(json.loads(policy)["Statement"])


def test_sharing_keeps_other_statements_of_the_policy(copier: Copier):
    statements = _copy_with_a_foreign_statement(copier)
    sids = [s["Sid"] for s in statements]
    assert FOREIGN_STATEMENT in statements
    assert [s for s in sids if s.startswith(f"ModelCopy{TARGET_ACCOUNT}")] == [sids[-1]]


def test_copy_model_requested_event_starts_a_copy(copier: Copier, source):
    arn = copier.create_classifier()
    started = time.time()
    source.client("events").put_events(Entries=[{
        "Source": "ml.pipeline", "DetailType": "Copy Model Requested",
        "Detail": json.dumps(manual_input(arn, targetModelName="requested-copy"))}])
    execution = copier.wait_for(lambda: [e for e in copier.executions_since(started)
                                         if arn in _input_of(copier, e)])
    finished = copier.wait_execution(execution[0]["executionArn"])
    assert finished["status"] == "SUCCEEDED", finished.get("cause")
    [result] = json.loads(finished["output"])["results"]
    assert "/requested-copy/" in result["targetModelArn"]


def test_new_tagged_model_is_copied_when_training_ends(copier: Copier):
    started = time.time()
    arn = copier.create_classifier(tags=[{"Key": "model-copy:targets", "Value": TARGET_ACCOUNT}])
    execution = copier.wait_for(lambda: [e for e in copier.executions_since(started)
                                         if arn in _input_of(copier, e)])
    finished = copier.wait_execution(execution[0]["executionArn"])
    assert finished["status"] == "SUCCEEDED", finished.get("cause")
    assert json.loads(finished["output"])["trigger"] == "model-created"


def test_without_a_logging_trail_a_tagged_model_is_not_copied(copier: Copier):
    """CloudTrail's create events reach EventBridge only while a trail logs: no trail, no copy."""
    cloudtrail = copier.source.client("cloudtrail")
    started = time.time()
    cloudtrail.stop_logging(Name=pipeline.SOURCE_TRAIL)
    try:
        arn = copier.create_classifier(
            tags=[{"Key": "model-copy:targets", "Value": TARGET_ACCOUNT}])
        copier.wait_trained(arn)
        time.sleep(1)
    finally:
        cloudtrail.start_logging(Name=pipeline.SOURCE_TRAIL)
    assert not [e for e in copier.executions_since(started) if arn in _input_of(copier, e)]


def test_a_failed_tagged_create_starts_nothing(copier: Copier, local_cloud):
    """CloudTrail records failed calls too (errorCode, responseElements null): not a new model."""
    name = f"failed-{uuid.uuid4().hex[:8]}"
    started = time.time()
    with pytest.raises(ClientError, match="KmsKeyValidationException"):
        create_classifier(copier.source, name, ModelKmsKeyId="alias/no-such-key",
                          tags=[{"Key": "model-copy:targets", "Value": TARGET_ACCOUNT}])
    local_cloud.control("events", "wait_idle", timeout=30)
    time.sleep(1)
    assert not [e for e in copier.executions_since(started) if name in _input_of(copier, e)]


def test_untagged_model_is_not_copied(copier: Copier):
    started = time.time()
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    time.sleep(1)
    assert not [e for e in copier.executions_since(started) if arn in _input_of(copier, e)]


def _input_of(copier: Copier, execution: dict) -> str:
    return str(copier.source.client("stepfunctions").describe_execution(
        executionArn=execution["executionArn"]).get("input"))


@pytest.mark.fault
def test_malformed_input_fails_at_once_with_the_reason(copier: Copier, local_cloud):
    """Malformed input fails the execution at once, before any Comprehend call."""
    before = comprehend_calls(local_cloud, None)
    execution = copier.wait_execution(copier.start(
        {"sourceModelArn": "arn:aws:comprehend:us-east-1:111111111111:endpoint/x",
         "targetAccounts": ["222222222222"]}))
    assert execution["status"] == "FAILED"
    assert execution["error"] == "InvalidCopyRequest"
    assert "only document-classifier and entity-recognizer" in execution["cause"]
    assert comprehend_calls(local_cloud, None) == before


@pytest.mark.fault
def test_unknown_target_account_is_refused_before_sharing(copier: Copier):
    """A target account not configured is refused before sharing."""
    arn = copier.create_classifier()
    execution = copier.wait_execution(copier.start(
        {"sourceModelArn": arn, "targetAccounts": ["333333333333"]}))
    assert execution["status"] == "FAILED" and execution["error"] == "InvalidCopyRequest"
    assert "TargetAccountIds" in execution["cause"]


@pytest.mark.fault
def test_missing_model_fails_clearly(copier: Copier):
    """A missing source model fails the copy clearly."""
    missing = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/nope/version/v1"
    execution = copier.wait_execution(copier.start(manual_input(missing)))
    assert execution["status"] == "FAILED" and execution["error"] == "SourceModelNotFound"


@pytest.mark.fault
def test_source_model_in_error_fails_with_its_message(copier: Copier, local_cloud):
    """A source model IN_ERROR fails the copy with the model's message."""
    name = "broken-source"
    local_cloud.control("comprehend", "fail", model_name=name, message="bad training data")
    arn = copier.create_classifier(name=name)
    execution = copier.wait_execution(copier.start(manual_input(arn)))
    assert execution["status"] == "FAILED" and execution["error"] == "SourceModelNotTrained"
    assert "IN_ERROR" in execution["cause"] and "bad training data" in execution["cause"]


@pytest.mark.fault
def test_import_in_error_fails_the_copy_naming_the_target(copier: Copier, local_cloud):
    """An import ending IN_ERROR fails the copy naming the target and cause."""
    local_cloud.control("comprehend", "fail", model_name="broken-copy", message="disk on fire")
    arn = copier.create_classifier()
    execution = copier.wait_execution(copier.start(
        manual_input(arn, targetModelName="broken-copy")))
    assert execution["status"] == "FAILED" and execution["error"] == "CopyFailed"
    assert TARGET_ACCOUNT in execution["cause"] and "disk on fire" in execution["cause"]


@pytest.fixture
def revoking(local_cloud, deployed):
    """The source redeployed to remove each share statement once the target has imported."""
    with redeployed(local_cloud, source={"RevokeAfterImport": "true"}) as stacks:
        yield stacks


def test_revoke_after_import_removes_only_our_statement(revoking, copier: Copier):
    assert _copy_with_a_foreign_statement(copier) == [FOREIGN_STATEMENT]


def test_revoke_after_import_deletes_a_policy_that_held_only_ours(revoking, copier: Copier):
    """Issue 13 item 1: ours is the only statement; revoking must not write an empty policy."""
    arn = copier.create_classifier()
    execution = copier.wait_execution(copier.start(manual_input(arn)))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    comprehend = copier.source.client("comprehend")
    with pytest.raises(comprehend.exceptions.ResourceNotFoundException):
        comprehend.describe_resource_policy(ResourceArn=arn)


@pytest.fixture
def sharing_with_a_missing_role(local_cloud, deployed):
    """The source names an import role the target never deployed (as when the source stack is
    deployed first)."""
    with redeployed(local_cloud, source={"ImportRoleNamePrefix": "not-deployed"}) as stacks:
        yield stacks


def test_a_principal_that_does_not_exist_fails_with_the_fix(sharing_with_a_missing_role,
                                                            copier: Copier, local_cloud):
    """Issue 13 item 2: AWS's refusal and the fix, not "kept changing under us"."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    execution = copier.wait_execution(copier.start(manual_input(arn)))
    assert execution["status"] == "FAILED"
    cause = execution.get("cause", "")
    assert "not-deployed-" in cause and "deploy the target stack" in cause, cause
    assert "kept changing" not in cause


@pytest.mark.fault
def test_two_copies_to_one_account_with_revoke_both_succeed(revoking, copier: Copier,
                                                             local_cloud):
    """Two copies of one model to one account, revoke on, the second import held back by
    throttling until the first copy has revoked its share (issue 14 item 3)."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    # One ImportModel per 8 s in B: the second copy's import waits for a token while the first
    # copy imports, reports and revokes.
    local_cloud.control("comprehend", "configure", throttle_max_per_second=0.125,
                        throttle_operations=["ImportModel"])
    try:
        executions = [copier.start(manual_input(arn, targetModelName=name))
                      for name in ("first-copy", "second-copy")]
        results = [copier.wait_execution(e, timeout=120) for e in executions]
    finally:
        local_cloud.control("comprehend", "configure", throttle_max_per_second=None,
                            throttle_operations=None)
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"], [
        r.get("cause") for r in results]
    comprehend = copier.source.client("comprehend")
    with pytest.raises(comprehend.exceptions.ResourceNotFoundException):
        comprehend.describe_resource_policy(ResourceArn=arn)  # both statements revoked


@pytest.fixture
def impatient_target(local_cloud, deployed):
    """The target redeployed with the shortest import wait its template allows."""
    with redeployed(local_cloud, target={"ImportWaitMaxSeconds": "10"}) as stacks:
        yield stacks


def test_the_import_wait_is_the_target_parameter_and_its_failure_names_it(
        impatient_target, copier: Copier, local_cloud):
    """Issue 13 item 8: ImportWaitMaxSeconds reaches the import function (it used to stay 6 h
    whatever the template said) and the failure names the parameter users can set."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    name = f"slow-{int(time.time())}"
    local_cloud.control("comprehend", "configure", models={name: {"import_s": 60}})
    try:
        started = time.monotonic()
        execution = copier.wait_execution(
            copier.start(manual_input(arn, targetModelName=name)), timeout=100)
    finally:
        local_cloud.control("comprehend", "configure", models={name: None})
    assert execution["status"] == "FAILED"
    assert "ImportWaitMaxSeconds" in execution.get("cause", ""), execution.get("cause")
    assert time.monotonic() - started < 60, "the 10 s wait was not applied"
