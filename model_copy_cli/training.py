"""Training a document classifier on the local cloud: create it, then follow it until its
training ends.

`model-copy local train` and the demo train with it; bench/ and the tests (through
tests/support) too, so that "a trained classifier" is made one way. The local cloud reads no
training data: the S3 location is made up, and the data access role is any role name of the
model's account.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3

from local_cloud.core.accounts import SOURCE_ACCOUNT
from model_copy_cli.errors import CliError

TRAINING_DATA = {"DataFormat": "COMPREHEND_CSV", "S3Uri": "s3://model-copy-local/train.csv"}
TRAINING_TIMEOUT_S = 120.0
STILL_TRAINING = ("SUBMITTED", "TRAINING")


class TrainingTimedOut(CliError):
    """The model was still training when the wait ran out."""


def data_access_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/comprehend-data"


def create_classifier(session: boto3.Session, name: str, version: str | None = "v1", *,
                      account: str = SOURCE_ACCOUNT, tags: list[dict[str, str]] | None = None,
                      **extra: Any) -> str:
    """A new classifier version of the session's account (`account`), training; its ARN.
    `extra`: more CreateDocumentClassifier parameters (ModelKmsKeyId, ...)."""
    request: dict[str, Any] = {
        "DocumentClassifierName": name, "LanguageCode": "en",
        "DataAccessRoleArn": data_access_role(account), "InputDataConfig": TRAINING_DATA,
        **({"VersionName": version} if version else {}), **({"Tags": tags} if tags else {}),
        **extra}
    response = session.client("comprehend").create_document_classifier(**request)
    return str(response["DocumentClassifierArn"])


def wait_trained(session: boto3.Session, arn: str, *, timeout_s: float = TRAINING_TIMEOUT_S,
                 interval_s: float = 0.3,
                 on_status: Callable[[float, str], object] | None = None) -> dict[str, Any]:
    """The classifier's properties once its training ended (TRAINED, IN_ERROR, STOPPED, ...);
    `on_status(seconds, status)` hears each new status. TrainingTimedOut after `timeout_s`."""
    comprehend = session.client("comprehend")
    started, last = time.monotonic(), None
    while True:
        props = comprehend.describe_document_classifier(
            DocumentClassifierArn=arn)["DocumentClassifierProperties"]
        if props["Status"] != last:
            last = props["Status"]
            if on_status is not None:
                on_status(time.monotonic() - started, last)
        if last not in STILL_TRAINING:
            return dict(props)
        if time.monotonic() - started > timeout_s:
            raise TrainingTimedOut(f"{arn} was still {last} after {timeout_s:.0f}s")
        time.sleep(interval_s)


def train_classifier(session: boto3.Session, name: str, version: str = "v1", *,
                     account: str = SOURCE_ACCOUNT, tags: list[dict[str, str]] | None = None,
                     timeout_s: float = TRAINING_TIMEOUT_S, interval_s: float = 0.3,
                     on_status: Callable[[float, str], object] | None = None,
                     on_created: Callable[[str], object] | None = None) -> dict[str, Any]:
    """A classifier created and followed until its training ended: its properties."""
    arn = create_classifier(session, name, version, account=account, tags=tags)
    if on_created is not None:
        on_created(arn)
    return wait_trained(session, arn, timeout_s=timeout_s, interval_s=interval_s,
                        on_status=on_status)
