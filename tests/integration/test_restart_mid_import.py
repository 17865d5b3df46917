"""Issue 7's fault "the local cloud restarted mid-import": the copy still completes, once.

The import Lambda's asynchronous invocation is durable (re-queued at start, same request
id), so the retry resumes from the ledger entry it owns instead of importing again. The
source execution cannot survive (its interpreter thread is gone): it must end FAILED with
`LocalCloudRestarted`, never stay RUNNING.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core import launcher, persistence
from local_cloud.core.accounts import REGION, TARGET_ACCOUNT
from tests.integration.conftest import Copier, manual_input
from tests.support.clouds import private_cloud

COPY_NAME = "restarted-copy"
IMPORT_S = 6.0  # long enough to restart while the copy is importing


@dataclass
class Cloud:
    cloud: launcher.LocalCloud
    copier: Copier


@pytest.fixture(scope="module")
def own_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    """A cloud of our own: the session one must not be restarted under other tests."""
    with private_cloud(tmp_path_factory.mktemp("restart-mid-import")) as cloud:
        cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.5,
                      import_s=IMPORT_S)
        deployed = pipeline.deploy_pipeline(cloud)
        copier = Copier(source=boto3.Session(profile_name="source", region_name=REGION),
                        target=boto3.Session(profile_name="target", region_name=REGION),
                        pipeline=deployed)
        yield Cloud(cloud, copier)


def _copies(copier: Copier) -> list[dict[str, Any]]:
    listed = copier.target.client("comprehend").list_document_classifiers(
        Filter={"DocumentClassifierName": COPY_NAME})["DocumentClassifierPropertiesList"]
    return [c for c in listed if f"/{COPY_NAME}/" in c["DocumentClassifierArn"]]


def _ledger(copier: Copier, source_arn: str) -> list[dict[str, Any]]:
    table = copier.target.resource("dynamodb").Table(
        copier.pipeline.target.outputs["ImportLedgerTableName"])
    return [item for item in table.scan(ConsistentRead=True)["Items"]
            if str(item["copyKey"]).startswith(source_arn + "|")]


@pytest.mark.fault
def test_copy_completes_once_after_a_restart_mid_import(own_cloud: Cloud):
    """The local cloud restarted mid-import: the copy completes once; the run fails visibly."""
    copier = own_cloud.copier
    source_arn = copier.create_classifier()
    copier.wait_trained(source_arn)
    execution_arn = copier.start(manual_input(source_arn, targetModelName=COPY_NAME))

    # The import has started in B: the copy exists and the ledger knows it.
    [started] = copier.wait_for(lambda: [item for item in _ledger(copier, source_arn)
                                         if item.get("targetModelArn")], timeout=60)
    [copy] = _copies(copier)
    assert copy["Status"] in ("SUBMITTED", "TRAINING")
    assert started["status"] == "IMPORTING"

    before = time.monotonic()
    assert launcher.stop(own_cloud.cloud.state_dir)
    cloud = launcher.start(own_cloud.cloud.state_dir, port=own_cloud.cloud.port)
    restart_s = time.monotonic() - before
    restored = cloud.control("state", "status")["restored"]
    assert restored and restored["error"] is None and restored["not_saved"] == {}

    # The source execution lost its interpreter: visibly FAILED, not RUNNING forever.
    execution = copier.wait_execution(execution_arn, timeout=10)
    assert execution["status"] == "FAILED"
    assert execution["error"] == persistence.RESTART_ERROR
    assert "restarted" in execution["cause"]
    assert execution_arn in restored["failed_executions"]

    # B's import Lambda is retried from its durable queue and follows the same import.
    [done] = copier.wait_for(lambda: [item for item in _ledger(copier, source_arn)
                                      if item["status"] == "DONE"], timeout=60)
    assert done["targetModelArn"] == started["targetModelArn"]
    assert done["owner"] == started["owner"]  # the same request id resumed, none took over
    [copy] = _copies(copier)  # exactly one model of that name: no second ImportModel
    assert copy["Status"] == "TRAINED"
    assert copy["DocumentClassifierArn"] == started["targetModelArn"]
    assert copy["SourceModelArn"] == source_arn
    assert TARGET_ACCOUNT in copy["DocumentClassifierArn"]
    print(f"\nrestart {restart_s:.2f}s; restore {restored['seconds']:.3f}s "
          f"({restored['bytes']} bytes); shutdown save: see server.log")
