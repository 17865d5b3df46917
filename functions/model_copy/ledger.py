"""The import ledger: one DynamoDB item per copy, so duplicates and retries never import twice.

The key is the business key (source version + target name + version), not an event id:
EventBridge may deliver one share twice and a re-run of the source makes a new event.
Whoever holds the item's lease follows the import; others add themselves as waiters
and are answered when it ends. A lease that expires (the holder died and its retries
ran out) can be taken over, so an import is never left without someone following it.

The ledger decides who follows an import, not the copy's fate: a recorded outcome answers
a later request only while it still holds (the caller says so, e.g. the copy still exists
and is trained). Otherwise the new request restarts the item and imports afresh.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from model_copy.retry import call_with_retries, error_code

RECORD_TTL_S = 90 * 24 * 3600


@dataclass
class LedgerEntry:
    copy_key: str
    status: str  # IMPORTING | DONE
    owner: str
    lease_until: float
    target_model_arn: str | None = None
    import_started_at: str | None = None
    outcome: dict[str, Any] | None = None
    waiters: list[dict[str, str]] = field(default_factory=list)
    # When this attempt at the copy was claimed: transient errors are retried until then
    # plus the import's wait limit, across hand-overs.
    claimed_at: float | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> LedgerEntry:
        return cls(copy_key=item["copyKey"], status=item["status"], owner=item["owner"],
                   lease_until=float(item.get("leaseUntil", 0)),
                   target_model_arn=item.get("targetModelArn"),
                   import_started_at=item.get("importStartedAt"),
                   outcome=json.loads(item["outcome"]) if item.get("outcome") else None,
                   waiters=list(item.get("waiters", [])),
                   claimed_at=float(item["claimedAt"]) if "claimedAt" in item else None)


@dataclass(frozen=True)
class Claim:
    """What this invocation should do: follow the import, or leave it to the holder."""

    kind: str  # "new" | "resumed" | "taken-over" | "restarted" | "busy" | "done"
    entry: LedgerEntry

    @property
    def follows(self) -> bool:
        return self.kind in ("new", "resumed", "taken-over", "restarted")


class Ledger:
    def __init__(self, table: Any, clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.clock = clock

    def _get(self, key: str) -> LedgerEntry | None:
        item = call_with_retries(lambda: self.table.get_item(
            Key={"copyKey": key}, ConsistentRead=True)).get("Item")
        return LedgerEntry.from_item(item) if item else None

    def get(self, key: str) -> LedgerEntry | None:
        return self._get(key)

    def claim(self, key: str, owner: str, lease_s: float, waiter: dict[str, str],
              resume_from: str | None = None,
              still_holds: Callable[[LedgerEntry], bool] = lambda _entry: True) -> Claim:
        """Take the item, resume it (same owner or a handover), or join it as a waiter.

        A DONE item answers with its outcome while `still_holds(entry)`; otherwise this
        request restarts it (one request wins a race; the others join it as waiters).
        """
        for _ in range(5):
            now = self.clock()
            entry = self._get(key)
            try:
                if entry is None:
                    return Claim("new", self._create(key, owner, lease_s, waiter, now))
                if entry.status == "DONE":
                    # A redelivery of a request already answered is no new request.
                    if waiter in entry.waiters or still_holds(entry):
                        return Claim("done", entry)
                    return Claim("restarted", self._restart(entry, owner, lease_s, waiter, now))
                if entry.owner in (owner, resume_from):
                    return Claim("resumed", self._take(entry, owner, lease_s, now, waiter=None))
                if entry.lease_until < now:
                    return Claim("taken-over", self._take(entry, owner, lease_s, now, waiter))
                return Claim("busy", self._add_waiter(entry, waiter))
            except ClientError as error:
                if error_code(error) != "ConditionalCheckFailedException":
                    raise
        raise RuntimeError(f"ledger item {key} kept changing; giving up this delivery")

    def _create(self, key: str, owner: str, lease_s: float, waiter: dict[str, str],
                now: float) -> LedgerEntry:
        item = {"copyKey": key, "status": "IMPORTING", "owner": owner,
                "leaseUntil": int(now + lease_s), "waiters": [waiter],
                "claimedAt": int(now), "expiresAt": int(now + RECORD_TTL_S)}
        self.table.put_item(Item=item, ConditionExpression="attribute_not_exists(copyKey)")
        return LedgerEntry.from_item(item)

    def _restart(self, entry: LedgerEntry, owner: str, lease_s: float,
                 waiter: dict[str, str], now: float) -> LedgerEntry:
        """DONE -> IMPORTING under a new owner, forgetting the old attempt's copy and outcome."""
        self.table.update_item(
            Key={"copyKey": entry.copy_key},
            UpdateExpression=("SET #s = :importing, #o = :new, leaseUntil = :lease, "
                              "waiters = :w, claimedAt = :now, expiresAt = :expires "
                              "REMOVE outcome, targetModelArn, importStartedAt"),
            ConditionExpression="#s = :done AND #o = :old",
            ExpressionAttributeNames={"#s": "status", "#o": "owner"},
            ExpressionAttributeValues={":importing": "IMPORTING", ":done": "DONE",
                                       ":new": owner, ":old": entry.owner,
                                       ":lease": int(now + lease_s), ":w": [waiter],
                                       ":now": int(now), ":expires": int(now + RECORD_TTL_S)})
        return LedgerEntry(copy_key=entry.copy_key, status="IMPORTING", owner=owner,
                           lease_until=int(now + lease_s), waiters=[waiter],
                           claimed_at=int(now))

    def _take(self, entry: LedgerEntry, owner: str, lease_s: float, now: float,
              waiter: dict[str, str] | None) -> LedgerEntry:
        waiters = entry.waiters + ([waiter] if waiter and waiter not in entry.waiters else [])
        self.table.update_item(
            Key={"copyKey": entry.copy_key},
            UpdateExpression="SET #o = :new, leaseUntil = :lease, waiters = :w",
            ConditionExpression="#o = :old AND #s = :importing",
            ExpressionAttributeNames={"#o": "owner", "#s": "status"},
            ExpressionAttributeValues={":new": owner, ":old": entry.owner,
                                       ":lease": int(now + lease_s), ":w": waiters,
                                       ":importing": "IMPORTING"})
        entry.owner, entry.lease_until, entry.waiters = owner, int(now + lease_s), waiters
        return entry

    def _add_waiter(self, entry: LedgerEntry, waiter: dict[str, str]) -> LedgerEntry:
        if waiter in entry.waiters:
            return entry
        self.table.update_item(
            Key={"copyKey": entry.copy_key},
            UpdateExpression="SET waiters = list_append(waiters, :w)",
            ConditionExpression="#o = :owner",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":w": [waiter], ":owner": entry.owner})
        entry.waiters.append(waiter)
        return entry

    def record_import(self, key: str, owner: str, target_arn: str, started_at: str) -> None:
        self._update_owned(key, owner, "SET targetModelArn = :arn, importStartedAt = :t",
                           {":arn": target_arn, ":t": started_at})

    def renew(self, key: str, owner: str, lease_s: float) -> None:
        self._update_owned(key, owner, "SET leaseUntil = :lease",
                           {":lease": int(self.clock() + lease_s)})

    def finish(self, key: str, owner: str, outcome: dict[str, Any]) -> LedgerEntry:
        """Record the outcome; returns the entry with every waiter to answer."""
        response = call_with_retries(lambda: self.table.update_item(
            Key={"copyKey": key},
            UpdateExpression="SET #s = :done, outcome = :outcome",
            ConditionExpression="#o = :owner",
            ExpressionAttributeNames={"#s": "status", "#o": "owner"},
            ExpressionAttributeValues={":done": "DONE", ":outcome": json.dumps(outcome),
                                       ":owner": owner},
            ReturnValues="ALL_NEW"))
        return LedgerEntry.from_item(response["Attributes"])

    def _update_owned(self, key: str, owner: str, expression: str,
                      values: dict[str, Any]) -> None:
        call_with_retries(lambda: self.table.update_item(
            Key={"copyKey": key}, UpdateExpression=expression,
            ConditionExpression="#o = :owner", ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={**values, ":owner": owner}))
