"""Sharing a model version: read, merge, write with PolicyRevisionId, against a fake Comprehend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from model_copy import retry, sharing
from model_copy.errors import ShareFailed
from model_copy.policy import TargetCopy, render, statement_id
from model_copy.sharing import MAX_CONFLICT_RETRIES, share_model_version, unshare_model_version

from tests.support.fakes import FakeComprehend, client_error

ARN = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/support-tickets/version/v3"
TARGET = "222222222222"
PRINCIPAL = f"arn:aws:iam::{TARGET}:role/model-copy-import-us-east-1"
COPY = TargetCopy(TARGET, "support-tickets-prod", "v3")
FOREIGN = {"Sid": "AnalyticsTeam", "Effect": "Allow",
           "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
           "Action": "comprehend:ImportModel", "Resource": "*"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # sharing calls call_with_retries without a `sleep` argument, so real time.sleep runs;
    # zero delays keep throttling tests instant.
    monkeypatch.setattr(retry, "backoff_delays", lambda attempts, base, cap: [0.0] * attempts)
    monkeypatch.setattr(sharing, "CREATE_CHECKS_AT_S", (0.0, 0.0))  # the looks after a create
    yield


def our_statement(statements: list[dict[str, Any]]) -> dict[str, Any]:
    [statement] = [s for s in statements if s.get("Sid") == statement_id(COPY)]
    return statement


def test_no_policy_yet_is_created_without_a_revision() -> None:
    comprehend = FakeComprehend()
    result = share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    [put] = comprehend.puts
    assert "PolicyRevisionId" not in put
    assert put["ResourceArn"] == ARN
    assert result.changed and result.policy_revision_id == "rev-1"
    assert (result.model_version_arn, result.account) == (ARN, TARGET)
    assert our_statement(comprehend.statements())["Principal"] == {"AWS": PRINCIPAL}


def test_existing_foreign_statements_are_kept_and_revision_is_passed() -> None:
    comprehend = FakeComprehend(policy={"Version": "2012-10-17", "Statement": [FOREIGN]})
    share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    [put] = comprehend.puts
    assert put["PolicyRevisionId"] == "rev-0"
    assert comprehend.statements()[0] == FOREIGN
    assert len(comprehend.statements()) == 2


def test_already_shared_writes_nothing() -> None:
    comprehend = FakeComprehend()
    share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    again = share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert not again.changed
    assert again.policy_revision_id == "rev-1"
    assert len(comprehend.puts) == 1


def test_revision_conflict_rereads_and_merges_the_other_writers_change() -> None:
    comprehend = FakeComprehend(policy={"Version": "2012-10-17", "Statement": [FOREIGN]})
    other = {**FOREIGN, "Sid": "AddedMeanwhile"}

    def other_writer_first(request: dict[str, Any]) -> None:
        if len(comprehend.puts) == 1:  # between our read and our first write
            comprehend._write(json.dumps({"Statement": [FOREIGN, other]}))

    comprehend.before_put = other_writer_first
    result = share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert result.changed
    assert len(comprehend.puts) == 2
    assert comprehend.puts[1]["PolicyRevisionId"] == "rev-1"  # the re-read revision
    assert [s.get("Sid") for s in comprehend.statements()] == [
        "AnalyticsTeam", "AddedMeanwhile", statement_id(COPY)]


def test_conflict_when_someone_creates_the_first_policy_meanwhile() -> None:
    comprehend = FakeComprehend()

    def creates_first(request: dict[str, Any]) -> None:
        if len(comprehend.puts) == 1:
            comprehend._write(json.dumps({"Statement": [FOREIGN]}))

    comprehend.before_put = creates_first
    share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert comprehend.statements()[0] == FOREIGN
    assert len(comprehend.statements()) == 2


def test_conflicts_forever_fail_the_share() -> None:
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    comprehend.before_put = lambda request: comprehend._write(json.dumps({"Statement": [FOREIGN]}))
    with pytest.raises(ShareFailed, match="kept changing"):
        share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert len(comprehend.puts) == MAX_CONFLICT_RETRIES


def test_throttling_is_retried_on_read_and_write() -> None:
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    comprehend.policy_describe_errors = [client_error("TooManyRequestsException",
                                                      "DescribeResourcePolicy", "slow down")]
    throttles = [client_error("TooManyRequestsException", "PutResourcePolicy", "slow down")] * 2

    def throttle(request: dict[str, Any]) -> None:
        if throttles:
            raise throttles.pop()

    comprehend.before_put = throttle
    result = share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert result.changed
    assert len(comprehend.puts) == 3
    assert [name for name, _ in comprehend.calls].count("describe_resource_policy") == 2


def test_other_write_errors_fail_with_the_code() -> None:
    comprehend = FakeComprehend()

    def denied(request: dict[str, Any]) -> None:
        raise client_error("InvalidRequestException", "PutResourcePolicy",
                           "The model is not TRAINED")

    comprehend.before_put = denied
    with pytest.raises(ShareFailed, match="InvalidRequestException") as raised:
        share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert ARN in str(raised.value)
    assert len(comprehend.puts) == 1  # not a revision conflict: not retried


def test_read_errors_other_than_not_found_propagate() -> None:
    comprehend = FakeComprehend()
    comprehend.policy_describe_errors = [client_error("AccessDeniedException", "Describe", "no")]
    with pytest.raises(ClientError, match="AccessDenied"):
        share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert comprehend.puts == []


def test_unshare_removes_only_ours() -> None:
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    result = unshare_model_version(comprehend, ARN, COPY)
    assert result.changed
    assert comprehend.statements() == [FOREIGN]
    assert not unshare_model_version(comprehend, ARN, COPY).changed
    assert len(comprehend.puts) == 2


def test_revoking_the_only_statement_deletes_the_policy_at_its_revision() -> None:
    """Issue 13 item 1: a policy with no statement is refused, so revoke alone deletes."""
    comprehend = FakeComprehend()
    shared = share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    result = unshare_model_version(comprehend, ARN, COPY)
    assert result.changed and result.policy_revision_id is None
    assert comprehend.deletes == [{"ResourceArn": ARN,
                                   "PolicyRevisionId": shared.policy_revision_id}]
    assert len(comprehend.puts) == 1  # the share; no empty policy was written
    assert comprehend.policy is None
    assert not unshare_model_version(comprehend, ARN, COPY).changed


def test_delete_that_loses_a_race_rereads_and_keeps_the_other_writers_statement() -> None:
    comprehend = FakeComprehend()
    share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    ours_only = comprehend.policy

    def other_writer_first(request: dict[str, Any]) -> None:
        if not comprehend.deletes[1:] and "ResourcePolicy" not in request:
            # between our read and our delete, someone adds a statement
            statements = json.loads(ours_only or "{}")["Statement"]
            comprehend._write(json.dumps({"Statement": [*statements, FOREIGN]}))

    comprehend.before_put = other_writer_first
    result = unshare_model_version(comprehend, ARN, COPY)
    assert result.changed
    assert comprehend.statements() == [FOREIGN]


def test_a_validation_error_is_not_taken_for_a_conflict() -> None:
    """Issue 13 item 2: the revision did not change, so AWS's own message is reported with
    the fix, after one write, not ten."""
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    message = f"Invalid principal in policy: {PRINCIPAL}"

    def refuse_principal(request: dict[str, Any]) -> None:
        raise client_error("InvalidRequestException", "PutResourcePolicy", message)

    comprehend.before_put = refuse_principal
    with pytest.raises(ShareFailed) as raised:
        share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert len(comprehend.puts) == 1
    text = str(raised.value)
    assert message in text and "kept changing" not in text
    assert "deploy the target stack" in text and TARGET in text


def test_a_refusal_without_a_prior_policy_is_not_a_conflict_either() -> None:
    comprehend = FakeComprehend()

    def refuse(request: dict[str, Any]) -> None:
        raise client_error("InvalidRequestException", "PutResourcePolicy", "Invalid principal")

    comprehend.before_put = refuse
    with pytest.raises(ShareFailed, match="Invalid principal"):
        share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    assert len(comprehend.puts) == 1


class LambdaClock:
    """The Lambda's time left, spent by each write and each backoff sleep."""

    def __init__(self, seconds_left: float, per_write: float) -> None:
        self.left, self.per_write = seconds_left, per_write
        self.slept: list[float] = []

    def remaining(self) -> float:
        return self.left

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.left -= seconds


