"""Any number of target and source accounts (no slots): one copy to 25 target accounts, each
with its own target stack; a target that accepts 10 source accounts; an allowed account
without a stack, or whose bus refuses the source, fails within seconds naming the account
while the other targets complete.

Every account here is one of its own (70000000xxxx), so the session's pipeline in
111111111111/222222222222 is untouched; the stacks are deleted at the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from local_cloud.cloudformation import deployer, pipeline
from tests.integration.conftest import execution_ended
from tests.support import history, new_name
from tests.support.comprehend import trained_classifier

pytestmark = pytest.mark.slow

SOURCE = "700000000000"
TARGETS = [f"7000000001{n:02d}" for n in range(1, 26)]  # 25 distinct target accounts
# Nine more sources of TARGETS[0], which accepts ten in all.
OTHER_SOURCES = [f"7000000002{n:02d}" for n in range(1, 10)]
NO_STACK = "700000000301"  # allowed by the source, but no target side deployed there
REFUSING = "700000000302"  # a target side whose bus admits another source only
# The local cloud runs 60+ Lambda workers on 2 cores here: a generous outcome timeout, so a
# slow machine does not turn into a failed copy; refusals must not wait for it.
FAST = {"ImportTimeoutSeconds": "300", "MaxConcurrentTargets": "10"}


@dataclass
class Fleet:
    sessions: dict[str, boto3.Session]
    state_machines: dict[str, str]  # source account -> state machine ARN

    def classifier(self, account: str) -> str:
        return trained_classifier(self.sessions[account], new_name("fleet"), account=account)

    def start(self, account: str, arn: str, targets: list[str], **fields: Any) -> str:
        return str(self.sessions[account].client("stepfunctions").start_execution(
            stateMachineArn=self.state_machines[account], name=f"fleet-{uuid.uuid4().hex[:10]}",
            input=json.dumps({"sourceModelArn": arn, "targetAccounts": targets, **fields})
        )["executionArn"])

    def finished(self, account: str, execution_arn: str, timeout: float = 400
                 ) -> dict[str, Any]:
        return execution_ended(self.sessions[account].client("stepfunctions"), execution_arn,
                               timeout, interval=0.5)

    def copy_of(self, account: str, copy_arn: str) -> dict[str, Any]:
        return dict(self.sessions[account].client("comprehend").describe_document_classifier(
            DocumentClassifierArn=copy_arn)["DocumentClassifierProperties"])


@pytest.fixture(scope="module")
def fleet(local_cloud) -> Iterator[Fleet]:
    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=1.0, import_s=1.0)
    accounts = [SOURCE, *TARGETS, *OTHER_SOURCES, REFUSING]
    sessions = {account: pipeline.account_session(account) for account in accounts}
    deployed: list[str] = []

    def target(account: str) -> None:
        sources = [SOURCE, *OTHER_SOURCES] if account == TARGETS[0] else [SOURCE]
        pipeline.deploy_target(local_cloud, account, sources)
        deployed.append(account)

    def source(account: str, targets: list[str]) -> str:
        stack = pipeline.deploy_source(local_cloud, account, targets, **FAST)
        deployed.append(account)
        return str(stack.outputs["StateMachineArn"])

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(target, TARGETS))
            pool.submit(lambda: pipeline.deploy_target(
                local_cloud, REFUSING, [OTHER_SOURCES[0]])).result()
            deployed.append(REFUSING)
            machines = dict(zip([SOURCE, *OTHER_SOURCES], pool.map(
                lambda a: source(a, [*TARGETS, NO_STACK, REFUSING] if a == SOURCE
                                 else [TARGETS[0]]),
                [SOURCE, *OTHER_SOURCES]), strict=True))
        yield Fleet(sessions=sessions, state_machines=machines)
    finally:
        for account in deployed:
            stack_name = (pipeline.SOURCE_STACK if account in (SOURCE, *OTHER_SOURCES)
                          else pipeline.TARGET_STACK)
            deployer.delete(sessions[account], stack_name, local_cloud.state_dir)


def _results(execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["account"]: result for result in json.loads(execution["output"])["results"]}


def test_one_copy_reaches_25_target_accounts_each_with_its_own_stack(fleet: Fleet):
    arn = fleet.classifier(SOURCE)
    execution = fleet.finished(SOURCE, fleet.start(SOURCE, arn, TARGETS))

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    results = _results(execution)
    assert sorted(results) == sorted(TARGETS)
    for account, result in results.items():
        assert result["status"] == "TRAINED", result
        assert f":{account}:document-classifier/" in result["targetModelArn"]
        copy = fleet.copy_of(account, result["targetModelArn"])
        assert (copy["Status"], copy["SourceModelArn"]) == ("TRAINED", arn)


def test_a_target_accepts_copies_from_ten_source_accounts(fleet: Fleet):
    sources = [SOURCE, *OTHER_SOURCES]
    arns = {account: fleet.classifier(account) for account in sources}
    executions = {account: fleet.start(account, arns[account], [TARGETS[0]],
                                       targetModelName=f"from-{account}")
                  for account in sources}

    for account, execution_arn in executions.items():
        execution = fleet.finished(account, execution_arn)
        assert execution["status"] == "SUCCEEDED", (account, execution.get("cause"))
        [result] = _results(execution).values()
        copy = fleet.copy_of(TARGETS[0], result["targetModelArn"])
        assert copy["SourceModelArn"] == arns[account]


def _seconds_until_state(fleet: Fleet, execution_arn: str, state: str) -> list[float]:
    """When each Map iteration entered `state`, in seconds after the execution started."""
    sfn = fleet.sessions[SOURCE].client("stepfunctions")
    events = [e for page in sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn) for e in page["events"]]
    started = events[0]["timestamp"]
    return [(e["timestamp"] - started).total_seconds() for e in events
            if e.get("stateEnteredEventDetails", {}).get("name") == history.state(state)]


def test_no_stack_or_a_refusing_bus_fails_that_target_at_once_naming_it(fleet: Fleet):
    arn = fleet.classifier(SOURCE)
    execution_arn = fleet.start(SOURCE, arn, [TARGETS[1], NO_STACK, REFUSING],
                                targetModelName="partly")
    execution = fleet.finished(SOURCE, execution_arn)

    assert execution["status"] == "FAILED" and execution["error"] == "CopyFailed"
    failed = {item["account"]: item for item in json.loads(
        execution["cause"].split("failed for: ", 1)[1])}
    assert set(failed) == {NO_STACK, REFUSING}, failed
    # No stack: no import role to share with, so the share itself is refused, naming the
    # account and what to deploy there.
    assert failed[NO_STACK]["error"] == "ShareFailed"
    assert f"deploy the target stack in account {NO_STACK}" in failed[NO_STACK]["cause"]
    # A bus that does not admit this source refuses the share event: AccessDenied, at once.
    assert failed[REFUSING]["error"] == "ShareNotDelivered"
    assert REFUSING in failed[REFUSING]["cause"]
    assert "AccessDeniedException" in failed[REFUSING]["cause"]
    # Failed at once, not after ImportTimeoutSeconds (300 s here).
    [refused_after] = _seconds_until_state(fleet, execution_arn, "ShareNotDelivered")
    assert refused_after < 60
    # The other target completed.
    copy_arn = arn.replace(SOURCE, TARGETS[1]).replace(arn.split("/")[1], "partly")
    assert fleet.copy_of(TARGETS[1], copy_arn)["Status"] == "TRAINED"


def test_requesting_an_account_outside_the_target_list_is_refused_before_any_call(
        fleet: Fleet, local_cloud):
    arn = fleet.classifier(SOURCE)
    before = local_cloud.control("comprehend", "stats", account=SOURCE)["accounts"]
    execution = fleet.finished(SOURCE, fleet.start(SOURCE, arn, [TARGETS[0], "799999999999"]))
    assert execution["status"] == "FAILED" and execution["error"] == "InvalidCopyRequest"
    assert "799999999999" in execution["cause"]
    after = local_cloud.control("comprehend", "stats", account=SOURCE)["accounts"]
    assert after == before
