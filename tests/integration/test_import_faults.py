"""Target side under faults: duplicates, spoofing, throttling, long and interrupted imports.

Share events are put straight on B's bus by ARN, the way the state machine does, so they
travel the real route (B's bus policy -> B's rule -> the real import handler); outcomes come
back straight to A's bus.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import pytest

from local_cloud.cloudformation import pipeline
from local_cloud.core.accounts import OUTSIDER_ACCOUNT, SOURCE_ACCOUNT, TARGET_ACCOUNT
from tests.integration.conftest import Copier
from tests.support import new_name
from tests.support.comprehend import comprehend_calls, imports, trained_classifier
from tests.support.deployments import redeployed
from tests.support.shares import (
    ledger_item,
    outcomes_on_source_bus,
    put_share,
    settle,
    share_detail,
    shared_with_importer,
)

pytestmark = pytest.mark.fault


@pytest.fixture
def trained_model(copier: Copier) -> str:
    return shared_with_importer(copier.source)


def test_same_share_delivered_five_times_concurrently_imports_once(
        copier: Copier, local_cloud, source, trained_model, deployed):
    """The same share delivered 5 times at once: exactly one import, all answered."""
    detail = share_detail(trained_model, f"dup-{uuid.uuid4().hex[:6]}")
    before = imports(local_cloud)
    threads = [threading.Thread(target=put_share, args=(source, detail)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    settle(local_cloud)
    item = copier.wait_for(lambda: (i := ledger_item(copier.target, copier.pipeline, detail))
                           and i["status"] == "DONE" and i, timeout=60)
    assert json.loads(item["outcome"])["status"] == "TRAINED"
    assert imports(local_cloud) - before == 1
    finals = [e for e in outcomes_on_source_bus(local_cloud, detail["correlationId"])
              if e["detail-type"] == "Model Imported"]
    assert finals, "the duplicates must be answered with the outcome"


@pytest.mark.parametrize("case", ["third-party model", "other region", "wrong addressee",
                                  "oversized name", "missing field", "not json object"])
def test_refused_shares_make_no_comprehend_call(copier: Copier, local_cloud, source, case,
                                                 trained_model):
    """Spoofed or malformed shares are refused with no Comprehend call."""
    detail: Any = share_detail(trained_model, f"ref-{uuid.uuid4().hex[:6]}")
    if case == "third-party model":
        detail["sourceModelArn"] = trained_model.replace(SOURCE_ACCOUNT, "444444444444")
    elif case == "other region":
        detail["sourceModelArn"] = trained_model.replace("us-east-1", "eu-west-1")
    elif case == "wrong addressee":
        detail["targetAccount"] = "555555555555"
    elif case == "oversized name":
        detail["targetModelName"] = "n" * 64
    elif case == "missing field":
        del detail["modelType"]
    elif case == "not json object":
        detail = json.dumps(["not", "an", "object"])
    settle(local_cloud)
    before = comprehend_calls(local_cloud)
    put_share(source, detail)
    settle(local_cloud)
    assert comprehend_calls(local_cloud) == before
    if case != "wrong addressee":  # B's rule only takes shares addressed to B
        seen = local_cloud.control("events", "recent", account=SOURCE_ACCOUNT,
                                   bus="model-copy", limit=0)
        refused = [r["event"] for r in seen if r["event"]["detail-type"] == "Model Import Failed"
                   and r["event"]["account"] == TARGET_ACCOUNT
                   and r["event"]["detail"]["status"] == "REJECTED"]
        assert refused, "a refused share is answered REJECTED, straight to its sender"


def test_outsider_cannot_put_shares_on_the_target_bus(local_cloud, outsider, trained_model):
    """An untrusted account putting shares on the target bus is refused by its policy."""
    settle(local_cloud)
    before = comprehend_calls(local_cloud)
    detail = share_detail(trained_model, "from-outsider", sourceAccount=OUTSIDER_ACCOUNT)
    response = put_share(outsider, detail)  # to B's bus by ARN
    assert response["FailedEntryCount"] == 1
    assert response["Entries"][0]["ErrorCode"] == "AccessDeniedException"
    settle(local_cloud)
    assert comprehend_calls(local_cloud) == before


def test_twenty_copies_survive_thirty_percent_throttling(copier: Copier, local_cloud):
    """20 copies with 30% of Comprehend calls throttled: all end TRAINED."""
    arns = [copier.create_classifier() for _ in range(20)]
    for arn in arns:
        copier.wait_trained(arn)
    local_cloud.control("comprehend", "configure", throttle_probability=0.3)
    try:
        executions = [copier.start({"sourceModelArn": arn, "targetAccounts": [TARGET_ACCOUNT]})
                      for arn in arns]
        results = [copier.wait_execution(e, timeout=240) for e in executions]
    finally:
        local_cloud.control("comprehend", "configure", throttle_probability=0)
    failed = [(r["name"], r.get("cause")) for r in results if r["status"] != "SUCCEEDED"]
    assert not failed
    stats = local_cloud.control("comprehend", "stats")["accounts"]
    assert sum(a.get("throttled", 0) for a in stats.values()) > 0, "throttling was not exercised"


@pytest.fixture
def short_lived_importer(local_cloud, deployed):
    """The target redeployed with a 5 s import function, so imports outlive invocations."""
    with redeployed(local_cloud, target={"ImportFunctionTimeoutSeconds": "5",
                                         "ImportHandoverMarginSeconds": "2"}) as short:
        yield short


def _import_function_stats(cloud, stack: pipeline.Pipeline) -> dict:
    name = stack.target.outputs["ImportFunctionName"]
    functions = cloud.control("lambda", "stats", function_name=name)["functions"]
    return next(iter(functions.values()), {})


def _share_importing_for(copier: Copier, local_cloud, source, seconds: float,
                         prefix: str) -> dict[str, Any]:
    """A share of a new model put on B's bus, its copy taking `seconds` to import: its detail."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    local_cloud.control("comprehend", "configure", models={name: {"import_s": seconds}})
    detail = share_detail(shared_with_importer(copier.source), name)
    put_share(source, detail)
    return detail


