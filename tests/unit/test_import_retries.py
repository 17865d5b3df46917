"""Transient errors while importing and following: retried with backoff past the client's
own retries, within the wait limit and across hand-overs; the real cause when they outlast it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from model_copy.importing import run
from model_copy.ledger import Ledger

from tests.support.fakes import FakeComprehend, client_error
from tests.support.import_job import (
    CONFIG,
    SOURCE,
    Recorder,
    sample_share,
)


@pytest.mark.parametrize("code", ["TooManyRequestsException", "ThrottlingException",
                                  "InternalServerException", "ResourceUnavailableException",
                                  "ServiceUnavailable"])
def test_transient_import_errors_are_retried_past_the_client_retries(
        make_ports: Any, recorder: Recorder, clock: Any, code: str) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.import_errors = [code] * 20  # far more than one call's retries
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert recorder.final.status == "TRAINED"
    assert comprehend.count("import_model") == 21
    assert clock.slept and len(set(clock.slept)) > 1, "backoff with jitter"


def test_transient_errors_past_the_wait_limit_fail_with_their_real_cause(
        make_ports: Any, recorder: Recorder, clock: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.import_errors = ["TooManyRequestsException"] * 10_000
    start = clock.now
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    outcome = recorder.final
    assert outcome.status == "FAILED"
    assert (outcome.message or "").startswith("TooManyRequestsException")
    assert CONFIG.import_wait_max_s <= clock.now - start <= CONFIG.import_wait_max_s + 1


def test_access_denied_is_retried_only_within_the_propagation_window(
        make_ports: Any, recorder: Recorder, clock: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
    comprehend.import_errors = ["AccessDeniedException"] * 3  # the share's policy propagates
    run(sample_share(taskToken="t-1"), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    assert recorder.final.status == "TRAINED"

    never = FakeComprehend(["TRAINED"])
    never.import_errors = ["AccessDeniedException"] * 10_000
    config = replace(CONFIG, import_wait_max_s=3600)
    start = clock.now
    run(sample_share(targetModelName="other"), SOURCE, "req-2", config, make_ports(never))
    outcome = recorder.final
    assert outcome.status == "FAILED" and "AccessDeniedException" in (outcome.message or "")
    assert clock.now - start < config.access_denied_retry_s + 60, "not until the wait limit"


def test_transient_retries_hand_over_and_keep_the_deadline(make_ports: Any, recorder: Recorder,
                                                           ledger: Ledger, clock: Any) -> None:
    comprehend = FakeComprehend(["TRAINED"])
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
    assert recorder.final.status == "FAILED"
    assert clock.now - claimed <= CONFIG.import_wait_max_s + 10, "the deadline survives"


def test_thirty_seconds_of_describe_throttling_while_following_ends_trained(
        make_ports: Any, recorder: Recorder, clock: Any) -> None:
    comprehend = FakeComprehend(["SUBMITTED", "TRAINING", "TRAINED"])
    throttled_until = clock.now + 30
    real = comprehend._describe

    def describe(arn: str) -> dict[str, Any]:
        if clock.now < throttled_until:
            raise client_error("TooManyRequestsException", "DescribeDocumentClassifier")
        return real(arn)

    comprehend._describe = describe  # type: ignore[method-assign]
    run(sample_share(), SOURCE, "req-1", replace(CONFIG, import_wait_max_s=600),
        make_ports(comprehend))
    assert recorder.final.status == "TRAINED"


def test_describe_throttled_past_the_wait_limit_fails_with_the_real_cause(
        make_ports: Any, recorder: Recorder) -> None:
    comprehend = FakeComprehend(["TRAINING"])
    comprehend.describe_errors = ["TooManyRequestsException"] * 10_000
    run(sample_share(), SOURCE, "req-1", CONFIG, make_ports(comprehend))
    outcome = recorder.final
    assert outcome.status == "FAILED"
    assert (outcome.message or "").startswith("TooManyRequestsException")
