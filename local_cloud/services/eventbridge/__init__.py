"""EventBridge as AWS behaves where model-copy depends on it (moto 5.2.5 falls short).

What changes against moto's `moto/events/models.py`:
- PutEvents and rule deliveries go through `ingest()`: events keep their original
  `account`, `id`, `time`, `region` and `resources` when a rule forwards them to
  another account's bus (moto re-puts them as the receiving account and drops resources).
- Bus policies are enforced for cross-account deliveries and for PutEvents to another
  account's bus ARN (explicit Deny wins; same-account is always allowed). PutEvents with
  `EventBusName` = another account's bus ARN (same Region) delivers straight to that bus
  when its policy allows the sender, and the event keeps the sender's `account` (aws-facts
  item 7). A bus that does not exist in the other account refuses the entry
  (AccessDeniedException: no policy can allow it), not the whole call.
- Per-entry failures on demand (`entry_failures`): FailedEntryCount > 0 with the entry's
  ErrorCode/ErrorMessage, once, n times or every time, per bus and detail-type.
- DISABLED rules do not fire; targets honour `Input`, `InputPath`, `InputTransformer`.
- Targets are delivered on a worker pool, not inside PutEvents, with the target's
  RetryPolicy and DeadLetterConfig (SQS, with the message attributes AWS sets).
- Lambda targets go to `local_cloud.services.lambda_runtime.invoke_async`; Step Functions targets
  start an execution in the state machine's account; a log group target is written only when
  the group exists and a CloudWatch Logs resource policy lets EventBridge write to it.

Control routes (area `events`): configure, stats, recent, lambda_calls, reset, wait_idle,
fail_entries {error_code, error_message?, times? (null = every time), bus? (name or ARN),
detail_type?} or {clear: true}.

Modules: `state` (settings, counters, the delivery pool), `shapes` (ARNs, timestamps, the
public event), `bus_policy` (who may put on a bus), `patterns` (which rules fire), `ingestion`
(PutEvents and an event's arrival on a bus), `delivery` (retries, dead-letter queues),
`targets` (what each kind of target receives and how it is invoked), `log_targets` (log
groups as targets), `entry_failures`
(injected per-entry failures), `control_routes`,
`moto_patch` (what install() changes in moto).
"""

from __future__ import annotations

from local_cloud.services.eventbridge import control_routes, moto_patch
from local_cloud.services.eventbridge.bus_policy import PUT_EVENTS, Caller, bus_policy_allows
from local_cloud.services.eventbridge.control_routes import (
    configure,
    lambda_calls,
    recent,
    reset,
    stats,
    wait_idle,
)
from local_cloud.services.eventbridge.ingestion import ingest, put_events
from local_cloud.services.eventbridge.state import BusStats, Config
from local_cloud.services.eventbridge.targets import DeliveryFailed, target_input

__all__ = [
    "PUT_EVENTS", "BusStats", "Caller", "Config", "DeliveryFailed", "bus_policy_allows",
    "configure", "ingest", "install", "lambda_calls", "put_events", "recent", "reset", "stats",
    "target_input", "wait_idle",
]


def install() -> None:
    """Called by local_cloud.core.server at start: patch moto, register the control routes."""
    moto_patch.patch_moto()
    control_routes.register()
    moto_patch.stop_deliveries_at_shutdown()
