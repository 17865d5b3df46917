"""What a copy request is: the three ways an execution starts, reduced to one plan.

Everything is checked here, before any AWS call, so a malformed request fails the
execution at once with a message that says what to fix.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from model_copy.arns import ModelArn, parse_model_arn, validate_account, validate_name
from model_copy.config import SourceConfig
from model_copy.contract import TAG_TARGETS, DetailType
from model_copy.errors import InvalidCopyRequest

CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
_CREATE_EVENTS = {"CreateDocumentClassifier": "documentClassifierArn",
                  "CreateEntityRecognizer": "entityRecognizerArn"}


@dataclass(frozen=True)
class CopyTarget:
    account: str
    targetModelName: str
    targetVersionName: str | None
    principal: str
    approvalRequired: bool


@dataclass(frozen=True)
class CopyPlan:
    trigger: str
    correlationId: str
    sourceModelArn: str
    modelType: str
    sourceAccount: str
    targets: list[CopyTarget]
    # The state machine computes each training poll from these, one step at a time
    # (doubling from first, capped at max, until the waited seconds reach the limit):
    # a schedule carried as an array grows with the wait and can pass the 256 KiB limit.
    trainingPollFirstSeconds: int
    trainingPollMaxSeconds: int
    trainingWaitMaxSeconds: int
    dryRun: bool

    def as_state(self) -> dict[str, Any]:
        return asdict(self)


# The fields of a manual input and of a `Copy Model Requested` detail. Anything else is
# refused: a misspelled `targetModelname` must not silently copy under the source name.
REQUEST_FIELDS = ("sourceModelArn", "targetAccounts", "targetModelName", "targetVersionName",
                  "dryRun")


def _manual_fields(body: dict[str, Any]) -> tuple[Any, Any, Any, Any, Any]:
    unknown = sorted(set(body) - set(REQUEST_FIELDS))
    if unknown:
        raise InvalidCopyRequest(
            f"unknown field(s) {', '.join(repr(f) for f in unknown)} in the copy request; "
            f"the known fields are {', '.join(REQUEST_FIELDS)}")
    return (body.get("sourceModelArn"), body.get("targetAccounts"),
            body.get("targetModelName"), body.get("targetVersionName"),
            body.get("dryRun", False))


def _target_name(value: Any, what: str, default: str | None) -> str | None:
    """A name given in the request, or the source's name when the field is absent (null)."""
    if value is None:
        return default
    if not isinstance(value, str) or not value:
        raise InvalidCopyRequest(f"{what} must be a non-empty string, not {value!r}; leave it "
                                 "out to use the source's name")
    return validate_name(value, what)


def _accounts_from_tag(value: str, config: SourceConfig) -> list[str]:
    # Tag values cannot hold commas, so accounts are separated by spaces, '+' or ':'.
    if value.strip().lower() == "default":
        if not config.default_target_accounts:
            raise InvalidCopyRequest(
                f"the model is tagged {TAG_TARGETS}=default but this source stack has no "
                "DefaultTargetAccountIds: set that parameter or tag the target accounts")
        return list(config.default_target_accounts)
    return [a for a in value.replace("+", " ").replace(":", " ").split() if a]


def _from_cloudtrail(detail: dict[str, Any], config: SourceConfig) -> tuple[Any, Any]:
    event_name = detail.get("eventName")
    arn_field = _CREATE_EVENTS.get(str(event_name))
    if arn_field is None:
        raise InvalidCopyRequest(f"CloudTrail event {event_name!r} does not create a model")
    arn = (detail.get("responseElements") or {}).get(arn_field)
    tags = (detail.get("requestParameters") or {}).get("tags") or []
    tag_value = next((t.get("value", "") for t in tags if t.get("key") == TAG_TARGETS), None)
    accounts = (_accounts_from_tag(tag_value, config) if tag_value is not None
                else list(config.default_target_accounts))
    return arn, accounts


