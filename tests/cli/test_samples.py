"""Every sample in events/ that starts something is used as written on the local cloud.

The samples name the classifier support-tickets, version v3, of account 111111111111; the
test trains it first (the README says so). The README's start-execution block ("Without the
command") runs as written with the AWS CLI, after sourcing the cloud's env as a user does.
The event samples of the contract itself
(Model Version Shared / Imported / Import Failed) are used as written by
tests/unit/test_contract.py.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.conftest import wait_until
from tests.support.comprehend import create_classifier

REPO_ROOT = Path(__file__).resolve().parents[2]
EVENTS = REPO_ROOT / "events"
SAMPLE_MODEL = (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/"
                "support-tickets/version/v3")


def sample(name: str) -> str:
    return (EVENTS / name).read_text()


@pytest.fixture(scope="module")
def deployed(local_cloud) -> pipeline.Pipeline:
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.5, import_s=0.5)
    deployed = pipeline.deploy_pipeline(local_cloud)
    source = boto3.Session(profile_name="source", region_name=REGION)
    comprehend = source.client("comprehend")
    try:
        comprehend.describe_document_classifier(DocumentClassifierArn=SAMPLE_MODEL)
    except comprehend.exceptions.ResourceNotFoundException:
        create_classifier(source, "support-tickets", "v3")
    wait_until(lambda: comprehend.describe_document_classifier(
        DocumentClassifierArn=SAMPLE_MODEL)["DocumentClassifierProperties"]["Status"]
        == "TRAINED")
    return deployed


def _sfn() -> Any:
    return boto3.Session(profile_name="source", region_name=REGION).client("stepfunctions")


def _finished(execution_arn: str) -> dict[str, Any]:
    return wait_until(lambda: (e := _sfn().describe_execution(executionArn=execution_arn))[
        "status"] != "RUNNING" and e, timeout=90)


def _copy_in_b(name: str, version: str) -> dict[str, Any]:
    comprehend = boto3.Session(profile_name="target", region_name=REGION).client("comprehend")
    return dict(comprehend.describe_document_classifier(DocumentClassifierArn=(
        f"arn:aws:comprehend:{REGION}:{TARGET_ACCOUNT}:document-classifier/{name}/version/"
        f"{version}"))["DocumentClassifierProperties"])


def _assert_copied_to_b(execution: dict[str, Any]) -> None:
    """The manual sample's copy: the execution succeeded and B has the trained copy."""
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    copy = _copy_in_b("support-tickets", "v3-from-111111111111")
    assert copy["Status"] == "TRAINED" and copy["SourceModelArn"] == SAMPLE_MODEL


@pytest.mark.slow
def test_the_manual_input_sample_as_written_copies(deployed):
    execution = _finished(_sfn().start_execution(
        stateMachineArn=deployed.state_machine_arn, name=f"sample-manual-{time.time_ns()}",
        input=sample("start-execution-manual.json"))["executionArn"])
    _assert_copied_to_b(execution)


def readme_start_execution_block() -> str:
    section = (REPO_ROOT / "README.md").read_text().split("Without the command", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the section has a bash block"
    return block.group(1)


@pytest.mark.slow
def test_the_readme_start_execution_block_runs_as_written(deployed, local_cloud, tmp_path):
    # The user's shell: an empty HOME, the env file of the cloud, the AWS CLI it puts on PATH.
    script = f"set -e\nsource {shlex.quote(str(local_cloud.state_dir / 'env'))}\n" + \
        readme_start_execution_block()
    env = {"HOME": str(tmp_path), "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": os.environ.get("LANG", "C.UTF-8")}
    done = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout)["executionArn"]
    assert started.startswith(deployed.state_machine_arn.replace(":stateMachine:",
                                                                 ":execution:") + ":")
    execution = _finished(started)
    _assert_copied_to_b(execution)


@pytest.mark.slow
def test_the_cloudtrail_sample_as_written_copies(deployed):
    execution = _finished(_sfn().start_execution(
        stateMachineArn=deployed.state_machine_arn, name=f"sample-trail-{time.time_ns()}",
        input=sample("cloudtrail-create-document-classifier.json"))["executionArn"])
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert _copy_in_b("support-tickets", "v3")["Status"] == "TRAINED"


@pytest.mark.slow
def test_the_copy_model_requested_sample_put_as_written_starts_a_copy(deployed):
    event = json.loads(sample("copy-model-requested.json"))
    since = time.time()
    events = boto3.Session(profile_name="source", region_name=REGION).client("events")
    answer = events.put_events(Entries=[{
        "Source": event["source"], "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]), "Resources": event["resources"],
        "EventBusName": "default"}])
    assert answer["FailedEntryCount"] == 0

    def started() -> str | None:
        for execution in _sfn().list_executions(
                stateMachineArn=deployed.state_machine_arn)["executions"]:
            if execution["startDate"].timestamp() >= since - 1:
                described = _sfn().describe_execution(executionArn=execution["executionArn"])
                if "Copy Model Requested" in described["input"]:
                    return str(execution["executionArn"])
        return None

    execution = _finished(wait_until(started, timeout=30))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
