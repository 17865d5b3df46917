"""Copies of models encrypted with a customer managed key of A, through the whole pipeline: the
target stack passes its DataAccessRoleArn to ImportModel; the copy reaches TRAINED when A's key
policy grants B, and fails naming the key when it does not (issue 12, KMS)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import boto3
import pytest

from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.comprehend import create_classifier
from tests.support.deployments import redeployed


@pytest.fixture(scope="module")
def data_access_role(local_cloud, target: boto3.Session, deployed) -> Iterator[str]:
    """B's service role for Comprehend (the guide's example), and the target stack redeployed
    to pass it to ImportModel; the default stack is restored afterwards."""
    del deployed
    iam = target.client("iam")
    name = f"comprehend-import-{uuid.uuid4().hex[:6]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "comprehend.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": TARGET_ACCOUNT}}}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="source-keys", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:*:{SOURCE_ACCOUNT}:key/*"}]}))
    with redeployed(local_cloud, target={"DataAccessRoleArn": role}):
        yield str(role)


def _encrypted_model(copier: Copier, grant_target: bool) -> tuple[str, str]:
    """(model version ARN, key ARN): trained in A with A's key; its key policy grants B as the
    Comprehend guide's example does, or keeps KMS's default (A only)."""
    kms = copier.source.client("kms")
    key = kms.create_key(Description="model key")["KeyMetadata"]["Arn"]
    name = f"enc-{uuid.uuid4().hex[:8]}"
    arn = create_classifier(copier.source, name, ModelKmsKeyId=key)
    if grant_target:
        importer = {"AWS": f"arn:aws:iam::{TARGET_ACCOUNT}:root"}
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"},
                 "Action": "kms:*", "Resource": "*"},
                {"Effect": "Allow", "Principal": importer, "Resource": "*",
                 "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                 "Condition": {"StringEquals": {"aws:SourceArn": arn}}},
                {"Effect": "Allow", "Principal": importer, "Resource": "*",
                 "Action": "kms:CreateGrant",
                 "Condition": {"StringEquals": {"kms:EncryptionContext:aws:comprehend:arn": arn}}},
            ]}))
    copier.wait_trained(arn)
    return str(arn), str(key)


def test_an_encrypted_model_with_the_grants_in_place_is_copied(copier: Copier,
                                                               data_access_role):
    arn, _ = _encrypted_model(copier, grant_target=True)

    execution = copier.wait_execution(copier.start(manual_input(arn)))

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    [result] = json.loads(execution["output"])["results"]
    assert result["status"] == "TRAINED"
    copy = copier.wait_trained(result["targetModelArn"], session=copier.target)
    assert copy["DataAccessRoleArn"] == data_access_role and copy["SourceModelArn"] == arn


def test_without_the_key_grant_the_copy_fails_before_sharing(copier: Copier, data_access_role):
    """Issue 13 item 4: A can read its own key policy, so the missing grant fails the copy
    before anything is shared, naming the key and the statements to add."""
    del data_access_role
    arn, key = _encrypted_model(copier, grant_target=False)

    execution = copier.wait_execution(copier.start(manual_input(arn)))

    assert execution["status"] == "FAILED", execution.get("output")
    assert execution["error"] == "KeyAccessMissing"
    cause = execution.get("cause") or ""
    assert key in cause and TARGET_ACCOUNT in cause
    assert "kms:EncryptionContext:aws:comprehend:arn" in cause and "DataAccessRoleArn" in cause
    comprehend = copier.source.client("comprehend")
    with pytest.raises(comprehend.exceptions.ResourceNotFoundException):
        comprehend.describe_resource_policy(ResourceArn=arn)  # nothing was shared
