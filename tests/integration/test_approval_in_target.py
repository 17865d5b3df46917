"""Approval in the target, optional (RequireApprovedShares=true): B imports only shares that
carry an approval record from the source's gate (issue 14 item 10)."""

from __future__ import annotations

import json
import uuid

import pytest

from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.integration.test_promotion_controls import _wait_for_approval_request
from tests.support.comprehend import imports
from tests.support.deployments import redeployed
from tests.support.shares import (
    outcomes_on_source_bus,
    put_share,
    settle,
    share_detail,
    shared_with_importer,
)


@pytest.fixture(scope="module")
def strict(local_cloud, deployed):
    """The source gates copies to B; B requires an approval record on every share."""
    with redeployed(local_cloud, source={"ApprovalRequiredAccountIds": TARGET_ACCOUNT,
                                         "ApprovalTimeoutSeconds": "30"},
                    target={"RequireApprovedShares": "true"}) as stacks:
        yield stacks


@pytest.fixture
def strict_copier(source, target, strict) -> Copier:
    return Copier(source=source, target=target, pipeline=strict)


@pytest.mark.fault
def test_a_share_put_in_a_without_approval_is_refused_by_b(strict_copier: Copier, local_cloud,
                                                           source):
    """Anyone in A putting a share event without an approval record: B refuses, no import."""
    arn = shared_with_importer(strict_copier.source)
    detail = share_detail(arn, f"unapproved-{uuid.uuid4().hex[:6]}")
    settle(local_cloud)
    before = imports(local_cloud)
    put_share(source, detail)
    settle(local_cloud)
    assert imports(local_cloud) == before
    [refused] = [e for e in outcomes_on_source_bus(local_cloud, detail["correlationId"])
                 if e["detail-type"] == "Model Import Failed"]
    assert refused["detail"]["status"] == "REJECTED"
    assert "RequireApprovedShares" in refused["detail"]["message"]


def test_an_approved_copy_is_imported_and_keeps_who_approved(strict_copier: Copier):
    arn = strict_copier.create_classifier()
    execution_arn = strict_copier.start(manual_input(arn))
    request = _wait_for_approval_request(strict_copier, execution_arn)
    from model_copy.approval import decide

    decide(strict_copier.source.client("stepfunctions"), request["taskToken"], True,
           "arn:aws:iam::111111111111:user/alice", "QA passed", request)
    execution = strict_copier.wait_execution(execution_arn)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    [result] = json.loads(execution["output"])["results"]
    assert result["approval"]["by"] == "arn:aws:iam::111111111111:user/alice"
