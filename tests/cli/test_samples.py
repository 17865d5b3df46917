"""Every sample in events/ that starts something is used as written on the local cloud.

The samples name the classifier support-tickets, version v3, of account 111111111111; the
test trains it first (the README says so). The event samples of the contract itself
(Model Version Shared / Imported / Import Failed) are used as written by
tests/unit/test_contract.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.conftest import wait_until

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLE_MODEL = (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/"
                "support-tickets/version/v3")


def sample(name: str) -> str:
    return (EVENTS / name).read_text()


@pytest.fixture(scope="module")
def deployed(local_cloud) -> pipeline.Pipeline:
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.5, import_s=0.5)
    deployed = pipeline.deploy_pipeline(local_cloud)
    comprehend = boto3.Session(profile_name="source", region_name=REGION).client("comprehend")
    try:
        comprehend.describe_document_classifier(DocumentClassifierArn=SAMPLE_MODEL)
    except comprehend.exceptions.ResourceNotFoundException:
        comprehend.create_document_classifier(
            DocumentClassifierName="support-tickets", VersionName="v3", LanguageCode="en",
            DataAccessRoleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/comprehend-data-access",
            InputDataConfig={"S3Uri": "s3://example-training-data/train.csv"})
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


@pytest.mark.slow
def test_the_manual_input_sample_as_written_copies(deployed):
    execution = _finished(_sfn().start_execution(
        stateMachineArn=deployed.state_machine_arn, name=f"sample-manual-{time.time_ns()}",
        input=sample("start-execution-manual.json"))["executionArn"])
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    copy = _copy_in_b("support-tickets", "v3-from-111111111111")
    assert copy["Status"] == "TRAINED" and copy["SourceModelArn"] == SAMPLE_MODEL


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
