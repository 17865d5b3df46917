"""The target's import job: authorize first, import once, follow, hand over, promote; fake
Comprehend, moto ledger, recorded reports and hand-overs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from model_copy.contract import DetailType
from model_copy.errors import UnauthorizedShareEvent
from model_copy.importing import copy_key, run
from model_copy.ledger import Ledger

from tests.support.fakes import FakeComprehend, client_error
from tests.support.import_job import (
    CONFIG,
    SOURCE,
    SOURCE_ARN,
    TARGET,
    TARGET_ARN,
    THIRD,
    Recorder,
    sample_share,
)


def test_happy_path_imports_once_and_reports_start_and_end(make_ports: Any,
                                                           recorder: Recorder,
                                                           ledger: Ledger) -> None:
    comprehend = FakeComprehend(["SUBMITTED", "TRAINING", "TRAINED"])
    share = sample_share()
    result = run(share, SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert result == f"{TARGET_ARN}: TRAINED"
    [(_, request)] = [c for c in comprehend.calls if c[0] == "import_model"]
    assert request["SourceModelArn"] == SOURCE_ARN
    assert (request["ModelName"], request["VersionName"]) == (
        "support-tickets", "v3-from-111111111111")
    assert "ModelKmsKeyId" not in request and "DataAccessRoleArn" not in request
    assert recorder.detail_types == [DetailType.MODEL_IMPORT_STARTED, DetailType.MODEL_IMPORTED]
    started, imported = (outcome for _, outcome in recorder.reports)
    assert (started.status, started.targetModelArn) == ("IMPORTING", TARGET_ARN)
    # Progress is kept in A's delivery log; a task token there would let any reader of the
    # log answer the waiting copy. Only the outcome, relayed to Step Functions, carries it.
    assert started.taskToken is None
    assert imported.status == "TRAINED" and imported.succeeded
    assert imported.taskToken == share.taskToken
    assert imported.correlationId == share.correlationId
    assert (imported.sourceAccount, imported.targetAccount) == (SOURCE, TARGET)
    assert imported.importStartedAt == started.importStartedAt
    assert imported.importSeconds == 3.0  # slept 1 s then 2 s between three describes
    assert imported.importEndedAt is not None and imported.importStartedAt is not None
    assert imported.importEndedAt > imported.importStartedAt
    entry = ledger.get(copy_key(share))
    assert entry is not None and entry.status == "DONE"
    assert entry.outcome is not None and entry.outcome["status"] == "TRAINED"


def test_kms_key_and_data_access_role_are_passed(make_ports: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    config = replace(CONFIG, model_kms_key_id="alias/models",
                     data_access_role_arn=f"arn:aws:iam::{TARGET}:role/data")
    run(sample_share(targetVersionName=None), SOURCE, "req-1", config, make_ports(comprehend))
    [(_, request)] = comprehend.calls[:1]
    assert request["ModelKmsKeyId"] == "alias/models"
    assert request["DataAccessRoleArn"] == f"arn:aws:iam::{TARGET}:role/data"
    assert "VersionName" not in request


@pytest.mark.parametrize(("sender", "changes", "reason"), [
    ("444444444444", {}, "not an allowed source"),
    (SOURCE, {"sourceModelArn": SOURCE_ARN.replace(SOURCE, THIRD)}, "belongs to account"),
    (THIRD, {}, "belongs to account 111111111111"),
    (SOURCE, {"sourceAccount": THIRD}, "a source may only send its own models"),
    (SOURCE, {"sourceModelArn": SOURCE_ARN.replace("us-east-1", "eu-west-1")},
     "this target imports only from us-east-1"),
    (SOURCE, {"targetAccount": "444444444444"}, "addressed to account 444444444444"),
    (SOURCE, {"modelType": "entity-recognizer"}, "does not match"),
])
def test_unauthorized_shares_are_refused_before_any_call(
        make_ports: Any, recorder: Recorder, ledger: Ledger, sender: str,
        changes: dict[str, Any], reason: str) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    share = sample_share(**changes)
    with pytest.raises(UnauthorizedShareEvent, match=reason):
        run(share, sender, "req-1", CONFIG, make_ports(comprehend))
    assert comprehend.calls == []
    assert recorder.reports == []
    assert ledger.get(copy_key(share)) is None


def test_duplicate_while_the_first_follows_is_answered_when_it_ends(
        make_ports: Any, recorder: Recorder) -> None:
    comprehend = FakeComprehend(["SUBMITTED", "TRAINING", "TRAINED"])
    first = sample_share(taskToken="token-1", correlationId="exec-1")
    second = sample_share(taskToken="token-2", correlationId="exec-2")
    seen: dict[str, Any] = {}

    def second_delivery_arrives() -> None:
        before = len(comprehend.calls)
        seen["result"] = run(second, SOURCE, "req-2", CONFIG, make_ports(comprehend))
        seen["calls"] = len(comprehend.calls) - before

    comprehend.on_describe.append(second_delivery_arrives)
    run(first, SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert seen["result"].startswith("duplicate: req-1 follows this import")
    assert seen["calls"] == 0
    assert comprehend.count("import_model") == 1
    answers = [(o.taskToken, o.correlationId) for t, o in recorder.reports
               if t == DetailType.MODEL_IMPORTED]
    assert answers == [("token-1", "exec-1"), ("token-2", "exec-2")]


def test_duplicate_after_the_end_is_answered_from_the_ledger(make_ports: Any,
                                                             recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    run(sample_share(taskToken="token-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    calls = len(comprehend.calls)
    result = run(sample_share(taskToken="token-2", correlationId="exec-2"), SOURCE, "req-2",
                 CONFIG, make_ports(comprehend))
    assert result.startswith("duplicate: answered")
    # One Describe checks that the recorded copy still exists; nothing is imported.
    assert [call for call, _ in comprehend.calls[calls:]] == ["describe_document_classifier"]
    detail_type, outcome = recorder.reports[-1]
    assert detail_type == DetailType.MODEL_IMPORTED
    assert (outcome.taskToken, outcome.correlationId) == ("token-2", "exec-2")
    assert outcome.targetModelArn == TARGET_ARN


def test_our_own_earlier_copy_is_adopted(make_ports: Any, recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, SOURCE_ARN, ["TRAINING", "TRAINED"])
    result = run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert result == f"{TARGET_ARN}: TRAINED"
    assert recorder.detail_types == [DetailType.MODEL_IMPORT_STARTED, DetailType.MODEL_IMPORTED]


def test_a_foreign_model_with_the_target_name_fails_naming_the_fix(
        make_ports: Any, recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, None, ["TRAINED"])  # trained here, not a copy
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    [(detail_type, outcome)] = recorder.reports
    assert detail_type == DetailType.MODEL_IMPORT_FAILED
    assert outcome.status == "FAILED"
    assert "already exists and is not a copy" in (outcome.message or "")
    assert "choose another targetModelName or targetVersionName" in (outcome.message or "")


def test_a_copy_that_ends_in_error_reports_the_message(make_ports: Any,
                                                       recorder: Recorder) -> None:
    comprehend = FakeComprehend(["SUBMITTED", "IN_ERROR"], message="KMS key not accessible")
    result = run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert result.endswith("IN_ERROR")
    detail_type, outcome = recorder.reports[-1]
    assert detail_type == DetailType.MODEL_IMPORT_FAILED
    assert (outcome.status, outcome.message) == ("IN_ERROR", "KMS key not accessible")
    assert not outcome.succeeded


def test_describe_errors_end_the_import_as_failed(make_ports: Any, recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINING"])

    def denied(DocumentClassifierArn: str) -> Any:
        raise client_error("AccessDeniedException", "DescribeDocumentClassifier")

    comprehend.describe_document_classifier = denied  # type: ignore[method-assign]
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    detail_type, outcome = recorder.reports[-1]
    assert detail_type == DetailType.MODEL_IMPORT_FAILED
    assert outcome.status == "FAILED" and "AccessDeniedException" in (outcome.message or "")


def test_an_import_longer_than_the_maximum_wait_fails(make_ports: Any,
                                                      recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINING"])
    run(sample_share(), SOURCE, "req-1", replace(CONFIG, import_wait_max_s=10),
        make_ports(comprehend))
    _, outcome = recorder.reports[-1]
    assert outcome.status == "FAILED"
    # The parameter users can set, not the variable it becomes (issue 13 item 8).
    assert "ImportWaitMaxSeconds" in (outcome.message or "")


def test_throttled_import_is_retried_with_the_ports_sleep(make_ports: Any, clock: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    real_import = comprehend.import_model
    throttles = [client_error("TooManyRequestsException", "ImportModel")]

    def import_model(**request: Any) -> Any:
        if throttles:
            comprehend.calls.append(("import_model", request))
            raise throttles.pop()
        return real_import(**request)

    comprehend.import_model = import_model  # type: ignore[method-assign]
    assert run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend)).endswith("TRAINED")
    assert comprehend.count("import_model") == 2
    assert len(clock.slept) == 1  # the backoff used the fake clock, not real time


def test_too_little_time_left_hands_over_and_the_next_invocation_resumes(
        make_ports: Any, recorder: Recorder, ledger: Ledger) -> None:
    comprehend = FakeComprehend(["SUBMITTED", "TRAINING", "TRAINED"])
    share = sample_share()
    result = run(share, SOURCE, "req-1", CONFIG, make_ports(comprehend, remaining_s=5))
    assert result.startswith("handed over")
    assert recorder.handovers == ["req-1"]
    assert recorder.detail_types == [DetailType.MODEL_IMPORT_STARTED]  # no outcome yet
    entry = ledger.get(copy_key(share))
    assert entry is not None and entry.status == "IMPORTING"
    assert entry.target_model_arn == TARGET_ARN

    # The fresh invocation resumes with the recorded ARN: no second ImportModel.
    result = run(share, SOURCE, "req-2", CONFIG, make_ports(comprehend), resume_from="req-1")
    assert result == f"{TARGET_ARN}: TRAINED"
    assert comprehend.count("import_model") == 1
    assert recorder.detail_types == [DetailType.MODEL_IMPORT_STARTED, DetailType.MODEL_IMPORTED]
    assert recorder.reports[-1][1].taskToken == share.taskToken


def test_resuming_a_recorded_import_never_calls_import_model(make_ports: Any,
                                                             recorder: Recorder,
                                                             ledger: Ledger) -> None:
    share = sample_share()
    waiter = {"taskToken": share.taskToken or "", "correlationId": share.correlationId}
    ledger.claim(copy_key(share), "req-old", 100, waiter)
    ledger.record_import(copy_key(share), "req-old", TARGET_ARN, "2026-11-03T09:20:00+00:00")
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, SOURCE_ARN, ["TRAINED"])
    run(share, SOURCE, "req-new", CONFIG, make_ports(comprehend), resume_from="req-old")
    assert comprehend.count("import_model") == 0
    assert recorder.detail_types == [DetailType.MODEL_IMPORTED]
    assert recorder.reports[0][1].importStartedAt == "2026-11-03T09:20:00+00:00"


def test_entity_recognizers_are_described_as_recognizers(make_ports: Any) -> None:
    recognizer = "arn:aws:comprehend:us-east-1:111111111111:entity-recognizer/people"
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.add_model(f"arn:aws:comprehend:us-east-1:{TARGET}:entity-recognizer/people",
                         recognizer, ["TRAINED"])

    def import_recognizer(**request: Any) -> Any:
        comprehend.calls.append(("import_model", request))
        return {"ModelArn": f"arn:aws:comprehend:us-east-1:{TARGET}:entity-recognizer/people"}

    comprehend.import_model = import_recognizer  # type: ignore[method-assign]
    share = sample_share(sourceModelArn=recognizer, modelType="entity-recognizer",
                         targetModelName="people", targetVersionName=None)
    assert run(share, SOURCE, "req-1", CONFIG, make_ports(comprehend)).endswith("TRAINED")
    assert comprehend.count("describe_entity_recognizer") == 1
    assert comprehend.count("describe_document_classifier") == 0


def test_the_copy_is_tagged_with_its_source_creation_time_and_promoted_with_it(
        make_ports: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    promoted: list[tuple[str, str, Any]] = []
    ports = make_ports(comprehend)
    ports.promote = lambda name, arn, created: promoted.append((name, arn, created))
    share = sample_share(sourceModelCreatedAt="2026-11-02T11:00:00+01:00")
    run(share, SOURCE, "req-1", CONFIG, ports)
    [(_, request)] = [c for c in comprehend.calls if c[0] == "import_model"]
    assert {"Key": "model-copy:source-created-at",
            "Value": "2026-11-02T10:00:00+00:00"} in request["Tags"]
    assert promoted == [("support-tickets", TARGET_ARN, "2026-11-02T11:00:00+01:00")]
