"""EventBridge as AWS behaves where model-copy depends on it (moto 5.2.5 falls short).

What changes against moto's `moto/events/models.py`:
- PutEvents and rule deliveries go through `ingest()`: events keep their original
  `account`, `id`, `time`, `region` and `resources` when a rule forwards them to
  another account's bus (moto re-puts them as the receiving account and drops resources).
- Bus policies are enforced for cross-account deliveries and for PutEvents to another
  account's bus ARN (explicit Deny wins; same-account is always allowed).
- DISABLED rules do not fire; targets honour `Input`, `InputPath`, `InputTransformer`.
- Targets are delivered on a worker pool, not inside PutEvents, with the target's
  RetryPolicy and DeadLetterConfig (SQS, with the message attributes AWS sets).
- Lambda targets go to `local_cloud.services.lambda_runtime.invoke_async`; Step Functions targets
  start an execution in the state machine's account.

Control routes (area `events`): configure, stats, recent, reset, wait_idle.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_cloud.core import control
from local_cloud.core.accounts import REGION
from local_cloud.iam import organization
from local_cloud.iam.evaluator import Principal, Request, evaluate, parse
from local_cloud.iam.organization import DEFAULT_ORG_ID, org_id_of

log = logging.getLogger("local_cloud.services.eventbridge")

PUT_EVENTS = "events:PutEvents"
# AWS's defaults for a rule target's RetryPolicy.
DEFAULT_MAX_RETRY_ATTEMPTS = 185
DEFAULT_MAX_EVENT_AGE_S = 86_400
RECENT_KEPT_PER_BUS = 200


# --------------------------------------------------------------------------- settings & state

@dataclass
class Config:
    # AWS backs off exponentially with jitter over up to 24 h; locally the n-th retry waits
    # retry_delays_s[n] (the last value repeats) so tests see retries in milliseconds.
    retry_delays_s: list[float] = field(default_factory=lambda: [1.0, 2.0, 4.0, 8.0, 16.0, 30.0])
    org_id: str = DEFAULT_ORG_ID
    # Accounts that are *not* members of org_id (every local account is a member by default).
    accounts_outside_org: list[str] = field(default_factory=list)
    workers: int = 8
    # Function ARN -> "ok" | "throttle" | "not_found": answer Lambda targets without running
    # them (for tests of delivery itself); each stubbed call is kept for `lambda_calls`.
    lambda_stubs: dict[str, str] = field(default_factory=dict)


@dataclass
class BusStats:
    events_received: int = 0
    deliveries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed_attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused_by_policy: int = 0
    dead_lettered: int = 0
    dropped: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"events_received": self.events_received, "deliveries": dict(self.deliveries),
                "failed_attempts": dict(self.failed_attempts),
                "refused_by_policy": self.refused_by_policy,
                "dead_lettered": self.dead_lettered, "dropped": self.dropped}


class _State:
    """Counters, recent events and the delivery pool; one per server process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle = threading.Condition(self.lock)
        self.config = Config()
        self.pending = 0
        self.stats: dict[str, BusStats] = defaultdict(BusStats)
        self.recent: dict[str, deque[dict[str, Any]]] = defaultdict(
            lambda: deque(maxlen=RECENT_KEPT_PER_BUS))
        self.pool: ThreadPoolExecutor | None = None
        self.lambda_calls: list[dict[str, Any]] = []

    def executor(self) -> ThreadPoolExecutor:
        with self.lock:
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=self.config.workers,
                                               thread_name_prefix="events-delivery")
            return self.pool

    def begin(self) -> None:
        with self.lock:
            self.pending += 1

    def end(self) -> None:
        with self.lock:
            self.pending -= 1
            if self.pending <= 0:
                self.idle.notify_all()

    def count(self, bus_arn: str, update: Any) -> None:
        with self.lock:
            update(self.stats[bus_arn])


_state = _State()


# --------------------------------------------------------------------------- ARNs

def _bus_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def _arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        raise ValueError(f"not an ARN: {arn}")
    return parts[2], parts[3], parts[4], parts[5]


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_time(value: Any) -> str:
    """PutEvents' optional Time (epoch seconds or ISO text) as EventBridge writes it."""
    if value in (None, ""):
        return _now_iso()
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


