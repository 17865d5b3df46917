"""Local Comprehend input checks as AWS makes them: whole-string patterns (a trailing newline or
any control character is refused), moto's exact not-found message, model policies with
statements, hexadecimal policy revisions that DeleteResourcePolicy honours."""

from __future__ import annotations

import json
import re

import pytest

from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.support.comprehend import (
    create_classifier,
    error_code,
    import_policy,
    new_name,
    raised_error,
    shared_model,
    wait_trained,
)

# moto's own message (moto/comprehend/exceptions.py ResourceNotFound), which its tests compare.
NOT_FOUND = "RESOURCE_NOT_FOUND: Could not find specified resource."
CONTROL_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x0b", "\x1f", "\x7f"]


pytestmark = pytest.mark.usefixtures("fast_models")


def _missing_arn() -> str:
    return (f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
            f"document-classifier/{new_name()}/version/v1")


# --- not found ---------------------------------------------------------------------------------

def test_not_found_messages_equal_motos(source):
    missing = _missing_arn()
    comprehend = source.client("comprehend")
    calls = [lambda: comprehend.describe_document_classifier(DocumentClassifierArn=missing),
             lambda: comprehend.delete_document_classifier(DocumentClassifierArn=missing),
             lambda: comprehend.stop_training_document_classifier(DocumentClassifierArn=missing),
             lambda: comprehend.put_resource_policy(ResourceArn=missing,
                                                    ResourcePolicy=import_policy(TARGET_ACCOUNT)),
             lambda: comprehend.describe_resource_policy(ResourceArn=missing),
             lambda: comprehend.delete_resource_policy(ResourceArn=missing),
             lambda: comprehend.list_tags_for_resource(ResourceArn=missing)]
    errors = [raised_error(call).response["Error"] for call in calls]
    assert [(e["Code"], e["Message"]) for e in errors] == [
        ("ResourceNotFoundException", NOT_FOUND)] * len(calls)


def test_a_model_without_policy_has_no_policy_to_describe_or_delete(source):
    arn = create_classifier(source, new_name())
    comprehend = source.client("comprehend")
    for call in (lambda: comprehend.describe_resource_policy(ResourceArn=arn),
                 lambda: comprehend.delete_resource_policy(ResourceArn=arn)):
        error = raised_error(call).response["Error"]
        assert (error["Code"], error["Message"]) == ("ResourceNotFoundException", NOT_FOUND)


# --- policies and revisions --------------------------------------------------------------------

@pytest.mark.parametrize("policy", [
    {"Version": "2012-10-17"},
    {"Version": "2012-10-17", "Statement": []},
    {"Version": "2012-10-17", "Statement": None},
    {},
])
def test_a_policy_without_statements_is_refused(source, policy):
    arn = create_classifier(source, new_name())
    error = raised_error(lambda: source.client("comprehend").put_resource_policy(
        ResourceArn=arn, ResourcePolicy=json.dumps(policy))).response["Error"]
    assert error["Code"] == "InvalidRequestException"
    assert "Statement" in error["Message"]


def test_revision_ids_are_hexadecimal(source):
    comprehend = source.client("comprehend")
    arn = create_classifier(source, new_name())
    revision = None
    for principal in (TARGET_ACCOUNT, SOURCE_ACCOUNT, TARGET_ACCOUNT):
        extra = {"PolicyRevisionId": revision} if revision else {}
        revision = comprehend.put_resource_policy(
            ResourceArn=arn, ResourcePolicy=import_policy(principal), **extra)["PolicyRevisionId"]
        # PolicyRevisionId: max 64, pattern [0-9A-Fa-f]+ (aws-facts item 5).
        assert re.fullmatch(r"[0-9A-Fa-f]{1,64}", revision), revision
    assert comprehend.describe_resource_policy(ResourceArn=arn)["PolicyRevisionId"] == revision


@pytest.mark.parametrize("revision", ["not-hex", "abc\n", "a" * 65])
def test_a_revision_id_that_is_not_hexadecimal_is_a_validation_error(source, revision):
    comprehend = source.client("comprehend")
    arn = create_classifier(source, new_name())
    comprehend.put_resource_policy(ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT))
    for call in (lambda: comprehend.put_resource_policy(
                     ResourceArn=arn, ResourcePolicy=import_policy(SOURCE_ACCOUNT),
                     PolicyRevisionId=revision),
                 lambda: comprehend.delete_resource_policy(ResourceArn=arn,
                                                           PolicyRevisionId=revision)):
        assert error_code(call) == "ValidationException"


