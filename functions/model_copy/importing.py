"""Target side: authorize a share, import it once, follow it to the end, report the outcome.

The AWS clients come in as arguments (ports), so the rules can be tested with fakes and
run unchanged against the local cloud or AWS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from model_copy.arns import ModelArn, parse_model_arn
from model_copy.config import TargetConfig
from model_copy.contract import (
    TRAINED_STATUSES,
    DetailType,
    ImportOutcome,
    ImportStatus,
    ModelVersionShared,
)
from model_copy.errors import ImportFailed, InvalidCopyRequest, UnauthorizedShareEvent
from model_copy.import_durations import DurationsPort, NothingKnown, import_seconds
from model_copy.ledger import Claim, Ledger, LedgerEntry
from model_copy.poll_schedule import PollSchedule, PollSettings
from model_copy.promotion import CREATED_AT_TAG, order_key
from model_copy.retry import backoff_delay, call_with_retries, error_code, is_retryable

FAILURE = frozenset({"IN_ERROR", "STOPPED"})  # STOP_REQUESTED goes on to STOPPED: keep polling
# Errors that say "not now" rather than "no": throttling, 5xx and ResourceUnavailable are
# retried with backoff and jitter up to the import's wait limit, then fail with their cause.
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied"})
RETRY_BASE_S = 1.0


def is_transient(error: BaseException) -> bool:
    return is_retryable(error) or error_code(error) == "ResourceUnavailableException"


class StartedAgain(Exception):
    """Our earlier copy under this name failed and was deleted: call ImportModel again."""


def now_iso(clock: Callable[[], float] = time.time) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="milliseconds")


def copy_key(share: ModelVersionShared) -> str:
    return f"{share.sourceModelArn}|{share.targetModelName}|{share.targetVersionName or '-'}"


def authorize(sender_account: str, share: ModelVersionShared, config: TargetConfig) -> ModelArn:
    """Refuse anything this target must not import, before any AWS call."""
    if sender_account not in config.allowed_source_accounts:
        raise UnauthorizedShareEvent(
            f"account {sender_account} is not an allowed source of this target "
            f"(SourceAccountIds: {', '.join(config.allowed_source_accounts) or 'none'})")
    arn = parse_model_arn(share.sourceModelArn)
    if arn.account != sender_account or share.sourceAccount != sender_account:
        raise UnauthorizedShareEvent(
            f"account {sender_account} asked to import {share.sourceModelArn}, which belongs "
            f"to account {arn.account}: a source may only send its own models")
    if arn.region != config.region:
        raise UnauthorizedShareEvent(
            f"{share.sourceModelArn} is in {arn.region}; this target imports only from "
            f"{config.region} (Comprehend copies within one Region)")
    if share.targetAccount != config.account:
        raise UnauthorizedShareEvent(
            f"the share is addressed to account {share.targetAccount}, not to {config.account}")
    if arn.model_type != share.modelType:
        raise UnauthorizedShareEvent(
            f"modelType {share.modelType} does not match the ARN's {arn.model_type}")
    approval = share.approval
    if config.require_approved_shares and not (
            approval is not None and approval.decision == "APPROVED" and approval.by):
        raise UnauthorizedShareEvent(
            f"this target imports only approved shares (RequireApprovedShares=true) and the "
            f"share of {share.sourceModelArn} carries "
            f"{'no approval record' if approval is None else 'decision ' + approval.decision}"
            f": add {config.account} to the source's ApprovalRequiredAccountIds")
    return arn


def check_prerequisites(share: ModelVersionShared, config: TargetConfig) -> None:
    """What this target needs for this share and lacks by its own configuration, before any
    call: Comprehend uses the DataAccessRoleArn role, not the caller, for the source's key."""
    if share.sourceModelKmsKeyArn and not config.data_access_role_arn:
        raise ImportFailed(
            f"{share.sourceModelArn} is encrypted with KMS key {share.sourceModelKmsKeyArn}: "
            "deploy the target stack with DataAccessRoleArn, a role that trusts "
            "comprehend.amazonaws.com (aws:SourceAccount = this account) and may "
            "kms:CreateGrant, kms:Decrypt and kms:GenerateDataKey on that key; the source's "
            "key policy must allow this account too (README, \"Encrypted models\")")


