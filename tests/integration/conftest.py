"""The deployed pipeline on the local cloud, shared by the integration tests of one process."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core.accounts import REGION
from model_copy_cli import training
from tests.conftest import wait_until
from tests.support import new_name
from tests.support.comprehend import create_classifier


@pytest.fixture(scope="session")
def deployed(local_cloud) -> pipeline.Pipeline:
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=1.0, import_s=1.0)
    return pipeline.deploy_pipeline(local_cloud)


def execution_ended(stepfunctions: Any, arn: str, timeout: float = 90,
                    interval: float = 0.3) -> dict[str, Any]:
    """The execution once it is no longer RUNNING; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution = stepfunctions.describe_execution(executionArn=arn)
        if execution["status"] != "RUNNING":
            return dict(execution)
        time.sleep(interval)
    raise AssertionError(f"execution {arn} still RUNNING after {timeout}s")


@dataclass
class Copier:
    """What a user of account A does: create models, start copies, read the outcome."""

    source: boto3.Session
    target: boto3.Session
    pipeline: pipeline.Pipeline

    def create_classifier(self, name: str | None = None, version: str = "v1",
                          tags: list[dict[str, str]] | None = None) -> str:
        return create_classifier(self.source, name or new_name("clf"), version, tags=tags)

    def wait_trained(self, arn: str, session: boto3.Session | None = None,
                     timeout: float = 30) -> dict[str, Any]:
        return training.wait_trained(session or self.source, arn, timeout_s=timeout,
                                     interval_s=0.2)

    def start(self, execution_input: dict[str, Any]) -> str:
        return str(self.source.client("stepfunctions").start_execution(
            stateMachineArn=self.pipeline.state_machine_arn, name=f"test-{uuid.uuid4().hex[:12]}",
            input=json.dumps(execution_input))["executionArn"])

    def wait_execution(self, arn: str, timeout: float = 90) -> dict[str, Any]:
        return execution_ended(self.source.client("stepfunctions"), arn, timeout)

    def executions_since(self, started: float) -> list[dict[str, Any]]:
        client = self.source.client("stepfunctions")
        listed = client.list_executions(stateMachineArn=self.pipeline.state_machine_arn)
        return [e for e in listed["executions"] if e["startDate"].timestamp() >= started - 1]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30) -> Any:
        return wait_until(condition, timeout=timeout, interval=0.3)


@pytest.fixture
def copier(source, target, deployed, local_cloud) -> Copier:
    # Read the stacks as deployed now: some tests redeploy them with other parameters.
    del deployed
    return Copier(source=source, target=target,
                  pipeline=pipeline.deployed_pipeline(local_cloud))


def manual_input(arn: str, **extra: Any) -> dict[str, Any]:
    return {"sourceModelArn": arn, "targetAccounts": ["222222222222"], **extra}


__all__ = ["REGION", "Copier", "execution_ended", "manual_input"]
