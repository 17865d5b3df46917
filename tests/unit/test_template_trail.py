"""The optional trail the tag trigger needs (issue 13 item 3): off by default, and when on, a
logging trail of this Region whose bucket only CloudTrail, for this trail, can write to."""

from __future__ import annotations

from functools import cache
from typing import Any

from tests.static_checks import OfflineStack, offline_stack

TRAIL_RESOURCES = {"Trail", "TrailBucket", "TrailBucketPolicy"}


@cache
def stack(scenario: str) -> OfflineStack:
    return offline_stack(scenario)


def _of_type(current: OfflineStack, kind: str) -> list[dict[str, Any]]:
    return [spec for spec in current.resources.values() if spec["Type"] == kind]


def test_no_trail_unless_asked_for() -> None:
    for scenario in ("source", "target"):  # CreateTrail left at its default
        assert not _of_type(stack(scenario), "AWS::CloudTrail::Trail"), scenario
        assert not TRAIL_RESOURCES & set(stack(scenario).resources), scenario


def test_the_trail_logs_management_writes_of_this_region_into_its_bucket() -> None:
    current = stack("both")  # CreateTrail=true
    [trail] = _of_type(current, "AWS::CloudTrail::Trail")
    properties = trail["Properties"]
    assert properties["IsLogging"] is True or str(properties["IsLogging"]).lower() == "true"
    assert str(properties["IsMultiRegionTrail"]).lower() == "false"
    [selector] = properties["EventSelectors"]
    assert selector["IncludeManagementEvents"] in (True, "true")
    assert selector["ReadWriteType"] in ("WriteOnly", "All")  # Create* are writes
    assert properties["S3BucketName"] == current.resources["TrailBucket"]["Properties"].get(
        "BucketName", properties["S3BucketName"])
    assert len(properties["TrailName"]) <= 128


def test_only_cloudtrail_for_this_trail_may_write_the_bucket() -> None:
    current = stack("both")
    [trail] = _of_type(current, "AWS::CloudTrail::Trail")
    trail_arn = (f"arn:aws:cloudtrail:us-east-1:{current.account}:trail/"
                 f"{trail['Properties']['TrailName']}")
    document = current.resources["TrailBucketPolicy"]["Properties"]["PolicyDocument"]
    allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    assert {s["Action"] for s in allows} == {"s3:GetBucketAcl", "s3:PutObject"}
    for statement in allows:
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        assert statement["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    [write] = [s for s in allows if s["Action"] == "s3:PutObject"]
    assert write["Resource"].endswith(f"/AWSLogs/{current.account}/*")
    assert any(s["Effect"] == "Deny" and s["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}} for s in document["Statement"])


def test_the_bucket_is_private_and_encrypted() -> None:
    properties = stack("both").resources["TrailBucket"]["Properties"]
    assert all(str(v).lower() == "true"
               for v in properties["PublicAccessBlockConfiguration"].values())
    assert len(properties["PublicAccessBlockConfiguration"]) == 4
    rule = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
