"""Comprehend models on a local cloud, for tests: create, train, describe, wait for a status,
share; catch client errors; fast lifecycle settings for a block.

Classifiers are created and trained the way `model-copy local train` does it
(model_copy_cli.training), so tests, bench/ and the command make "a trained classifier" alike.
"""

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
from model_copy_cli import training
from tests.support import new_name

ROLE = training.data_access_role(SOURCE_ACCOUNT)
TARGET_ROLE = f"arn:aws:iam::{TARGET_ACCOUNT}:role/{LOCAL_ROLE}"  # what the target profile assumes
NO_RETRIES = Config(retries={"total_max_attempts": 1})
FAST = {"submitted_s": 0.05, "training_s": 0.3, "import_s": 0.3, "stopping_s": 0.3,
        "deleting_s": 0.2}


def create_classifier(session: boto3.Session, name: str, version: str | None = "v1",
                      **extra: Any) -> str:
    """A new classifier, training; `extra`: more CreateDocumentClassifier parameters."""
    return training.create_classifier(session, name, version, **extra)


def trained_classifier(session: boto3.Session, name: str | None = None, version: str = "v1",
                       *, account: str = SOURCE_ACCOUNT, tags: list[dict[str, str]] | None = None,
                       timeout_s: float = 30.0) -> str:
    """A classifier of the session's account (`account`) that is TRAINED, else the test fails:
    its ARN."""
    props = training.train_classifier(session, name or new_name("clf"), version,
                                      account=account, tags=tags, timeout_s=timeout_s,
                                      interval_s=0.1)
    assert props["Status"] == "TRAINED", f"{props['DocumentClassifierArn']} is {props['Status']}"
    return str(props["DocumentClassifierArn"])


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


def shared_model(source: boto3.Session, *principals: str,
                 create: Callable[[boto3.Session, str], str] = create_classifier) -> str:
    """A trained model (`create`: a classifier unless told) whose policy lets `principals`
    import it."""
    arn = create(source, new_name("shared"))
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


# ---------------------------------------------------------------- the local Comprehend's counters
def comprehend_calls(cloud: LocalCloud, account: str | None = TARGET_ACCOUNT) -> int:
    """Comprehend API calls the local cloud counted in `account` (None: in every account)."""
    accounts = cloud.control("comprehend", "stats")["accounts"]
    if account is None:
        return sum(int(counted.get("calls", 0)) for counted in accounts.values())
    return int(accounts.get(account, {}).get("calls", 0))


def imports(cloud: LocalCloud, account: str = TARGET_ACCOUNT) -> int:
    """ImportModel calls the local cloud counted in `account`."""
    return int(cloud.control("comprehend", "stats")["accounts"].get(account, {}).get("imports", 0))
