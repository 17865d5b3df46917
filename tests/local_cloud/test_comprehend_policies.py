"""Comprehend resource policies in the local cloud: validated, naming principals that exist,
written with revisions; who they let import."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LOCAL_ROLE
from tests.support.comprehend import (
    TARGET_ROLE,
    create_classifier,
    error_code,
    import_policy,
    new_name,
    raised_error,
)

pytestmark = pytest.mark.usefixtures("fast_models")


# --- resource policies --------------------------------------------------------------------------

@pytest.mark.parametrize("policy", [
    "not json",
    json.dumps({"Statement": []}),
    import_policy(TARGET_ACCOUNT, action="comprehend:*"),
    import_policy(TARGET_ACCOUNT,
            action=["comprehend:ImportModel", "comprehend:DescribeDocumentClassifier"]),
    json.dumps({"Statement": [{"Effect": "Allow", "Action": "comprehend:ImportModel"}]}),
    import_policy("not-a-principal"),
])
def test_invalid_policies_are_refused(source, policy):
    arn = create_classifier(source, new_name())
    error = raised_error(lambda: source.client("comprehend").put_resource_policy(
        ResourceArn=arn, ResourcePolicy=policy))
    assert error.response["Error"]["Code"] == "InvalidRequestException"


def test_a_policy_naming_a_user_that_does_not_exist_is_refused(source, target):
    arn = create_classifier(source, new_name())
    user = new_name("someone")
    missing = f"arn:aws:iam::{TARGET_ACCOUNT}:user/{user}"
    assert error_code(lambda: source.client("comprehend").put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(missing))) == "InvalidRequestException"
    target.client("iam").create_user(UserName=user)
    try:
        source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                        ResourcePolicy=import_policy(missing))
    finally:
        target.client("iam").delete_user(UserName=user)


def test_a_policy_naming_a_role_that_does_not_exist_is_refused(source, target):
    """AWS validates principals: a role must exist when the policy is written (issue 13 item 2:
    the target stack deployed after the source)."""
    arn = create_classifier(source, new_name())
    missing = f"arn:aws:iam::{TARGET_ACCOUNT}:role/{new_name('not-deployed')}"
    error = raised_error(lambda: source.client("comprehend").put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(missing)))
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    assert missing in error.response["Error"]["Message"]
    assert "revision" not in error.response["Error"]["Message"].lower()
    role = missing.rsplit("/", 1)[1]
    target.client("iam").create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    try:
        source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                        ResourcePolicy=import_policy(missing))
    finally:
        target.client("iam").delete_role(RoleName=role)


def test_policy_revisions_are_checked(source):
    comprehend = source.client("comprehend")
    arn = create_classifier(source, new_name())
    first = comprehend.put_resource_policy(ResourceArn=arn,
                                           ResourcePolicy=import_policy(TARGET_ACCOUNT))
    first_revision = first["PolicyRevisionId"]
    assert re.fullmatch("[0-9A-Fa-f]+", first_revision)

    second = comprehend.put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT, OUTSIDER_ACCOUNT),
        PolicyRevisionId=first_revision)["PolicyRevisionId"]
    stale = raised_error(lambda: comprehend.put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT),
        PolicyRevisionId=first_revision))

    assert second != first_revision
    assert stale.response["Error"]["Code"] == "InvalidRequestException"
    assert "revision" in stale.response["Error"]["Message"].lower()
    described = comprehend.describe_resource_policy(ResourceArn=arn)
    assert described["PolicyRevisionId"] == second
    assert json.loads(described["ResourcePolicy"]) == json.loads(
        import_policy(TARGET_ACCOUNT, OUTSIDER_ACCOUNT))
    # Timestamps, as the API model types them: a share reads CreationTime to know whether a
    # late first create can still land over what it writes (model_copy.sharing).
    assert isinstance(described["CreationTime"], datetime)
    assert described["CreationTime"] <= described["LastModifiedTime"]
    assert error_code(lambda: comprehend.delete_resource_policy(
        ResourceArn=arn, PolicyRevisionId=first_revision)) == "InvalidRequestException"
    comprehend.delete_resource_policy(ResourceArn=arn, PolicyRevisionId=second)
    assert error_code(lambda: comprehend.describe_resource_policy(
        ResourceArn=arn)) == "ResourceNotFoundException"


def test_first_policy_with_a_revision_id_is_refused(source):
    arn = create_classifier(source, new_name())
    assert error_code(lambda: source.client("comprehend").put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT),
        PolicyRevisionId="abc123")) == "InvalidRequestException"

def test_policy_evaluation_of_roles_and_conditions():
    from local_cloud.services.comprehend import Caller, may_import

    arn = f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/m/version/v1"
    role = Caller(account=TARGET_ACCOUNT, role_arn=TARGET_ROLE,
                  session_arn=f"arn:aws:sts::{TARGET_ACCOUNT}:assumed-role/{LOCAL_ROLE}/s")
    root = Caller(account=TARGET_ACCOUNT)
    conditional = json.dumps({"Statement": [{
        "Effect": "Allow", "Action": "comprehend:ImportModel", "Principal": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": TARGET_ACCOUNT}}}]})

    assert may_import(import_policy(TARGET_ROLE), role, arn)
    # a role does not stand for its account
    assert not may_import(import_policy(TARGET_ROLE), root, arn)
    assert may_import(import_policy(TARGET_ACCOUNT), role, arn)  # the account stands for its roles
    assert may_import(conditional, root, arn)
    assert not may_import(conditional, Caller(account=OUTSIDER_ACCOUNT), arn)
    assert not may_import(None, role, arn)
