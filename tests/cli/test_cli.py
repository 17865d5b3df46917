"""The `model-copy` command as a user drives it, and its progress reducer on recorded histories."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

from local_cloud.core import launcher
from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli import copy as copy_module
from model_copy_cli.main import main
from model_copy_cli.progress import Delivery, Stage, describe_failure, reduce_history
from tests.support.clouds import own_cli_environment
from tests.support.comprehend import create_classifier
from tests.support.history import ARN, T0, History

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = REPO_ROOT / ".venv" / "bin" / "model-copy"
OTHER = "333333333333"


# --- execution histories built on the real ASL's states (tests/support/history.py) ------

def test_histories_name_only_states_of_the_asl_with_their_types():
    """A state renamed or retyped in the ASL fails the progress tests that name it."""
    with pytest.raises(AssertionError, match="no state 'ShareWithTargets' in copy_model"):
        History().entered("ShareWithTargets", at=1)
    with pytest.raises(AssertionError, match="PassStateExited for ShareWithTarget, a Task"):
        History().add("PassStateExited", stateExitedEventDetails={"name": "ShareWithTarget"})
    with pytest.raises(AssertionError, match="no task calls 'describeClassifier'"):
        History().add("TaskSucceeded", taskSucceededEventDetails={
            "resource": "describeClassifier"})


def test_waiting_for_training_shows_the_models_status_for_every_target():
    history = History().started([TARGET_ACCOUNT, OTHER]).described("TRAINING", at=0.5)
    history.entered("WaitForTraining", at=0.6)
    progress = reduce_history(history.events)
    assert not progress.finished and not progress.succeeded
    assert set(progress.targets) == {TARGET_ACCOUNT, OTHER}
    for target in progress.targets.values():
        assert target.stage is Stage.WAITING_FOR_TRAINING and target.model_status == "TRAINING"
        assert "TRAINING" in target.label
    assert progress.source_model_arn == ARN


def test_interleaved_targets_are_told_apart_by_their_event_chain():
    history = History().started([TARGET_ACCOUNT, OTHER]).described("TRAINED", at=0.5)
    first = history.iteration(TARGET_ACCOUNT, at=1)
    second = history.iteration(OTHER, at=1.1)
    history.announced(TARGET_ACCOUNT, after=first, at=2)
    progress = reduce_history(history.events)
    assert progress.targets[TARGET_ACCOUNT].stage is Stage.SENT
    assert progress.targets[OTHER].stage is Stage.SHARING
    history.announced(OTHER, after=second, at=3)
    progress = reduce_history(history.events,
                              deliveries=[Delivery(OTHER, T0 + timedelta(seconds=4))])
    assert progress.targets[OTHER].stage is Stage.DELIVERED
    assert progress.targets[TARGET_ACCOUNT].stage is Stage.SENT
    assert progress.targets[OTHER].since == T0 + timedelta(seconds=4)
    assert progress.elapsed(progress.targets[OTHER].since) == 4.0


def test_one_failed_target_fails_the_copy_with_its_cause_and_keeps_the_other():
    history = History().started([TARGET_ACCOUNT, OTHER]).described("TRAINED", at=0.5)
    ok = history.announced(TARGET_ACCOUNT, after=history.iteration(TARGET_ACCOUNT, at=1), at=1)
    bad = history.announced(OTHER, after=history.iteration(OTHER, at=1), at=1)
    failed = history.add("TaskFailed", after=bad, at=5, taskFailedEventDetails={
        "error": "ModelImportFailed", "cause": f"account {OTHER}: IN_ERROR: disk on fire"})
    history.ended(failed, "TargetFailed", {"account": OTHER, "status": "FAILED",
                                           "error": "ModelImportFailed", "cause": None}, at=5.1)
    copy_arn = ARN.replace(SOURCE_ACCOUNT, TARGET_ACCOUNT)
    history.ended(ok, "TargetSucceeded", {"account": TARGET_ACCOUNT, "status": "TRAINED",
                                          "targetModelArn": copy_arn, "importSeconds": 3.5},
                  at=6)
    history.add("ExecutionFailed", at=7, executionFailedEventDetails={
        "error": "CopyFailed", "cause": "copy of ... failed for: [...]"})
    progress = reduce_history(history.events)
    assert progress.finished and not progress.succeeded
    assert progress.execution_status == "FAILED" and progress.elapsed() == 7.0
    trained, failed_target = progress.targets[TARGET_ACCOUNT], progress.targets[OTHER]
    assert trained.stage is Stage.TRAINED and trained.target_model_arn == copy_arn
    assert trained.import_seconds == 3.5
    # The Pass state lost the cause; the TaskFailed event before it still has it.
    assert failed_target.stage is Stage.FAILED and "disk on fire" in failed_target.label


def test_watching_shows_every_stage_even_when_one_poll_sees_them_all(monkeypatch):
    """A copy that ends between two polls still shows each stage it went through, in order."""
    history = History().started([TARGET_ACCOUNT]).described("TRAINED", at=0.5)
    announced = history.announced(TARGET_ACCOUNT, after=history.iteration(TARGET_ACCOUNT, 1), at=1)
    failed = history.add("TaskFailed", after=announced, at=2, taskFailedEventDetails={
        "error": "ModelImportFailed", "cause": f"account {TARGET_ACCOUNT}: IN_ERROR: disk on fire"})
    history.ended(failed, "TargetFailed", {"account": TARGET_ACCOUNT, "status": "FAILED",
                                           "error": "ModelImportFailed", "cause": None}, at=2.1)
    history.add("ExecutionFailed", at=3, executionFailedEventDetails={"error": "CopyFailed"})
    monkeypatch.setattr(copy_module, "history_events", lambda client, arn: history.events)
    no_aws = SimpleNamespace(client=lambda service: None)  # history_events is replaced
    pipe = copy_module.Pipeline(session=no_aws, local=True,
                                state_machine_arn=f"arn:aws:states:us-east-1:{SOURCE_ACCOUNT}"
                                                  ":stateMachine:x")
    seen: list[Stage] = []
    copy_module.watch(pipe, "arn:x", lambda progress, account: seen.append(
        progress.targets[account].stage), poll_seconds=0)
    assert seen[-1] is Stage.FAILED
    assert Stage.SHARING in seen and Stage.SENT in seen
    assert seen.index(Stage.SHARING) < seen.index(Stage.SENT) < seen.index(Stage.FAILED)


def test_a_target_that_never_answers_fails_with_the_timeout_reason():
    history = History().started([TARGET_ACCOUNT]).described("TRAINED", at=0.5)
    submitted = history.announced(TARGET_ACCOUNT, after=history.iteration(TARGET_ACCOUNT, 1), at=1)
    timed_out = history.add("TaskTimedOut", after=submitted, at=121, taskTimedOutEventDetails={
        "error": "States.Timeout"})
    history.ended(timed_out, "TargetDidNotAnswer", {
        "account": TARGET_ACCOUNT, "status": "FAILED", "error": "TargetDidNotAnswer",
        "cause": f"no outcome from account {TARGET_ACCOUNT} within 120 s: check that the "
                 "target side is deployed there"}, at=121)
    target = reduce_history(history.events).targets[TARGET_ACCOUNT]
    assert target.stage is Stage.FAILED and target.error == "TargetDidNotAnswer"
    assert "no outcome from account" in target.label


def test_source_model_in_error_fails_every_target_saying_so():
    history = History().started([TARGET_ACCOUNT]).described("IN_ERROR", at=0.5)
    history.add("ExecutionFailed", at=1, executionFailedEventDetails={
        "error": "SourceModelNotTrained", "cause": f"{ARN} is IN_ERROR: bad training data"})
    progress = reduce_history(history.events)
    target = progress.targets[TARGET_ACCOUNT]
    assert target.stage is Stage.FAILED
    assert target.label == "failed: model is IN_ERROR: bad training data"


def test_success_needs_the_execution_to_succeed_too():
    history = History().started([TARGET_ACCOUNT]).described("TRAINED", at=0.5)
    submitted = history.announced(TARGET_ACCOUNT, after=history.iteration(TARGET_ACCOUNT, 1), at=1)
    history.ended(submitted, "TargetSucceeded", {"account": TARGET_ACCOUNT, "status": "TRAINED",
                                                 "targetModelArn": "x", "importSeconds": 1},
                  at=3)
    assert not reduce_history(history.events).succeeded  # still RUNNING
    history.add("ExecutionSucceeded", at=3.5)
    assert reduce_history(history.events).succeeded
    aborted = History().started([TARGET_ACCOUNT])
    aborted.add("ExecutionAborted", at=2)
    progress = reduce_history(aborted.events)
    assert progress.execution_status == "ABORTED"
    assert progress.targets[TARGET_ACCOUNT].stage is Stage.FAILED


def test_timestamps_as_text_are_read_like_datetimes():
    history = History().started([TARGET_ACCOUNT])
    for event in history.events:
        event["timestamp"] = str(event["timestamp"])  # "2026-01-01 00:00:00+00:00"
    history.events[-1]["timestamp"] = "2026-01-01T00:00:02Z"
    assert reduce_history(history.events).elapsed(T0 + timedelta(seconds=2)) == 2.0


def test_describe_failure_without_details():
    assert describe_failure(None, None) == "no reason given"
    assert describe_failure("X", "y") == "X: y"


# --- argument validation: no AWS call, exit code 2 --------------------------------------------

@pytest.mark.parametrize(("argv", "message"), [
    (["copy", ARN.replace("comprehend", "comprehnd"), "--to", TARGET_ACCOUNT],
     "is not a Comprehend model ARN; expected arn:aws:comprehend:"),
    (["copy", ARN.replace("document-classifier", "endpoint"), "--to", TARGET_ACCOUNT],
     "only document-classifier and entity-recognizer"),
    (["copy", ARN, "--to", "22222222222"], "'22222222222' is not a 12-digit AWS account id"),
    (["copy", ARN, "--to", SOURCE_ACCOUNT], "is the account that owns the model"),
    (["copy", ARN, "--to", TARGET_ACCOUNT, "--to", TARGET_ACCOUNT], "names an account twice"),
    (["copy", ARN, "--to", TARGET_ACCOUNT, "--name", "bad_name"], "not a valid Comprehend name"),
])
def test_invalid_copy_arguments_exit_2_with_one_line(no_aws, capsys, argv, message):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("model-copy: error: ")


def test_help_says_what_the_command_does_and_what_its_exit_codes_mean(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert description == ("model-copy: copy trained Amazon Comprehend custom models between "
                           "AWS accounts.")
    assert "Exit codes: 0 done" in out and "130 interrupted" in out


def test_missing_target_is_a_usage_error(no_aws, capsys):
    assert main(["copy", ARN]) == 2
    assert "--to" in capsys.readouterr().err


def test_no_credentials_on_aws_says_what_to_do(tmp_path, monkeypatch, capsys):
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    (tmp_path / "empty").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert main(["copy", ARN, "--to", TARGET_ACCOUNT, "--cloud", "aws"]) == 1
    assert "no AWS credentials: run `aws configure` or pass --profile" in capsys.readouterr().err


def test_local_status_json_when_nothing_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(tmp_path / "none"))
    assert main(["local", "status", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["running"] is False and document["endpoint"] is None
    assert main(["copy", ARN, "--to", TARGET_ACCOUNT, "--cloud", "local"]) == 1
    assert "model-copy local up" in capsys.readouterr().err


# --- the local cloud --------------------------------------------------------------------------

# (fixtures deployed, on_local_cloud: tests/cli/conftest.py)

def _classifier(local_cloud: launcher.LocalCloud, name: str) -> str:
    return create_classifier(boto3.Session(profile_name="source", region_name="us-east-1"), name)


@pytest.mark.slow
def test_copy_a_classifier_on_the_local_cloud(on_local_cloud, capsys):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    arn = _classifier(on_local_cloud, name)
    code = main(["copy", arn, "--to", TARGET_ACCOUNT, "--json", "--poll-seconds", "0.2"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert code == 0, captured.err
    assert document["status"] == "SUCCEEDED" and document["succeeded"] is True
    [target] = document["targets"]
    assert target["account"] == TARGET_ACCOUNT and target["status"] == "TRAINED"
    assert target["targetModelArn"] == arn.replace(SOURCE_ACCOUNT, TARGET_ACCOUNT)
    assert target["importSeconds"] > 0 and document["elapsedSeconds"] > 0
    # Progress went to stderr, a line per change, ending TRAINED.
    lines = [line for line in captured.err.splitlines() if TARGET_ACCOUNT in line]
    assert "TRAINED" in lines[-1] and len(lines) >= 2

    assert main(["history", "--json", "--limit", "5"]) == 0
    copies = json.loads(capsys.readouterr().out)["copies"]
    assert copies[0]["sourceModelArn"] == arn and copies[0]["status"] == "SUCCEEDED"
    assert copies[0]["targets"][0]["targetModelArn"] == target["targetModelArn"]

    assert main(["status"]) == 0  # the latest copy, for people
    out = capsys.readouterr().out
    assert "SUCCEEDED" in out and target["targetModelArn"] in out


@pytest.mark.slow
def test_failed_import_exits_1_naming_the_target_and_cause(on_local_cloud, capsys):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    on_local_cloud.control("comprehend", "fail", model_name=f"{name}-copy",
                           message="disk on fire")
    arn = _classifier(on_local_cloud, name)
    code = main(["copy", arn, "--to", TARGET_ACCOUNT, "--name", f"{name}-copy",
                 "--poll-seconds", "0.2"])
    out = capsys.readouterr().out
    assert code == 1
    assert "copy FAILED" in out and f"{TARGET_ACCOUNT}  FAILED" in out
    assert "IN_ERROR: disk on fire" in out
    # One progress line per change, the last saying why.
    progress = [line for line in out.splitlines() if line.startswith("[")]
    assert "sent to the target's bus" in "\n".join(progress)
    assert progress[-1].endswith("disk on fire")


@pytest.mark.slow
def test_target_outside_the_stack_is_refused_with_the_fix(on_local_cloud, capsys):
    arn = _classifier(on_local_cloud, f"cli-{uuid.uuid4().hex[:8]}")
    assert main(["copy", arn, "--to", OTHER, "--poll-seconds", "0.2"]) == 2  # before starting
    err = capsys.readouterr().err
    assert "InvalidCopyRequest" in err and "TargetAccountIds" in err


@pytest.mark.slow
def test_local_up_twice_then_down_leaves_nothing_running(tmp_path):
    env = own_cli_environment(tmp_path / "lc")

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(CLI), *argv], env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    try:
        first = run("local", "up", "--json")
        assert first.returncode == 0, first.stderr
        state = json.loads(first.stdout)
        assert state["running"] and state["deployed"]
        assert state["stateMachineArn"].startswith(f"arn:aws:states:us-east-1:{SOURCE_ACCOUNT}:")
        again = run("local", "up")
        assert again.returncode == 0 and state["endpoint"] in again.stdout
        assert "AWS_CONFIG_FILE=" in again.stdout
        pid = json.loads((tmp_path / "lc" / "server.json").read_text())["pid"]
    finally:
        down = run("local", "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert json.loads(run("local", "status", "--json").stdout)["running"] is False


def test_cli_entry_point_runs_as_a_program():
    done = subprocess.run([sys.executable, "-m", "model_copy_cli.main", "copy", "nope",
                           "--to", TARGET_ACCOUNT], capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 2 and "is not a Comprehend model ARN" in done.stderr
