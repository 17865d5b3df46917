"""The paths the local cloud cannot prove, run against real AWS.

Skipped unless credentials for two accounts are configured:
    MODEL_COPY_E2E_SOURCE_PROFILE, MODEL_COPY_E2E_TARGET_PROFILE   (AWS profiles of A and B)
    MODEL_COPY_E2E_SOURCE_MODEL_ARN                                (a TRAINED model version in A)
with both stacks deployed (`sam deploy --config-env target`, then `--config-env source`).
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

boto3 = pytest.importorskip("boto3")

SOURCE_PROFILE = os.environ.get("MODEL_COPY_E2E_SOURCE_PROFILE")
TARGET_PROFILE = os.environ.get("MODEL_COPY_E2E_TARGET_PROFILE")
MODEL_ARN = os.environ.get("MODEL_COPY_E2E_SOURCE_MODEL_ARN")

pytestmark = [
    pytest.mark.aws,
    pytest.mark.skipif(not (SOURCE_PROFILE and TARGET_PROFILE and MODEL_ARN),
                       reason="real AWS: set MODEL_COPY_E2E_SOURCE_PROFILE, "
                              "MODEL_COPY_E2E_TARGET_PROFILE and MODEL_COPY_E2E_SOURCE_MODEL_ARN"),
]


def _session(profile: str | None):  # type: ignore[no-untyped-def]
    session = boto3.Session(profile_name=profile)
    try:
        session.client("sts").get_caller_identity()
    except Exception as error:  # any credential problem means: skip
        pytest.skip(f"no usable AWS credentials for profile {profile}: {error}")
    return session


def _output(session, stack: str, key: str) -> str:  # type: ignore[no-untyped-def]
    outputs = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return next(o["OutputValue"] for o in outputs["Outputs"] if o["OutputKey"] == key)


def test_policy_with_role_principal_is_accepted_and_revision_is_enforced():
    """AWS, not moto, decides whether our statement shape and the revision check hold."""
    source = _session(SOURCE_PROFILE)
    target = _session(TARGET_PROFILE)
    comprehend = source.client("comprehend")
    role = _output(target, "model-copy-target", "ImportRoleArn")
    from model_copy.policy import TargetCopy
    from model_copy.sharing import share_model_version

    target_copy = TargetCopy(role.split(":")[4], MODEL_ARN.split("/")[1], "e2e")
    result = share_model_version(comprehend, MODEL_ARN, target_copy, role)
    described = comprehend.describe_resource_policy(ResourceArn=MODEL_ARN)
    assert role in described["ResourcePolicy"]
    assert result.policy_revision_id is None or described["PolicyRevisionId"]
    with pytest.raises(comprehend.exceptions.ClientError):
        comprehend.put_resource_policy(ResourceArn=MODEL_ARN,
                                       ResourcePolicy=described["ResourcePolicy"],
                                       PolicyRevisionId="stale-revision-id")


def test_copy_reaches_trained_in_the_target_account():
    source = _session(SOURCE_PROFILE)
    target = _session(TARGET_PROFILE)
    target_account = target.client("sts").get_caller_identity()["Account"]
    sfn = source.client("stepfunctions")
    name = f"e2e-{uuid.uuid4().hex[:10]}"
    execution = sfn.start_execution(
        stateMachineArn=_output(source, "model-copy-source", "StateMachineArn"), name=name,
        input=json.dumps({"sourceModelArn": MODEL_ARN, "targetAccounts": [target_account],
                          "targetModelName": name}))
    deadline = time.time() + 4 * 3600
    while time.time() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            break
        time.sleep(60)
    assert described["status"] == "SUCCEEDED", described.get("cause")
