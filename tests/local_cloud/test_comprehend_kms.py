"""Comprehend models encrypted with customer managed KMS keys, as the Comprehend Developer Guide
describes sharing and importing them ("Sharing a custom model with another AWS account",
"Importing a custom model from another AWS account"; aws-facts item 3):

- Create* with ModelKmsKeyId / VolumeKmsKeyId needs keys that exist and are enabled.
- ImportModel of a version encrypted with A's key succeeds only when A's key policy allows B
  (kms:Decrypt and kms:GenerateDataKey on aws:SourceArn, kms:CreateGrant on
  kms:EncryptionContext:aws:comprehend:arn) and the DataAccessRoleArn given to ImportModel
  exists, trusts comprehend.amazonaws.com and may use the key; otherwise
  KmsKeyValidationException naming the key.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support.comprehend import (
    create_classifier,
    describe,
    import_policy,
    new_name,
    raised_error,
    shared_model,
    wait_trained,
)

KMS_ACTIONS = ("kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey")
COMPREHEND = "comprehend.amazonaws.com"


pytestmark = pytest.mark.usefixtures("fast_models")


def _key(session: boto3.Session, policy: dict[str, Any] | None = None) -> str:
    kms = session.client("kms")
    extra = {"Policy": json.dumps(policy)} if policy else {}
    return str(kms.create_key(Description="model key", **extra)["KeyMetadata"]["Arn"])


def _admin_statement(account: str) -> dict[str, Any]:
    return {"Sid": "Admin", "Effect": "Allow", "Action": "kms:*", "Resource": "*",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}


def _sharing_key_policy(model_arn: str, importer: str = TARGET_ACCOUNT) -> dict[str, Any]:
    """A's key policy as the Comprehend guide's example writes it for one model version."""
    principal = {"AWS": f"arn:aws:iam::{importer}:root"}
    return {"Version": "2012-10-17", "Statement": [
        _admin_statement(SOURCE_ACCOUNT),
        {"Effect": "Allow", "Principal": principal, "Resource": "*",
         "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Condition": {"StringEquals": {"aws:SourceArn": model_arn}}},
        {"Effect": "Allow", "Principal": principal, "Resource": "*", "Action": "kms:CreateGrant",
         "Condition": {"StringEquals": {"kms:EncryptionContext:aws:comprehend:arn": model_arn}}},
    ]}


def _import_role(session: boto3.Session, key_arns: list[str],
                 actions: tuple[str, ...] = KMS_ACTIONS, service: str = COMPREHEND,
                 account: str = TARGET_ACCOUNT) -> str:
    """B's service role as the guide's import example writes it."""
    iam = session.client("iam")
    name = new_name("comprehend-import")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    if actions:
        iam.put_role_policy(RoleName=name, PolicyName="kms", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": key_arns}]}))
    return str(arn)


def _encrypted_shared_model(source: boto3.Session, key_policy: bool = True) -> tuple[str, str]:
    """(model version ARN, key ARN): trained in A with A's key, shared with B."""
    key = _key(source)
    arn = create_classifier(source, new_name("enc"), ModelKmsKeyId=key)
    wait_trained(source, arn)
    source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                    ResourcePolicy=import_policy(TARGET_ACCOUNT))
    if key_policy:
        source.client("kms").put_key_policy(KeyId=key, PolicyName="default",
                                            Policy=json.dumps(_sharing_key_policy(arn)))
    return arn, key


def _kms_refusal(call) -> str:
    error = raised_error(call).response["Error"]
    assert error["Code"] == "KmsKeyValidationException", error
    return str(error["Message"])


# --- Create* -----------------------------------------------------------------------------------

def test_models_are_created_with_keys_that_exist(source):
    key = _key(source)
    alias = f"alias/{new_name('models')}"
    source.client("kms").create_alias(AliasName=alias, TargetKeyId=key)

    arn = create_classifier(source, new_name(), ModelKmsKeyId=key, VolumeKmsKeyId=alias)

    props = describe(source, arn)
    assert props["ModelKmsKeyId"] == key and props["VolumeKmsKeyId"] == alias


@pytest.mark.parametrize("field", ["ModelKmsKeyId", "VolumeKmsKeyId"])
def test_a_key_that_does_not_exist_or_is_disabled_is_refused(source, field):
    disabled = _key(source)
    # moto's DisableKey takes only a bare key id.
    source.client("kms").disable_key(KeyId=disabled.rsplit("/", 1)[-1])
    missing_arn = f"arn:aws:kms:{REGION}:{SOURCE_ACCOUNT}:key/{'0' * 8}-0000-0000-0000-{'0' * 12}"
    for key in ("1234abcd-12ab-34cd-56ef-1234567890ab", "alias/no-such-alias", missing_arn,
                disabled):
        message = _kms_refusal(lambda key=key: create_classifier(
            source, new_name(), **{field: key}))
        assert key in message


# --- ImportModel -------------------------------------------------------------------------------

