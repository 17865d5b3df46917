"""Comprehend custom models in the local cloud: real ARNs, a clock-driven lifecycle, resource
policies with revisions, cross-account ImportModel, throttling, call counters, CloudTrail events."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time

import pytest
from botocore.config import Config

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LOCAL_ROLE
from tests.support.comprehend import (
    FAST,
    NO_RETRIES,
    ROLE,
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


# --- ARNs, validation, lookups -----------------------------------------------------------------

def test_arns_have_the_real_format_and_match_botocore_patterns(source):
    name = new_name("clf")
    classifier = create_classifier(source, name, "v1")
    recognizer = create_recognizer(source, name, "v2")
    unversioned = create_classifier(source, new_name("plain"), version=None)

    assert classifier == (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
                          f"document-classifier/{name}/version/v1")
    assert recognizer == (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
                          f"entity-recognizer/{name}/version/v2")
    assert "/version/" not in unversioned
    model = source.client("comprehend").meta.service_model
    for shape, arn in (("DocumentClassifierArn", classifier), ("DocumentClassifierArn",
                        unversioned), ("EntityRecognizerArn", recognizer),
                       ("ComprehendModelArn", classifier)):
        assert re.fullmatch(model.shape_for(shape).metadata["pattern"], arn), (shape, arn)


@pytest.mark.parametrize("name", ["under_score", "-leading", "trailing-", "x" * 64, "sp ace"])
def test_invalid_names_are_refused(source, name):
    assert error_code(lambda: create_classifier(source, name)) == "ValidationException"
    assert error_code(
        lambda: create_classifier(source, new_name(), version=name)) == "ValidationException"


def test_a_name_and_version_exist_once(source):
    name = new_name()
    create_classifier(source, name, "v1")
    error = raised_error(lambda: create_classifier(source, name, "v1"))
    assert error.response["Error"]["Code"] == "ResourceInUseException"
    assert create_classifier(source, name, "v2").endswith(f"{name}/version/v2")


def test_unknown_models_are_not_found(source, target):
    missing = (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
               f"document-classifier/{new_name()}/version/v1")
    comprehend = source.client("comprehend")
    calls = [lambda: comprehend.describe_document_classifier(DocumentClassifierArn=missing),
             lambda: comprehend.delete_document_classifier(DocumentClassifierArn=missing),
             lambda: comprehend.stop_training_document_classifier(DocumentClassifierArn=missing),
             lambda: comprehend.put_resource_policy(ResourceArn=missing,
                                                    ResourcePolicy=import_policy(TARGET_ACCOUNT)),
             lambda: comprehend.describe_resource_policy(ResourceArn=missing),
             lambda: comprehend.list_tags_for_resource(ResourceArn=missing)]
    assert [error_code(call) for call in calls] == ["ResourceNotFoundException"] * len(calls)
    # Another account's model is not visible either.
    existing = create_classifier(source, new_name())
    assert error_code(lambda: describe(target, existing)) == "ResourceNotFoundException"


def test_tags_are_recorded(source):
    arn = create_classifier(source, new_name(), Tags=[{"Key": "team", "Value": "nlp"}])
    tags = source.client("comprehend").list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == [{"Key": "team", "Value": "nlp"}]


# --- lifecycle ----------------------------------------------------------------------------------

def test_classifier_goes_submitted_training_trained(local_cloud, source):
    name, alias = new_name(), f"alias/{new_name('models')}"
    key = source.client("kms").create_key()["KeyMetadata"]["KeyId"]
    source.client("kms").create_alias(AliasName=alias, TargetKeyId=key)
    # Long enough to be seen TRAINING even when the machine is busy.
    local_cloud.control("comprehend", "configure", models={name: {"training_s": 2}})
    arn = create_classifier(source, name, Mode="MULTI_LABEL", ModelKmsKeyId=alias)

    seen = statuses_until(source, arn, {"TRAINED"})

    assert seen == ["SUBMITTED", "TRAINING", "TRAINED"] or seen == ["TRAINING", "TRAINED"]
    props = describe(source, arn)
    assert props["VersionName"] == "v1" and props["LanguageCode"] == "en"
    assert props["Mode"] == "MULTI_LABEL" and props["ModelKmsKeyId"] == alias
    assert props["DataAccessRoleArn"] == ROLE
    assert props["SubmitTime"] <= props["TrainingStartTime"] < props["TrainingEndTime"]
    assert "ClassifierMetadata" in props and "SourceModelArn" not in props


def test_recognizer_is_not_trained_at_once(source):
    arn = create_recognizer(source, new_name("rec"))
    assert describe(source, arn)["Status"] in ("SUBMITTED", "TRAINING")
    assert wait_trained(source, arn)["RecognizerMetadata"]["EntityTypes"][0]["Type"] == "PART"


def test_named_model_ends_in_error_with_its_message(local_cloud, source):
    name = new_name("doomed")
    local_cloud.control("comprehend", "fail", model_name=name, message="No labels found")
    arn = create_classifier(source, name)

    assert statuses_until(source, arn, {"IN_ERROR", "TRAINED"})[-1] == "IN_ERROR"
    assert describe(source, arn)["Message"] == "No labels found"


def test_durations_per_model_name(local_cloud, source):
    slow = new_name("slow")
    local_cloud.control("comprehend", "configure", models={slow: {"training_s": 30}})
    quick_arn = create_classifier(source, new_name("quick"))
    slow_arn = create_classifier(source, slow)
    wait_trained(source, quick_arn)
    assert describe(source, slow_arn)["Status"] == "TRAINING"


def test_stop_training_ends_stopped(local_cloud, source):
    name = new_name("stop")
    local_cloud.control("comprehend", "configure", models={name: {"training_s": 30}})
    arn = create_classifier(source, name)
    source.client("comprehend").stop_training_document_classifier(DocumentClassifierArn=arn)

    assert statuses_until(source, arn, {"STOPPED"}) == ["STOP_REQUESTED", "STOPPED"]


def test_delete_only_in_a_terminal_state_and_then_gone(source):
    comprehend = source.client("comprehend")
    arn = create_classifier(source, new_name())
    assert error_code(lambda: comprehend.delete_document_classifier(
        DocumentClassifierArn=arn)) == "ResourceInUseException"
    wait_trained(source, arn)
    comprehend.put_resource_policy(ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT))

    comprehend.delete_document_classifier(DocumentClassifierArn=arn)

    assert describe(source, arn)["Status"] == "DELETING"
    time.sleep(FAST["deleting_s"] + 0.1)
    assert error_code(lambda: describe(source, arn)) == "ResourceNotFoundException"
    assert error_code(lambda: comprehend.describe_resource_policy(
        ResourceArn=arn)) == "ResourceNotFoundException"


def test_list_filters_by_name_and_status(source):
    name = new_name("listed")
    first = create_classifier(source, name, "v1")
    wait_trained(source, first)
    create_classifier(source, name, "v2")
    listed = source.client("comprehend").list_document_classifiers(
        Filter={"DocumentClassifierName": name})["DocumentClassifierPropertiesList"]
    assert sorted(p["VersionName"] for p in listed) == ["v1", "v2"]
    trained = source.client("comprehend").list_document_classifiers(
        Filter={"Status": "TRAINED"})["DocumentClassifierPropertiesList"]
    assert first in [p["DocumentClassifierArn"] for p in trained]


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
    arn = create_recognizer(source, new_name("rec"))
    wait_trained(source, arn)
    source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                    ResourcePolicy=import_policy(TARGET_ROLE))
    copy = target.client("comprehend").import_model(SourceModelArn=arn)["ModelArn"]
    assert ":entity-recognizer/" in copy
    assert wait_trained(target, copy)["SourceModelArn"] == arn


# --- throttling and counters --------------------------------------------------------------------

def test_throttling_at_rate_one_and_zero(local_cloud, source):
    comprehend = source.client("comprehend", config=NO_RETRIES)
    local_cloud.control("comprehend", "configure", throttle_probability=1.0)
    error = raised_error(lambda: comprehend.list_document_classifiers())
    assert error.response["Error"]["Code"] == "TooManyRequestsException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    local_cloud.control("comprehend", "configure", throttle_probability=0.0)
    comprehend.list_document_classifiers()

    ops = local_cloud.control("comprehend", "stats", account=SOURCE_ACCOUNT)[
        "accounts"][SOURCE_ACCOUNT]["operations"]
    assert ops["ListDocumentClassifiers"] == {"calls": 2, "throttled": 1}


def test_throttling_limited_to_operations_and_accounts(local_cloud, source, target):
    local_cloud.control("comprehend", "configure", throttle_probability=1.0,
                        throttle_operations=["ImportModel"], throttle_accounts=[TARGET_ACCOUNT])
    arn = create_classifier(source, new_name())  # other operations pass
    assert error_code(lambda: source.client("comprehend", config=NO_RETRIES).import_model(
        SourceModelArn=arn)) != "TooManyRequestsException"
    assert error_code(lambda: target.client("comprehend", config=NO_RETRIES).import_model(
        SourceModelArn=arn)) == "TooManyRequestsException"


def test_max_calls_per_second(local_cloud, source):
    local_cloud.control("comprehend", "configure", throttle_max_per_second=2)
    comprehend = source.client("comprehend", config=NO_RETRIES)
    comprehend.list_document_classifiers()
    comprehend.list_document_classifiers()
    assert error_code(comprehend.list_document_classifiers) == "TooManyRequestsException"
    comprehend.list_entity_recognizers()  # each operation has its own budget
    time.sleep(0.6)
    comprehend.list_document_classifiers()  # the bucket refilled


def test_botocore_retries_throttled_calls(local_cloud, source):
    local_cloud.control("comprehend", "configure", throttle_max_per_second=5)
    comprehend = source.client("comprehend", config=Config(
        retries={"mode": "standard", "total_max_attempts": 10}))
    for _ in range(8):
        comprehend.list_document_classifiers()
    counted = local_cloud.control("comprehend", "stats")["accounts"][SOURCE_ACCOUNT]
    assert counted["operations"]["ListDocumentClassifiers"]["calls"] > 8
    assert counted["throttled"] >= 1


def test_counters_per_account_and_operation(local_cloud, source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    target.client("comprehend").import_model(SourceModelArn=arn)
    raised_error(lambda: source.client("comprehend").import_model(
        SourceModelArn=arn.replace("/version/v1", "/version/v9")))

    counted = local_cloud.control("comprehend", "stats")["accounts"]
    assert counted[TARGET_ACCOUNT]["operations"] == {"ImportModel": {"calls": 1, "throttled": 0}}
    assert counted[TARGET_ACCOUNT]["imports"] == 1
    assert counted[SOURCE_ACCOUNT]["operations"]["CreateDocumentClassifier"]["calls"] == 1
    assert counted[SOURCE_ACCOUNT]["operations"]["PutResourcePolicy"]["calls"] == 1
    assert counted[SOURCE_ACCOUNT]["imports"] == 0
    local_cloud.control("comprehend", "reset")
    assert local_cloud.control("comprehend", "stats") == {"accounts": {}}


def test_refused_imports_are_counted(local_cloud, source, outsider):
    arn = shared_model(source, TARGET_ACCOUNT)
    raised_error(lambda: outsider.client("comprehend").import_model(SourceModelArn=arn))
    counted = local_cloud.control("comprehend", "stats", account=OUTSIDER_ACCOUNT)["accounts"]
    assert counted[OUTSIDER_ACCOUNT]["imports_refused"] == 1


def test_control_routes_refuse_unknown_settings(local_cloud):
    with pytest.raises(Exception, match="unknown settings"):
        local_cloud.control("comprehend", "configure", training_seconds=1)


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


def test_stop_requested_too_late_ends_trained(local_cloud, source):
    local_cloud.control("comprehend", "configure", stopping_s=30)
    arn = create_classifier(source, new_name("late"))
    statuses_until(source, arn, {"TRAINING"})
    source.client("comprehend").stop_training_document_classifier(DocumentClassifierArn=arn)

    assert statuses_until(source, arn, {"TRAINED", "STOPPED"}) == ["STOP_REQUESTED", "TRAINED"]


def test_a_failing_event_bus_never_fails_the_api_call(monkeypatch):
    from moto.events.models import EventsBackend

    from local_cloud.services import comprehend
    from local_cloud.services.cloudtrail import recording

    def broken(self, entries):
        raise RuntimeError("bus down")

    monkeypatch.setattr(EventsBackend, "put_events", broken)
    monkeypatch.setattr(recording, "is_recording", lambda account, region: True)
    caller = comprehend.Caller(account=SOURCE_ACCOUNT)
    comprehend.record_call(caller, REGION, "ImportModel", 200, '{"ModelArn": "arn"}')
    comprehend.record_call(caller, REGION, "ImportModel", 400, "not json")


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
