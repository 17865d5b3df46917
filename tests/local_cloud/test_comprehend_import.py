"""Cross-account ImportModel in the local cloud: allowed by the model's policy only, named,
refused as AWS refuses; the project's "done when" scenario as a plain boto3 script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support.comprehend import (
    TARGET_ROLE,
    create_classifier,
    create_recognizer,
    describe,
    error_code,
    import_policy,
    new_name,
    raised_error,
    shared_model,
    statuses_until,
    wait_trained,
)

pytestmark = pytest.mark.usefixtures("fast_models")


# --- ImportModel --------------------------------------------------------------------------------

@pytest.mark.parametrize("principal", [TARGET_ACCOUNT, f"arn:aws:iam::{TARGET_ACCOUNT}:root",
                                       TARGET_ROLE])
def test_import_allowed_for_the_account_or_its_exact_role(source, target, principal):
    source_arn = shared_model(source, principal)
    copy_name = new_name("copy")

    copy_arn = target.client("comprehend").import_model(
        SourceModelArn=source_arn, ModelName=copy_name, VersionName="v1",
        Tags=[{"Key": "copied", "Value": "yes"}])["ModelArn"]

    assert copy_arn == (f"arn:aws:comprehend:{REGION}:{TARGET_ACCOUNT}:"
                        f"document-classifier/{copy_name}/version/v1")
    assert describe(target, copy_arn)["Status"] in ("SUBMITTED", "TRAINING")
    props = wait_trained(target, copy_arn)
    assert props["SourceModelArn"] == source_arn
    assert props["LanguageCode"] == "en"
    assert target.client("comprehend").list_tags_for_resource(
        ResourceArn=copy_arn)["Tags"] == [{"Key": "copied", "Value": "yes"}]


def test_import_name_defaults_to_the_source_name(source, target):
    source_arn = shared_model(source, TARGET_ACCOUNT)
    copy_arn = target.client("comprehend").import_model(SourceModelArn=source_arn)["ModelArn"]
    source_name = source_arn.split("/")[1]
    assert copy_arn == (f"arn:aws:comprehend:{REGION}:{TARGET_ACCOUNT}:"
                        f"document-classifier/{source_name}")


@pytest.mark.parametrize("principals", [
    (OUTSIDER_ACCOUNT,),  # another account
    (f"arn:aws:iam::{TARGET_ACCOUNT}:role/someone-else",),  # another role of the account
])
def test_import_refused_when_the_policy_does_not_name_the_caller(source, target, principals):
    if ":role/" in principals[0]:  # a principal must exist to be named in a policy
        target.client("iam").create_role(RoleName=principals[0].rsplit("/", 1)[1],
                                         AssumeRolePolicyDocument="{}")
    source_arn = shared_model(source, *principals)
    error = raised_error(
        lambda: target.client("comprehend").import_model(SourceModelArn=source_arn))
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert "comprehend:ImportModel" in error.response["Error"]["Message"]


def test_import_refused_for_an_outsider_and_without_policy(source, target, outsider):
    shared = shared_model(source, TARGET_ACCOUNT)
    unshared = create_classifier(source, new_name())
    wait_trained(source, unshared)

    assert error_code(lambda: outsider.client("comprehend").import_model(
        SourceModelArn=shared)) == "AccessDeniedException"
    assert error_code(lambda: target.client("comprehend").import_model(
        SourceModelArn=unshared)) == "AccessDeniedException"


def test_an_explicit_deny_wins(source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    policy = json.loads(import_policy(TARGET_ACCOUNT))
    policy["Statement"].append({"Effect": "Deny", "Action": "comprehend:ImportModel",
                                "Principal": {"AWS": TARGET_ROLE}, "Resource": "*"})
    source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                    ResourcePolicy=json.dumps(policy))
    assert error_code(lambda: target.client("comprehend").import_model(
        SourceModelArn=arn)) == "AccessDeniedException"


def test_same_account_import_needs_no_policy(source):
    arn = create_classifier(source, new_name())
    wait_trained(source, arn)
    copy = source.client("comprehend").import_model(SourceModelArn=arn, ModelName=new_name("own"))
    assert wait_trained(source, copy["ModelArn"])["SourceModelArn"] == arn


def test_import_of_an_untrained_model_is_refused(local_cloud, source, target):
    name = new_name("training")
    local_cloud.control("comprehend", "configure", models={name: {"training_s": 30}})
    arn = create_classifier(source, name)
    source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                    ResourcePolicy=import_policy(TARGET_ACCOUNT))
    error = raised_error(lambda: target.client("comprehend").import_model(SourceModelArn=arn))
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    assert "only a TRAINED" in error.response["Error"]["Message"]


def test_import_name_clash_is_resource_in_use(source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    comprehend = target.client("comprehend")
    name = new_name("clash")
    comprehend.import_model(SourceModelArn=arn, ModelName=name, VersionName="v1")
    assert error_code(lambda: comprehend.import_model(
        SourceModelArn=arn, ModelName=name, VersionName="v1")) == "ResourceInUseException"


def test_import_from_another_region_is_refused(source, target):
    arn = shared_model(source, TARGET_ACCOUNT).replace(REGION, "eu-west-1")
    error = raised_error(lambda: target.client("comprehend").import_model(SourceModelArn=arn))
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    assert "Region" in error.response["Error"]["Message"]


def test_import_of_a_missing_model_is_not_found(target):
    missing = f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/gone/version/v1"
    assert error_code(lambda: target.client("comprehend").import_model(
        SourceModelArn=missing)) == "ResourceNotFoundException"


def test_import_can_end_in_error(local_cloud, source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    copy_name = new_name("badcopy")
    local_cloud.control("comprehend", "fail", model_name=copy_name, message="KMS key disabled",
                        on="import")
    copy = target.client("comprehend").import_model(SourceModelArn=arn, ModelName=copy_name)
    assert statuses_until(target, copy["ModelArn"], {"IN_ERROR", "TRAINED"})[-1] == "IN_ERROR"
    assert describe(target, copy["ModelArn"])["Message"] == "KMS key disabled"


def test_recognizer_import(source, target):
    arn = shared_model(source, TARGET_ROLE, create=create_recognizer)
    copy = target.client("comprehend").import_model(SourceModelArn=arn)["ModelArn"]
    assert ":entity-recognizer/" in copy
    assert wait_trained(target, copy)["SourceModelArn"] == arn


# --- the project's "done when" scenario, as a plain boto3 script with the profiles ----------------

SCRIPT = textwrap.dedent("""
    import json, sys, time
    import boto3
    from botocore.exceptions import ClientError

    def wait_trained(client, arn):
        for _ in range(200):
            status = client.describe_document_classifier(
                DocumentClassifierArn=arn)["DocumentClassifierProperties"]["Status"]
            if status == "TRAINED":
                return
            time.sleep(0.05)
        sys.exit(f"{arn} not TRAINED: {status}")

    name = sys.argv[1]
    source = boto3.Session(profile_name="source").client("comprehend")
    target = boto3.Session(profile_name="target").client("comprehend")
    outsider = boto3.Session(profile_name="outsider").client("comprehend")
    arn = source.create_document_classifier(
        DocumentClassifierName=name, VersionName="v1", LanguageCode="en",
        DataAccessRoleArn="arn:aws:iam::111111111111:role/data",
        InputDataConfig={"S3Uri": "s3://bucket/train.csv"})["DocumentClassifierArn"]
    wait_trained(source, arn)
    source.put_resource_policy(ResourceArn=arn, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "comprehend:ImportModel", "Resource": "*",
            "Principal": {"AWS": ["arn:aws:iam::222222222222:root"]}}]}))
    copy = target.import_model(SourceModelArn=arn)["ModelArn"]
    wait_trained(target, copy)
    try:
        outsider.import_model(SourceModelArn=arn)
        sys.exit("the outsider imported the model")
    except ClientError as error:
        print(json.dumps({"copy": copy, "outsider": error.response["Error"]["Code"]}))
""")


def test_done_when_scenario_with_the_profiles(local_cloud):
    name = new_name("done")
    result = subprocess.run([sys.executable, "-c", SCRIPT, name], capture_output=True,
                            text=True, timeout=60, env=dict(os.environ), check=False)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome == {"copy": f"arn:aws:comprehend:{REGION}:{TARGET_ACCOUNT}:"
                               f"document-classifier/{name}",
                       "outsider": "AccessDeniedException"}
