"""Put import outcomes on the target's bus; routing rules carry them back to the source."""

from __future__ import annotations

from typing import Any

from model_copy.contract import EVENT_SOURCE, DetailType, ImportOutcome
from model_copy.retry import call_with_retries


class OutcomeNotDelivered(RuntimeError):
    """EventBridge refused the outcome event; raising lets Lambda retry the invocation."""


def put_outcome(events: Any, bus_name: str, detail_type: DetailType,
                outcome: ImportOutcome) -> None:
    entry = {"EventBusName": bus_name, "Source": EVENT_SOURCE, "DetailType": str(detail_type),
             "Detail": outcome.model_dump_json(), "Resources": [outcome.sourceModelArn]}
    response = call_with_retries(lambda: events.put_events(Entries=[entry]))
    if response.get("FailedEntryCount"):
        failed = response["Entries"][0]
        raise OutcomeNotDelivered(f"{detail_type} for {outcome.sourceModelArn} was refused: "
                                  f"{failed.get('ErrorCode')}: {failed.get('ErrorMessage')}")
