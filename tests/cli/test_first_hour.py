"""The mistakes a new user makes in the first hour: each exits with the right code and a
message that names the real cause (issue 15, "Why")."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core import launcher
from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli.main import main
from model_copy_cli.progress import Delivery, Stage, reduce_history
from tests.cli.test_cli import _classifier
from tests.support.history import ARN, T0, History

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = REPO_ROOT / ".venv" / "bin" / "model-copy"
OUTSIDER = "333333333333"


# --- without a cloud --------------------------------------------------------------------------

def test_json_errors_are_one_document_on_stdout(no_aws, capsys):
    assert main(["copy", "not-an-arn", "--to", TARGET_ACCOUNT, "--json"]) == 2
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["exitCode"] == 2 and "is not a Comprehend model ARN" in document["error"]
    assert "Traceback" not in captured.err


def test_progress_says_sent_until_the_delivery_log_holds_the_targets_import_started():
    history = History().started([TARGET_ACCOUNT, OUTSIDER])
    for account in (TARGET_ACCOUNT, OUTSIDER):
        history.announced(account, after=history.iteration(account, at=1.0), at=1.5)
    progress = reduce_history(history.events)
    target = progress.targets[TARGET_ACCOUNT]
    assert target.stage is Stage.SENT
    assert "sent to the target's bus" in target.label and "delivered" not in target.label
    # The target's Model Import Started, as the CLI found it in the source's delivery log.
    at = T0 + timedelta(seconds=3)
    progress = reduce_history(history.events, deliveries=[Delivery(TARGET_ACCOUNT, at)])
    target = progress.targets[TARGET_ACCOUNT]
    assert target.stage is Stage.DELIVERED and target.label.startswith("delivered")
    assert target.since == at
    assert progress.targets[OUTSIDER].stage is Stage.SENT  # its own event is not there yet


def test_a_delivery_never_moves_a_target_back_or_ahead_of_its_share():
    history = History().started([TARGET_ACCOUNT, OUTSIDER])
    done = history.announced(TARGET_ACCOUNT, after=history.iteration(TARGET_ACCOUNT, at=1),
                             at=1.5)
    history.ended(done, "TargetSucceeded", {"status": "TRAINED", "targetModelArn": "arn:x"},
                  at=4)
    history.iteration(OUTSIDER, at=1)  # still sharing: the share was not sent yet
    seen = [Delivery(TARGET_ACCOUNT, T0 + timedelta(seconds=3)),
            Delivery(OUTSIDER, T0 + timedelta(seconds=3)), Delivery("444444444444", None)]
    progress = reduce_history(history.events, deliveries=seen)
    assert progress.targets[TARGET_ACCOUNT].stage is Stage.TRAINED
    assert progress.targets[OUTSIDER].stage is Stage.SHARING
    assert "444444444444" not in progress.targets


def _aws_config(tmp_path: Path, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    config = tmp_path / "config"
    config.write_text(f"[profile a]\naws_access_key_id = x\naws_secret_access_key = y\n"
                      f"region = us-east-1\nendpoint_url = {endpoint}\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(tmp_path / "no-local-cloud"))


def test_a_profile_that_does_not_exist_is_named_without_a_traceback(tmp_path, monkeypatch,
                                                                     capsys):
    _aws_config(tmp_path, "http://127.0.0.1:9", monkeypatch)
    for argv in (["history", "--profile", "nosuch"],
                 ["copy", ARN, "--to", TARGET_ACCOUNT, "--profile", "nosuch"],
                 ["rollback", "--account", TARGET_ACCOUNT, "--model", "m", "--profile",
                  "nosuch"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "profile nosuch is not in your AWS config" in err, err
        assert "Traceback" not in err


@pytest.mark.parametrize("delay", [0.3, 2.0])
def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(tmp_path, delay):
    """Early (while Python imports) and late (while waiting for AWS)."""
    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    config = tmp_path / "config"
    config.write_text("[default]\naws_access_key_id = x\naws_secret_access_key = y\n"
                      "region = us-east-1\n")
    env.update({"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(config),
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
                "MODEL_COPY_LOCAL_DIR": str(tmp_path / "none")})
    process = subprocess.Popen([str(CLI), "history", "--cloud", "aws", "--json",
                                "--state-machine-arn",
                                f"arn:aws:states:us-east-1:{SOURCE_ACCOUNT}:stateMachine:x"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    silent.close()
    assert process.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert json.loads(out)["exitCode"] == 130


def test_local_up_on_a_port_in_use_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(tmp_path / "lc"))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["local", "up", "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err
    assert launcher.running(tmp_path / "lc") is None


# --- on the local cloud: checked before anything starts ---------------------------------------

# (fixtures deployed, on_local_cloud: tests/cli/conftest.py)

def _executions(deployed: pipeline.Pipeline) -> int:
    sfn = boto3.Session(profile_name="source", region_name="us-east-1").client("stepfunctions")
    return len(sfn.list_executions(stateMachineArn=deployed.state_machine_arn)["executions"])


def _refused(argv: list[str], deployed: pipeline.Pipeline, capsys) -> str:
    before = _executions(deployed)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert _executions(deployed) == before, "nothing may be started"
    assert "Traceback" not in captured.err
    return captured.err


def test_a_target_the_stack_does_not_serve_is_named_on_its_own_line(on_local_cloud, deployed,
                                                                     capsys):
    arn = _classifier(on_local_cloud, f"fh-{uuid.uuid4().hex[:8]}")
    err = _refused(["copy", arn, "--to", TARGET_ACCOUNT, "--to", OUTSIDER], deployed, capsys)
    assert f"account {OUTSIDER} is not a target of this source stack" in err
    assert f"account {TARGET_ACCOUNT} is not" not in err


def test_a_model_of_another_account_is_refused_before_starting(on_local_cloud, deployed,
                                                               capsys):
    other = ARN.replace(SOURCE_ACCOUNT, OUTSIDER)
    err = _refused(["copy", other, "--to", TARGET_ACCOUNT], deployed, capsys)
    assert f"the model belongs to account {OUTSIDER}" in err


def test_an_arn_in_another_region_is_named_as_such(on_local_cloud, deployed, capsys):
    arn = ARN.replace("us-east-1", "eu-west-1")
    err = _refused(["copy", arn, "--to", TARGET_ACCOUNT], deployed, capsys)
    assert "the model is in eu-west-1 but this pipeline runs in us-east-1" in err
    assert "State Machine Does Not Exist" not in err


def test_a_missing_model_is_refused_before_starting(on_local_cloud, deployed, capsys):
    missing = ARN.replace("/clf/", f"/nosuch-{uuid.uuid4().hex[:6]}/")
    err = _refused(["copy", missing, "--to", TARGET_ACCOUNT], deployed, capsys)
    assert "the source model does not exist" in err


def test_the_target_profile_is_named_as_the_wrong_account(on_local_cloud, deployed, capsys):
    arn = _classifier(on_local_cloud, f"fh-{uuid.uuid4().hex[:8]}")
    err = _refused(["copy", arn, "--to", TARGET_ACCOUNT, "--profile", "target"], deployed,
                   capsys)
    assert f"--profile target acts in account {TARGET_ACCOUNT}" in err
    assert f"source account {SOURCE_ACCOUNT}" in err
    assert "State Machine Does Not Exist" not in err and "deploy the source side" not in err


@pytest.mark.slow
def test_status_of_a_failed_copy_exits_1_with_a_short_cause(on_local_cloud, capsys):
    name = f"fh-{uuid.uuid4().hex[:8]}"
    on_local_cloud.control("comprehend", "fail", model_name=f"{name}-copy", message="disk full")
    arn = _classifier(on_local_cloud, name)
    assert main(["copy", arn, "--to", TARGET_ACCOUNT, "--name", f"{name}-copy", "--json",
                 "--poll-seconds", "0.2"]) == 1
    copied = json.loads(capsys.readouterr().out)
    assert main(["status", copied["executionArn"]]) == 1
    assert "disk full" in capsys.readouterr().out
    assert main(["status", copied["executionArn"], "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "FAILED"
    causes = [document["cause"], *(t["cause"] for t in document["progress"]["targets"])]
    for cause in causes:
        assert "stackTrace" not in (cause or "") and "Traceback" not in (cause or "")
        assert len(cause or "") < 400


def test_a_failed_rollback_in_json_is_still_one_document(on_local_cloud, capsys):
    assert main(["rollback", "--account", TARGET_ACCOUNT, "--model", "never-copied",
                 "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["exitCode"] == 1 and "never been promoted" in document["error"]


def test_history_says_a_redeploy_starts_a_new_history(on_local_cloud, capsys):
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "a redeploy that replaces the state machine" in out and "new history" in out
