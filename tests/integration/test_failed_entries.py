"""A share announcement whose PutEvents entry fails: retried when it fails once, and when it
fails every time the target FAILS with EventBridge's cause and the share is withdrawn.

Step Functions fails a putEvents task with `EventBridge.FailedEntry` when an entry fails
(Step Functions Developer Guide, EventBridge integration); the local cloud injects the failure.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.comprehend import imports

SHARED = "Model Version Shared"


@pytest.fixture
def failing_entries(local_cloud):
    """Make Model Version Shared entries fail `times` times (None: every time)."""
    def inject(times: int | None) -> None:
        local_cloud.control("events", "fail_entries", error_code="InternalFailure",
                            times=times, detail_type=SHARED)
    yield inject
    local_cloud.control("events", "fail_entries", clear=True)


@pytest.mark.fault
def test_a_share_announcement_that_fails_once_is_retried_and_the_copy_succeeds(
        copier: Copier, local_cloud, failing_entries):
    """EventBridge.FailedEntry once on the share announcement: the copy still SUCCEEDS."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    failing_entries(1)
    before = imports(local_cloud)
    execution = copier.wait_execution(copier.start(manual_input(arn)), timeout=120)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert imports(local_cloud) - before == 1


@pytest.mark.fault
def test_a_share_announcement_that_always_fails_fails_the_target_and_withdraws_the_share(
        copier: Copier, local_cloud, failing_entries):
    """EventBridge.FailedEntry every time: the copy FAILS naming the cause; nothing is left
    shared, nothing imported."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    failing_entries(None)
    before = imports(local_cloud)
    execution = copier.wait_execution(copier.start(manual_input(arn)), timeout=150)
    assert execution["status"] == "FAILED"
    cause = execution.get("cause", "")
    assert TARGET_ACCOUNT in cause and "EventBridge.FailedEntry" in cause, cause
    assert imports(local_cloud) == before
    comprehend = copier.source.client("comprehend")
    try:
        policy = json.loads(comprehend.describe_resource_policy(ResourceArn=arn)["ResourcePolicy"])
    except ClientError as error:  # the policy is gone: our statement was the only one
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
    else:
        ours = [s for s in policy["Statement"] if TARGET_ACCOUNT in json.dumps(s["Principal"])]
        assert ours == [], policy