def test_the_conflict_loop_stops_before_the_function_times_out() -> None:
    """Issue 13 item 11: ten conflicting attempts could outlast the 30 s timeout; the loop
    stops while there is time left to say why."""
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    clock = LambdaClock(seconds_left=30, per_write=6)

    def conflict_and_spend(request: dict[str, Any]) -> None:
        clock.left -= clock.per_write
        comprehend._write(json.dumps({"Statement": [FOREIGN]}))

    comprehend.before_put = conflict_and_spend
    with pytest.raises(ShareFailed, match="time") as raised:
        share_model_version(comprehend, ARN, COPY, PRINCIPAL, time_left=clock.remaining)
    assert 1 < len(comprehend.puts) < MAX_CONFLICT_RETRIES
    assert clock.left > 0, "the function must still be running to report the failure"
    assert "try again" in str(raised.value)


def test_throttling_backoff_never_sleeps_past_the_time_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "backoff_delays", lambda attempts, base, cap: [1.5] * attempts)
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    clock = LambdaClock(seconds_left=4, per_write=0)

    def throttle(request: dict[str, Any]) -> None:
        raise client_error("TooManyRequestsException", "PutResourcePolicy", "slow down")

    comprehend.before_put = throttle
    with pytest.raises(ShareFailed, match="time"):
        share_model_version(comprehend, ARN, COPY, PRINCIPAL, time_left=clock.remaining,
                            sleep=clock.sleep)
    assert clock.left > 0


