"""Copying again on the local cloud: the ledger decides who follows an import, not the
copy's fate; transient errors are retried and never become a final outcome (issue 14)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from local_cloud.core.accounts import REGION, TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.comprehend import imports
from tests.support.shares import ledger_item, put_share, share_detail, shared_with_importer

pytestmark = pytest.mark.fault


def _copy(copier: Copier, arn: str, name: str) -> dict:
    execution = copier.wait_execution(copier.start(manual_input(arn, targetModelName=name)),
                                      timeout=120)
    return execution


def _gone(copier: Copier, arn: str) -> bool:
    client = copier.target.client("comprehend")
    try:
        client.describe_document_classifier(DocumentClassifierArn=arn)
    except client.exceptions.ResourceNotFoundException:
        return True
    return False


def test_a_copy_deleted_in_the_target_is_imported_again(copier: Copier, local_cloud, target):
    """Copy, delete the copy in B, copy again: imported again, and current names it."""
    arn = copier.create_classifier()
    name = f"again-{uuid.uuid4().hex[:6]}"
    first = _copy(copier, arn, name)
    assert first["status"] == "SUCCEEDED", first.get("cause")
    [result] = json.loads(first["output"])["results"]
    copy_arn = result["targetModelArn"]
    target.client("comprehend").delete_document_classifier(DocumentClassifierArn=copy_arn)
    copier.wait_for(lambda: _gone(copier, copy_arn))
    before = imports(local_cloud)
    second = _copy(copier, arn, name)
    assert second["status"] == "SUCCEEDED", second.get("cause")
    assert imports(local_cloud) - before == 1, "the deleted copy is imported again"
    props = copier.wait_trained(copy_arn, session=target)
    assert props["Status"] == "TRAINED"
    current = target.client("ssm").get_parameter(Name=f"/model-copy/current/{name}")
    assert current["Parameter"]["Value"] == copy_arn


def test_a_failed_import_can_be_retried(copier: Copier, local_cloud, target):
    """An import that ended IN_ERROR is imported again by the next copy once the cause is gone."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    name = f"retry-{uuid.uuid4().hex[:6]}"
    local_cloud.control("comprehend", "fail", model_name=name, message="disk on fire",
                        on="import")
    try:
        first = _copy(copier, arn, name)
    finally:
        local_cloud.control("comprehend", "fail", model_name=name, message=None)
    assert first["status"] == "FAILED" and "disk on fire" in first["cause"]
    before = imports(local_cloud)
    second = _copy(copier, arn, name)
    assert second["status"] == "SUCCEEDED", second.get("cause")
    assert imports(local_cloud) - before == 1
    [result] = json.loads(second["output"])["results"]
    assert copier.wait_trained(result["targetModelArn"], session=target)["Status"] == "TRAINED"


def test_a_share_announced_before_its_policy_is_imported_once_the_policy_lands(
        copier: Copier, local_cloud, source):
    """AccessDenied while the share's policy is not in place yet is retried, not final."""
    from model_copy.policy import TargetCopy
    from model_copy.sharing import share_model_version

    arn = copier.create_classifier()
    copier.wait_trained(arn)
    detail = share_detail(arn, f"early-{uuid.uuid4().hex[:6]}")
    put_share(source, detail)  # announced before A's policy allows the import
    time.sleep(3)
    role = f"arn:aws:iam::{TARGET_ACCOUNT}:role/model-copy-importer-{REGION}"
    share_model_version(source.client("comprehend"), arn,
                        TargetCopy(TARGET_ACCOUNT, detail["targetModelName"],
                                   detail.get("targetVersionName")), role)
    item = copier.wait_for(lambda: (i := ledger_item(copier.target, copier.pipeline, detail))
                           and i["status"] == "DONE" and i, timeout=60)
    assert json.loads(item["outcome"])["status"] == "TRAINED", item["outcome"]


def test_thirty_seconds_of_describe_throttling_while_polling_ends_trained(
        copier: Copier, local_cloud, source):
    """DescribeDocumentClassifier throttled 100 % for 30 s while B polls: the copy ends TRAINED."""
    arn = shared_with_importer(copier.source)
    detail = share_detail(arn, f"throttled-{uuid.uuid4().hex[:6]}")
    before = imports(local_cloud)
    put_share(source, detail)
    copier.wait_for(lambda: (i := ledger_item(copier.target, copier.pipeline, detail))
                    and i.get("targetModelArn"), timeout=30)
    local_cloud.control("comprehend", "configure", throttle_probability=1.0,
                        throttle_operations=["DescribeDocumentClassifier"],
                        throttle_accounts=[TARGET_ACCOUNT])
    try:
        time.sleep(30)
    finally:
        local_cloud.control("comprehend", "configure", throttle_probability=0,
                            throttle_operations=None, throttle_accounts=None)
    item = copier.wait_for(lambda: (i := ledger_item(copier.target, copier.pipeline, detail))
                           and i["status"] == "DONE" and i, timeout=60)
    assert json.loads(item["outcome"])["status"] == "TRAINED", item["outcome"]
    assert imports(local_cloud) - before == 1


@pytest.mark.parametrize("code", ["TooManyRequestsException", "InternalServerException",
                                  "ResourceUnavailableException"])
def test_transient_import_errors_are_retried_until_the_import_is_accepted(
        copier: Copier, local_cloud, code: str):
    """ImportModel failing with a transient error 12 times in a row still ends TRAINED."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    local_cloud.control("comprehend", "inject", operation="ImportModel", error=code, times=12,
                        accounts=[TARGET_ACCOUNT])
    try:
        execution = _copy(copier, arn, f"transient-{uuid.uuid4().hex[:6]}")
    finally:
        local_cloud.control("comprehend", "inject", operation="ImportModel", error=None)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")


def test_a_final_import_error_fails_with_its_cause_and_a_new_copy_retries(copier: Copier,
                                                                         local_cloud):
    """ResourceLimitExceeded fails the copy with that cause; a later copy imports afresh."""
    arn = copier.create_classifier()
    copier.wait_trained(arn)
    name = f"limit-{uuid.uuid4().hex[:6]}"
    local_cloud.control("comprehend", "inject", operation="ImportModel",
                        error="ResourceLimitExceededException", accounts=[TARGET_ACCOUNT])
    try:
        first = _copy(copier, arn, name)
    finally:
        local_cloud.control("comprehend", "inject", operation="ImportModel", error=None)
    assert first["status"] == "FAILED" and "ResourceLimitExceededException" in first["cause"]
    second = _copy(copier, arn, name)
    assert second["status"] == "SUCCEEDED", second.get("cause")