# --------------------------------------------------------------------------- bus policies

@dataclass(frozen=True)
class Caller:
    """Who puts an event on a bus: an account (and, for rule deliveries, the rule's role)."""
    account: str
    role_arn: str | None = None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal(caller: Caller) -> Principal:
    """The caller as IAM sees it: a rule delivering with a RoleArn acts as that role."""
    if caller.role_arn:
        name = caller.role_arn.rsplit("/", 1)[-1]
        return Principal(account=caller.account, role_arn=caller.role_arn,
                         arn=f"arn:aws:sts::{caller.account}:assumed-role/{name}/events",
                         org_id=org_id_of(caller.account))
    return Principal.root(caller.account, org_id=org_id_of(caller.account))


def put_events_request(bus_arn: str, event: dict[str, Any]) -> Request:
    """events:PutEvents of one event, with the condition keys EventBridge sets for it."""
    return Request(PUT_EVENTS, bus_arn, {"events:source": str(event.get("source", "")),
                                         "events:detail-type": str(event.get("detail-type", ""))})


def bus_policy_allows(bus: Any, caller: Caller, event: dict[str, Any]) -> bool:
    """Whether the bus's policy lets `caller` put `event` on `bus` (a moto EventBus), decided
    by the local cloud's one evaluator (local_cloud.iam). Same-account callers are decided by
    their identity policies alone, which local_cloud.iam.enforcement checks."""
    if caller.account == bus.account_id:
        return True
    return evaluate(_principal(caller), put_events_request(bus.arn, event), [],
                    parse(bus.policy), identity_checked=False).allowed


def _replace_policy(event_bus: Any, policy_text: str | dict[str, Any]) -> None:
    """PutPermission with Policy replaces the whole policy (moto merges by principal)."""
    from moto.core.exceptions import JsonRESTError
    from moto.events.models import EventBusPolicyStatement

    try:
        policy = json.loads(policy_text) if isinstance(policy_text, str) else policy_text
    except json.JSONDecodeError:
        raise JsonRESTError("ValidationException", "This policy contains invalid Json") from None
    event_bus.remove_statements()
    for index, raw in enumerate(_as_list(policy.get("Statement"))):
        statement = EventBusPolicyStatement(
            sid=raw.get("Sid") or f"statement-{index}", principal=raw.get("Principal"),
            action=raw.get("Action"), resource=raw.get("Resource", event_bus.arn),
            effect=raw.get("Effect", "Allow"), condition=raw.get("Condition"))
        event_bus._statements[statement.sid] = statement


# --------------------------------------------------------------------------- ingestion

def _backend(account: str, region: str) -> Any:
    from moto.events.models import events_backends

    return events_backends[account][region]


def _find_bus(account: str, region: str, name_or_arn: str | None) -> Any:
    name = (name_or_arn or "default").rsplit("event-bus/", 1)[-1]
    return _backend(account, region).describe_event_bus(name)


def ingest(bus: Any, event: dict[str, Any], received_via: str) -> list[str]:
    """An event arrives on `bus`: record it, fire each ENABLED matching rule. Returns rule ARNs."""
    matched: list[str] = []
    for rule in list(bus.rules.values()):
        if _rule_fires(rule, event):
            matched.append(rule.arn)
            _schedule_targets(rule, event)
    record = {"event": _public(event), "matched_rules": matched, "received_via": received_via}
    with _state.lock:
        _state.stats[bus.arn].events_received += 1
        _state.recent[bus.arn].append(record)
    return matched


def _rule_fires(rule: Any, event: dict[str, Any]) -> bool:
    # Scheduled rules have no pattern; moto's matcher would accept every event for them.
    if rule.state != "ENABLED" or (rule.scheduled_expression and not rule.event_pattern.dump()):
        return False
    return bool(rule.event_pattern.matches_event(event))


def _public(event: dict[str, Any]) -> dict[str, Any]:
    """The event as targets see it (without moto's internal fields)."""
    return {k: v for k, v in event.items() if k != "ingestion-time"}