def test_delete_resource_policy_honours_the_revision(source):
    comprehend = source.client("comprehend")
    arn = create_classifier(source, new_name())
    first = comprehend.put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT))["PolicyRevisionId"]
    current = comprehend.put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(SOURCE_ACCOUNT),
        PolicyRevisionId=first)["PolicyRevisionId"]

    stale = raised_error(lambda: comprehend.delete_resource_policy(
        ResourceArn=arn, PolicyRevisionId=first)).response["Error"]

    assert stale["Code"] == "InvalidRequestException" and "revision" in stale["Message"].lower()
    assert comprehend.describe_resource_policy(ResourceArn=arn)["PolicyRevisionId"] == current
    comprehend.delete_resource_policy(ResourceArn=arn, PolicyRevisionId=current)
    assert error_code(lambda: comprehend.describe_resource_policy(
        ResourceArn=arn)) == "ResourceNotFoundException"


# --- whole-string patterns ---------------------------------------------------------------------

@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_names_with_a_control_character_are_refused(source, character):
    name = new_name()
    comprehend = source.client("comprehend")
    assert error_code(lambda: create_classifier(source, name + character)) == (
        "ValidationException")
    assert error_code(lambda: create_classifier(source, name, version="v1" + character)) == (
        "ValidationException")
    assert error_code(lambda: comprehend.create_entity_recognizer(
        RecognizerName=name + character, LanguageCode="en",
        DataAccessRoleArn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/data",
        InputDataConfig={"EntityTypes": [{"Type": "PART"}],
                         "Documents": {"S3Uri": "s3://training/docs"}})) == "ValidationException"
    assert error_code(lambda: comprehend.describe_document_classifier(
        DocumentClassifierArn=f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:"
                              f"document-classifier/{name}")) == "ResourceNotFoundException"


def test_a_trailing_newline_is_refused_everywhere_in_import_model(source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    comprehend = target.client("comprehend")
    role = f"arn:aws:iam::{TARGET_ACCOUNT}:role/comprehend-import"
    for request in ({"ModelName": "nl-x\n"}, {"ModelName": new_name(), "VersionName": "v9\n"},
                    {"DataAccessRoleArn": role + "\n"}):
        error = raised_error(lambda: comprehend.import_model(
            SourceModelArn=arn, **request)).response["Error"]  # noqa: B023 - called at once
        assert error["Code"] == "ValidationException", request
    assert error_code(lambda: comprehend.import_model(
        SourceModelArn=arn + "\n")) == "ValidationException"
    # Nothing was imported under the refused names.
    listed = comprehend.list_document_classifiers()["DocumentClassifierPropertiesList"]
    assert not [p for p in listed if p["DocumentClassifierArn"].split("/")[1].startswith("nl-x")]


@pytest.mark.parametrize("arn", [
    "unknown",
    f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/m/version/v1\n",
    f"arn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/m_1",
    f"\narn:aws:comprehend:{REGION}:{SOURCE_ACCOUNT}:document-classifier/m",
])
def test_malformed_model_arns_are_validation_errors(source, arn):
    comprehend = source.client("comprehend")
    for call in (lambda: comprehend.describe_document_classifier(DocumentClassifierArn=arn),
                 lambda: comprehend.describe_resource_policy(ResourceArn=arn),
                 lambda: comprehend.put_resource_policy(
                     ResourceArn=arn, ResourcePolicy=import_policy(TARGET_ACCOUNT))):
        error = raised_error(call).response["Error"]
        assert error["Code"] == "ValidationException"
        assert "regular expression pattern" in error["Message"]


@pytest.mark.parametrize("principal", [
    f"{TARGET_ACCOUNT}\n", f"arn:aws:iam::{TARGET_ACCOUNT}:root\n",
    f"arn:aws:iam::{TARGET_ACCOUNT}:role/x\t"])
def test_a_policy_principal_with_a_control_character_is_refused(source, principal):
    arn = create_classifier(source, new_name())
    wait_trained(source, arn)
    assert error_code(lambda: source.client("comprehend").put_resource_policy(
        ResourceArn=arn, ResourcePolicy=import_policy(principal))) == "InvalidRequestException"


def test_a_model_policy_over_20000_characters_is_refused(source):
    """PutResourcePolicy's ResourcePolicy is 1..20000 characters of Latin-1 (the API's `Policy`
    shape in botocore's Comprehend model); moto stores any length."""
    arn = create_classifier(source, new_name("big"))
    wait_trained(source, arn)
    comprehend = source.client("comprehend")
    statement = json.loads(import_policy(f"arn:aws:iam::{TARGET_ACCOUNT}:root"))["Statement"][0]
    statements = [{**statement, "Sid": f"S{n:05d}"} for n in range(200)]
    text = json.dumps({"Version": "2012-10-17", "Statement": statements})
    assert len(text) > 20_000
    refused = raised_error(lambda: comprehend.put_resource_policy(ResourceArn=arn,
                                                                   ResourcePolicy=text))
    assert refused.response["Error"]["Code"] == "ValidationException"
    assert "20000" in refused.response["Error"]["Message"]
    fits = json.dumps({"Version": "2012-10-17", "Statement": statements[:40]})
    assert len(fits) <= 20_000
    comprehend.put_resource_policy(ResourceArn=arn, ResourcePolicy=fits)
