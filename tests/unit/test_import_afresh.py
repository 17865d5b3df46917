"""Starting afresh (issue 14): a copy deleted, failed or in error in the target is imported
again by a new request; a foreign model is never deleted."""

from __future__ import annotations

from typing import Any

from model_copy.importing import run

from tests.support.fakes import FakeComprehend
from tests.support.import_job import (
    CONFIG,
    SOURCE,
    SOURCE_ARN,
    TARGET_ARN,
    Recorder,
    sample_share,
)


def test_a_copy_deleted_in_the_target_is_imported_again(make_ports: Any,
                                                        recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    comprehend.models.pop(TARGET_ARN)  # someone deleted the copy in B
    result = run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2",
                 CONFIG, make_ports(comprehend))
    assert result == f"{TARGET_ARN}: TRAINED"
    assert comprehend.count("import_model") == 2
    assert TARGET_ARN in comprehend.models
    assert (recorder.final.taskToken, recorder.final.status) == ("t-2", "TRAINED")


def test_a_trained_copy_that_still_exists_is_adopted(make_ports: Any,
                                                     recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    result = run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2",
                 CONFIG, make_ports(comprehend))
    assert result.startswith("duplicate: answered")
    assert comprehend.count("import_model") == 1


def test_an_import_that_failed_is_retried_by_a_new_request(make_ports: Any,
                                                           recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.import_errors = ["ResourceLimitExceededException"]
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert recorder.final.status == "FAILED"
    assert "ResourceLimitExceededException" in (recorder.final.message or "")
    run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2", CONFIG,
        make_ports(comprehend))
    assert (recorder.final.taskToken, recorder.final.status) == ("t-2", "TRAINED")
    assert comprehend.count("import_model") == 2


def test_a_copy_in_error_is_deleted_and_imported_again(make_ports: Any,
                                                       recorder: Recorder) -> None:
    comprehend = FakeComprehend(["SUBMITTED", "IN_ERROR"], message="disk on fire")
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert recorder.final.status == "IN_ERROR"
    comprehend.statuses = ["SUBMITTED", "TRAINED"]  # the cause was fixed
    run(sample_share(taskToken="t-2", correlationId="exec-2"), SOURCE, "req-2", CONFIG,
        make_ports(comprehend))
    assert (recorder.final.taskToken, recorder.final.status) == ("t-2", "TRAINED")
    assert comprehend.count("delete_document_classifier") == 1
    assert comprehend.count("import_model") == 3  # first, refused by the failed copy, again


def test_a_foreign_model_in_error_is_never_deleted(make_ports: Any, recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, None, ["IN_ERROR"])  # trained in B, not our copy
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert recorder.final.status == "FAILED"
    assert comprehend.count("delete_document_classifier") == 0


def test_a_failed_copy_that_is_never_deleted_fails_at_the_deadline(make_ports: Any,
                                                                   recorder: Recorder,
                                                                   clock: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.add_model(TARGET_ARN, SOURCE_ARN, ["IN_ERROR"])

    def delete_stuck(DocumentClassifierArn: str) -> dict[str, Any]:
        comprehend.calls.append(("delete_document_classifier", {}))
        comprehend.models[DocumentClassifierArn]["statuses"] = ["DELETING"]
        return {}

    comprehend.delete_document_classifier = delete_stuck  # type: ignore[method-assign]
    start = clock.now
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    outcome = recorder.final
    assert outcome.status == "FAILED" and "still being deleted" in (outcome.message or "")
    assert clock.now - start <= CONFIG.import_wait_max_s + CONFIG.poll_first_s
    assert comprehend.count("delete_document_classifier") == 1