def put_events(self: Any, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replaces EventsBackend.put_events: `self` is the caller's account backend."""
    from moto.events.exceptions import ValidationException

    if len(entries) > 10:
        raise ValidationException(
            "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed "
            "to satisfy constraint: Member must have length less than or equal to 10")
    return [_put_one(self, entry) for entry in entries]


def _entry_error(entry: dict[str, Any]) -> dict[str, str] | None:
    for name in ("Source", "DetailType", "Detail"):
        if not entry.get(name):
            return {"ErrorCode": "InvalidArgument",
                    "ErrorMessage": f"Parameter {name} is not valid. "
                                    f"Reason: {name} is a required argument."}
    try:
        json.loads(entry["Detail"])
    except ValueError:
        return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    return None


def _put_one(backend: Any, entry: dict[str, Any]) -> dict[str, str]:
    error = _entry_error(entry)
    if error:
        return error
    caller = Caller(account=backend.account_id)
    bus_ref = entry.get("EventBusName") or "default"
    bus_account, bus_region = backend.account_id, backend.region_name
    if bus_ref.startswith("arn:"):
        _, bus_region, bus_account, _ = _arn_parts(bus_ref)
    bus = _find_bus(bus_account, bus_region, bus_ref)
    event = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"],
        "source": entry["Source"], "account": backend.account_id,
        "time": _event_time(entry.get("Time")), "region": backend.region_name,
        "resources": list(entry.get("Resources") or []), "detail": json.loads(entry["Detail"]),
        "ingestion-time": time.time(),
    }
    if not bus_policy_allows(bus, caller, event):
        _state.count(bus.arn, _refused)
        return {"ErrorCode": "AccessDeniedException",
                "ErrorMessage": f"User: arn:aws:iam::{caller.account}:root is not authorized to "
                                f"perform: {PUT_EVENTS} on resource: {bus.arn} because no "
                                f"resource-based policy allows the {PUT_EVENTS} action"}
    ingest(bus, event, received_via="PutEvents")
    return {"EventId": event["id"]}


def _refused(stats: BusStats) -> None:
    stats.refused_by_policy += 1


# --------------------------------------------------------------------------- delivery

class DeliveryFailed(Exception):
    """A target invocation failed; `code` is what AWS writes in the DLQ's ERROR_CODE."""

    def __init__(self, code: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable


@dataclass
class Delivery:
    rule: Any
    target: dict[str, Any]
    event: dict[str, Any]
    attempt: int = 0  # retries done so far
    first_try: float = field(default_factory=time.monotonic)


def _schedule_targets(rule: Any, event: dict[str, Any]) -> None:
    for target in list(rule.targets):
        _submit(Delivery(rule=rule, target=copy.deepcopy(target), event=copy.deepcopy(event)))


def _submit(delivery: Delivery, delay: float = 0.0) -> None:
    _state.begin()
    if delay <= 0:
        _state.executor().submit(_run, delivery)
        return
    timer = threading.Timer(delay, lambda: _state.executor().submit(_run, delivery))
    timer.daemon = True
    timer.start()


def _run(delivery: Delivery) -> None:
    try:
        _attempt(delivery)
    except Exception:  # a worker must never die; the failure is logged
        log.exception("delivery to %s crashed", delivery.target.get("Arn"))
    finally:
        _state.end()


def _attempt(delivery: Delivery) -> None:
    bus_arn = _bus_arn(delivery.rule.account_id, delivery.rule.region_name,
                       delivery.rule.event_bus_name)
    target_arn = delivery.target["Arn"]
    try:
        _deliver(delivery.rule, delivery.target, delivery.event)
    except DeliveryFailed as failure:
        _state.count(bus_arn, lambda s: s.failed_attempts.__setitem__(
            target_arn, s.failed_attempts[target_arn] + 1))
        _after_failure(delivery, failure, bus_arn)
        return
    except Exception as error:  # noqa: BLE001 - any other error is a failed invocation
        _state.count(bus_arn, lambda s: s.failed_attempts.__setitem__(
            target_arn, s.failed_attempts[target_arn] + 1))
        _after_failure(delivery, DeliveryFailed("SDK_CLIENT_ERROR", str(error), True), bus_arn)
        return
    _state.count(bus_arn, lambda s: s.deliveries.__setitem__(
        target_arn, s.deliveries[target_arn] + 1))


def _after_failure(delivery: Delivery, failure: DeliveryFailed, bus_arn: str) -> None:
    policy = delivery.target.get("RetryPolicy") or {}
    max_attempts = int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
    max_age = float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))
    delays = _state.config.retry_delays_s or [0.0]
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
        _state.count(bus_arn, _dropped)
        return
    attributes = {
        "ERROR_CODE": failure.code, "ERROR_MESSAGE": str(failure)[:1000],
        "EXHAUSTED_RETRY_CONDITION": exhausted, "RETRY_ATTEMPTS": str(delivery.attempt),
        "RULE_ARN": delivery.rule.arn, "TARGET_ARN": delivery.target["Arn"],
    }
    _, region, account, queue = _arn_parts(dlq_arn)
    try:
        _sqs_send(account, region, queue, json.dumps(_public(delivery.event)),
                  {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})
    except Exception:  # a missing DLQ loses the event, as on AWS
        log.exception("dead-letter queue %s refused the event", dlq_arn)
        _state.count(bus_arn, _dropped)
        return
    _state.count(bus_arn, _dead_lettered)


