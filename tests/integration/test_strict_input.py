"""Strict input on the local cloud: anything malformed is refused before any AWS call,
with the same `InvalidCopyRequest` error and a cause that says what to fix."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.comprehend import comprehend_calls
from tests.support.shares import put_share, settle, share_detail

pytestmark = pytest.mark.fault


def _refused(copier: Copier, cloud, execution_input: Any) -> dict[str, Any]:
    before = comprehend_calls(cloud, None)
    client = copier.source.client("stepfunctions")
    arn = client.start_execution(stateMachineArn=copier.pipeline.state_machine_arn,
                                 name=f"strict-{__import__('uuid').uuid4().hex[:10]}",
                                 input=json.dumps(execution_input))["executionArn"]
    execution = copier.wait_execution(arn)
    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "InvalidCopyRequest", execution
    assert comprehend_calls(cloud, None) == before, "nothing may be called for a refused request"
    return execution


MODEL = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/strict/version/v1"


@pytest.mark.parametrize("changes", [{"targetModelName": "nl-x\n"},
                                     {"targetVersionName": "v9\n"},
                                     {"sourceModelArn": MODEL + "\n"},
                                     {"targetAccounts": [TARGET_ACCOUNT + "\n"]}])
def test_a_newline_in_a_name_is_refused_before_any_call(copier: Copier, local_cloud,
                                                        changes: dict[str, Any]):
    """A trailing newline in a name, version, ARN or account is refused before any call."""
    execution = _refused(copier, local_cloud, {**manual_input(MODEL), **changes})
    assert "\\n" in execution["cause"], "the cause shows the offending value"


def test_a_newline_in_a_shared_name_is_refused_by_the_target(copier: Copier, local_cloud,
                                                             source):
    """A share naming 'nl-x\\n' is refused by the target before any Comprehend call."""
    detail = share_detail(MODEL, "nl-x\n")
    settle(local_cloud)
    before = comprehend_calls(local_cloud)
    put_share(source, detail)
    settle(local_cloud)
    assert comprehend_calls(local_cloud) == before
    # The refusal goes straight back to the sender's bus.
    seen = local_cloud.control("events", "recent", account=SOURCE_ACCOUNT, bus="model-copy",
                               limit=0)
    assert [r for r in seen if r["event"]["detail-type"] == "Model Import Failed"
            and r["event"]["detail"]["correlationId"] == detail["correlationId"]
            and r["event"]["detail"]["status"] == "REJECTED"]


@pytest.mark.parametrize("execution_input", [[], ["x"], "copy please", 42, None])
def test_non_object_input_ends_with_the_clear_invalid_request(copier: Copier, local_cloud,
                                                              execution_input: Any):
    """Non-object input (array, string, number, null) ends InvalidCopyRequest, not a TypeError."""
    execution = _refused(copier, local_cloud, execution_input)
    assert "must be a JSON object" in execution["cause"]


@pytest.mark.parametrize(("changes", "named"), [
    ({"targetModelname": "renamed"}, "unknown field(s) 'targetModelname'"),
    ({"targetModelName": ""}, "targetModelName must be a non-empty string"),
    ({"targetModelName": False}, "targetModelName must be a non-empty string"),
    ({"targetVersionName": 7}, "targetVersionName must be a non-empty string"),
])
def test_unknown_fields_and_bad_names_are_refused_not_ignored(copier: Copier, local_cloud,
                                                              changes: dict[str, Any],
                                                              named: str):
    """A misspelled field or an empty/non-string name is refused, not silently ignored."""
    execution = _refused(copier, local_cloud, {**manual_input(MODEL), **changes})
    assert named in execution["cause"]
