""""delivered" means the target has the share: its `Model Import Started` is in the source's
delivery log (issue 15: "Progress says 'delivered' only after B has the event"). Before that,
and whenever the log cannot be read, the target is "sent"."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli.deliveries import DeliveryLog, delivery_of, filter_pattern
from model_copy_cli.main import main
from model_copy_cli.progress import Delivery, parse_time
from tests.cli.test_cli import _classifier

DELIVERED = "delivered; the target is importing"
SENT = "sent to the target's bus"


def _started(correlation_id: str = "cli-m-1", account: str = TARGET_ACCOUNT,
             **changes: Any) -> str:
    event = {"version": "0", "id": "e1", "detail-type": "Model Import Started",
             "source": "model-copy", "account": account, "time": "2026-12-01T10:00:03Z",
             "region": "us-east-1", "resources": [],
             "detail": {"correlationId": correlation_id, "targetAccount": account,
                        "status": "IMPORTING"}}
    event.update(changes)
    return json.dumps(event)


# --- reading the log, without a cloud ---------------------------------------------------------

def test_only_this_copys_import_started_from_the_target_itself_is_a_delivery():
    assert delivery_of(_started(), "cli-m-1") == Delivery(
        TARGET_ACCOUNT, parse_time("2026-12-01T10:00:03Z"))
    assert delivery_of(_started(), "cli-m-2") is None  # another copy
    assert delivery_of(_started(**{"detail-type": "Model Imported"}), "cli-m-1") is None
    # Sent by an account other than the one it names as the target.
    forged = json.loads(_started())
    forged["account"] = "444444444444"
    assert delivery_of(json.dumps(forged), "cli-m-1") is None
    assert delivery_of("not json", "cli-m-1") is None


def test_the_filter_pattern_selects_the_copy_by_its_correlation_id():
    assert filter_pattern("cli-m-1") == '{ $.detail.correlationId = "cli-m-1" }'


def _stubbed(error_code: str) -> tuple[DeliveryLog, Stubber]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y",
                            region_name="us-east-1")
    client = session.client("logs")
    stubber = Stubber(client)
    stubber.add_client_error("filter_log_events", service_error_code=error_code,
                             http_status_code=400)
    stubber.activate()
    session.client = lambda *_args, **_kwargs: client  # type: ignore[method-assign]
    return DeliveryLog(session, "/aws/events/model-copy-source/imports-started"), stubber


@pytest.mark.parametrize("code", ["AccessDeniedException", "ResourceNotFoundException"])
def test_a_log_that_cannot_be_read_leaves_the_targets_sent(code, caplog):
    log, stubber = _stubbed(code)
    with caplog.at_level("DEBUG", logger="model_copy_cli.deliveries"):
        assert log.observed("cli-m-1", None) == []
    stubber.assert_no_pending_responses()
    assert code in caplog.text and "stay 'sent'" in caplog.text


def test_without_a_delivery_log_nothing_is_read(no_aws):
    unread = DeliveryLog(session=None, group_name=None)  # type: ignore[arg-type]
    assert unread.observed("cli-m-1", None) == []


# --- a real copy on the local cloud -----------------------------------------------------------

@pytest.fixture
def slow_import(on_local_cloud):
    """An import long enough (1.5 s) that `status` sees the copy importing between calls."""
    on_local_cloud.control("comprehend", "configure", import_s=1.5)
    yield on_local_cloud
    on_local_cloud.control("comprehend", "configure", import_s=0.5)


def _progress_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[") and TARGET_ACCOUNT in line]


def _index(lines: list[str], phrase: str) -> int:
    return next(i for i, line in enumerate(lines) if phrase in line)


@pytest.mark.slow
def test_a_copy_is_sent_then_delivered_then_trained(slow_import, capsys):
    arn = _classifier(slow_import, f"cli-{uuid.uuid4().hex[:8]}")
    code = main(["copy", arn, "--to", TARGET_ACCOUNT, "--poll-seconds", "0.2"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = _progress_lines(out)
    assert _index(lines, SENT) < _index(lines, DELIVERED) < _index(lines, "TRAINED"), lines


@pytest.mark.slow
def test_status_says_delivered_while_the_target_imports(slow_import, capsys):
    arn = _classifier(slow_import, f"cli-{uuid.uuid4().hex[:8]}")
    assert main(["copy", arn, "--to", TARGET_ACCOUNT, "--no-wait", "--json"]) == 0
    name = json.loads(capsys.readouterr().out)["executionArn"].rsplit(":", 1)[-1]
    stages = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert main(["status", name, "--json"]) == 0
        [target] = json.loads(capsys.readouterr().out)["progress"]["targets"]
        stages.append(target["stage"])
        if target["stage"] in ("trained", "failed"):
            break
        time.sleep(0.2)
    assert stages[-1] == "trained" and "delivered" in stages, stages
    assert "sent" not in stages[stages.index("delivered"):], stages


@pytest.mark.slow
def test_when_the_delivery_log_refuses_the_event_the_copy_is_never_delivered(
        slow_import, deployed, capsys):
    """The log's resource policy removed: EventBridge may not write, the event goes to the
    source's dead-letter queue, and the CLI keeps saying "sent" until the copy ends."""
    source = boto3.Session(profile_name="source", region_name="us-east-1")
    logs = source.client("logs")
    [policy] = [p for p in logs.describe_resource_policies()["resourcePolicies"]
                if p["policyName"] == f"{deployed.source.name}-imports-started"]
    logs.delete_resource_policy(policyName=policy["policyName"])
    arn = _classifier(slow_import, f"cli-{uuid.uuid4().hex[:8]}")
    try:
        code = main(["copy", arn, "--to", TARGET_ACCOUNT, "--poll-seconds", "0.2"])
    finally:
        logs.put_resource_policy(policyName=policy["policyName"],
                                 policyDocument=policy["policyDocument"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = _progress_lines(out)
    assert any(SENT in line for line in lines) and "TRAINED" in lines[-1]
    assert not any("delivered" in line for line in lines), lines
    assert _dead_lettered_import_started(source, deployed.source.outputs["DeadLetterQueueUrl"],
                                         arn)


def _dead_lettered_import_started(source: boto3.Session, queue_url: str, model_arn: str) -> bool:
    """Take this copy's Model Import Started out of the source's DLQ (others stay)."""
    sqs = source.client("sqs")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       MessageAttributeNames=["All"],
                                       VisibilityTimeout=1).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            if (event.get("detail-type") == "Model Import Started"
                    and event["detail"].get("sourceModelArn") == model_arn):
                assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == \
                    "NO_PERMISSIONS"
                assert event["account"] == TARGET_ACCOUNT != SOURCE_ACCOUNT
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                return True
        time.sleep(0.2)
    return False