def _dropped(stats: BusStats) -> None:
    stats.dropped += 1


def _dead_lettered(stats: BusStats) -> None:
    stats.dead_lettered += 1


def _sqs_send(account: str, region: str, queue: str, body: str,
              attributes: dict[str, Any] | None = None, group_id: str | None = None) -> None:
    from moto.sqs import sqs_backends

    sqs_backends[account][region].send_message(
        queue_name=queue, message_body=body, message_attributes=attributes or {},
        group_id=group_id,
        # Content-based deduplication is how EventBridge feeds FIFO queues.
        deduplication_id=None)


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a target receives: the event, or Input / InputPath / InputTransformer applied."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        found = parse(target["InputPath"]).find(_public(event))
        return found[0].value if found else None
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.utils import EventTemplateParser

        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=event)  # type: ignore[arg-type]
    return _public(event)


def _deliver(rule: Any, target: dict[str, Any], event: dict[str, Any]) -> None:
    arn = target["Arn"]
    service, region, account, resource = _arn_parts(arn)
    resource_type = resource.split("/", 1)[0].split(":", 1)[0]
    if service == "events" and resource_type == "event-bus":
        _forward_to_bus(rule, target, event, account or rule.account_id, region)
    elif service == "sqs":
        group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
        try:
            _sqs_send(account, region, resource, json.dumps(target_input(target, event)),
                      group_id=group_id)
        except Exception as error:
            raise DeliveryFailed("RESOURCE_NOT_FOUND", str(error), retryable=False) from error
    elif service == "lambda":
        _invoke_lambda(arn, target_input(target, event))
    elif service == "states":
        _start_execution(arn, target, target_input(target, event))
    elif service == "logs":
        rule._send_to_cw_log_group(resource.split(":", 1)[1], target_input(target, event))
    elif service == "events" and not resource_type:
        rule._send_to_events_archive(event["archive-arn"].split("/", 1)[1], event)
    else:
        raise DeliveryFailed("SDK_CLIENT_ERROR", f"target type of {arn} is not emulated",
                             retryable=False)


def _forward_to_bus(rule: Any, target: dict[str, Any], event: dict[str, Any],
                    account: str, region: str) -> None:
    name = target["Arn"].rsplit("event-bus/", 1)[-1]
    try:
        bus = _find_bus(account, region, name)
    except Exception as error:
        raise DeliveryFailed("RESOURCE_NOT_FOUND", str(error), retryable=False) from error
    caller = Caller(account=rule.account_id, role_arn=target.get("RoleArn") or rule.role_arn)
    if not bus_policy_allows(bus, caller, event):
        _state.count(bus.arn, _refused)
        raise DeliveryFailed(
            "NO_PERMISSIONS",
            f"Not authorized to put events on {bus.arn}: no resource-based policy allows "
            f"{PUT_EVENTS} for {rule.account_id}", retryable=False)
    # The forwarded event is the same event: same id, account (the sender), time, resources.
    forwarded = copy.deepcopy(event)
    forwarded["ingestion-time"] = time.time()
    ingest(bus, forwarded, received_via=rule.arn)


