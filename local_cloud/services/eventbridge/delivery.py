"""Delivering a rule's targets: on a worker pool, not inside PutEvents, with the target's
RetryPolicy (AWS's defaults otherwise) and DeadLetterConfig (SQS, with the message
attributes AWS sets).
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from local_cloud.services.eventbridge import targets
from local_cloud.services.eventbridge.shapes import arn_parts, public
from local_cloud.services.eventbridge.shapes import bus_arn as make_bus_arn
from local_cloud.services.eventbridge.state import dead_lettered, dropped, state
from local_cloud.services.eventbridge.targets import DeliveryFailed

log = logging.getLogger("local_cloud.services.eventbridge")

# AWS's defaults for a rule target's RetryPolicy.
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_S = 86_400


@dataclass
class Delivery:
    rule: Any
    target: dict[str, Any]
    event: dict[str, Any]
    attempt: int = 0  # retries done so far
    first_try: float = field(default_factory=time.monotonic)


def schedule_targets(rule: Any, event: dict[str, Any]) -> None:
    for target in list(rule.targets):
        _submit(Delivery(rule=rule, target=copy.deepcopy(target), event=copy.deepcopy(event)))


def _submit(delivery: Delivery, delay: float = 0.0) -> None:
    state.begin()
    if delay <= 0:
        state.executor().submit(_run, delivery)
        return
    timer = threading.Timer(delay, lambda: state.executor().submit(_run, delivery))
    timer.daemon = True
    timer.start()


def _run(delivery: Delivery) -> None:
    try:
        _attempt(delivery)
    except Exception:  # a worker must never die; the failure is logged
        log.exception("delivery to %s crashed", delivery.target.get("Arn"))
    finally:
        state.end()


def _attempt(delivery: Delivery) -> None:
    bus_arn = make_bus_arn(delivery.rule.account_id, delivery.rule.region_name,
                            delivery.rule.event_bus_name)
    target_arn = delivery.target["Arn"]
    try:
        targets.deliver(delivery.rule, delivery.target, delivery.event)
    except DeliveryFailed as failure:
        state.count(bus_arn, lambda s: s.failed_attempts.__setitem__(
            target_arn, s.failed_attempts[target_arn] + 1))
        _after_failure(delivery, failure, bus_arn)
        return
    except Exception as error:  # noqa: BLE001 - any other error is a failed invocation
        state.count(bus_arn, lambda s: s.failed_attempts.__setitem__(
            target_arn, s.failed_attempts[target_arn] + 1))
        _after_failure(delivery, DeliveryFailed("SDK_CLIENT_ERROR", str(error), True), bus_arn)
        return
    state.count(bus_arn, lambda s: s.deliveries.__setitem__(
        target_arn, s.deliveries[target_arn] + 1))


def _after_failure(delivery: Delivery, failure: DeliveryFailed, bus_arn: str) -> None:
    policy = delivery.target.get("RetryPolicy") or {}
    max_attempts = int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
    max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))
    delays = state.config.retry_delays_s or [0.0]
    delay = float(delays[min(delivery.attempt, len(delays) - 1)])
    age_after_wait = time.monotonic() - delivery.first_try + delay
    # AWS does not retry errors that retrying cannot fix (missing permission or resource).
    if failure.retryable and delivery.attempt < max_attempts and age_after_wait <= max_age:
        delivery.attempt += 1
        _submit(delivery, delay)
        return
    exhausted = ("MaximumEventAgeInSeconds" if failure.retryable and age_after_wait > max_age
                 else "MaximumRetryAttempts")
    _dead_letter(delivery, failure, exhausted, bus_arn)


def _dead_letter(delivery: Delivery, failure: DeliveryFailed, exhausted: str,
                 bus_arn: str) -> None:
    dlq_arn = (delivery.target.get("DeadLetterConfig") or {}).get("Arn")
    if not dlq_arn:
        log.warning("event %s dropped for %s: %s", delivery.event.get("id"),
                    delivery.target["Arn"], failure)
        state.count(bus_arn, dropped)
        return
    attributes = {
        "ERROR_CODE": failure.code, "ERROR_MESSAGE": str(failure)[:1000],
        "EXHAUSTED_RETRY_CONDITION": exhausted, "RETRY_ATTEMPTS": str(delivery.attempt),
        "RULE_ARN": delivery.rule.arn, "TARGET_ARN": delivery.target["Arn"],
    }
    _, region, account, queue = arn_parts(dlq_arn)
    message_attributes = {k: {"DataType": "String", "StringValue": v}
                          for k, v in attributes.items()}
    try:
        targets.sqs_send(account, region, queue, json.dumps(public(delivery.event)),
                         message_attributes)
    except Exception:  # a missing DLQ loses the event, as on AWS
        log.exception("dead-letter queue %s refused the event", dlq_arn)
        state.count(bus_arn, dropped)
        return
    state.count(bus_arn, dead_lettered)

