"""Shares put straight on B's bus, the way the state machine puts them, for tests of the
target side: the share's detail, the put, the wait until everything it set off has run, the
ledger entry it leaves and the outcomes B reports back to A."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
from model_copy.contract import EVENT_SOURCE, DetailType

from local_cloud.cloudformation import pipeline
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LocalCloud
from tests.support.comprehend import trained_classifier


def share_detail(source_arn: str, name: str, **overrides: Any) -> dict[str, Any]:
    kind = "entity-recognizer" if ":entity-recognizer/" in source_arn else "document-classifier"
    return {"sourceModelArn": source_arn, "modelType": kind, "sourceAccount": SOURCE_ACCOUNT,
            "targetAccount": TARGET_ACCOUNT, "targetModelName": name, "targetVersionName": "v1",
            "correlationId": f"fault-{uuid.uuid4().hex[:8]}", **overrides}


TARGET_BUS = f"arn:aws:events:{REGION}:{TARGET_ACCOUNT}:event-bus/model-copy"


def put_share(session: boto3.Session, detail: dict[str, Any] | str,
              bus: str = TARGET_BUS) -> dict[str, Any]:
    body = detail if isinstance(detail, str) else json.dumps(detail)
    return session.client("events").put_events(Entries=[{
        "EventBusName": bus, "Source": EVENT_SOURCE,
        "DetailType": DetailType.MODEL_VERSION_SHARED,
        "Detail": body}])


def settle(cloud: LocalCloud) -> None:
    """Wait until every delivery and asynchronous invocation has run."""
    for _ in range(3):
        cloud.control("events", "wait_idle", timeout=60)
        cloud.control("lambda", "wait_idle", timeout_s=60)


def ledger_item(target: boto3.Session, deployed: pipeline.Pipeline,
                detail: dict[str, Any]) -> dict[str, Any] | None:
    table = boto3.Session(profile_name="target", region_name=REGION).resource(
        "dynamodb").Table(deployed.target.outputs["ImportLedgerTableName"])
    key = f"{detail['sourceModelArn']}|{detail['targetModelName']}|{detail['targetVersionName']}"
    return table.get_item(Key={"copyKey": key}, ConsistentRead=True).get("Item")


def outcomes_on_source_bus(cloud: LocalCloud, correlation_id: str) -> list[dict[str, Any]]:
    """What B reported back: outcomes go straight to the source's bus."""
    seen = cloud.control("events", "recent", account=SOURCE_ACCOUNT, bus="model-copy", limit=0)
    return [r["event"] for r in seen
            if r["event"].get("detail", {}).get("correlationId") == correlation_id
            and r["event"]["detail-type"] != DetailType.MODEL_VERSION_SHARED]


def shared_with_importer(source: boto3.Session) -> str:
    """A trained classifier in A whose policy lets B's import role import it (shared by the
    domain's own share_model_version)."""
    from model_copy.policy import TargetCopy
    from model_copy.sharing import share_model_version

    arn = trained_classifier(source)
    role = f"arn:aws:iam::{TARGET_ACCOUNT}:role/model-copy-importer-{REGION}"
    copy = TargetCopy(TARGET_ACCOUNT, arn.split("/")[1], "v1")  # any copy's statement admits
    share_model_version(source.client("comprehend"), arn, copy, role)
    return arn
