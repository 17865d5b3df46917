"""Comprehend custom models in the local cloud: real ARNs, validation and lookups, and a
clock-driven lifecycle (submitted, training, trained, stopped, deleted)."""

from __future__ import annotations

import re
import time

import pytest

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support.comprehend import (
    FAST,
    ROLE,
    create_classifier,
    create_recognizer,
    describe,
    error_code,
    import_policy,
    new_name,
    raised_error,
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
    # A missing model, call by call: test_comprehend_validation (codes and messages).
    # Another account's model is not found either.
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

def test_stop_requested_too_late_ends_trained(local_cloud, source):
    local_cloud.control("comprehend", "configure", stopping_s=30)
    arn = create_classifier(source, new_name("late"))
    statuses_until(source, arn, {"TRAINING"})
    source.client("comprehend").stop_training_document_classifier(DocumentClassifierArn=arn)

    assert statuses_until(source, arn, {"TRAINED", "STOPPED"}) == ["STOP_REQUESTED", "TRAINED"]
