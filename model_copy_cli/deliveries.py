"""Find which targets of a copy have its share: their `Model Import Started` in the source
stack's delivery log (output `DeliveryLogGroupName`, a log group that an EventBridge rule on
the source's bus writes each such event to).

Each log event is one EventBridge event as JSON. A target's import function sends it once it
has accepted the share and started `ImportModel`, with the copy's `correlationId` (the
execution's name) and its own account as `targetAccount`.

Reading the log is a courtesy: a caller without `logs:FilterLogEvents`, a stack without the
log (older, or an ARN given without its stack) or any error leaves the targets "sent".
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from model_copy.contract import DetailType

from model_copy_cli.progress import Delivery, parse_time

OUTPUT = "DeliveryLogGroupName"
log = logging.getLogger(__name__)


def filter_pattern(correlation_id: str) -> str:
    """A JSON filter pattern on the copy (CloudWatch Logs "Filter pattern syntax", JSON log
    events); the events found are checked again here, whatever the service matched."""
    return f'{{ $.detail.correlationId = {json.dumps(correlation_id)} }}'


def delivery_of(message: str, correlation_id: str) -> Delivery | None:
    """The delivery a log message records for this copy, or None."""
    try:
        event = json.loads(message)
    except ValueError:
        return None
    if not isinstance(event, dict) or event.get("detail-type") != DetailType.MODEL_IMPORT_STARTED:
        return None
    detail = event.get("detail")
    if not isinstance(detail, dict) or detail.get("correlationId") != correlation_id:
        return None
    account = detail.get("targetAccount")
    # The sender is the target itself: its event carries its own account.
    if not isinstance(account, str) or account != event.get("account"):
        return None
    return Delivery(account=account, at=parse_time(event.get("time")))


class DeliveryLog:
    """The delivery log of one source stack, read with the caller's session."""

    def __init__(self, session: boto3.Session, group_name: str | None) -> None:
        self.session = session
        self.group_name = group_name

    def observed(self, correlation_id: str, since: datetime | None) -> list[Delivery]:
        """The deliveries of the copy named `correlation_id` (its execution started `since`)."""
        if not self.group_name:
            return []
        request: dict[str, Any] = {"logGroupName": self.group_name,
                                   "filterPattern": filter_pattern(correlation_id)}
        if since is not None:
            start = since if since.tzinfo else since.replace(tzinfo=UTC)
            request["startTime"] = int(start.timestamp() * 1000)
        found: list[Delivery] = []
        try:
            pages = self.session.client("logs").get_paginator("filter_log_events")
            for page in pages.paginate(**request):
                for item in page.get("events", []):
                    delivery = delivery_of(str(item.get("message", "")), correlation_id)
                    if delivery is not None:
                        found.append(delivery)
        except (ClientError, BotoCoreError) as problem:
            log.debug("delivery log %s not read (targets stay 'sent'): %s", self.group_name,
                      problem)
            return []
        return found