class ImportingComprehend(Protocol):
    """The Comprehend calls the import job makes (a boto3 client has them)."""

    def import_model(self, **request: Any) -> dict[str, Any]: ...

    def describe_document_classifier(self, *, DocumentClassifierArn: str) -> dict[str, Any]: ...

    def describe_entity_recognizer(self, *, EntityRecognizerArn: str) -> dict[str, Any]: ...

    def delete_document_classifier(self, *, DocumentClassifierArn: str) -> dict[str, Any]: ...

    def delete_entity_recognizer(self, *, EntityRecognizerArn: str) -> dict[str, Any]: ...


@dataclass
class Ports:
    comprehend: ImportingComprehend
    ledger: Ledger
    report: Callable[[DetailType, ImportOutcome], None]
    hand_over: Callable[[str], None]  # continue in a new invocation, holding this owner token
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    remaining_s: Callable[[], float] = lambda: 900.0
    # Make a trained copy the version consumers use, if its source version is not older than
    # current's (model name, copy ARN, source version's creation time).
    promote: Callable[[str, str, Any], None] = lambda _name, _arn, _created: None
    # How long earlier imports took: the poll schedule learns from it (model_copy.poll_schedule).
    durations: DurationsPort = field(default_factory=NothingKnown)


@dataclass
class ImportJob:
    share: ModelVersionShared
    source: ModelArn
    owner: str
    config: TargetConfig
    ports: Ports
    started: float = field(default=0.0)
    took_s: float | None = None  # how long the import took, once it is seen trained
    seen_at: float | None = None  # when a describe saw it end: the outcome's end, not later

    @property
    def target_arn(self) -> str:
        return str(self.source.in_account(self.config.account, self.share.targetModelName,
                                          self.share.targetVersionName))

    def outcome(self, status: ImportStatus, message: str | None, target_arn: str | None,
                started_at: str | None, token: str | None = None,
                correlation_id: str | None = None) -> ImportOutcome:
        ended = self.ports.clock() if self.seen_at is None else self.seen_at
        seconds = None
        if started_at:
            seconds = round(ended - datetime.fromisoformat(started_at).timestamp(), 3)
        return ImportOutcome(
            sourceModelArn=self.share.sourceModelArn, sourceAccount=self.share.sourceAccount,
            targetAccount=self.config.account, targetModelArn=target_arn, status=status,
            message=message, correlationId=correlation_id or self.share.correlationId,
            taskToken=token, importStartedAt=started_at, importEndedAt=now_iso(lambda: ended),
            importSeconds=seconds)

    # ---------------------------------------------------------------- steps
    def start_import(self, claimed_at: float) -> str | None:
        """ImportModel until it is accepted; None means: hand over to a fresh invocation.

        A clash with our own earlier copy is that copy, unless it failed: then it is deleted
        and imported again. Transient errors are retried until `claimed_at` plus the import's
        wait limit (AccessDenied only within the policy propagation window).
        """
        deadline = claimed_at + self.config.import_wait_max_s
        attempt = 0
        while True:
            try:
                return self._import_once()
            except StartedAgain:
                # Our failed copy is being deleted: look again shortly, within the deadline.
                if self.ports.clock() >= deadline:
                    raise ImportFailed(
                        f"{self.target_arn}, our earlier failed copy, was still being deleted "
                        f"{self.config.import_wait_max_s:.0f} s after this copy was requested "
                        "(the target stack's ImportWaitMaxSeconds parameter)") from None
                if self.ports.remaining_s() < (self.config.poll_first_s
                                               + self.config.handover_margin_s):
                    return None
                self.ports.sleep(self.config.poll_first_s)
                continue
            except (ClientError, BotoConnectionError) as error:
                now = self.ports.clock()
                denied_early = (error_code(error) in ACCESS_DENIED_CODES
                                and now - claimed_at < self.config.access_denied_retry_s)
                if not (is_transient(error) or denied_early) or now >= deadline:
                    raise
            delay = min(backoff_delay(attempt, RETRY_BASE_S, self.config.poll_max_s),
                        max(0.0, deadline - self.ports.clock()))
            if self.ports.remaining_s() < delay + self.config.handover_margin_s:
                return None
            self.ports.sleep(delay)
            self.ports.ledger.renew(copy_key(self.share), self.owner, self.lease_s)
            attempt += 1

    def _import_once(self) -> str:
        tags = [{"Key": "model-copy:source", "Value": self.share.sourceModelArn[:256]}]
        created_at = order_key(self.share.sourceModelCreatedAt)
        if created_at:
            tags.append({"Key": CREATED_AT_TAG, "Value": created_at})
        request: dict[str, Any] = {"SourceModelArn": self.share.sourceModelArn,
                                   "ModelName": self.share.targetModelName, "Tags": tags}
        if self.share.targetVersionName:
            request["VersionName"] = self.share.targetVersionName
        if self.config.model_kms_key_id:
            request["ModelKmsKeyId"] = self.config.model_kms_key_id
        if self.config.data_access_role_arn:
            request["DataAccessRoleArn"] = self.config.data_access_role_arn
        try:
            # No inner retries: the caller's loop retries transient errors, and only it knows
            # the deadline (inner retries let a copy run past ImportWaitMaxSeconds).
            response = self.ports.comprehend.import_model(**request)
            return str(response["ModelArn"])
        except ClientError as error:
            if error_code(error) != "ResourceInUseException":
                raise
        try:
            existing = self.describe(self.target_arn)
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":  # deleted meanwhile
                raise StartedAgain() from error
            raise
        if existing.get("SourceModelArn") != self.share.sourceModelArn:
            raise InvalidCopyRequest(
                f"{self.target_arn} already exists and is not a copy of "
                f"{self.share.sourceModelArn}; choose another targetModelName or "
                "targetVersionName")
        status = existing.get("Status")
        if status in FAILURE:
            # Our own earlier copy, failed: a new request starts afresh in its place.
            self._delete(self.target_arn)
        if status in FAILURE or status == "DELETING":
            raise StartedAgain()
        return self.target_arn  # our copy, trained or on its way: adopted

    def _delete(self, arn: str) -> None:
        if self.source.is_classifier:
            call = lambda: self.ports.comprehend.delete_document_classifier(  # noqa: E731
                DocumentClassifierArn=arn)
        else:
            call = lambda: self.ports.comprehend.delete_entity_recognizer(  # noqa: E731
                EntityRecognizerArn=arn)
        call_with_retries(call, sleep=self.ports.sleep)

    def recorded_outcome_holds(self, entry: LedgerEntry) -> bool:
        """A trained copy that still exists in this account answers a new request."""
        outcome = entry.outcome or {}
        arn = outcome.get("targetModelArn")
        if outcome.get("status") not in TRAINED_STATUSES or not arn:
            return False
        try:
            return self.describe(str(arn)).get("Status") in TRAINED_STATUSES
        except ClientError as error:
            if error_code(error) == "ResourceNotFoundException":
                return False
            raise

    def describe(self, arn: str) -> dict[str, Any]:
        if self.source.is_classifier:
            call = lambda: self.ports.comprehend.describe_document_classifier(  # noqa: E731
                DocumentClassifierArn=arn)["DocumentClassifierProperties"]
        else:
            call = lambda: self.ports.comprehend.describe_entity_recognizer(  # noqa: E731
                EntityRecognizerArn=arn)["EntityRecognizerProperties"]
        return dict(call_with_retries(call, sleep=self.ports.sleep))

    def follow(self, target_arn: str,
               started_at: str) -> tuple[ImportStatus, str | None] | None:
        """Poll on the schedule; None means: hand over to a fresh invocation."""
        key = copy_key(self.share)
        began = datetime.fromisoformat(started_at).timestamp()
        schedule = PollSchedule(self.poll_settings, self.ports.durations.known(self.source))
        last_error: BaseException | None = None
        while True:
            polled_at = self.ports.clock() - began
            try:
                properties = self.describe(target_arn)
            except (ClientError, BotoConnectionError) as error:
                # Throttled or unavailable for now: the import goes on, so do we.
                if not is_transient(error):
                    raise
                last_error = error
            else:
                last_error = None
                status = str(properties.get("Status"))
                if status in TRAINED_STATUSES or status in FAILURE:
                    self.seen_at = self.ports.clock()
                    if status in TRAINED_STATUSES:
                        self.took_s = import_seconds(properties, began, self.seen_at)
                    return cast(ImportStatus, status), properties.get("Message")
                if status == "DELETING":
                    return "FAILED", f"{target_arn} is being deleted by someone else"
            elapsed = self.ports.clock() - began
            if elapsed > self.config.import_wait_max_s:
                break
            interval = schedule.next_wait(polled_at, elapsed)
            if self.ports.remaining_s() < interval + self.config.handover_margin_s:
                return None
            self.ports.sleep(interval)
            self.ports.ledger.renew(key, self.owner, self.lease_s)
        if last_error is not None:
            return "FAILED", f"{error_code(last_error) or type(last_error).__name__}: {last_error}"
        return "FAILED", (f"the import was still running after "
                          f"{self.config.import_wait_max_s:.0f} s (the target stack's "
                          "ImportWaitMaxSeconds parameter)")

    @property
    def poll_settings(self) -> PollSettings:
        return PollSettings(self.config.poll_first_s, self.config.poll_max_s,
                            self.config.import_wait_max_s)

    @property
    def lease_s(self) -> float:
        # Longer than any sleep between renewals, so a live follower never loses its lease.
        return self.poll_settings.longest_wait_s + self.config.handover_margin_s + 60


