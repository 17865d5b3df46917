"""The template's optional trail makes the tag trigger work in an account that has none
(issue 13 item 3), on the local cloud, whose CloudTrail sends Comprehend's create calls to
EventBridge only while a trail logs in the Region."""

from __future__ import annotations

import time
import uuid

import pytest

from local_cloud.cloudformation import deployer, pipeline
from local_cloud.core.accounts import OUTSIDER_ACCOUNT, TARGET_ACCOUNT
from tests.conftest import wait_until
from tests.support.comprehend import create_classifier

STACK = "model-copy-with-trail"


@pytest.fixture
def source_with_trail(local_cloud, outsider):
    """A source stack with CreateTrail=true in an account that had no trail."""
    assert not outsider.client("cloudtrail").describe_trails()["trailList"]
    stack = deployer.deploy(outsider, pipeline.TEMPLATE, STACK,
                            pipeline.source_parameters([TARGET_ACCOUNT], CreateTrail="true"),
                            local_cloud.state_dir)
    yield stack
    deployer.delete(outsider, STACK, local_cloud.state_dir)


def test_create_trail_makes_tagged_models_start_a_copy(source_with_trail, outsider):
    [trail] = outsider.client("cloudtrail").describe_trails()["trailList"]
    assert trail["TrailARN"].split(":")[4] == OUTSIDER_ACCOUNT
    assert outsider.client("cloudtrail").get_trail_status(Name=trail["Name"])["IsLogging"]
    started = time.time()
    name = f"trail-{uuid.uuid4().hex[:8]}"
    create_classifier(outsider, name, account=OUTSIDER_ACCOUNT,
                      tags=[{"Key": "model-copy:targets", "Value": "default"}])
    stepfunctions = outsider.client("stepfunctions")
    machine = source_with_trail.outputs["StateMachineArn"]

    def copy_of_the_new_model() -> list[dict]:
        executions = stepfunctions.list_executions(stateMachineArn=machine)["executions"]
        return [e for e in executions if e["startDate"].timestamp() >= started - 1
                and name in str(stepfunctions.describe_execution(
                    executionArn=e["executionArn"]).get("input"))]

    assert wait_until(copy_of_the_new_model, timeout=30)
