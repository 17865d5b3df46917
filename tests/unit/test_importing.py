"""The target's import job: authorize first, import once, follow, report; fake Comprehend,
moto ledger, recorded reports and hand-overs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from model_copy.config import TargetConfig
from model_copy.contract import DetailType, ImportOutcome, ModelVersionShared
from model_copy.errors import UnauthorizedShareEvent
from model_copy.importing import Ports, copy_key, run
from model_copy.ledger import Ledger

from tests.support.fakes import FakeComprehend, FakeEvents, client_error

EVENTS = Path(__file__).resolve().parents[2] / "events"
SOURCE, TARGET, THIRD = "111111111111", "222222222222", "333333333333"
SOURCE_ARN = ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/"
              "support-tickets/version/v3")
TARGET_ARN = ("arn:aws:comprehend:us-east-1:222222222222:document-classifier/"
              "support-tickets/version/v3-from-111111111111")
CONFIG = TargetConfig(
    region="us-east-1", account=TARGET, allowed_source_accounts=(SOURCE, THIRD),
    bus_name="model-copy", ledger_table="model-copy-ledger", model_kms_key_id=None,
    data_access_role_arn=None, poll_first_s=1, poll_max_s=4, import_wait_max_s=60,
    handover_margin_s=5)


@dataclass
class Recorder:
    reports: list[tuple[DetailType, ImportOutcome]] = field(default_factory=list)
    handovers: list[str] = field(default_factory=list)

    def report(self, detail_type: DetailType, outcome: ImportOutcome) -> None:
        self.reports.append((detail_type, outcome))

    def hand_over(self, owner: str) -> None:
        self.handovers.append(owner)

    @property
    def detail_types(self) -> list[DetailType]:
        return [detail_type for detail_type, _ in self.reports]


def sample_share(**changes: Any) -> ModelVersionShared:
    detail = json.loads((EVENTS / "model-version-shared.json").read_text())["detail"]
    return ModelVersionShared(**{**detail, **changes})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def make_ports(ledger: Ledger, recorder: Recorder, clock: Any) -> Any:
    def make(comprehend: FakeComprehend, remaining_s: float = 900.0) -> Ports:
        return Ports(comprehend=comprehend, ledger=ledger, report=recorder.report,
                     hand_over=recorder.hand_over, clock=clock, sleep=clock.sleep,
                     remaining_s=lambda: remaining_s)
    return make


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
    assert started.taskToken == share.taskToken
    assert imported.status == "TRAINED" and imported.succeeded
    assert imported.taskToken == share.taskToken
    assert imported.correlationId == share.correlationId
    assert (imported.sourceAccount, imported.targetAccount) == (SOURCE, TARGET)
    assert imported.importStartedAt == started.importStartedAt
    assert imported.importSeconds == 3.0  # slept 1 s then 2 s between three describes
    assert imported.importEndedAt is not None and imported.importEndedAt > imported.importStartedAt
    entry = ledger.get(copy_key(share))
    assert entry is not None and entry.status == "DONE" and entry.outcome["status"] == "TRAINED"


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


# ------------------------------------------------------------------ the report port
def test_put_outcome_sends_one_contract_event() -> None:
    from model_copy.reporting import put_outcome

    events = FakeEvents()
    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-imported.json").read_text())["detail"])
    put_outcome(events, "model-copy", DetailType.MODEL_IMPORTED, outcome)
    [entry] = events.entries
    assert (entry["EventBusName"], entry["Source"], entry["DetailType"]) == (
        "model-copy", "model-copy", "Model Imported")
    assert ImportOutcome.model_validate_json(entry["Detail"]) == outcome
    assert entry["Resources"] == [SOURCE_ARN]


def test_put_outcome_retries_transient_entry_failures_then_delivers() -> None:
    from model_copy.reporting import put_outcome

    events = FakeEvents(failures=["ThrottlingException", "InternalFailure"])
    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-imported.json").read_text())["detail"])
    bus = "arn:aws:events:us-east-1:111111111111:event-bus/model-copy"
    put_outcome(events, bus, DetailType.MODEL_IMPORTED, outcome, sleep=lambda _s: None)
    assert len(events.entries) == 3
    assert {entry["EventBusName"] for entry in events.entries} == {bus}


def test_put_outcome_gives_up_on_a_refused_entry_at_once() -> None:
    from model_copy.reporting import OutcomeNotDelivered, put_outcome

    events = FakeEvents(failures=["AccessDeniedException"])
    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-imported.json").read_text())["detail"])
    with pytest.raises(OutcomeNotDelivered, match="AccessDeniedException"):
        put_outcome(events, "arn:aws:events:us-east-1:111111111111:event-bus/model-copy",
                    DetailType.MODEL_IMPORTED, outcome, sleep=lambda _s: None)
    assert len(events.entries) == 1


def test_put_outcome_raises_when_eventbridge_refuses() -> None:
    from model_copy.reporting import OutcomeNotDelivered, put_outcome

    outcome = ImportOutcome.model_validate(
        json.loads((EVENTS / "model-import-failed.json").read_text())["detail"])
    with pytest.raises(OutcomeNotDelivered, match="AccessDenied"):
        put_outcome(FakeEvents(failed=True), "model-copy", DetailType.MODEL_IMPORT_FAILED,
                    outcome)


# ------------------------------------------------------------------ starting afresh (issue 14)
class AfreshComprehend(FakeComprehend):
    """The fake plus what starting afresh needs: missing models, deletes and scripted errors."""

    def __init__(self, statuses: list[str], message: str | None = None) -> None:
        super().__init__(statuses, message)
        self.import_errors: list[str] = []  # codes ImportModel raises first, in order
        self.describe_errors: list[str] = []

    def import_model(self, **request: Any) -> dict[str, Any]:
        if self.import_errors:
            self.calls.append(("import_model", request))
            raise client_error(self.import_errors.pop(0), "ImportModel")
        return super().import_model(**request)

    def _describe(self, arn: str) -> dict[str, Any]:
        if self.describe_errors:
            raise client_error(self.describe_errors.pop(0), "DescribeDocumentClassifier")
        if arn not in self.models:
            raise client_error("ResourceNotFoundException", "DescribeDocumentClassifier")
        return super()._describe(arn)

    def delete_document_classifier(self, DocumentClassifierArn: str) -> dict[str, Any]:
        self.calls.append(("delete_document_classifier", {"arn": DocumentClassifierArn}))
        self.models.pop(DocumentClassifierArn)
        return {}


def _final(recorder: Recorder) -> ImportOutcome:
    detail_type, outcome = recorder.reports[-1]
    assert detail_type in (DetailType.MODEL_IMPORTED, DetailType.MODEL_IMPORT_FAILED)
    return outcome


def test_a_copy_deleted_in_the_target_is_imported_again(make_ports: Any,
                                                        recorder: Recorder) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    comprehend.models.pop(TARGET_ARN)  # someone deleted the copy in B
    result = run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2",
                 CONFIG, make_ports(comprehend))
    assert result == f"{TARGET_ARN}: TRAINED"
    assert comprehend.count("import_model") == 2
    assert TARGET_ARN in comprehend.models
    assert (_final(recorder).taskToken, _final(recorder).status) == ("t-2", "TRAINED")


def test_a_trained_copy_that_still_exists_is_adopted(make_ports: Any,
                                                     recorder: Recorder) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    result = run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2",
                 CONFIG, make_ports(comprehend))
    assert result.startswith("duplicate: answered")
    assert comprehend.count("import_model") == 1


def test_an_import_that_failed_is_retried_by_a_new_request(make_ports: Any,
                                                           recorder: Recorder) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.import_errors = ["ResourceLimitExceededException"]
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert _final(recorder).status == "FAILED"
    assert "ResourceLimitExceededException" in (_final(recorder).message or "")
    run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2", CONFIG,
        make_ports(comprehend))
    assert (_final(recorder).taskToken, _final(recorder).status) == ("t-2", "TRAINED")
    assert comprehend.count("import_model") == 2


def test_a_copy_in_error_is_deleted_and_imported_again(make_ports: Any,
                                                       recorder: Recorder) -> None:
    comprehend = AfreshComprehend(["SUBMITTED", "IN_ERROR"], message="disk on fire")
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert _final(recorder).status == "IN_ERROR"
    comprehend.statuses = ["SUBMITTED", "TRAINED"]  # the cause was fixed
    run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2", CONFIG,
        make_ports(comprehend))
    assert (_final(recorder).taskToken, _final(recorder).status) == ("t-2", "TRAINED")
    assert comprehend.count("delete_document_classifier") == 1
    assert comprehend.count("import_model") == 3  # first, refused by the failed copy, again


def test_a_foreign_model_in_error_is_never_deleted(make_ports: Any, recorder: Recorder) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, None, ["IN_ERROR"])  # trained in B, not our copy
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert _final(recorder).status == "FAILED"
    assert comprehend.count("delete_document_classifier") == 0


@pytest.mark.parametrize("code", ["TooManyRequestsException", "ThrottlingException",
                                  "InternalServerException", "ResourceUnavailableException",
                                  "ServiceUnavailable"])
def test_transient_import_errors_are_retried_past_the_client_retries(
        make_ports: Any, recorder: Recorder, clock: Any, code: str) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.import_errors = [code] * 20  # far more than one call's retries
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert _final(recorder).status == "TRAINED"
    assert comprehend.count("import_model") == 21
    assert clock.slept and len(set(clock.slept)) > 1, "backoff with jitter"


def test_transient_errors_past_the_wait_limit_fail_with_their_real_cause(
        make_ports: Any, recorder: Recorder, clock: Any) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.import_errors = ["TooManyRequestsException"] * 10_000
    start = clock.now
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    outcome = _final(recorder)
    assert outcome.status == "FAILED"
    assert (outcome.message or "").startswith("TooManyRequestsException")
    assert CONFIG.import_wait_max_s <= clock.now - start <= CONFIG.import_wait_max_s + 1


def test_access_denied_is_retried_only_within_the_propagation_window(
        make_ports: Any, recorder: Recorder, clock: Any) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.import_errors = ["AccessDeniedException"] * 3  # the share's policy propagates
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert _final(recorder).status == "TRAINED"

    never = AfreshComprehend(["TRAINED"])
    never.import_errors = ["AccessDeniedException"] * 10_000
    config = replace(CONFIG, import_wait_max_s=3600)
    start = clock.now
    run(sample_share(targetModelName="other"), SOURCE, "req-2", config, make_ports(never))
    outcome = _final(recorder)
    assert outcome.status == "FAILED" and "AccessDeniedException" in (outcome.message or "")
    assert clock.now - start < config.access_denied_retry_s + 60, "not until the wait limit"


def test_transient_retries_hand_over_and_keep_the_deadline(make_ports: Any, recorder: Recorder,
                                                           ledger: Ledger, clock: Any) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.import_errors = ["TooManyRequestsException"] * 10_000
    share = sample_share()
    claimed = clock.now
    for request in range(200):
        ports = make_ports(comprehend)
        ends = clock.now + 20  # each invocation may run 20 s
        ports.remaining_s = lambda ends=ends: ends - clock.now
        result = run(share, SOURCE, f"req-{request + 1}", CONFIG, ports,
                     resume_from=f"req-{request}" if request else None)
        if not result.startswith("handed over"):
            break
    assert recorder.handovers, "retries that outlast the invocation hand over"
    assert _final(recorder).status == "FAILED"
    assert clock.now - claimed <= CONFIG.import_wait_max_s + 10, "the deadline survives"


def test_thirty_seconds_of_describe_throttling_while_following_ends_trained(
        make_ports: Any, recorder: Recorder, clock: Any) -> None:
    comprehend = AfreshComprehend(["SUBMITTED", "TRAINING", "TRAINED"])
    throttled_until = clock.now + 30
    real = comprehend._describe

    def describe(arn: str) -> dict[str, Any]:
        if clock.now < throttled_until:
            raise client_error("TooManyRequestsException", "DescribeDocumentClassifier")
        return real(arn)

    comprehend._describe = describe  # type: ignore[method-assign]
    run(sample_share(), SOURCE, "req-1", replace(CONFIG, import_wait_max_s=600),
        make_ports(comprehend))
    assert _final(recorder).status == "TRAINED"


def test_describe_throttled_past_the_wait_limit_fails_with_the_real_cause(
        make_ports: Any, recorder: Recorder) -> None:
    comprehend = AfreshComprehend(["TRAINING"])
    comprehend.describe_errors = ["TooManyRequestsException"] * 10_000
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    outcome = _final(recorder)
    assert outcome.status == "FAILED"
    assert (outcome.message or "").startswith("TooManyRequestsException")


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


# ------------------------------------------------------------------ approval in B (issue 14)
@pytest.mark.parametrize("approval", [
    None, {"decision": "NOT_REQUIRED"}, {"decision": "REJECTED", "by": "bob"},
    {"decision": "APPROVED"}, {"decision": "APPROVED", "by": ""},
])
def test_a_target_requiring_approval_refuses_shares_without_one(
        make_ports: Any, recorder: Recorder, approval: dict[str, Any] | None) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    config = replace(CONFIG, require_approved_shares=True)
    with pytest.raises(UnauthorizedShareEvent, match="RequireApprovedShares"):
        run(sample_share(approval=approval), SOURCE, "req-1", config, make_ports(comprehend))
    assert comprehend.calls == [] and recorder.reports == []


def test_a_target_requiring_approval_imports_an_approved_share(make_ports: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    config = replace(CONFIG, require_approved_shares=True)
    share = sample_share(approval={"decision": "APPROVED", "by": "arn:aws:iam::1:user/alice",
                                   "at": "2026-11-03T09:00:00+00:00", "extra": "ignored"})
    assert run(share, SOURCE, "req-1", config, make_ports(comprehend)).endswith("TRAINED")


def test_by_default_shares_need_no_approval(make_ports: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    assert run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend)).endswith(
        "TRAINED")


def test_a_failed_copy_that_is_never_deleted_fails_at_the_deadline(make_ports: Any,
                                                                   recorder: Recorder,
                                                                   clock: Any) -> None:
    comprehend = AfreshComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, SOURCE_ARN, ["IN_ERROR"])

    def delete_stuck(DocumentClassifierArn: str) -> dict[str, Any]:
        comprehend.calls.append(("delete_document_classifier", {}))
        comprehend.models[DocumentClassifierArn]["statuses"] = ["DELETING"]
        return {}

    comprehend.delete_document_classifier = delete_stuck  # type: ignore[method-assign]
    start = clock.now
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    outcome = _final(recorder)
    assert outcome.status == "FAILED" and "still being deleted" in (outcome.message or "")
    assert clock.now - start <= CONFIG.import_wait_max_s + CONFIG.poll_first_s
    assert comprehend.count("delete_document_classifier") == 1