def test_long_import_continues_across_invocations(copier: Copier, local_cloud, source,
                                                  short_lived_importer):
    """An import longer than the function timeout finishes across invocations, once."""
    before = imports(local_cloud)
    detail = _share_importing_for(copier, local_cloud, source, 9, "long")
    item = copier.wait_for(lambda: (i := ledger_item(copier.target, short_lived_importer, detail))
                           and i["status"] == "DONE" and i, timeout=90)
    assert json.loads(item["outcome"])["status"] == "TRAINED"
    assert imports(local_cloud) - before == 1
    stats = _import_function_stats(local_cloud, short_lived_importer)
    assert stats["invocations"] >= 3, "9 s of import in 5 s invocations needs hand-overs"
    assert stats["timeouts"] == 0, "a hand-over happens before the timeout, not after"


def test_import_killed_mid_poll_resumes_without_a_second_import(
        copier: Copier, local_cloud, source, short_lived_importer):
    """The import function killed by its timeout mid-poll resumes; no second import."""
    before = imports(local_cloud)
    detail = _share_importing_for(copier, local_cloud, source, 4, "killed")
    copier.wait_for(lambda: (i := ledger_item(copier.target, short_lived_importer, detail))
                    and i.get("targetModelArn"), timeout=30)
    # Every Describe is throttled now: the function backs off past its 5 s timeout and dies.
    local_cloud.control("comprehend", "configure", throttle_probability=1.0,
                        throttle_operations=["DescribeDocumentClassifier"],
                        throttle_accounts=[TARGET_ACCOUNT])
    try:
        copier.wait_for(lambda: _import_function_stats(
            local_cloud, short_lived_importer).get("timeouts", 0) >= 1, timeout=30)
    finally:
        local_cloud.control("comprehend", "configure", throttle_probability=0,
                            throttle_operations=None, throttle_accounts=None)
    item = copier.wait_for(lambda: (i := ledger_item(copier.target, short_lived_importer, detail))
                           and i["status"] == "DONE" and i, timeout=90)
    assert json.loads(item["outcome"])["status"] == "TRAINED"
    assert imports(local_cloud) - before == 1


def test_untrusted_source_is_refused_at_once_naming_the_account(
        copier: Copier, local_cloud, outsider):
    """A source B's bus policy does not admit fails that target within seconds, naming the
    account and AccessDenied, instead of waiting out the import timeout."""
    from local_cloud.cloudformation import deployer

    stack = deployer.deploy(outsider, pipeline.TEMPLATE, "model-copy-source",
                            pipeline.source_parameters(ImportTimeoutSeconds="120"),
                            local_cloud.state_dir)
    arn = trained_classifier(outsider, new_name("outsider"), account=OUTSIDER_ACCOUNT)
    settle(local_cloud)
    before = comprehend_calls(local_cloud)
    sfn = outsider.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=stack.outputs["StateMachineArn"], name=f"o-{uuid.uuid4().hex[:8]}",
        input=json.dumps({"sourceModelArn": arn, "targetAccounts": [TARGET_ACCOUNT]}))
    done = copier.wait_for(lambda: (d := sfn.describe_execution(
        executionArn=execution["executionArn"]))["status"] != "RUNNING" and d, timeout=30)
    assert done["status"] == "FAILED" and done["error"] == "CopyFailed"
    assert "ShareNotDelivered" in done["cause"]
    assert f"of account {TARGET_ACCOUNT}" in done["cause"]
    assert "AccessDeniedException" in done["cause"]
    assert (done["stopDate"] - done["startDate"]).total_seconds() < 30
    assert comprehend_calls(local_cloud) == before, "the target never acted on it"
    deployer.delete(outsider, "model-copy-source", local_cloud.state_dir)
