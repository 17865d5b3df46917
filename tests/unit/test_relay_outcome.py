"""RelayOutcome with a fake Step Functions: every answer is a task success that says what it
is and which copy it names, so the waiting state can check it (issue 14 item 5)."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"
SOURCE, TARGET = "111111111111", "222222222222"


class FakeStepFunctions:
    def __init__(self) -> None:
        self.successes: list[tuple[str, dict[str, Any]]] = []
        self.failures: list[dict[str, Any]] = []

    def send_task_success(self, taskToken: str, output: str) -> dict[str, Any]:
        self.successes.append((taskToken, json.loads(output)))
        return {}

    def send_task_failure(self, **kwargs: Any) -> dict[str, Any]:
        self.failures.append(kwargs)
        return {}


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch, function_env: Any) -> Any:
    env = function_env("RelayOutcomeFunction", account=SOURCE, TargetAccountIds=TARGET)
    for key, value in {**env, "AWS_DEFAULT_REGION": env["AWS_REGION"]}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.syspath_prepend(str(EVENTS.parent / "functions"))  # handlers, as Lambda sees them
    app = importlib.reload(importlib.import_module("relay_outcome.app"))
    fake = FakeStepFunctions()
    monkeypatch.setattr(app, "client", {"stepfunctions": fake}.__getitem__)
    return SimpleNamespace(handler=app.handler, fake=fake)


class Context:
    function_name, memory_limit_in_mb, aws_request_id = "relay", 128, "req-1"
    invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:relay"


def outcome_event(name: str, account: str = TARGET, **changes: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text())
    event["account"] = account
    event["detail"].update(changes)
    return event


@pytest.mark.parametrize(("sample", "detail_type"), [
    ("model-imported.json", "Model Imported"),
    ("model-import-failed.json", "Model Import Failed"),
])
def test_import_outcomes_are_answered_as_data_naming_the_copy(relay: Any, sample: str,
                                                              detail_type: str) -> None:
    event = outcome_event(sample)
    assert relay.handler(event, Context())["result"] == "answered"
    [(token, answer)] = relay.fake.successes
    assert token == event["detail"]["taskToken"]
    assert answer["detailType"] == detail_type
    for key in ("sourceModelArn", "correlationId", "targetAccount", "status"):
        assert answer[key] == event["detail"][key]
    assert "taskToken" not in answer and answer["message"]
    assert relay.fake.failures == []


def test_an_outcome_of_another_kind_is_not_relayed(relay: Any) -> None:
    event = outcome_event("model-imported.json")
    event["detail-type"] = "Model Version Promoted"
    assert relay.handler(event, Context())["result"].startswith("ignored")
    assert relay.fake.successes == []


@pytest.mark.parametrize(("detail_type", "decision"), [("Model Copy Approved", "APPROVED"),
                                                       ("Model Copy Rejected", "REJECTED")])
def test_decisions_echo_the_copy_they_claim_to_answer(relay: Any, detail_type: str,
                                                      decision: str) -> None:
    claimed = {"sourceModelArn": "arn:aws:comprehend:us-east-1:111111111111:"
                                 "document-classifier/news/version/v2",
               "correlationId": "exec-7", "targetAccount": TARGET}
    event = {"detail-type": detail_type, "source": "ml.pipeline", "account": SOURCE,
             "detail": {"taskToken": "token-7", "by": "change-board", "reason": "CHG-1",
                        **claimed}}
    assert relay.handler(event, Context())["result"] == decision
    [(token, answer)] = relay.fake.successes
    assert token == "token-7" and answer["decision"] == decision
    assert answer["detailType"] == detail_type
    assert {k: answer[k] for k in claimed} == claimed
    assert answer["by"] == "change-board", "the event's claim, kept as it said"
    assert answer["via"] == f"event ml.pipeline from {SOURCE}", "and what was checked"
    assert relay.fake.failures == [], "a rejection is an answer too, not a task failure"
