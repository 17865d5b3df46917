"""Answers are checked on the local cloud: after each wait the answer must name the waiting
copy (source version, correlation id, target account, and the kind of answer that wait
expects); anything else fails that target and changes nothing else (issue 14 item 5)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input

pytestmark = pytest.mark.fault
MISMATCH = "answer does not match this copy"


SOURCE_BUS = "arn:aws:events:us-east-1:111111111111:event-bus/model-copy"


def waiting_detail(copier: Copier, execution_arn: str, detail_type: str) -> dict[str, Any]:
    """The detail (with task token) a running execution announced and now waits on."""
    def find() -> dict[str, Any] | None:
        events = copier.source.client("stepfunctions").get_execution_history(
            executionArn=execution_arn, maxResults=1000)["events"]
        for event in events:
            details = event.get("taskScheduledEventDetails") or {}
            for entry in json.loads(details.get("parameters") or "{}").get("Entries", []):
                if entry.get("DetailType") == detail_type:
                    detail = entry["Detail"]
                    return json.loads(detail) if isinstance(detail, str) else detail
        return None
    return copier.wait_for(find, timeout=30)


def put_outcome_from_target(target, detail_type: str, detail: dict[str, Any]) -> None:
    """What B (or anyone acting in B) can send to A: straight to A's bus, as outcomes go."""
    response = target.client("events").put_events(Entries=[{
        "EventBusName": SOURCE_BUS, "Source": "model-copy", "DetailType": detail_type,
        "Detail": json.dumps(detail)}])
    assert response["FailedEntryCount"] == 0, response


def _slow_copy(copier: Copier, local_cloud) -> tuple[str, str]:
    """A copy whose import takes 8 s, so that it waits for its outcome meanwhile."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    name = f"slow-{uuid.uuid4().hex[:6]}"
    local_cloud.control("comprehend", "configure", models={name: {"import_s": 8}})
    return arn, copier.start(manual_input(arn, targetModelName=name))


def test_another_models_outcome_with_this_executions_token_fails_only_this_target(
        copier: Copier, local_cloud, target):
    """A forged 'Model Imported' of another model carrying X's token fails X's target only."""
    arn, waiting = _slow_copy(copier, local_cloud)
    other = copier.wait_execution(copier.start(manual_input(copier.create_classifier())))
    assert other["status"] == "SUCCEEDED", other.get("cause")
    [other_result] = json.loads(other["output"])["results"]
    token = waiting_detail(copier, waiting, "Model Version Shared")["taskToken"]
    put_outcome_from_target(target, "Model Imported", {
        "sourceModelArn": json.loads(other["input"])["sourceModelArn"],
        "sourceAccount": "111111111111", "targetAccount": TARGET_ACCOUNT,
        "targetModelArn": other_result["targetModelArn"], "status": "TRAINED",
        "correlationId": other["name"], "taskToken": token})
    execution = copier.wait_execution(waiting, timeout=60)
    assert execution["status"] == "FAILED", "a forged answer must not make the copy succeed"
    assert MISMATCH in execution["cause"]
    assert arn in execution["cause"]
    # Nothing else changed: the other copy is still there and its execution SUCCEEDED.
    again = copier.source.client("stepfunctions").describe_execution(
        executionArn=other["executionArn"])
    assert again["status"] == "SUCCEEDED"


def _decision_with_the_import_token(copier: Copier, local_cloud, source, detail_type: str,
                                    from_share: tuple[str, ...] = (),
                                    **detail: str) -> dict[str, Any]:
    """A copy waiting for its import gets `detail_type` from an approver, carrying the
    import's task token (and the share's `from_share` fields): the execution once it ended."""
    _, waiting = _slow_copy(copier, local_cloud)
    shared = waiting_detail(copier, waiting, "Model Version Shared")
    source.client("events").put_events(Entries=[{
        "Source": "ml.pipeline", "DetailType": detail_type,
        "Detail": json.dumps({"taskToken": shared["taskToken"], "by": "mallory",
                              **{key: shared[key] for key in from_share}, **detail})}])
    return copier.wait_execution(waiting, timeout=60)


def test_an_approval_carrying_an_import_token_fails_that_target(copier: Copier, local_cloud,
                                                               source):
    """'Model Copy Approved' carrying an import's token fails that target, no States.Runtime."""
    execution = _decision_with_the_import_token(
        copier, local_cloud, source, "Model Copy Approved",
        from_share=("sourceModelArn", "correlationId"), targetAccount=TARGET_ACCOUNT)
    assert execution["status"] == "FAILED" and execution["error"] == "CopyFailed"
    assert MISMATCH in execution["cause"]


def test_a_rejection_carrying_an_import_token_is_no_rejection(copier: Copier, local_cloud,
                                                             source):
    """'Model Copy Rejected' carrying an import's token fails as a mismatch, not a rejection."""
    execution = _decision_with_the_import_token(copier, local_cloud, source,
                                                "Model Copy Rejected", reason="because")
    assert execution["status"] == "FAILED"
    assert MISMATCH in execution["cause"] and "ModelCopyRejected" not in execution["cause"]
