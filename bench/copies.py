"""Copies on the running local cloud: start them, wait for them, read the counters they moved."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from model_copy.contract import TRAINED_STATUSES

from local_cloud.cloudformation.pipeline import Pipeline
from local_cloud.core.accounts import REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT
from local_cloud.core.launcher import LocalCloud
from model_copy_cli import training

ROLE_NAMES = {SOURCE_ACCOUNT: "source", TARGET_ACCOUNT: "target"}
# Describe calls are one operation for the minimum, whichever model type is copied.
DESCRIBE_OPERATIONS = ("DescribeDocumentClassifier", "DescribeEntityRecognizer")


class CopyBroken(RuntimeError):
    """The pipeline itself failed (not a missed target): the bench must fail."""


@dataclass(frozen=True)
class FinishedCopy:
    execution_arn: str
    status: str
    started: datetime
    stopped: datetime | None
    output: dict[str, Any] | None
    error: str | None = None

    @property
    def seconds(self) -> float:
        if self.stopped is None:
            raise CopyBroken(f"{self.execution_arn} has not stopped")
        return (self.stopped - self.started).total_seconds()


@dataclass
class Copier:
    cloud: LocalCloud
    pipeline: Pipeline
    source: boto3.Session
    target: boto3.Session

    @classmethod
    def for_cloud(cls, cloud: LocalCloud, pipeline: Pipeline) -> Copier:
        return cls(cloud, pipeline, boto3.Session(profile_name="source", region_name=REGION),
                   boto3.Session(profile_name="target", region_name=REGION))

    # ---------------------------------------------------------------- models
    def create_classifiers(self, prefix: str, count: int, timeout_s: float = 60,
                           account: str = SOURCE_ACCOUNT) -> list[str]:
        """Source models that are already TRAINED, so a copy spends no time on training."""
        arns = [training.create_classifier(self.source, f"{prefix}-{index}", account=account)
                for index in range(count)]
        deadline = time.monotonic() + timeout_s
        for arn in arns:
            try:
                props = training.wait_trained(self.source, arn, interval_s=0.2,
                                              timeout_s=max(0.0, deadline - time.monotonic()))
            except training.TrainingTimedOut:
                props = {"Status": "TRAINING"}
            if props["Status"] not in TRAINED_STATUSES:
                raise CopyBroken(f"source model {arn} never became TRAINED")
        return arns

    def describe(self, arn: str, session: boto3.Session | None = None) -> dict[str, Any]:
        client = (session or self.source).client("comprehend")
        return dict(client.describe_document_classifier(
            DocumentClassifierArn=arn)["DocumentClassifierProperties"])

    # ---------------------------------------------------------------- executions
    def start(self, source_arn: str, target_model_name: str | None = None,
              targets: Sequence[str] = (TARGET_ACCOUNT,)) -> str:
        execution_input: dict[str, Any] = {"sourceModelArn": source_arn,
                                           "targetAccounts": list(targets)}
        if target_model_name:
            execution_input["targetModelName"] = target_model_name
        response = self.source.client("stepfunctions").start_execution(
            stateMachineArn=self.pipeline.state_machine_arn,
            name=f"bench-{uuid.uuid4().hex[:16]}", input=json.dumps(execution_input))
        return str(response["executionArn"])

    def wait(self, execution_arns: Sequence[str], timeout_s: float) -> list[FinishedCopy]:
        """Wait for every execution to stop (or the timeout); one list call per second."""
        client = self.source.client("stepfunctions")
        wanted = set(execution_arns)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            running = {e["executionArn"] for e in _all_executions(client, self.pipeline)
                       if e["status"] == "RUNNING"}
            if not running & wanted:
                break
            time.sleep(1.0)
        return [self.finished(arn) for arn in execution_arns]

    def finished(self, execution_arn: str) -> FinishedCopy:
        described = self.source.client("stepfunctions").describe_execution(
            executionArn=execution_arn)
        output = described.get("output")
        return FinishedCopy(execution_arn=execution_arn, status=str(described["status"]),
                            started=described["startDate"], stopped=described.get("stopDate"),
                            output=json.loads(output) if output else None,
                            error=described.get("error"))

    # ---------------------------------------------------------------- counters
    def settle(self) -> None:
        """Let deliveries and async invocations finish, so counters hold the whole copy."""
        self.cloud.control("events", "wait_idle", timeout=30)
        self.cloud.control("lambda", "wait_idle", timeout_s=30)

    def counters(self) -> dict[str, int]:
        """Flat counters: comprehend per role and operation, our PutEvents, lambda per function."""
        counts: dict[str, int] = {}
        comprehend = self.cloud.control("comprehend", "stats")
        for account, account_stats in comprehend["accounts"].items():
            role = ROLE_NAMES.get(account, account)
            for operation, op_stats in account_stats.get("operations", {}).items():
                if operation in DESCRIBE_OPERATIONS:
                    operation = "DescribeModel"
                key = f"comprehend:{role}:{operation}"
                counts[key] = counts.get(key, 0) + int(op_stats["calls"])
        counts.update(self._our_put_events())
        for function_arn, fn_stats in self.cloud.control("lambda", "stats")["functions"].items():
            counts[f"lambda:{_function_role(function_arn)}"] = int(fn_stats["invocations"])
        return counts

    def _our_put_events(self) -> dict[str, int]:
        """Events put by the pipeline (not AWS's CloudTrail events), per detail-type."""
        totals: dict[str, int] = {}
        for bus_arn in self.cloud.control("events", "stats"):
            account = bus_arn.split(":")[4]
            bus = bus_arn.split("event-bus/")[1]
            for record in self.cloud.control("events", "recent", account=account, bus=bus,
                                             limit=0):
                if (record["received_via"] == "PutEvents"
                        and not str(record["event"].get("source", "")).startswith("aws.")):
                    key = f"events:PutEvents:{record['event'].get('detail-type')}"
                    totals[key] = totals.get(key, 0) + 1
        return totals

    def outcome_events(self, bus: str) -> list[dict[str, Any]]:
        """Outcomes go straight back to the source's bus."""
        return [record["event"] for record in self.cloud.control(
            "events", "recent", account=SOURCE_ACCOUNT, bus=bus, limit=0)]


def _all_executions(client: Any, pipeline: Pipeline) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = []
    for page in client.get_paginator("list_executions").paginate(
            stateMachineArn=pipeline.state_machine_arn):
        executions.extend(page["executions"])
    return executions


def _function_role(function_arn: str) -> str:
    """`model-copy-target-ImportModelFunction-AB12` -> `ImportModel` (names come from the stack)."""
    name = function_arn.split(":")[6]
    for part in name.split("-"):
        if part.endswith("Function"):
            return part.removesuffix("Function")
    return name


def by_service(delta: dict[str, int]) -> dict[str, int]:
    services: dict[str, int] = {}
    for key, value in delta.items():
        service = key.split(":")[0]
        services[service] = services.get(service, 0) + value
    return services