def test_an_encrypted_model_imports_with_the_grants_in_place(source, target):
    arn, key = _encrypted_shared_model(source)
    role = _import_role(target, [key])

    copy = target.client("comprehend").import_model(SourceModelArn=arn, ModelName=new_name(),
                                                    DataAccessRoleArn=role)["ModelArn"]

    props = wait_trained(target, copy)
    assert props["SourceModelArn"] == arn and props["DataAccessRoleArn"] == role


def test_without_the_key_policy_grant_the_import_fails_naming_the_key(source, target):
    arn, key = _encrypted_shared_model(source, key_policy=False)  # A's default key policy
    role = _import_role(target, [key])

    message = _kms_refusal(lambda: target.client("comprehend").import_model(
        SourceModelArn=arn, DataAccessRoleArn=role))

    assert key in message
    listed = target.client("comprehend").list_document_classifiers()[
        "DocumentClassifierPropertiesList"]
    assert all(p.get("SourceModelArn") != arn for p in listed)


def test_a_key_policy_for_another_version_or_account_does_not_count(source, target, outsider):
    arn, key = _encrypted_shared_model(source, key_policy=False)
    kms = source.client("kms")
    policy = _sharing_key_policy(arn.replace("/version/v1", "/version/v2"))
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))
    role = _import_role(target, [key])
    assert key in _kms_refusal(lambda: target.client("comprehend").import_model(
        SourceModelArn=arn, DataAccessRoleArn=role))

    kms.put_key_policy(KeyId=key, PolicyName="default",
                       Policy=json.dumps(_sharing_key_policy(arn, importer=OUTSIDER_ACCOUNT)))
    assert key in _kms_refusal(lambda: target.client("comprehend").import_model(
        SourceModelArn=arn, DataAccessRoleArn=role))


def test_an_explicit_deny_in_the_key_policy_wins(source, target):
    arn, key = _encrypted_shared_model(source, key_policy=False)
    policy = _sharing_key_policy(arn)
    policy["Statement"].append({"Effect": "Deny", "Action": "kms:CreateGrant", "Resource": "*",
                                "Principal": {"AWS": f"arn:aws:iam::{TARGET_ACCOUNT}:root"}})
    source.client("kms").put_key_policy(KeyId=key, PolicyName="default",
                                        Policy=json.dumps(policy))
    role = _import_role(target, [key])
    assert key in _kms_refusal(lambda: target.client("comprehend").import_model(
        SourceModelArn=arn, DataAccessRoleArn=role))


@pytest.mark.parametrize("missing", KMS_ACTIONS)
def test_the_data_access_role_must_be_allowed_each_kms_action(source, target, missing):
    arn, key = _encrypted_shared_model(source)
    role = _import_role(target, [key], actions=tuple(a for a in KMS_ACTIONS if a != missing))
    message = _kms_refusal(lambda: target.client("comprehend").import_model(
        SourceModelArn=arn, DataAccessRoleArn=role))
    assert key in message and missing in message


def test_the_data_access_role_must_exist_and_trust_comprehend(source, target):
    arn, key = _encrypted_shared_model(source)
    comprehend = target.client("comprehend")
    untrusting = _import_role(target, [key], service="lambda.amazonaws.com")
    wrong_account = _import_role(target, [key], account=OUTSIDER_ACCOUNT)
    for role in (None, f"arn:aws:iam::{TARGET_ACCOUNT}:role/{new_name('missing')}", untrusting,
                 wrong_account):
        request = {"DataAccessRoleArn": role} if role else {}
        message = _kms_refusal(lambda request=request: comprehend.import_model(
            SourceModelArn=arn, **request))
        assert key in message


def test_the_copys_own_key_must_exist_and_be_usable_by_the_role(source, target):
    arn, key = _encrypted_shared_model(source)
    own_key = _key(target)  # B's default key policy delegates to B's IAM policies
    comprehend = target.client("comprehend")
    missing = f"arn:aws:kms:{REGION}:{TARGET_ACCOUNT}:key/{'1' * 8}-1111-1111-1111-{'1' * 12}"

    only_source = _import_role(target, [key])
    assert own_key in _kms_refusal(lambda: comprehend.import_model(
        SourceModelArn=arn, DataAccessRoleArn=only_source, ModelKmsKeyId=own_key))
    both = _import_role(target, [key, own_key])
    assert missing in _kms_refusal(lambda: comprehend.import_model(
        SourceModelArn=arn, DataAccessRoleArn=both, ModelKmsKeyId=missing))

    copy = comprehend.import_model(SourceModelArn=arn, ModelName=new_name(),
                                   DataAccessRoleArn=both, ModelKmsKeyId=own_key)["ModelArn"]
    assert wait_trained(target, copy)["ModelKmsKeyId"] == own_key


def test_an_unencrypted_model_needs_no_role(source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    copy = target.client("comprehend").import_model(SourceModelArn=arn)["ModelArn"]
    assert wait_trained(target, copy)["SourceModelArn"] == arn
