"""Encrypted models with the default target stack (no DataAccessRoleArn): the dry run shows
what the key policy and B's service role need, and a real copy is refused by the target before
any Comprehend call, saying what to deploy (issue 13 item 4)."""

from __future__ import annotations

import json

from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.integration.test_kms_copy import _encrypted_model
from tests.support.comprehend import imports


def test_the_dry_run_of_an_encrypted_model_shows_the_key_requirements(copier: Copier):
    arn, key = _encrypted_model(copier, grant_target=False)
    execution = copier.wait_execution(copier.start(manual_input(arn, dryRun=True)))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    kms = json.loads(execution["output"])["kms"]
    assert kms["keyArn"] == key and kms["missing"] == [TARGET_ACCOUNT]
    [target] = kms["targets"]
    assert target["keyPolicyGrantsTarget"] is False
    assert {s["Condition"]["StringEquals"].popitem()[1] for s in target["keyPolicyStatements"]} \
        == {arn}
    assert target["dataAccessRolePolicy"]["Statement"][0]["Resource"] == key


def test_the_dry_run_of_a_plain_model_says_it_is_not_encrypted(copier: Copier):
    arn = copier.create_classifier()
    execution = copier.wait_execution(copier.start(manual_input(arn, dryRun=True)))
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    assert json.loads(execution["output"])["kms"]["encrypted"] is False


def test_a_target_without_a_data_access_role_refuses_an_encrypted_model(copier: Copier,
                                                                       local_cloud):
    arn, key = _encrypted_model(copier, grant_target=True)
    before = imports(local_cloud)
    execution = copier.wait_execution(copier.start(manual_input(arn)))
    assert execution["status"] == "FAILED", execution.get("output")
    cause = execution.get("cause") or ""
    assert "DataAccessRoleArn" in cause and key in cause, cause
    assert imports(local_cloud) == before
