"""ImportModel: the target side's Lambda, triggered by `Model Version Shared` on this account's bus.

Parse -> authorize -> import once -> follow until trained -> report. Nothing is called
before the event is parsed and authorized; a refused event is reported, never imported.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from botocore.exceptions import ClientError
from model_copy.clients import client
from model_copy.config import TargetConfig
from model_copy.contract import EVENT_SOURCE, DetailType, ImportOutcome, ModelVersionShared
from model_copy.errors import ModelCopyError
from model_copy.import_durations import ImportDurations
from model_copy.importing import Ports, run
from model_copy.ledger import Ledger
from model_copy.observability import logger, metrics
from model_copy.promotion import CREATED_AT_TAG, promote
from model_copy.reporting import put_outcome

CONFIG = TargetConfig.from_env()


@cache
def ledger() -> Ledger:
    return Ledger(boto3.resource("dynamodb").Table(CONFIG.ledger_table))


@cache
def durations() -> ImportDurations:
    """Earlier imports' durations, items of their own in the ledger's table."""
    return ImportDurations(ledger().table, warn=logger.warning)


class ShareEvent(EventBridgeModel):
    detail: ModelVersionShared


def _report(detail_type: DetailType, outcome: ImportOutcome) -> None:
    # Straight to the bus of the source that sent the share (it is an allowed source: the
    # rule admits only those); anything else is only recorded on this account's bus.
    allowed = outcome.sourceAccount in CONFIG.allowed_source_accounts
    bus = CONFIG.source_bus_arn(outcome.sourceAccount) if allowed else CONFIG.bus_name
    put_outcome(client("events"), bus, detail_type, outcome)
    metrics.add_metric(name=detail_type.replace(" ", ""), unit=MetricUnit.Count, value=1)


def _refuse(event: dict[str, Any], reason: str) -> dict[str, Any]:
    """Record a refused share where the target's operators see it; never import it."""
    raw_detail = event.get("detail")
    detail: dict[str, Any] = raw_detail if isinstance(raw_detail, dict) else {}
    logger.warning("share refused", extra={"reason": reason, "sender": event.get("account")})
    metrics.add_metric(name="SharesRefused", unit=MetricUnit.Count, value=1)
    outcome = ImportOutcome(
        sourceModelArn=str(detail.get("sourceModelArn", "unknown"))[:2048],
        # The sender, not what the detail claims: the answer goes back to who asked.
        sourceAccount=str(event.get("account") or detail.get("sourceAccount", "unknown"))[:12],
        targetAccount=CONFIG.account, status="REJECTED", message=reason[:2048],
        correlationId=str(detail.get("correlationId", "unknown"))[:256],
        taskToken=detail.get("taskToken") if event.get("account") in
        CONFIG.allowed_source_accounts else None)
    _report(DetailType.MODEL_IMPORT_FAILED, outcome)
    return {"result": "refused", "reason": reason}


def _source_created_at(copy_arn: str) -> str | None:
    """The source creation time a copy was tagged with at import (None: unknown or gone)."""
    try:
        tags = client("comprehend").list_tags_for_resource(ResourceArn=copy_arn).get("Tags", [])
    except ClientError:
        return None
    return next((t.get("Value") for t in tags if t.get("Key") == CREATED_AT_TAG), None)


def _promote(model_name: str, model_arn: str, by: str, source_created_at: Any) -> None:
    promotion = promote(client("ssm"), client("events"), CONFIG.bus_name, model_name, model_arn,
                        "imported", by, source_created_at=source_created_at,
                        created_at_of=_source_created_at)
    logger.info("copy promoted" if promotion.moved else
                "copy not promoted: current is a newer source version",
                extra={"model": model_arn, "current": promotion.model_arn,
                       "previous": promotion.previous_arn})


def _hand_over(original: dict[str, Any], function_arn: str) -> Any:
    def hand_over(owner: str) -> None:
        payload = {"handover": {"owner": owner, "event": original}}
        client("lambda").invoke(FunctionName=function_arn, InvocationType="Event",
                             Payload=json.dumps(payload).encode())
        metrics.add_metric(name="ImportHandovers", unit=MetricUnit.Count, value=1)
    return hand_over


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    handover = event.get("handover") if isinstance(event, dict) else None
    original = handover["event"] if handover else event
    try:
        share_event = parse(event=original, model=ShareEvent)
    except ValidationError as error:
        return _refuse(original if isinstance(original, dict) else {},
                       f"malformed share event: {error.errors(include_url=False)}")
    expected = (EVENT_SOURCE, DetailType.MODEL_VERSION_SHARED)
    if (share_event.source, share_event.detail_type) != expected:
        return _refuse(original, f"unexpected {share_event.source}/{share_event.detail_type}")
    share = share_event.detail
    logger.append_keys(correlation_id=share.correlationId, source_model=share.sourceModelArn)
    ports = Ports(comprehend=client("comprehend"), ledger=ledger(), report=_report,
                  hand_over=_hand_over(original, context.invoked_function_arn),
                  remaining_s=lambda: context.get_remaining_time_in_millis() / 1000,
                  promote=lambda name, arn, created: _promote(name, arn,
                                                              context.invoked_function_arn,
                                                              created),
                  durations=durations())
    try:
        result = run(share, share_event.account, owner=context.aws_request_id, config=CONFIG,
                     ports=ports, resume_from=handover["owner"] if handover else None)
    except ModelCopyError as error:  # authorization and request errors: refuse, don't retry
        return _refuse(original, str(error))
    logger.info("share handled", extra={"result": result})
    return {"result": result}
