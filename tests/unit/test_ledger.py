"""The import ledger in DynamoDB (moto in process): claims, leases, waiters, outcomes."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from model_copy.ledger import RECORD_TTL_S, Ledger, LedgerEntry

KEY = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/t/version/v3|t|v3"
LEASE = 100.0
FIRST = {"taskToken": "token-1", "correlationId": "exec-1"}
SECOND = {"taskToken": "token-2", "correlationId": "exec-2"}
TARGET_ARN = "arn:aws:comprehend:us-east-1:222222222222:document-classifier/t/version/v3"


def stored(table: Any) -> dict[str, Any]:
    return table.get_item(Key={"copyKey": KEY}, ConsistentRead=True)["Item"]


def test_first_claim_is_new_and_holds_the_lease(ledger: Ledger, ledger_table: Any,
                                                clock: Any) -> None:
    claim = ledger.claim(KEY, "req-1", LEASE, FIRST)
    assert claim.kind == "new" and claim.follows
    item = stored(ledger_table)
    assert (item["status"], item["owner"]) == ("IMPORTING", "req-1")
    assert item["leaseUntil"] == int(clock.now + LEASE)
    assert item["expiresAt"] == int(clock.now + RECORD_TTL_S)
    assert item["waiters"] == [FIRST]


def test_duplicate_while_the_lease_is_valid_is_busy_and_waits(ledger: Ledger,
                                                              clock: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    clock.now += LEASE - 1
    claim = ledger.claim(KEY, "req-2", LEASE, SECOND)
    assert claim.kind == "busy" and not claim.follows
    assert claim.entry.owner == "req-1"
    entry = ledger.get(KEY)
    assert entry is not None and entry.waiters == [FIRST, SECOND] and entry.owner == "req-1"
    # The same delivery again does not add a second copy of its waiter.
    ledger.claim(KEY, "req-3", LEASE, SECOND)
    entry = ledger.get(KEY)
    assert entry is not None and entry.waiters == [FIRST, SECOND]


def test_same_owner_resumes(ledger: Ledger, clock: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    ledger.record_import(KEY, "req-1", TARGET_ARN, "2026-11-03T09:20:00+00:00")
    clock.now += 10
    claim = ledger.claim(KEY, "req-1", LEASE, FIRST)
    assert claim.kind == "resumed" and claim.follows
    assert claim.entry.target_model_arn == TARGET_ARN
    assert claim.entry.import_started_at == "2026-11-03T09:20:00+00:00"
    assert claim.entry.lease_until == int(clock.now + LEASE)
    entry = ledger.get(KEY)
    assert entry is not None and entry.waiters == [FIRST]


def test_handover_resumes_under_the_new_owner(ledger: Ledger, ledger_table: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    claim = ledger.claim(KEY, "req-2", LEASE, FIRST, resume_from="req-1")
    assert claim.kind == "resumed"
    assert stored(ledger_table)["owner"] == "req-2"
    # The old owner token no longer holds the item.
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        ledger.renew(KEY, "req-1", LEASE)


def test_expired_lease_is_taken_over(ledger: Ledger, ledger_table: Any, clock: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    clock.now += LEASE + 1
    claim = ledger.claim(KEY, "req-2", LEASE, SECOND)
    assert claim.kind == "taken-over" and claim.follows
    item = stored(ledger_table)
    assert item["owner"] == "req-2"
    assert item["waiters"] == [FIRST, SECOND]
    assert item["leaseUntil"] == int(clock.now + LEASE)


def test_done_answers_with_the_outcome(ledger: Ledger) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    ledger.finish(KEY, "req-1", {"status": "TRAINED", "targetModelArn": TARGET_ARN})
    claim = ledger.claim(KEY, "req-9", LEASE, SECOND)
    assert claim.kind == "done" and not claim.follows
    assert claim.entry.outcome == {"status": "TRAINED", "targetModelArn": TARGET_ARN}


def test_finish_returns_every_waiter(ledger: Ledger, clock: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    ledger.claim(KEY, "req-2", LEASE, SECOND)
    done = ledger.finish(KEY, "req-1", {"status": "IN_ERROR"})
    assert done.status == "DONE"
    assert done.waiters == [FIRST, SECOND]
    assert done.outcome == {"status": "IN_ERROR"}


def test_renew_extends_the_lease(ledger: Ledger, ledger_table: Any, clock: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    clock.now += 50
    ledger.renew(KEY, "req-1", LEASE)
    assert stored(ledger_table)["leaseUntil"] == int(clock.now + LEASE)


@pytest.mark.parametrize("write", [
    lambda ledger: ledger.renew(KEY, "intruder", LEASE),
    lambda ledger: ledger.record_import(KEY, "intruder", TARGET_ARN, "2026-11-03T09:20:00"),
    lambda ledger: ledger.finish(KEY, "intruder", {"status": "TRAINED"}),
])
def test_only_the_owner_may_write(ledger: Ledger, ledger_table: Any, write: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    before = stored(ledger_table)
    with pytest.raises(ClientError) as raised:
        write(ledger)
    assert raised.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert stored(ledger_table) == before


def test_a_claim_that_loses_a_race_reads_again(ledger_table: Any, clock: Any) -> None:
    """Another delivery creates the item between our read and our write: we join it."""

    class RacingTable:
        def __init__(self) -> None:
            self.raced = False

        def __getattr__(self, name: str) -> Any:
            return getattr(ledger_table, name)

        def put_item(self, **request: Any) -> Any:
            if not self.raced:
                self.raced = True
                Ledger(ledger_table, clock=clock).claim(KEY, "req-other", LEASE, FIRST)
            return ledger_table.put_item(**request)

    claim = Ledger(RacingTable(), clock=clock).claim(KEY, "req-1", LEASE, SECOND)
    assert claim.kind == "busy"
    assert stored(ledger_table)["owner"] == "req-other"
    assert stored(ledger_table)["waiters"] == [FIRST, SECOND]


# ------------------------------------------------------------------ starting afresh (issue 14)
def test_an_outcome_that_no_longer_holds_is_restarted_by_the_new_request(
        ledger: Ledger, ledger_table: Any, clock: Any) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    ledger.record_import(KEY, "req-1", TARGET_ARN, "2026-11-03T09:20:00+00:00")
    ledger.finish(KEY, "req-1", {"status": "IN_ERROR", "targetModelArn": TARGET_ARN})
    clock.now += 60
    seen: list[Any] = []

    def look(entry: LedgerEntry) -> bool:
        seen.append(entry.outcome)
        return False

    claim = ledger.claim(KEY, "req-2", LEASE, SECOND, still_holds=look)
    assert seen == [{"status": "IN_ERROR", "targetModelArn": TARGET_ARN}]
    assert claim.kind == "restarted" and claim.follows
    item = stored(ledger_table)
    assert (item["status"], item["owner"]) == ("IMPORTING", "req-2")
    assert item["waiters"] == [SECOND], "the old waiters were answered already"
    assert "outcome" not in item and "targetModelArn" not in item
    assert "importStartedAt" not in item
    assert item["claimedAt"] == int(clock.now)
    assert claim.entry.claimed_at == int(clock.now)


def test_an_outcome_that_holds_is_answered_as_before(ledger: Ledger) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    ledger.finish(KEY, "req-1", {"status": "TRAINED", "targetModelArn": TARGET_ARN})
    claim = ledger.claim(KEY, "req-2", LEASE, SECOND, still_holds=lambda entry: True)
    assert claim.kind == "done"


def test_two_requests_restarting_at_once_import_once(ledger_table: Any, clock: Any) -> None:
    """The second request finds the item restarted by the first and waits for it."""
    Ledger(ledger_table, clock=clock).claim(KEY, "req-1", LEASE, FIRST)
    Ledger(ledger_table, clock=clock).finish(KEY, "req-1", {"status": "FAILED"})
    third = {"taskToken": "token-3", "correlationId": "exec-3"}

    def restart_by_another(_entry: Any) -> bool:
        if not getattr(restart_by_another, "done", False):
            restart_by_another.done = True  # type: ignore[attr-defined]
            Ledger(ledger_table, clock=clock).claim(KEY, "req-other", LEASE, third,
                                                    still_holds=lambda _e: False)
        return False

    claim = Ledger(ledger_table, clock=clock).claim(KEY, "req-2", LEASE, SECOND,
                                                    still_holds=restart_by_another)
    assert claim.kind == "busy"
    assert stored(ledger_table)["owner"] == "req-other"
    assert stored(ledger_table)["waiters"] == [third, SECOND]


def test_the_first_claim_records_when_it_was_claimed(ledger: Ledger, ledger_table: Any,
                                                     clock: Any) -> None:
    claim = ledger.claim(KEY, "req-1", LEASE, FIRST)
    assert stored(ledger_table)["claimedAt"] == int(clock.now)
    assert claim.entry.claimed_at == int(clock.now)


def test_a_redelivery_of_an_answered_request_is_not_a_new_request(ledger: Ledger) -> None:
    ledger.claim(KEY, "req-1", LEASE, FIRST)
    ledger.finish(KEY, "req-1", {"status": "FAILED"})
    claim = ledger.claim(KEY, "req-2", LEASE, FIRST, still_holds=lambda _entry: False)
    assert claim.kind == "done"
