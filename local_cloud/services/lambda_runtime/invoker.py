"""LambdaRuntime: runs invocations on workers, at once or from the durable async queue.

An asynchronous event is retried per the function's EventInvokeConfig; after the last failure
(or when too old) it goes to the dead-letter target and/or the OnFailure destination.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from local_cloud.services.lambda_runtime.async_queue import AsyncInvocation, AsyncQueueStore
from local_cloud.services.lambda_runtime.config import (
    DEFAULT_MAX_EVENT_AGE_S,
    DEFAULT_MAX_RETRY_ATTEMPTS,
    FunctionNotFound,
    FunctionThrottled,
    RuntimeConfig,
)
from local_cloud.services.lambda_runtime.destinations import (
    dead_letter_attributes,
    deliver_to_destination,
    invocation_record,
    send_to_dead_letter,
)
from local_cloud.services.lambda_runtime.functions import (
    event_invoke_config,
    resolve_function,
    unqualified_arn,
)
from local_cloud.services.lambda_runtime.pool import CodeCache, WorkerPool
from local_cloud.services.lambda_runtime.results import InvocationResult, error_shape
from local_cloud.services.lambda_runtime.stats import StatsBook
from local_cloud.services.lambda_runtime.workers import Worker, WorkerOutcome

log = logging.getLogger("local_cloud.lambda")


class LambdaRuntime:
    def __init__(self, state_dir: Path, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        root = state_dir / "lambda"
        self.pool = WorkerPool(self.config, CodeCache(root / "code"), root / "logs")
        self.store = AsyncQueueStore(root / "async-queue")
        self.stats = StatsBook()
        self.started_at = time.time()
        self._cond = threading.Condition()
        self._due: list[tuple[float, int, AsyncInvocation]] = []
        self._sequence = itertools.count()
        self._running = 0
        self._stopping = False
        self._executor = ThreadPoolExecutor(max_workers=96, thread_name_prefix="lambda-async")
        self._dispatcher = threading.Thread(target=self._dispatch_forever, daemon=True,
                                            name="lambda-async-dispatcher")
        self._dispatcher.start()

    # -- running one invocation

    def run(self, fn: Any, payload: Any, invoked_arn: str,
            request_id: str | None = None) -> InvocationResult:
        """Run once on a worker; FunctionThrottled if the function has no concurrency left."""
        request_id = request_id or str(uuid.uuid4())
        function_arn = unqualified_arn(fn)
        try:
            worker = self.pool.acquire(fn)
        except FunctionThrottled:
            self.stats.update(function_arn, throttles=1)
            raise
        return self._run_on(worker, fn, payload, invoked_arn, request_id)

    def _run_on(self, worker: Worker, fn: Any, payload: Any, invoked_arn: str,
                request_id: str) -> InvocationResult:
        cold = worker.invocations == 0
        outcome = WorkerOutcome(False, None, 0.0, False)
        try:
            outcome = worker.invoke(request_id, payload, invoked_arn)
        finally:
            self.pool.release(worker, outcome.reusable)
        result = InvocationResult(
            request_id=request_id, executed_version=str(fn.version), payload=outcome.payload,
            function_error=None if outcome.ok else "Unhandled", cold_start=cold,
            init_ms=worker.init_ms if cold else None, duration_ms=outcome.duration_ms)
        self.stats.record(unqualified_arn(fn), result)
        return result

    def invoke_sync(self, function_arn: str, payload: Any) -> InvocationResult:
        fn = resolve_function(function_arn)
        return self.run(fn, payload, function_arn)

    # -- asynchronous invocation

    def invoke_async(self, function_arn: str, payload: Any) -> str:
        fn = resolve_function(function_arn)  # unknown functions are refused at once, as on AWS
        invocation = AsyncInvocation(request_id=str(uuid.uuid4()), function_arn=function_arn,
                                     payload=payload, enqueued_at=time.time())
        self.store.save(invocation)
        self.stats.update(unqualified_arn(fn), async_queued=1)
        self._schedule(invocation, 0.0)
        return invocation.request_id

    def requeue(self, invocations: list[AsyncInvocation]) -> None:
        for invocation in invocations:
            delay = self._retry_delay(invocation.attempts) if invocation.attempts else 0.0
            self._schedule(invocation, delay)

    def _retry_delay(self, attempts: int) -> float:
        delays = self.config.retry_delays_s or [0.0]
        return float(delays[min(max(attempts, 1), len(delays)) - 1])

    def _schedule(self, invocation: AsyncInvocation, delay_s: float) -> None:
        with self._cond:
            heapq.heappush(self._due, (time.monotonic() + delay_s, next(self._sequence),
                                       invocation))
            self._cond.notify_all()

    def _dispatch_forever(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._due or
                                              self._due[0][0] > time.monotonic()):
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._cond.wait(timeout)
                if self._stopping:
                    return
                _, _, invocation = heapq.heappop(self._due)
                self._running += 1
            self._executor.submit(self._attempt_and_settle, invocation)

    def _attempt_and_settle(self, invocation: AsyncInvocation) -> None:
        try:
            self._attempt(invocation)
        except Exception:
            log.exception("async invocation %s failed in the runtime", invocation.request_id)
            self._schedule(invocation, self.config.throttle_retry_delay_s)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()

    def _attempt(self, invocation: AsyncInvocation) -> None:
        try:
            fn = resolve_function(invocation.function_arn)
        except FunctionNotFound:
            self._function_missing(invocation)
            return
        function_arn = unqualified_arn(fn)
        config = event_invoke_config(fn)
        max_retries = int(config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS))
        max_age = float(config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_S))
        if time.time() - invocation.enqueued_at > max_age:
            self._give_up(invocation, fn, "EventAgeExceeded")
            return
        if invocation.attempts > max_retries:  # e.g. interrupted by a restart on the last try
            self._give_up(invocation, fn, "RetriesExhausted")
            return
        try:
            worker = self.pool.acquire(fn)
        except FunctionThrottled:
            # AWS returns throttled events to its queue without counting an attempt.
            self.stats.update(function_arn, throttles=1)
            self._schedule(invocation, self.config.throttle_retry_delay_s)
            return
        invocation.attempts += 1
        invocation.in_flight = True
        self.store.save(invocation)
        if invocation.attempts > 1:
            self.stats.update(function_arn, async_retries=1)
        result = self._run_on(worker, fn, invocation.payload, invocation.function_arn,
                              invocation.request_id)
        invocation.in_flight = False
        if result.ok:
            self.store.remove(invocation.request_id)
            self.stats.update(function_arn, async_succeeded=1)
            on_success = config.get("DestinationConfig", {}).get("OnSuccess", {})
            if on_success.get("Destination"):
                self._deliver(on_success["Destination"], function_arn, invocation_record(
                    invocation, fn, "Success", result.payload, None), success=True,
                    role_arn=fn.role)
            return
        invocation.last_error = result.payload
        if invocation.attempts > max_retries:
            self._give_up(invocation, fn, "RetriesExhausted")
            return
        delay = self._retry_delay(invocation.attempts)
        if time.time() + delay - invocation.enqueued_at > max_age:
            self._give_up(invocation, fn, "EventAgeExceeded")
            return
        self.store.save(invocation)
        self._schedule(invocation, delay)

    def _function_missing(self, invocation: AsyncInvocation) -> None:
        # After a restart the function may not be deployed yet: wait a while for it.
        if invocation.recovered and time.time() - self.started_at < self.config.recovery_grace_s:
            self._schedule(invocation, self.config.throttle_retry_delay_s)
            return
        log.warning("async invocation %s dropped: %s no longer exists",
                    invocation.request_id, invocation.function_arn)
        self.store.remove(invocation.request_id)

    def _give_up(self, invocation: AsyncInvocation, fn: Any, condition: str) -> None:
        """After the last failure: the dead-letter queue and/or the OnFailure destination."""
        function_arn = unqualified_arn(fn)
        self.stats.update(function_arn, async_failed=1)
        error = invocation.last_error or error_shape(
            "TooManyRequestsException", "Rate Exceeded.", invocation.request_id)
        ran = invocation.attempts > 0
        dead_letter = (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn")
        if dead_letter:
            attributes = dead_letter_attributes(invocation, error, ran)
            try:
                send_to_dead_letter(dead_letter, json.dumps(invocation.payload), attributes)
                self.stats.update(function_arn, dead_lettered=1)
            except Exception:
                log.exception("dead-letter delivery to %s failed", dead_letter)
        on_failure = event_invoke_config(fn).get("DestinationConfig", {}).get("OnFailure", {})
        if on_failure.get("Destination"):
            record = invocation_record(invocation, fn, condition, error if ran else None,
                                       "Unhandled" if ran else None, 200 if ran else 429)
            self._deliver(on_failure["Destination"], function_arn, record, success=False,
                          role_arn=fn.role)
        self.store.remove(invocation.request_id)

    def _deliver(self, destination: str, function_arn: str, record: dict[str, Any],
                 success: bool, role_arn: str | None = None) -> None:
        try:
            deliver_to_destination(destination, record, success, function_arn,
                                   role_arn=role_arn)
            self.stats.update(function_arn, destination_deliveries=1)
        except Exception:
            log.exception("destination delivery to %s failed", destination)

    # -- control

    def pending(self) -> int:
        with self._cond:
            return len(self._due) + self._running

    def wait_idle(self, timeout_s: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._due or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            pending = len(self._due) + self._running
        return {"idle": pending == 0, "pending": pending}

    def clear_queue(self) -> None:
        with self._cond:
            for _, _, invocation in self._due:
                self.store.remove(invocation.request_id)
            self._due.clear()
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop dispatching and end every worker; queued records stay on disk for the next start."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.pool.stop_all()
        self._executor.shutdown(wait=False, cancel_futures=True)