def test_the_handler_bounds_sharing_by_the_lambda_time_left(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    from pathlib import Path

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "functions"))
    app = importlib.import_module("share_model_version.app")

    seen: dict[str, Any] = {}

    def fake_share(comprehend: Any, arn: str, target: TargetCopy, principal: str,
                   **kwargs: Any) -> Any:
        seen.update(kwargs, target=target)
        from model_copy.sharing import ShareResult
        return ShareResult(arn, target.account, False, "rev")

    monkeypatch.setattr(app, "share_model_version", fake_share)

    class Context:
        function_name, memory_limit_in_mb, aws_request_id = "share", 256, "r-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:111111111111:function:share"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 12_500

    app.handler({"action": "share", "sourceModelArn": ARN, "account": TARGET,
                 "principal": PRINCIPAL, "targetModelName": COPY.model_name,
                 "targetVersionName": COPY.version_name}, Context())
    assert seen["time_left"]() == 12.5
    assert seen["target"] == COPY  # one statement per copy (issue 14 item 3)


def test_a_policy_that_would_outgrow_comprehends_limit_fails_before_writing() -> None:
    # Comprehend takes at most 20,000 characters of policy (PutResourcePolicy, ResourcePolicy).
    crowded: list[dict[str, Any]] = []
    while True:  # as many finished copies' statements as fit, so ours (~210) cannot
        more = [*crowded, {**FOREIGN, "Sid": f"Finished{len(crowded):04d}"}]
        if len(render({"Version": "2012-10-17", "Statement": more})) > 20_000:
            break
        crowded = more
    comprehend = FakeComprehend(policy={"Version": "2012-10-17", "Statement": crowded})
    with pytest.raises(ShareFailed) as failed:
        share_model_version(comprehend, ARN, COPY, PRINCIPAL)
    message = str(failed.value)
    assert "20000" in message and "RevokeAfterImport" in message, message
    assert comprehend.writes == 0


