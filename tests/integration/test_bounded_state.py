"""Bounded state on the local cloud: with the largest settings the template allows, every
state's payload stays far below Step Functions' 256 KiB limit (issue 14 item 8)."""

from __future__ import annotations

import json

import pytest

from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.deployments import redeployed
from tests.support.history import state

PAYLOAD_LIMIT = 256 * 1024  # bytes of UTF-8; the local Step Functions fails a state beyond it
LARGEST = {"TrainingPollFirstSeconds": "1", "TrainingPollMaxSeconds": "1",
           "TrainingWaitMaxSeconds": "31536000", "ImportTimeoutSeconds": "604800",
           "ApprovalTimeoutSeconds": "31536000"}


@pytest.fixture(scope="module")
def largest(local_cloud, deployed):
    with redeployed(local_cloud, source=LARGEST) as stacks:
        yield stacks


def _payloads(history: list[dict]) -> list[tuple[str, int]]:
    sizes = []
    for event in history:
        for key, details in event.items():
            if not key.endswith("EventDetails") or not isinstance(details, dict):
                continue
            for field in ("input", "output"):
                if isinstance(details.get(field), str):
                    sizes.append((f"{event['type']} {details.get('name', '')}",
                                  len(details[field].encode("utf-8"))))
    return sizes


@pytest.mark.fault
def test_largest_settings_keep_every_state_payload_bounded(largest, source, target,
                                                          local_cloud):
    """Largest allowed polling/wait settings, 63-character names: every payload < 256 KiB."""
    copier = Copier(source=source, target=target, pipeline=largest)
    name, version = "m" * 63, "v" * 62 + "1"
    local_cloud.control("comprehend", "configure", models={name: {"training_s": 8}})
    arn = copier.create_classifier(name=name, version=version)
    execution = copier.wait_execution(copier.start(manual_input(
        arn, targetModelName="t" * 63, targetVersionName="w" * 63)), timeout=120)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    history = source.client("stepfunctions").get_execution_history(
        executionArn=execution["executionArn"], maxResults=1000)["events"]
    waits = [e for e in history if e.get("stateEnteredEventDetails", {}).get("name")
             == state("WaitForTraining")]
    assert len(waits) >= 2, "the training was polled"
    sizes = _payloads(history)
    assert sizes and max(size for _, size in sizes) < 16 * 1024, max(sizes, key=lambda s: s[1])
    [result] = json.loads(execution["output"])["results"]
    assert result["account"] == TARGET_ACCOUNT and result["status"] == "TRAINED"
