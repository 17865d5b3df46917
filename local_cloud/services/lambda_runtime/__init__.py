"""Run the real handler code of Lambda functions, as AWS's Python runtime would.

moto keeps functions (code zip, configuration) but can only run them in Docker, which this
machine lacks. `install()` makes moto's Invoke (and the event sources that call
`LambdaFunction.invoke`) run the handler here instead:

- each concurrent invocation of a function version gets a worker process (`worker_main.py`),
  kept warm and reused like an execution environment; the module is imported once (cold start);
- the function's Timeout kills the worker (`Sandbox.Timedout`); ReservedConcurrentExecutions
  and a global cap on workers throttle (`TooManyRequestsException`);
- asynchronous invocations are queued durably under the state directory, retried per
  EventInvokeConfig, then sent to the dead-letter queue and/or the OnFailure destination.

Other extensions call `invoke_async(function_arn, payload)` / `invoke_sync(...)` in process.
Control routes (area `lambda`): configure, stats, reset, wait_idle.

Modules, one job each:
  config          RuntimeConfig, AWS's async defaults, FunctionNotFound / FunctionThrottled
  results         InvocationResult and AWS's error shape
  functions       functions as moto keeps them (lookup by ARN, async config, role credentials)
  stats           per-function counters
  workers         one execution environment (a worker_main.py process) and its logs
  pool            warm workers per version, extracted code, concurrency limits
  async_queue     the durable on-disk queue of asynchronous invocations
  destinations    OnSuccess/OnFailure destinations and dead-letter targets
  invoker         LambdaRuntime: runs invocations now or from the queue, with retries
  api             the installed runtime, invoke_async / invoke_sync
  moto_patch      what install() changes in moto
  control_routes  POST /_local/lambda/<action>
"""

from __future__ import annotations

import logging

from local_cloud.core import settings
from local_cloud.services.lambda_runtime import api, control_routes, moto_patch
from local_cloud.services.lambda_runtime.api import invoke_async, invoke_sync, runtime
from local_cloud.services.lambda_runtime.async_queue import AsyncInvocation, AsyncQueueStore
from local_cloud.services.lambda_runtime.config import (
    DEFAULT_MAX_EVENT_AGE_S,
    DEFAULT_MAX_RETRY_ATTEMPTS,
    FunctionNotFound,
    FunctionThrottled,
    RuntimeConfig,
)
from local_cloud.services.lambda_runtime.destinations import (
    deliver_to_destination,
    invocation_record,
)
from local_cloud.services.lambda_runtime.functions import FunctionAddress, resolve_function
from local_cloud.services.lambda_runtime.invoker import LambdaRuntime
from local_cloud.services.lambda_runtime.pool import CodeCache, WorkerPool
from local_cloud.services.lambda_runtime.results import InvocationResult
from local_cloud.services.lambda_runtime.stats import FunctionStats, StatsBook
from local_cloud.services.lambda_runtime.workers import (
    INHERITED_VARIABLES,
    INIT_TIMEOUT_S,
    WORKER_SCRIPT,
    FunctionLog,
    Worker,
    WorkerOutcome,
)

__all__ = [
    "DEFAULT_MAX_EVENT_AGE_S",
    "DEFAULT_MAX_RETRY_ATTEMPTS",
    "INHERITED_VARIABLES",
    "INIT_TIMEOUT_S",
    "WORKER_SCRIPT",
    "AsyncInvocation",
    "AsyncQueueStore",
    "CodeCache",
    "FunctionAddress",
    "FunctionLog",
    "FunctionNotFound",
    "FunctionStats",
    "FunctionThrottled",
    "InvocationResult",
    "LambdaRuntime",
    "RuntimeConfig",
    "StatsBook",
    "Worker",
    "WorkerOutcome",
    "WorkerPool",
    "deliver_to_destination",
    "install",
    "invocation_record",
    "invoke_async",
    "invoke_sync",
    "resolve_function",
    "runtime",
]

log = logging.getLogger("local_cloud.lambda")


def install() -> None:
    moto_patch.patch_moto()
    if not api.is_installed():
        installed = LambdaRuntime(settings.current().state_dir)
        api.set_runtime(installed)
        recovered = installed.store.recover()
        if recovered:
            log.info("re-queued %d asynchronous Lambda invocations", len(recovered))
        installed.requeue(recovered)
        from local_cloud.core import server

        server.on_shutdown(installed.stop)
    control_routes.register()