def _invoke_lambda(function_arn: str, payload: Any) -> None:
    stub = _state.config.lambda_stubs.get(function_arn)
    if stub is not None:
        _stubbed_lambda(function_arn, payload, stub)
        return
    try:
        from local_cloud.services import lambda_runtime

        invoke_async = lambda_runtime.invoke_async
    except (ImportError, AttributeError) as error:
        raise DeliveryFailed("SDK_CLIENT_ERROR", "Lambda runtime is not available: "
                             f"{error}", retryable=True) from error
    try:
        invoke_async(function_arn, payload)
    except Exception as error:
        raise _lambda_failure(error) from error


def _stubbed_lambda(function_arn: str, payload: Any, behaviour: str) -> None:
    with _state.lock:
        _state.lambda_calls.append({"function_arn": function_arn, "payload": payload,
                                    "answer": behaviour})
    if behaviour == "throttle":
        raise DeliveryFailed("THROTTLING", "TooManyRequestsException: Rate exceeded",
                             retryable=True)
    if behaviour == "not_found":
        raise DeliveryFailed("RESOURCE_NOT_FOUND",
                             f"ResourceNotFoundException: Function not found: {function_arn}",
                             retryable=False)


def _lambda_failure(error: Exception) -> DeliveryFailed:
    text = f"{type(error).__name__}: {error}"
    if "Throttl" in text or "TooManyRequests" in text:
        return DeliveryFailed("THROTTLING", text, retryable=True)
    if "NotFound" in text or "not found" in text.lower():
        return DeliveryFailed("RESOURCE_NOT_FOUND", text, retryable=False)
    return DeliveryFailed("SDK_CLIENT_ERROR", text, retryable=True)


def _start_execution(state_machine_arn: str, target: dict[str, Any], payload: Any) -> None:
    from moto.stepfunctions.responses import get_backend

    _, region, account, _ = _arn_parts(state_machine_arn)
    if not account and target.get("RoleArn"):
        account = _arn_parts(target["RoleArn"])[2]
    backend = get_backend(account, region or REGION)
    try:
        backend.describe_state_machine(state_machine_arn)
    except Exception as error:
        raise DeliveryFailed("RESOURCE_NOT_FOUND", str(error), retryable=False) from error
    # AWS names each execution it starts for a rule uniquely.
    backend.start_execution(state_machine_arn, name=str(uuid.uuid4()),
                            execution_input=json.dumps(payload))


def send_to_targets(rule: Any, original_event: dict[str, Any], transform_input: bool = True
                    ) -> None:
    """Replaces Rule.send_to_targets (archive replays and moto's own events call it)."""
    del transform_input  # targets apply their own input settings in target_input()
    event = dict(original_event)
    if isinstance(event.get("time"), int | float):
        event["time"] = _event_time(event["time"])
    if _rule_fires(rule, event):
        _schedule_targets(rule, event)


# --------------------------------------------------------------------------- CloudFormation

def _event_bus_from_cloudformation(original: Any) -> Any:
    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
               region_name: str, **kwargs: Any) -> Any:
        bus = original.__func__(cls, resource_name, cloudformation_json, account_id,
                                region_name, **kwargs)
        policy = (cloudformation_json.get("Properties") or {}).get("Policy")
        if policy:  # moto ignores the Policy property of AWS::Events::EventBus
            _replace_policy(bus, policy)
        return bus

    return classmethod(create)


# --------------------------------------------------------------------------- control routes

