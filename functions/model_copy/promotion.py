"""Which imported version consumers of a target account use: one SSM parameter per model.

`/model-copy/current/<model name>` holds the ARN of the version that is current. Each
promotion writes a new parameter version, so SSM's history is the promotion history and
a rollback re-promotes the previous ARN: nothing is deleted. Every change is announced as
`Model Version Promoted` on the account's model-copy bus for applications to follow.

Version order: an import moves "current" only forward in the source's version order, the
creation time (`SubmitTime`) of the source version as account A's Describe reports it.
Version names are free text and say nothing about order; import times say only when a copy
arrived. Each copy carries its source's creation time as the tag
`model-copy:source-created-at`; a current version without it (imported before this rule)
is replaced by any import. Only `rollback` moves current backward.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from model_copy.arns import validate_name
from model_copy.contract import EVENT_SOURCE, DetailType
from model_copy.errors import ModelCopyError
from model_copy.reporting import EventPuts
from model_copy.retry import call_with_retries, error_code

PARAMETER_PREFIX = "/model-copy/current/"
CREATED_AT_TAG = "model-copy:source-created-at"


class NothingToRollBack(ModelCopyError):
    """The model has no earlier promoted version to return to."""


class ParameterStore(Protocol):
    """The SSM Parameter Store calls that keep the current version (a boto3 client has them)."""

    def get_parameter(self, *, Name: str) -> dict[str, Any]: ...

    def get_parameter_history(self, **request: Any) -> dict[str, Any]: ...

    def put_parameter(self, **request: Any) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Promotion:
    model_name: str
    model_arn: str
    previous_arn: str | None
    reason: str  # "imported" | "rollback"
    by: str
    moved: bool = True  # False: an older source version than current; current stays


def order_key(value: Any) -> str | None:
    """A source version's creation time as a UTC ISO-8601 string (sortable), or None.

    Step Functions hands Describe's SubmitTime over as an ISO string; epoch seconds are
    accepted too.
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(float(value), UTC)
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def parameter_name(model_name: str) -> str:
    return PARAMETER_PREFIX + validate_name(model_name, "model name")


def current_version(ssm: ParameterStore, model_name: str) -> str | None:
    try:
        response = call_with_retries(lambda: ssm.get_parameter(Name=parameter_name(model_name)))
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            return None
        raise
    return str(response["Parameter"]["Value"])


def _history(ssm: ParameterStore, model_name: str) -> list[str]:
    """Promoted ARNs, oldest first."""
    values: list[str] = []
    kwargs: dict[str, Any] = {"Name": parameter_name(model_name)}
    while True:
        try:
            page = call_with_retries(lambda: ssm.get_parameter_history(**kwargs))
        except ClientError as error:
            if error_code(error) == "ParameterNotFound":
                return []
            raise
        values += [p["Value"] for p in page.get("Parameters", [])]
        if not page.get("NextToken"):
            return values
        kwargs["NextToken"] = page["NextToken"]


def _announce(events: EventPuts, bus_name: str, promotion: Promotion) -> None:
    detail = {"modelName": promotion.model_name, "modelArn": promotion.model_arn,
              "previousModelArn": promotion.previous_arn, "reason": promotion.reason,
              "by": promotion.by}
    call_with_retries(lambda: events.put_events(Entries=[{
        "EventBusName": bus_name, "Source": EVENT_SOURCE,
        "DetailType": str(DetailType.MODEL_VERSION_PROMOTED), "Detail": json.dumps(detail),
        "Resources": [promotion.model_arn]}]))


def promote(ssm: ParameterStore, events: EventPuts, bus_name: str, model_name: str, model_arn: str,
            reason: str, by: str, source_created_at: Any = None,
            created_at_of: Callable[[str], Any] | None = None) -> Promotion:
    """Make `model_arn` current; an import (with its source's creation time and a way to
    read the current copy's) is refused quietly when current is a newer source version."""
    previous = current_version(ssm, model_name)
    new_key = order_key(source_created_at)
    if previous and previous != model_arn and new_key and created_at_of is not None:
        current_key = order_key(created_at_of(previous))
        if current_key and current_key > new_key:
            return Promotion(model_name, previous, previous, reason, by, moved=False)
    promotion = Promotion(model_name, model_arn, previous, reason, by)
    if previous != model_arn:
        call_with_retries(lambda: ssm.put_parameter(
            Name=parameter_name(model_name), Value=model_arn, Type="String", Overwrite=True,
            Description=f"model-copy: current version of {model_name} ({reason} by {by})"[:1024]))
    _announce(events, bus_name, promotion)
    return promotion


def rollback(ssm: ParameterStore, events: EventPuts, bus_name: str, model_name: str,
             by: str) -> Promotion:
    """Make the version promoted before the current one current again."""
    history = _history(ssm, model_name)
    if not history:
        raise NothingToRollBack(f"{model_name} has never been promoted in this account "
                                f"(no parameter {parameter_name(model_name)})")
    current = history[-1]
    # Versions in the order they were first promoted; a rollback steps back one place, so
    # rolling back twice from v3 gives v2, then v1 (never back and forth between two).
    in_order = list(dict.fromkeys(history))
    position = in_order.index(current)
    if position == 0:
        raise NothingToRollBack(f"{current} is the first version of {model_name} promoted in "
                                "this account; there is no earlier one to roll back to")
    return promote(ssm, events, bus_name, model_name, in_order[position - 1], "rollback", by)