def test_a_first_policy_overwritten_by_another_creator_is_merged_again() -> None:
    """A create carries no PolicyRevisionId, so two first shares can both create: the one
    overwritten sees it on its look after creating, and merges again (now conditionally)."""
    comprehend = FakeComprehend()
    other = {**FOREIGN, "Sid": "ModelCopyImportBy444444444444"}
    overwritten: list[Any] = []

    def another_creator(request: dict[str, Any]) -> None:
        del request

    original_describe = comprehend.describe_resource_policy

    def describe(ResourceArn: str) -> dict[str, Any]:
        if comprehend.writes == 1 and not overwritten:  # our create landed; theirs lands now
            overwritten.append(True)
            comprehend._write(json.dumps({"Statement": [other]}))
        return original_describe(ResourceArn)

    comprehend.before_put = another_creator
    comprehend.describe_resource_policy = describe  # type: ignore[method-assign]
    share_model_version(comprehend, ARN, COPY, PRINCIPAL, sleep=lambda _s: None)
    assert overwritten
    assert {s.get("Sid") for s in comprehend.statements()} == {
        other["Sid"], statement_id(COPY)}


def test_a_first_policy_that_survives_is_not_written_twice() -> None:
    comprehend = FakeComprehend()
    share_model_version(comprehend, ARN, COPY, PRINCIPAL, sleep=lambda _s: None)
    assert len(comprehend.puts) == 1
    assert [s.get("Sid") for s in comprehend.statements()] == [statement_id(COPY)]


class PlayedTime:
    """One clock for the share and the fake service; sleeping advances it."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_share_into_a_policy_created_moments_ago_looks_again_and_survives_a_late_creator(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the 25-account test under load: a first share whose create (no revision, so
    unconditional) lands late overwrites every statement merged since, including those of
    shares that had already finished. A share into a policy younger than the look-again window
    looks again until the window has passed, and merges again if its statement is gone."""
    monkeypatch.setattr(sharing, "CREATE_CHECKS_AT_S", (1.0, 3.0))
    played = PlayedTime()
    comprehend = FakeComprehend()
    comprehend.clock = played.clock
    comprehend._write(json.dumps({"Statement": [FOREIGN]}))  # created just now by another copy
    played.sleep(0.5)
    late = {**FOREIGN, "Sid": "ModelCopyLateCreator"}
    landed: list[bool] = []

    def describe_after_a_late_create(ResourceArn: str) -> dict[str, Any]:
        if comprehend.writes == 2 and not landed:  # ours is in; a stale create lands now
            landed.append(True)
            comprehend._write(json.dumps({"Statement": [late]}))
        return original(ResourceArn)

    original = comprehend.describe_resource_policy
    comprehend.describe_resource_policy = describe_after_a_late_create  # type: ignore[method-assign]
    share_model_version(comprehend, ARN, COPY, PRINCIPAL, sleep=played.sleep, clock=played.clock)
    assert landed
    assert statement_id(COPY) in {s.get("Sid") for s in comprehend.statements()}


def test_a_share_into_an_old_policy_does_not_look_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sharing, "CREATE_CHECKS_AT_S", (1.0, 3.0))
    played = PlayedTime()
    comprehend = FakeComprehend(policy={"Statement": [FOREIGN]})
    comprehend.clock = played.clock
    comprehend.created_at = played.now - 60
    share_model_version(comprehend, ARN, COPY, PRINCIPAL, sleep=played.sleep, clock=played.clock)
    assert [name for name, _ in comprehend.calls] == ["describe_resource_policy",
                                                      "put_resource_policy"]


def test_a_throttled_first_create_reads_again_before_writing() -> None:
    """An unconditional create retried in place could land long after its read, over
    statements written meanwhile: after a refusal it reads again, so it may become a
    conditional merge."""
    comprehend = FakeComprehend()
    failures = [client_error("ThrottlingException", "PutResourcePolicy")]

    def throttle_once(request: dict[str, Any]) -> None:
        if failures:
            raise failures.pop(0)

    comprehend.before_put = throttle_once
    share_model_version(comprehend, ARN, COPY, PRINCIPAL, sleep=lambda _s: None)
    names = [name for name, _ in comprehend.calls]
    assert names[:3] == ["describe_resource_policy", "put_resource_policy",
                         "describe_resource_policy"], names
    assert statement_id(COPY) in {s.get("Sid") for s in comprehend.statements()}
