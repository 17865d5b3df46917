"""Put import outcomes straight on the bus of the source account that asked for them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from model_copy.contract import EVENT_SOURCE, DetailType, ImportOutcome
from model_copy.retry import BACKOFF_BASE_S, BACKOFF_CAP_S, backoff_delays, call_with_retries

# PutEventsResultEntry.ErrorCode values EventBridge documents as retryable; every other
# failed entry (AccessDeniedException: the source's bus policy refuses us) is final.
RETRYABLE_ENTRY_CODES = frozenset({"InternalFailure", "ThrottlingException"})
ENTRY_ATTEMPTS = 6


class EventPuts(Protocol):
    """EventBridge's PutEvents (a boto3 client has it)."""

    def put_events(self, *, Entries: list[dict[str, Any]]) -> dict[str, Any]: ...


class OutcomeNotDelivered(RuntimeError):
    """EventBridge refused the outcome event; raising lets Lambda retry the invocation
    (the ledger keeps the outcome, so a retried invocation reports it again)."""


def put_outcome(events: EventPuts, bus: str, detail_type: DetailType, outcome: ImportOutcome,
                sleep: Callable[[float], None] = time.sleep) -> None:
    """Put one outcome on `bus` (a name or, for another account's bus, its ARN); retried
    with jittered backoff while EventBridge fails the entry with a retryable code."""
    entry = {"EventBusName": bus, "Source": EVENT_SOURCE, "DetailType": str(detail_type),
             "Detail": outcome.model_dump_json(), "Resources": [outcome.sourceModelArn]}
    delays = backoff_delays(ENTRY_ATTEMPTS, base=BACKOFF_BASE_S, cap=BACKOFF_CAP_S)
    for attempt in range(ENTRY_ATTEMPTS + 1):
        response = call_with_retries(lambda: events.put_events(Entries=[entry]))
        if not response.get("FailedEntryCount"):
            return
        failed = response["Entries"][0]
        code = str(failed.get("ErrorCode"))
        if code not in RETRYABLE_ENTRY_CODES or attempt == ENTRY_ATTEMPTS:
            raise OutcomeNotDelivered(
                f"{detail_type} for {outcome.sourceModelArn} was refused by {bus}: "
                f"{code}: {failed.get('ErrorMessage')}")
        sleep(delays[attempt])
