"""Every error AWS documents for ImportModel can be injected through the control API, on the
first call or on every call, so the import function's handling of each is tested on the local
cloud rather than only with fakes (issue 14 item 11)."""

from __future__ import annotations

import pytest

from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LocalCloudError
from tests.support.comprehend import NO_RETRIES, new_name, raised_error, shared_model, wait_trained

# ImportModel's Errors section, plus AccessDeniedException from the Common Errors
# (aws-facts item 4); InternalServerException is the only HTTP 500.
DOCUMENTED = {
    "InternalServerException": 500,
    "InvalidRequestException": 400,
    "KmsKeyValidationException": 400,
    "ResourceInUseException": 400,
    "ResourceLimitExceededException": 400,
    "ResourceNotFoundException": 400,
    "ResourceUnavailableException": 400,
    "TooManyRequestsException": 400,
    "TooManyTagsException": 400,
    "AccessDeniedException": 400,
}


pytestmark = pytest.mark.usefixtures("fast_models")


@pytest.mark.parametrize("code", sorted(DOCUMENTED))
def test_each_documented_error_can_fail_the_first_import(local_cloud, source, target, code):
    arn = shared_model(source, TARGET_ACCOUNT)
    comprehend = target.client("comprehend", config=NO_RETRIES)
    local_cloud.control("comprehend", "inject", operation="ImportModel", error=code, times=1)

    failed = raised_error(
        lambda: comprehend.import_model(SourceModelArn=arn, ModelName=new_name()))

    assert failed.response["Error"]["Code"] == code
    assert failed.response["Error"]["Message"]
    assert failed.response["ResponseMetadata"]["HTTPStatusCode"] == DOCUMENTED[code]
    assert failed.response["ResponseMetadata"]["RequestId"]
    copy = comprehend.import_model(SourceModelArn=arn, ModelName=new_name())["ModelArn"]
    assert wait_trained(target, copy)["SourceModelArn"] == arn


def test_an_error_on_every_call_holds_until_cleared(local_cloud, source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    comprehend = target.client("comprehend", config=NO_RETRIES)
    local_cloud.control("comprehend", "inject", operation="ImportModel",
                        error="ResourceUnavailableException", message="model store busy")

    for _ in range(3):
        error = raised_error(lambda: comprehend.import_model(SourceModelArn=arn)).response
        assert error["Error"] == {"Code": "ResourceUnavailableException",
                                  "Message": "model store busy"}
    # Other operations are not affected, and nothing was imported.
    listed = comprehend.list_document_classifiers()["DocumentClassifierPropertiesList"]
    assert all(p.get("SourceModelArn") != arn for p in listed)

    assert local_cloud.control("comprehend", "inject", operation="ImportModel",
                               error=None) == {}
    comprehend.import_model(SourceModelArn=arn, ModelName=new_name())


def test_an_injection_can_be_limited_to_accounts(local_cloud, source, target):
    arn = shared_model(source, TARGET_ACCOUNT)
    local_cloud.control("comprehend", "inject", operation="ImportModel",
                        error="ResourceLimitExceededException", accounts=[TARGET_ACCOUNT])

    own_copy = source.client("comprehend").import_model(SourceModelArn=arn,
                                                        ModelName=new_name("own"))["ModelArn"]

    assert own_copy.split(":")[4] == SOURCE_ACCOUNT
    assert raised_error(lambda: target.client("comprehend", config=NO_RETRIES).import_model(
        SourceModelArn=arn)).response["Error"]["Code"] == "ResourceLimitExceededException"


def test_injections_are_listed_and_reset(local_cloud):
    listed = local_cloud.control("comprehend", "inject", operation="ImportModel",
                                 error="TooManyTagsException", times=2)
    assert listed == {"ImportModel": {"error": "TooManyTagsException", "message": listed[
        "ImportModel"]["message"], "times": 2, "accounts": None}}
    assert "tags" in listed["ImportModel"]["message"]
    local_cloud.control("comprehend", "reset")
    assert local_cloud.control("comprehend", "inject", operation="ImportModel",
                               error=None) == {}


@pytest.mark.parametrize("request_body", [
    {"operation": "ImportModel", "error": "ThrottlingExceptionTypo"},
    {"operation": "ImportModel", "error": "ValidationException"},  # not in ImportModel's list
    {"operation": "ImportModel", "error": "InternalServerException", "times": 0},
    {"operation": "CreateEndpoint", "error": "InternalServerException"},
])
def test_injections_aws_does_not_document_are_refused(local_cloud, request_body):
    with pytest.raises(LocalCloudError, match=r"ImportModel|times"):
        local_cloud.control("comprehend", "inject", **request_body)