def run(share: ModelVersionShared, sender_account: str, owner: str, config: TargetConfig,
        ports: Ports, resume_from: str | None = None) -> str:
    """Handle one delivery (or hand-over) of a share; returns what happened, for logs."""
    source = authorize(sender_account, share, config)
    check_prerequisites(share, config)
    job = ImportJob(share=share, source=source, owner=owner, config=config, ports=ports)
    key = copy_key(share)
    waiter = {"taskToken": share.taskToken or "", "correlationId": share.correlationId}
    claim: Claim = ports.ledger.claim(key, owner, job.lease_s, waiter, resume_from=resume_from,
                                      still_holds=job.recorded_outcome_holds)
    if claim.kind == "done":
        _answer(job, claim.entry.outcome or {}, [waiter])
        return "duplicate: answered with the recorded outcome"
    if not claim.follows:
        return f"duplicate: {claim.entry.owner} follows this import; answered when it ends"
    entry = claim.entry
    target_arn, started_at = entry.target_model_arn, entry.import_started_at
    try:
        if target_arn is None or started_at is None:
            target_arn = job.start_import(entry.claimed_at or ports.clock())
            if target_arn is None:
                ports.hand_over(owner)
                return "handed over while ImportModel is retried"
            started_at = now_iso(ports.clock)
            ports.ledger.record_import(key, owner, target_arn, started_at)
            # No task token: this progress event is kept in A's delivery log, where a token
            # would let any reader answer the waiting copy; nothing answers on it anyway.
            ports.report(DetailType.MODEL_IMPORT_STARTED,
                         job.outcome("IMPORTING", None, target_arn, started_at))
        result = job.follow(target_arn, started_at)
    except (ClientError, BotoConnectionError, InvalidCopyRequest, ImportFailed) as error:
        result = ("FAILED", f"{error_code(error) or type(error).__name__}: {error}")

    if result is None:
        ports.hand_over(owner)
        return f"handed over while {target_arn} is still importing"
    status, message = result
    if status in TRAINED_STATUSES and target_arn:
        # Before the ledger says DONE: if this fails, the retry resumes and promotes again.
        ports.promote(share.targetModelName, target_arn, share.sourceModelCreatedAt)
    final = job.outcome(status, message, target_arn, started_at).model_dump()
    done = ports.ledger.finish(key, owner, final)
    _answer(job, final, done.waiters)
    if job.took_s is not None:  # after the answer: it only shapes later imports' polls
        ports.durations.record(source, job.took_s)
    return f"{target_arn}: {status}"


def _answer(job: ImportJob, outcome: dict[str, Any], waiters: list[dict[str, str]]) -> None:
    detail_type = (DetailType.MODEL_IMPORTED if outcome.get("status") in TRAINED_STATUSES
                   else DetailType.MODEL_IMPORT_FAILED)
    for waiter in waiters:
        answer = ImportOutcome(**{**outcome, "taskToken": waiter.get("taskToken") or None,
                                  "correlationId": waiter.get("correlationId")
                                  or outcome.get("correlationId", "")})
        job.ports.report(detail_type, answer)
