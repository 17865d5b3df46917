"""`model-copy copy --dry-run`, `approve`, `reject` and `rollback` as a user drives them."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest
from model_copy.approval import pending_approval_tokens

from local_cloud import launcher, pipeline
from local_cloud.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli.main import main
from model_copy_cli.progress import Stage, reduce_history
from tests.conftest import wait_until


def _entered(event_id: int, name: str, account: str) -> dict[str, Any]:
    return {"id": event_id, "type": "TaskStateEntered", "previousEventId": event_id - 1,
            "stateEnteredEventDetails": {"name": name, "input": json.dumps(
                {"target": {"account": account}})}}


def test_a_target_waiting_for_approval_says_how_to_answer():
    progress = reduce_history([
        {"id": 1, "type": "ExecutionStarted", "executionStartedEventDetails": {"input": json.dumps(
            {"sourceModelArn": "arn", "targetAccounts": [TARGET_ACCOUNT]})}},
        _entered(2, "AwaitApproval", TARGET_ACCOUNT),
        {"id": 3, "type": "TaskSubmitted", "previousEventId": 2},
    ])
    target = progress.targets[TARGET_ACCOUNT]
    assert target.stage is Stage.AWAITING_APPROVAL, "a submitted approval task is not a delivery"
    assert f"model-copy approve|reject EXECUTION --target {TARGET_ACCOUNT}" in target.label


@pytest.mark.parametrize(("argv", "message"), [
    (["rollback", "--account", "12345", "--model", "news"], "is not a 12-digit AWS account id"),
    (["rollback", "--account", TARGET_ACCOUNT, "--model", "bad_name"], "not a valid Comprehend"),
])
def test_bad_rollback_arguments_exit_2_before_any_aws_call(no_aws, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_approve_needs_a_target(no_aws, capsys):
    assert main(["approve", "some-execution"]) == 2
    assert "--target" in capsys.readouterr().err


# --- on the local cloud -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def gated(local_cloud):
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.5, import_s=0.5)
    yield pipeline.deploy_pipeline(local_cloud, source_overrides={
        "ApprovalRequiredAccountIds": TARGET_ACCOUNT, "ApprovalTimeoutSeconds": "60"})
    pipeline.deploy_pipeline(local_cloud)


@pytest.fixture
def cli_cloud(local_cloud, gated, monkeypatch) -> launcher.LocalCloud:
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(local_cloud.state_dir))
    return local_cloud


def _trained_classifier(name: str | None = None, version: str = "v1") -> str:
    comprehend = boto3.Session(profile_name="source", region_name="us-east-1").client(
        "comprehend")
    arn = str(comprehend.create_document_classifier(
        DocumentClassifierName=name or f"cli-{uuid.uuid4().hex[:8]}", VersionName=version,
        LanguageCode="en", DataAccessRoleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/data",
        InputDataConfig={"S3Uri": "s3://made-up/train.csv"})["DocumentClassifierArn"])
    wait_until(lambda: comprehend.describe_document_classifier(DocumentClassifierArn=arn)[
        "DocumentClassifierProperties"]["Status"] == "TRAINED")
    return arn


def _start(arn: str, capsys) -> str:
    assert main(["copy", arn, "--to", TARGET_ACCOUNT, "--no-wait", "--json"]) == 0
    execution_arn = json.loads(capsys.readouterr().out)["executionArn"]
    sfn = boto3.Session(profile_name="source", region_name="us-east-1").client("stepfunctions")
    wait_until(lambda: pending_approval_tokens(sfn.get_execution_history(
        executionArn=execution_arn, maxResults=1000)["events"]).get(TARGET_ACCOUNT))
    return str(execution_arn)


def _finished(execution_arn: str) -> dict[str, Any]:
    sfn = boto3.Session(profile_name="source", region_name="us-east-1").client("stepfunctions")
    return wait_until(lambda: (e := sfn.describe_execution(executionArn=execution_arn))[
        "status"] != "RUNNING" and e, timeout=60)


def test_dry_run_prints_the_plan_and_changes_nothing(cli_cloud, capsys):
    arn = _trained_classifier()
    assert main(["copy", arn, "--to", TARGET_ACCOUNT, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "every check passed; nothing was shared" in out
    assert f"{TARGET_ACCOUNT}: would import as" in out and "after an approval" in out
    comprehend = boto3.Session(profile_name="source", region_name="us-east-1").client(
        "comprehend")
    with pytest.raises(comprehend.exceptions.ClientError):
        comprehend.describe_resource_policy(ResourceArn=arn)


def test_dry_run_of_a_missing_model_exits_2_with_the_reason(cli_cloud, capsys):
    missing = f"arn:aws:comprehend:us-east-1:{SOURCE_ACCOUNT}:document-classifier/gone/version/v1"
    assert main(["copy", missing, "--to", TARGET_ACCOUNT, "--dry-run"]) == 2
    assert "SourceModelNotFound" in capsys.readouterr().err


def test_approve_lets_the_copy_finish_and_status_shows_who(cli_cloud, capsys):
    execution_arn = _start(_trained_classifier(), capsys)
    name = execution_arn.rsplit(":", 1)[-1]
    assert main(["approve", name, "--target", TARGET_ACCOUNT, "--reason", "QA passed"]) == 0
    assert f"approved the copy to {TARGET_ACCOUNT}" in capsys.readouterr().out
    assert _finished(execution_arn)["status"] == "SUCCEEDED"
    assert main(["status", name]) == 0
    out = capsys.readouterr().out
    assert "approved by arn:aws:sts::111111111111:assumed-role/" in out and "QA passed" in out


def test_reject_stops_the_copy_with_the_reason(cli_cloud, capsys):
    execution_arn = _start(_trained_classifier(), capsys)
    name = execution_arn.rsplit(":", 1)[-1]
    assert main(["reject", name, "--target", TARGET_ACCOUNT, "--reason", "bad metrics"]) == 0
    finished = _finished(execution_arn)
    assert finished["status"] == "FAILED" and "bad metrics" in finished["cause"]
    capsys.readouterr()
    assert main(["approve", name, "--target", TARGET_ACCOUNT]) == 1
    assert f"no approval is waiting for account {TARGET_ACCOUNT}" in capsys.readouterr().err


def test_rollback_returns_to_the_previous_version_then_refuses(cli_cloud, capsys):
    name = f"rb-{uuid.uuid4().hex[:6]}"
    copies = []
    for version in ("v1", "v2"):
        execution_arn = _start(_trained_classifier(name, version), capsys)
        assert main(["approve", execution_arn, "--target", TARGET_ACCOUNT]) == 0
        capsys.readouterr()
        assert _finished(execution_arn)["status"] == "SUCCEEDED"
        copies.append(f"arn:aws:comprehend:us-east-1:{TARGET_ACCOUNT}:document-classifier/"
                      f"{name}/version/{version}")
    capsys.readouterr()
    assert main(["rollback", "--account", TARGET_ACCOUNT, "--model", name, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["previous"], result["current"]) == (copies[1], copies[0])
    assert main(["rollback", "--account", TARGET_ACCOUNT, "--model", name]) == 1
    assert "no earlier one to roll back to" in capsys.readouterr().err
