"""How long earlier imports took, kept in the import ledger's table as items of their own.

One item per source model (its ARN without the version, so every version of a model counts)
and one per model type, each holding the last KEEP durations in seconds. The poll schedule
(model_copy.poll_schedule) expects an import to take about as long as the model's earlier
imports, or as imports of its type when this model was never imported here.

What is kept only shapes when to poll: reading or writing it never fails an import. Without
it the import is polled on today's schedule, and a lost sample is one of KEEP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from botocore.exceptions import ClientError

from model_copy.arns import ModelArn
from model_copy.retry import call_with_retries, error_code

KEEP = 10
KEY_PREFIX = "import-durations|"  # copy keys start with "arn:": the two never meet
RECORD_TTL_S = 180 * 24 * 3600  # a model not imported for half a year is learned afresh
_CONFLICT_RETRIES = 3


class DurationsPort(Protocol):
    def known(self, source: ModelArn) -> list[float]: ...

    def record(self, source: ModelArn, seconds: float) -> None: ...


class NothingKnown:
    """Knows no durations and keeps none: every import is polled on today's schedule."""

    def known(self, source: ModelArn) -> list[float]:
        return []

    def record(self, source: ModelArn, seconds: float) -> None:
        return None


def durations_keys(source: ModelArn) -> tuple[str, str]:
    """The model's item first, then its type's."""
    return (KEY_PREFIX + str(replace(source, version_name=None)),
            KEY_PREFIX + source.model_type)


def import_seconds(properties: dict[str, Any], began: float, now: float) -> float:
    """How long the import took: Comprehend's EndTime since we started it, when Describe gives
    one that fits (DocumentClassifierProperties/EntityRecognizerProperties EndTime: when the
    model finished); otherwise until we saw it end, which adds the detection lag."""
    end = properties.get("EndTime")
    if isinstance(end, datetime):
        seconds = end.timestamp() - began
        if 0 < seconds <= now - began:
            return seconds
    return now - began


class ImportDurations:
    def __init__(self, table: Any, clock: Callable[[], float] = time.time,
                 warn: Callable[[str], None] = lambda _message: None,
                 retry_sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.clock = clock
        self.warn = warn
        self.retry_sleep = retry_sleep

    def known(self, source: ModelArn) -> list[float]:
        try:
            for key in durations_keys(source):
                durations = self._durations(self._get(key))
                if durations:
                    return durations
        except ClientError as error:
            self.warn(f"earlier import durations unreadable ({error_code(error)}: {error}); "
                      "polling on the default schedule")
        return []

    def record(self, source: ModelArn, seconds: float) -> None:
        try:
            for key in durations_keys(source):
                self._append(key, seconds)
        except ClientError as error:
            self.warn(f"import duration not kept ({error_code(error)}: {error})")

    def _get(self, key: str) -> dict[str, Any] | None:
        item = call_with_retries(lambda: self.table.get_item(
            Key={"copyKey": key}, ConsistentRead=True), sleep=self.retry_sleep).get("Item")
        return dict(item) if item else None

    @staticmethod
    def _durations(item: dict[str, Any] | None) -> list[float]:
        return [float(seconds) for seconds in (item or {}).get("durations", [])]

    def _append(self, key: str, seconds: float) -> None:
        """Read, append, write back on the revision read (imports may end together)."""
        for _ in range(_CONFLICT_RETRIES):
            item = self._get(key)
            revision = int(item["revision"]) if item else 0
            kept = [Decimal(str(d)) for d in self._durations(item)][-(KEEP - 1):]
            new_item = {"copyKey": key, "revision": revision + 1,
                        "durations": [*kept, Decimal(str(round(seconds, 3)))],
                        "expiresAt": int(self.clock() + RECORD_TTL_S)}
            try:
                self._put(new_item, read_revision=revision)
                return
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
        self.warn(f"import duration not kept in {key}: other imports kept writing it")

    def _put(self, item: dict[str, Any], read_revision: int) -> None:
        call_with_retries(lambda: self.table.put_item(
            Item=item, ConditionExpression="attribute_not_exists(copyKey) OR revision = :read",
            ExpressionAttributeValues={":read": read_revision}), sleep=self.retry_sleep)
