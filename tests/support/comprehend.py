"""Comprehend models on a local cloud, for tests: create, describe, wait for a status, share;
catch client errors; fast lifecycle settings for a block."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LOCAL_ROLE, LocalCloud
from tests.support import new_name

ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/comprehend-data-access"
TARGET_ROLE = f"arn:aws:iam::{TARGET_ACCOUNT}:role/{LOCAL_ROLE}"  # what the target profile assumes
NO_RETRIES = Config(retries={"total_max_attempts": 1})
FAST = {"submitted_s": 0.05, "training_s": 0.3, "import_s": 0.3, "stopping_s": 0.3,
        "deleting_s": 0.2}


def create_classifier(session: boto3.Session, name: str, version: str | None = "v1",
                      **extra: Any) -> str:
    request: dict[str, Any] = {
        "DocumentClassifierName": name, "LanguageCode": "en", "DataAccessRoleArn": ROLE,
        "InputDataConfig": {"S3Uri": "s3://training/docs.csv"}, **extra}
    if version:
        request["VersionName"] = version
    return str(session.client("comprehend").create_document_classifier(
        **request)["DocumentClassifierArn"])


def create_recognizer(session: boto3.Session, name: str, version: str = "v1") -> str:
    return str(session.client("comprehend").create_entity_recognizer(
        RecognizerName=name, VersionName=version, LanguageCode="en", DataAccessRoleArn=ROLE,
        InputDataConfig={"EntityTypes": [{"Type": "PART"}],
                         "Documents": {"S3Uri": "s3://training/docs"},
                         "EntityList": {"S3Uri": "s3://training/list.csv"}},
    )["EntityRecognizerArn"])


def describe(session: boto3.Session, arn: str) -> dict[str, Any]:
    comprehend = session.client("comprehend")
    if ":entity-recognizer/" in arn:
        return comprehend.describe_entity_recognizer(
            EntityRecognizerArn=arn)["EntityRecognizerProperties"]
    return comprehend.describe_document_classifier(
        DocumentClassifierArn=arn)["DocumentClassifierProperties"]


def statuses_until(session: boto3.Session, arn: str, final: set[str],
                   timeout: float = 10.0) -> list[str]:
    """Every distinct status seen while polling, ending with one of `final`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = describe(session, arn)["Status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in final:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{arn} never reached {final}; saw {seen}")


def wait_trained(session: boto3.Session, arn: str) -> dict[str, Any]:
    statuses_until(session, arn, {"TRAINED"})
    return describe(session, arn)


def raised_error(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def error_code(call: Callable[[], Any]) -> str:
    return str(raised_error(call).response["Error"]["Code"])


def import_policy(*principals: str, effect: str = "Allow",
                  action: Any = "comprehend:ImportModel") -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": effect, "Action": action, "Resource": "*",
        "Principal": {"AWS": list(principals)}}]})


def shared_model(source: boto3.Session, *principals: str) -> str:
    arn = create_classifier(source, new_name("shared"))
    wait_trained(source, arn)
    source.client("comprehend").put_resource_policy(ResourceArn=arn,
                                                    ResourcePolicy=import_policy(*principals))
    return arn


@contextmanager
def fast_lifecycle(cloud: LocalCloud) -> Iterator[None]:
    """Comprehend's settings and counters reset, and short durations, for the block."""
    cloud.control("comprehend", "reset")
    cloud.control("comprehend", "configure", **FAST)
    try:
        yield
    finally:
        cloud.control("comprehend", "reset")