def read_request(execution_input: Any,
                 config: SourceConfig) -> tuple[str, Any, Any, Any, Any, Any]:
    """(trigger, sourceModelArn, targetAccounts, targetModelName, targetVersionName, dryRun),
    unchecked."""
    if not isinstance(execution_input, dict):
        raise InvalidCopyRequest("the execution input must be a JSON object with "
                                 "sourceModelArn and targetAccounts")
    detail_type = execution_input.get("detail-type")
    if detail_type is None:
        return ("manual", *_manual_fields(execution_input))
    detail = execution_input.get("detail")
    if not isinstance(detail, dict):
        raise InvalidCopyRequest(f"event {detail_type!r} has no detail object")
    if detail_type == DetailType.COPY_MODEL_REQUESTED:
        return ("copy-requested", *_manual_fields(detail))
    if detail_type == CLOUDTRAIL_DETAIL_TYPE:
        arn, accounts = _from_cloudtrail(detail, config)
        return ("model-created", arn, accounts, None, None, False)
    raise InvalidCopyRequest(f"cannot start a copy from an event of type {detail_type!r}")


def _check_source(arn: ModelArn, config: SourceConfig) -> None:
    if arn.region != config.region:
        raise InvalidCopyRequest(
            f"the model is in {arn.region} but this pipeline runs in {config.region}; "
            "Comprehend imports only within one Region: deploy model-copy in "
            f"{arn.region} or copy a model of {config.region}")
    if arn.account != config.account:
        raise InvalidCopyRequest(
            f"the model belongs to account {arn.account}, not to this source account "
            f"{config.account}: only the owner can share a model version")


def _check_accounts(accounts: Any, config: SourceConfig) -> list[str]:
    if not isinstance(accounts, list) or not accounts:
        raise InvalidCopyRequest("targetAccounts must be a non-empty list of 12-digit account ids")
    checked = [validate_account(a, "target account") for a in accounts]
    if len(set(checked)) != len(checked):
        raise InvalidCopyRequest(f"targetAccounts lists an account twice: {checked}")
    for account in checked:
        if account == config.account:
            raise InvalidCopyRequest(f"target account {account} is the source account itself")
        if account not in config.target_accounts:
            allowed = ", ".join(config.target_accounts) or "none"
            raise InvalidCopyRequest(
                f"account {account} is not a target of this source stack (allowed: {allowed}); "
                "add it to the TargetAccountIds parameter and deploy the target side there")
    return checked


def plan_copy(execution_input: Any, config: SourceConfig, correlation_id: str) -> CopyPlan:
    trigger, arn_text, accounts, model_name, version_name, dry_run = read_request(
        execution_input, config)
    if not isinstance(dry_run, bool):
        raise InvalidCopyRequest(f"dryRun must be true or false, not {dry_run!r}")
    arn = parse_model_arn(arn_text)
    _check_source(arn, config)
    checked_accounts = _check_accounts(accounts, config)
    name = str(_target_name(model_name, "targetModelName", arn.model_name))
    version = _target_name(version_name, "targetVersionName", arn.version_name)
    targets = [
        CopyTarget(account=account, targetModelName=name, targetVersionName=version,
                   principal=(f"arn:{arn.partition}:iam::{account}:root"
                              if config.share_with_account_root else
                              f"arn:{arn.partition}:iam::{account}:role/{config.import_role_name}"),
                   approvalRequired=account in config.approval_required_accounts)
        for account in checked_accounts
    ]
    return CopyPlan(
        trigger=trigger, correlationId=correlation_id, sourceModelArn=str(arn),
        modelType=arn.model_type, sourceAccount=arn.account, targets=targets,
        # Whole seconds of at least 1: States.MathAdd adds integers.
        trainingPollFirstSeconds=max(1, round(min(config.poll_first_s, config.poll_max_s))),
        trainingPollMaxSeconds=max(1, round(config.poll_max_s)),
        trainingWaitMaxSeconds=max(1, round(config.training_wait_max_s)),
        dryRun=dry_run)