def configure(**settings: Any) -> dict[str, Any]:
    unknown = set(settings) - set(Config.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown events settings: {sorted(unknown)}")
    with _state.lock:
        for key, value in settings.items():
            current = getattr(_state.config, key)
            if isinstance(current, dict) and isinstance(value, dict):
                current.update(value)  # stubs accumulate, so tests can add their own
            else:
                setattr(_state.config, key, value)
        # The organization is IAM's (aws:PrincipalOrgID); this route is where tests set it.
        organization.configure(org_id=_state.config.org_id,
                               accounts_outside=list(_state.config.accounts_outside_org))
        return dict(_state.config.__dict__)


def stats(account: str | None = None, bus: str | None = None) -> dict[str, Any]:
    with _state.lock:
        return {arn: s.as_dict() for arn, s in _state.stats.items()
                if (account is None or f":{account}:" in arn)
                and (bus is None or arn.endswith(f"event-bus/{bus}"))}


def recent(account: str, bus: str = "default", limit: int = 20,
           region: str = REGION) -> list[dict[str, Any]]:
    """The last `limit` events seen on a bus, oldest first, with the rules they matched."""
    with _state.lock:
        records = list(_state.recent[_bus_arn(account, region, bus)])
    return records[-limit:] if limit else records


def lambda_calls(function_arn: str | None = None) -> list[dict[str, Any]]:
    """Calls answered by `lambda_stubs`, oldest first."""
    with _state.lock:
        return [c for c in _state.lambda_calls
                if function_arn is None or c["function_arn"] == function_arn]


def reset() -> dict[str, Any]:
    with _state.lock:
        _state.lambda_calls.clear()
        _state.stats.clear()
        _state.recent.clear()
        _state.config = Config()
    organization.reset()
    return {"reset": True}


def wait_idle(timeout: float = 30.0) -> dict[str, Any]:
    """Block until no delivery is pending (retries waiting included) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    with _state.lock:
        while _state.pending > 0:
            left = deadline - time.monotonic()
            if left <= 0:
                return {"idle": False, "pending": _state.pending}
            _state.idle.wait(left)
        return {"idle": True, "pending": 0}


def _shutdown() -> None:
    with _state.lock:
        pool, _state.pool = _state.pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


def _flatten_event(node: Any, prefix: str = "",
                   result: dict[str, Any] | None = None) -> dict[str, Any]:
    """Dotted paths to values, as moto's matcher expects, but an array of objects also
    yields its members' fields (`tags.key` -> every tag's key): EventBridge matches a
    pattern field against any element of such an array, which CloudTrail events rely on
    (e.g. requestParameters.tags)."""
    result = {} if result is None else result
    if not isinstance(node, dict):
        return result
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            _flatten_event(value, path, result)
            continue
        result[path] = value
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for element in value:
                for leaf, leaf_value in _flatten_event(element, path).items():
                    values = leaf_value if isinstance(leaf_value, list) else [leaf_value]
                    result.setdefault(leaf, []).extend(values)
    return result


def install() -> None:
    from moto.events import models

    models.EventPattern._flatten_dict = staticmethod(_flatten_event)  # type: ignore[method-assign]

    models.EventsBackend.put_events = put_events  # type: ignore[method-assign,assignment]
    models.Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    models.EventsBackend._put_permission_from_policy = staticmethod(  # type: ignore[method-assign,assignment]
        _replace_policy)
    models.EventBus.create_from_cloudformation_json = (  # type: ignore[method-assign]
        _event_bus_from_cloudformation(models.EventBus.create_from_cloudformation_json))
    # `Ref` on an AWS::Events::EventBus is its name; moto's model lacks the attribute.
    models.EventBus.physical_resource_id = property(  # type: ignore[attr-defined]
        lambda bus: bus.name)

    for action, handler in (("configure", configure), ("stats", stats), ("recent", recent),
                            ("reset", reset), ("wait_idle", wait_idle),
                            ("lambda_calls", lambda_calls)):
        control.register("events", action, handler)
    _on_server_shutdown(_shutdown)


def _on_server_shutdown(hook: Any) -> None:
    # `python -m local_cloud.core.server` runs the server as __main__: register there, since a
    # fresh `import local_cloud.core.server` would be a second module whose hooks never run.
    import sys

    main = sys.modules.get("__main__")
    if main is not None and callable(getattr(main, "on_shutdown", None)):
        main.on_shutdown(hook)
        return
    from local_cloud.core import server

    server.on_shutdown(hook)
