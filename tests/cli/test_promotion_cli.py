"""`model-copy copy --dry-run`, `approve`, `reject` and `rollback` as a user drives them."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from model_copy.approval import pending_approval_tokens
from model_copy.promotion import current_version

from local_cloud.cloudformation import pipeline
from local_cloud.core import launcher
from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli.copy import summarize
from model_copy_cli.main import main
from model_copy_cli.progress import Stage, describe_failure, reduce_history
from model_copy_cli.report import history_row
from tests.conftest import wait_until
from tests.support import new_name
from tests.support.comprehend import trained_classifier
from tests.support.deployments import redeployed
from tests.support.history import History


def _started(account: str) -> History:
    history = History()
    history.add("ExecutionStarted", executionStartedEventDetails={"input": json.dumps(
        {"sourceModelArn": "arn", "targetAccounts": [account]})})
    return history


def _gated_history(account: str) -> History:
    history = _started(account)
    history.entered("AwaitApproval", at=1, input=json.dumps({"target": {"account": account}}))
    return history


def _target_end(history: History, name: str, output: dict[str, Any]) -> None:
    history.exited(name, at=2, output=json.dumps(output))


def test_a_target_waiting_for_approval_says_how_to_answer():
    history = _gated_history(TARGET_ACCOUNT)
    history.add("TaskSubmitted", at=1.1)
    progress = reduce_history(history.events)
    target = progress.targets[TARGET_ACCOUNT]
    assert target.stage is Stage.AWAITING_APPROVAL, "a submitted approval task is not a delivery"
    assert f"model-copy approve|reject EXECUTION --target {TARGET_ACCOUNT}" in target.label


def test_a_rejected_target_fails_and_names_who_rejected_it_and_why():
    decision = {"decision": "REJECTED", "by": "arn:aws:sts::111111111111:assumed-role/qa/ann",
                "at": "2026-11-25T08:00:00+00:00", "reason": "bad metrics"}
    history = _gated_history(TARGET_ACCOUNT)
    _target_end(history, "TargetRejected", {"account": TARGET_ACCOUNT, "status": "FAILED",
                                            "error": "ModelCopyRejected",
                                            "cause": json.dumps(decision)})
    target = reduce_history(history.events).targets[TARGET_ACCOUNT]
    assert target.stage is Stage.FAILED and target.approval == decision
    assert target.label == ("failed: rejected by arn:aws:sts::111111111111:assumed-role/qa/ann "
                            "at 2026-11-25T08:00:00+00:00: bad metrics")


def test_an_approved_target_keeps_the_decision_and_an_ungated_one_has_none():
    approved = {"decision": "APPROVED", "by": "arn:me", "at": "now", "reason": None}
    history = _gated_history(TARGET_ACCOUNT)
    _target_end(history, "TargetSucceeded", {"account": TARGET_ACCOUNT, "status": "TRAINED",
                                             "targetModelArn": "arn:copy", "approval": approved})
    assert reduce_history(history.events).targets[TARGET_ACCOUNT].approval == approved
    history = _started(TARGET_ACCOUNT)
    history.iteration(TARGET_ACCOUNT, at=1)
    _target_end(history, "TargetSucceeded", {"account": TARGET_ACCOUNT, "status": "TRAINED",
                                             "approval": {"decision": "NOT_REQUIRED"}})
    target = reduce_history(history.events).targets[TARGET_ACCOUNT]
    assert target.stage is Stage.TRAINED and target.approval is None


def test_a_lambda_error_document_is_reduced_to_its_message():
    cause = json.dumps({"errorMessage": "account 3 is not a target", "errorType": "X",
                        "stackTrace": ["  File ..."]})
    assert describe_failure("InvalidCopyRequest", cause) == (
        "InvalidCopyRequest: account 3 is not a target")
    assert describe_failure("CopyFailed", "plain words") == "CopyFailed: plain words"


def test_a_timed_out_approval_fails_the_target_with_its_reason():
    history = _gated_history(TARGET_ACCOUNT)
    _target_end(history, "ApprovalTimedOut", {
        "account": TARGET_ACCOUNT, "status": "FAILED", "error": "ApprovalTimedOut",
        "cause": f"nobody approved the copy to account {TARGET_ACCOUNT} within 30 s"})
    target = reduce_history(history.events).targets[TARGET_ACCOUNT]
    assert target.stage is Stage.FAILED and target.error == "ApprovalTimedOut"
    assert "nobody approved" in target.label and target.approval is None


def test_history_marks_a_dry_run_as_planned_not_copied():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    row = summarize({"name": "cli-x", "status": "SUCCEEDED", "startDate": at, "stopDate": at,
                     "input": json.dumps({"sourceModelArn": "arn:m",
                                          "targetAccounts": [TARGET_ACCOUNT], "dryRun": True}),
                     "output": json.dumps({"dryRun": True, "sourceModelArn": "arn:m",
                                           "targets": [{"account": TARGET_ACCOUNT}]})})
    assert row["dryRun"] is True
    assert row["targets"][0]["status"] == "PLANNED"
    assert history_row(row).endswith(f"-> {TARGET_ACCOUNT}=PLANNED  (dry run: nothing copied)")


@pytest.mark.parametrize(("argv", "message"), [
    (["rollback", "--account", "12345", "--model", "news"], "is not a 12-digit AWS account id"),
    (["rollback", "--account", TARGET_ACCOUNT, "--model", "bad_name"], "not a valid Comprehend"),
    (["rollback", "--account", TARGET_ACCOUNT], "--model"),
    (["rollback", "--model", "news", "--account", TARGET_ACCOUNT, "--cloud", "moon"], "--cloud"),
    (["approve", "some-execution", "--target", "2222"], "is not a 12-digit AWS account id"),
    (["reject", "some-execution", "--target", "x" * 12], "is not a 12-digit AWS account id"),
    (["reject", "--target", TARGET_ACCOUNT], "EXECUTION_ARN_OR_NAME"),
])
def test_bad_promotion_arguments_exit_2_before_any_aws_call(no_aws, capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_approve_needs_a_target(no_aws, capsys):
    assert main(["approve", "some-execution"]) == 2
    assert "--target" in capsys.readouterr().err


# --- on the local cloud -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def gated(local_cloud):
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.5, import_s=0.5)
    with redeployed(local_cloud, source={"ApprovalRequiredAccountIds": TARGET_ACCOUNT,
                                         "ApprovalTimeoutSeconds": "30"}) as stacks:
        yield stacks


@pytest.fixture
def cli_cloud(local_cloud, gated, monkeypatch) -> launcher.LocalCloud:
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(local_cloud.state_dir))
    return local_cloud


def _trained_classifier(name: str | None = None, version: str = "v1") -> str:
    return trained_classifier(boto3.Session(profile_name="source", region_name="us-east-1"),
                              name or new_name("cli"), version)


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
    assert f"{TARGET_ACCOUNT}: would import as" in out and "waits for an approval" in out
    assert "execution arn:aws:states:" in out
    comprehend = boto3.Session(profile_name="source", region_name="us-east-1").client(
        "comprehend")
    try:
        policy = comprehend.describe_resource_policy(ResourceArn=arn).get("ResourcePolicy")
    except comprehend.exceptions.ClientError:
        policy = None
    assert not policy or not json.loads(policy).get("Statement"), "a dry run shared the model"


def test_dry_run_json_is_the_plan(cli_cloud, capsys):
    arn = _trained_classifier()
    assert main(["copy", arn, "--to", TARGET_ACCOUNT, "--name", "renamed", "--dry-run",
                 "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["dryRun"] is True and plan["sourceModelArn"] == arn
    assert plan["modelStatus"] == "TRAINED"
    [target] = plan["targets"]
    assert target["account"] == TARGET_ACCOUNT and target["targetModelName"] == "renamed"
    assert target["targetVersionName"] == "v1" and target["approvalRequired"] is True
    assert target["principal"].startswith(f"arn:aws:iam::{TARGET_ACCOUNT}:")


def test_dry_run_to_an_account_the_stack_does_not_serve_exits_2(cli_cloud, capsys):
    arn = _trained_classifier()
    assert main(["copy", arn, "--to", "333333333333", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "InvalidCopyRequest: account 333333333333 is not a target" in err
    assert "stackTrace" not in err, "the Lambda's error document is not a reason"


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
    assert main(["status", name]) == 0
    assert f"{TARGET_ACCOUNT}  waiting for approval" in capsys.readouterr().out
    assert main(["reject", name, "--target", TARGET_ACCOUNT, "--reason", "bad metrics"]) == 0
    assert f"rejected the copy to {TARGET_ACCOUNT}" in capsys.readouterr().out
    finished = _finished(execution_arn)
    assert finished["status"] == "FAILED" and "bad metrics" in finished["cause"]
    assert main(["status", name]) == 1  # a FAILED copy
    out = capsys.readouterr().out
    assert "copy FAILED" in out and "FAILED  rejected by arn:aws:sts::111111111111:" in out
    assert out.rstrip().endswith("bad metrics")
    assert main(["approve", name, "--target", TARGET_ACCOUNT]) == 1
    assert (f"no approval is waiting for account {TARGET_ACCOUNT} in execution {name}; "
            "pending: none") in capsys.readouterr().err


def test_following_a_copy_that_gets_rejected_exits_1(cli_cloud, capsys):
    arn = _trained_classifier()
    sfn = boto3.Session(profile_name="source", region_name="us-east-1").client("stepfunctions")
    state_machine = pipeline.deployed_pipeline(cli_cloud).state_machine_arn
    problems: list[BaseException] = []

    def waiting_copy() -> str | None:
        for listed in sfn.list_executions(stateMachineArn=state_machine)["executions"]:
            events = sfn.get_execution_history(executionArn=listed["executionArn"],
                                               maxResults=1000)["events"]
            if listed["status"] == "RUNNING" and (
                    TARGET_ACCOUNT in pending_approval_tokens(events)):
                return str(listed["executionArn"])
        return None

    def reject_when_asked() -> None:
        # A second user rejects while the first one follows the copy with `model-copy copy`.
        try:
            assert main(["reject", wait_until(waiting_copy), "--target", TARGET_ACCOUNT,
                         "--reason", "drift found"]) == 0
        except BaseException as problem:  # the thread would swallow it: the test reports it
            problems.append(problem)

    rejecter = threading.Thread(target=reject_when_asked)
    rejecter.start()
    try:
        code = main(["copy", arn, "--to", TARGET_ACCOUNT, "--poll-seconds", "0.2"])
    finally:
        rejecter.join(timeout=60)
    assert not problems, problems
    out = capsys.readouterr().out
    assert code == 1
    assert f"{TARGET_ACCOUNT}  waiting for approval" in out
    assert "copy FAILED" in out and "rejected by" in out and "drift found" in out


def test_approve_a_target_that_is_not_waiting_names_the_ones_that_are(cli_cloud, capsys):
    execution_arn = _start(_trained_classifier(), capsys)
    name = execution_arn.rsplit(":", 1)[-1]
    try:
        assert main(["approve", name, "--target", "333333333333"]) == 1
        assert (f"no approval is waiting for account 333333333333 in execution {name}; "
                f"pending: {TARGET_ACCOUNT}") in capsys.readouterr().err
    finally:
        assert main(["reject", name, "--target", TARGET_ACCOUNT]) == 0
    _finished(execution_arn)


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
    ssm = boto3.Session(profile_name="target", region_name="us-east-1").client("ssm")
    assert current_version(ssm, name) == copies[0], "consumers still read v2"
    assert main(["rollback", "--account", TARGET_ACCOUNT, "--model", name]) == 1
    assert "no earlier one to roll back to" in capsys.readouterr().err


def test_rollback_of_a_model_never_promoted_exits_1(cli_cloud, capsys):
    assert main(["rollback", "--account", TARGET_ACCOUNT, "--model", "never-copied"]) == 1
    assert "never-copied has never been promoted in this account" in capsys.readouterr().err


def test_rollback_refuses_credentials_of_another_account(cli_cloud, capsys):
    assert main(["rollback", "--account", TARGET_ACCOUNT, "--model", "news",
                 "--profile", "source"]) == 2
    assert (f"these credentials act in account {SOURCE_ACCOUNT}, not {TARGET_ACCOUNT}"
            in capsys.readouterr().err)
