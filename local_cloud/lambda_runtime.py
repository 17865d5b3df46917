"""Run the real handler code of Lambda functions, as AWS's Python runtime would.

moto keeps functions (code zip, configuration) but can only run them in Docker, which this
machine lacks. `install()` makes moto's Invoke (and the event sources that call
`LambdaFunction.invoke`) run the handler here instead:

- each concurrent invocation of a function version gets a worker process (`lambda_worker.py`),
  kept warm and reused like an execution environment; the module is imported once (cold start);
- the function's Timeout kills the worker (`Sandbox.Timedout`); ReservedConcurrentExecutions
  and a global cap on workers throttle (`TooManyRequestsException`);
- asynchronous invocations are queued durably under the state directory, retried per
  EventInvokeConfig, then sent to the dead-letter queue and/or the OnFailure destination.

Other extensions call `invoke_async(function_arn, payload)` / `invoke_sync(...)` in process.
Control routes (area `lambda`): configure, stats, reset, wait_idle.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import itertools
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from local_cloud import control, settings

log = logging.getLogger("local_cloud.lambda")

WORKER_SCRIPT = Path(__file__).with_name("lambda_worker.py")
# AWS gives the init phase 10 s of its own, outside the function's timeout.
INIT_TIMEOUT_S = 10.0
# AWS's defaults for asynchronous invocation (EventInvokeConfig).
DEFAULT_MAX_RETRY_ATTEMPTS = 2
DEFAULT_MAX_EVENT_AGE_S = 21600
# Variables of the server's environment a worker keeps; everything AWS_* is set afresh.
INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "LD_LIBRARY_PATH")


# ---------------------------------------------------------------- configuration and errors

@dataclass
class RuntimeConfig:
    """Knobs of `POST /_local/lambda/configure`. AWS waits ~1 min, then ~2 min between retries."""

    retry_delays_s: list[float] = field(default_factory=lambda: [1.0, 2.0])
    # AWS gives an account 1000 concurrent executions; an import follows its copy for its whole
    # duration, so 50 parallel copies need well over 50 environments here too.
    max_workers: int = 96
    throttle_retry_delay_s: float = 1.0
    # After a restart, how long a re-queued event waits for its function to be deployed again.
    recovery_grace_s: float = 600.0
    # AWS reclaims idle execution environments after some minutes; so do we (frees memory).
    idle_timeout_s: float = 300.0


class FunctionNotFound(LookupError):
    """No function (or version/alias) with this ARN exists in the local cloud."""


class FunctionThrottled(RuntimeError):
    """No concurrency left for the function; the caller may retry later, as with AWS's 429."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Rate Exceeded. ({reason})")
        self.reason = reason


@dataclass
class InvocationResult:
    request_id: str
    executed_version: str
    payload: Any = None
    # AWS's X-Amz-Function-Error: "Unhandled" when the payload is an error shape.
    function_error: str | None = None
    cold_start: bool = False
    init_ms: float | None = None
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.function_error is None

    @property
    def error_type(self) -> str | None:
        return self.payload.get("errorType") if not self.ok else None

    def payload_bytes(self) -> bytes:
        return json.dumps(self.payload).encode()


def _error_shape(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": [],
            "requestId": request_id}


# ---------------------------------------------------------------- functions in moto

@dataclass(frozen=True)
class FunctionAddress:
    region: str
    account: str
    name: str
    qualifier: str | None

    @classmethod
    def parse(cls, function_arn: str) -> FunctionAddress:
        parts = function_arn.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise FunctionNotFound(f"not a Lambda function ARN: {function_arn!r}")
        return cls(region=parts[3], account=parts[4], name=parts[6],
                   qualifier=parts[7] if len(parts) == 8 else None)

    @property
    def unqualified_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


def resolve_function(function_arn: str) -> Any:
    """The moto LambdaFunction for an ARN, qualified by $LATEST, a version or an alias."""
    from moto.awslambda.models import lambda_backends
    from moto.core.exceptions import JsonRESTError

    address = FunctionAddress.parse(function_arn)
    backend = lambda_backends[address.account][address.region]
    try:
        return backend.get_function(address.name, address.qualifier)
    except (JsonRESTError, KeyError) as error:
        raise FunctionNotFound(f"Function not found: {function_arn}") from error


def _unqualified_arn(fn: Any) -> str:
    return f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"


def _version_arn(fn: Any) -> str:
    return f"{_unqualified_arn(fn)}:{fn.version}"


def _event_invoke_config(fn: Any) -> dict[str, Any]:
    """The function's EventInvokeConfig (moto keeps it on the $LATEST object)."""
    configs = getattr(fn, "event_invoke_config", None)
    if not configs:
        with contextlib.suppress(FunctionNotFound):
            configs = resolve_function(_unqualified_arn(fn)).event_invoke_config
    return dict(configs[-1].config) if configs else {}


def _reserved_concurrency(fn: Any) -> int | None:
    value = fn.reserved_concurrency
    return None if value is None or value == "" else int(value)


def _assume_execution_role(fn: Any, session_name: str) -> dict[str, str]:
    """Credentials of the function's role, from moto's STS in process: they act as its account."""
    from moto.sts.models import sts_backends

    role_account = fn.role.split(":")[4]
    role = sts_backends[role_account]["aws"].assume_role(
        region_name=fn.region, role_session_name=session_name, role_arn=fn.role,
        policy="", duration=43200, external_id="")
    return {"AWS_ACCESS_KEY_ID": role.access_key_id,
            "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token}


# ---------------------------------------------------------------- statistics

@dataclass
class FunctionStats:
    invocations: int = 0
    cold_starts: int = 0
    init_durations_ms: list[float] = field(default_factory=list)
    durations_ms: list[float] = field(default_factory=list)
    errors: int = 0
    timeouts: int = 0
    throttles: int = 0
    async_queued: int = 0
    async_succeeded: int = 0
    async_retries: int = 0
    async_failed: int = 0
    dead_lettered: int = 0
    destination_deliveries: int = 0

    KEEP = 100  # the last durations are enough to see cold and warm starts

    def record(self, result: InvocationResult) -> None:
        self.invocations += 1
        if result.cold_start:
            self.cold_starts += 1
            if result.init_ms is not None:
                self.init_durations_ms = [*self.init_durations_ms, result.init_ms][-self.KEEP:]
        self.durations_ms = [*self.durations_ms, result.duration_ms][-self.KEEP:]
        if not result.ok:
            self.errors += 1
            if result.error_type == "Sandbox.Timedout":
                self.timeouts += 1


class StatsBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_function: dict[str, FunctionStats] = defaultdict(FunctionStats)

    def update(self, function_arn: str, **increments: int) -> None:
        with self._lock:
            stats = self._by_function[function_arn]
            for name, amount in increments.items():
                setattr(stats, name, getattr(stats, name) + amount)

    def record(self, function_arn: str, result: InvocationResult) -> None:
        with self._lock:
            self._by_function[function_arn].record(result)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {arn: asdict(stats) for arn, stats in self._by_function.items()}

    def clear(self) -> None:
        with self._lock:
            self._by_function.clear()


# ---------------------------------------------------------------- workers

@dataclass
class WorkerOutcome:
    ok: bool
    payload: Any
    duration_ms: float
    reusable: bool


class _LineReader:
    """Reads newline-terminated JSON messages from a pipe, with a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def read(self, deadline: float) -> dict[str, Any] | None:
        """The next message; None when the deadline passes; EOFError when the pipe closed."""
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message


class FunctionLog:
    """Where a function's output goes: a file under the state dir and CloudWatch Logs."""

    def __init__(self, fn: Any, log_dir: Path, stream_name: str) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        self.path = log_dir / f"{fn.account_id}-{fn.function_name}.log"
        self.account, self.region = fn.account_id, fn.region
        self.group = f"/aws/lambda/{fn.function_name}"
        self.stream = stream_name
        self._cloudwatch_ready = False

    def write(self, line: str) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line if line.endswith("\n") else line + "\n")
        self._to_cloudwatch(line.rstrip("\n"))

    def _to_cloudwatch(self, message: str) -> None:
        from moto.logs.models import logs_backends

        try:
            backend = logs_backends[self.account][self.region]
            if not self._cloudwatch_ready:
                if self.group not in backend.groups:
                    backend.create_log_group(self.group, tags={})
                if self.stream not in backend.groups[self.group].streams:
                    backend.create_log_stream(self.group, self.stream)
                self._cloudwatch_ready = True
            backend.put_log_events(self.group, self.stream, [
                {"timestamp": int(time.time() * 1000), "message": message}])
        except Exception:
            log.debug("could not copy a log line to CloudWatch Logs", exc_info=True)


class Worker:
    """The server's handle on one execution environment (a `lambda_worker.py` process)."""

    def __init__(self, fn: Any, pool_key: str, code_dir: Path, log_dir: Path) -> None:
        self.pool_key = pool_key
        self.function_arn = _unqualified_arn(fn)
        self.version = str(fn.version)
        self.timeout_s = float(fn.timeout)
        self.invocations = 0
        self.last_used = time.monotonic()
        self.init_ms: float | None = None
        stream = (f"{datetime.now(UTC):%Y/%m/%d}/[{fn.version}]{uuid.uuid4().hex}")
        self.log = FunctionLog(fn, log_dir, stream)
        env = self._environment(fn, code_dir, stream)
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT), str(write_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(write_fd,), env=env,
            cwd=code_dir,
            # Same process group as the server: stopping the local cloud ends every worker.
            start_new_session=False)
        os.close(write_fd)
        self._results = _LineReader(read_fd)
        self._read_fd = read_fd
        threading.Thread(target=self._pump_output, daemon=True,
                         name=f"lambda-log-{fn.function_name}").start()
        self.init_error: dict[str, Any] | None = None
        ready = None
        with contextlib.suppress(EOFError):
            ready = self._results.read(time.monotonic() + max(INIT_TIMEOUT_S, self.timeout_s))
        if ready is None:
            self.kill()
            self.init_error = _error_shape("Runtime.ExitError", "Runtime failed to start", "")
        else:
            self.init_ms = ready["init_ms"]
            self.init_error = ready["error"]

    @staticmethod
    def _environment(fn: Any, code_dir: Path, stream: str) -> dict[str, str]:
        env = {key: os.environ[key] for key in INHERITED_VARIABLES if key in os.environ}
        env.update({key: str(value) for key, value in (fn.environment_vars or {}).items()})
        # Reserved variables win over the function's own, as on AWS. AWS_PROFILE and
        # AWS_CONFIG_FILE are never passed: the handler must act as its role, not as a profile.
        env.update({
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time or 'python3.12'}",
            "AWS_ENDPOINT_URL": settings.current().endpoint,
            "LAMBDA_TASK_ROOT": str(code_dir),
            "LAMBDA_RUNTIME_DIR": str(WORKER_SCRIPT.parent),
            "_HANDLER": fn.handler or "",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            **_assume_execution_role(fn, fn.function_name),
        })
        return env

    def _pump_output(self) -> None:
        stdout = self.process.stdout
        if stdout is None:
            return
        with stdout:
            for raw in iter(stdout.readline, b""):
                self.log.write(raw.decode("utf-8", "replace"))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def invoke(self, request_id: str, payload: Any, invoked_arn: str) -> WorkerOutcome:
        if self.init_error is not None and not self.alive:
            return WorkerOutcome(False, {**self.init_error, "requestId": request_id}, 0.0, False)
        started = time.monotonic()
        deadline = started + self.timeout_s
        request = {"request_id": request_id, "payload": payload,
                   "deadline_ms": int((time.time() + self.timeout_s) * 1000),
                   "invoked_function_arn": invoked_arn}
        self.invocations += 1
        try:
            assert self.process.stdin is not None
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
            message = self._results.read(deadline)
        except (BrokenPipeError, EOFError):
            return self._exited(request_id, started)
        elapsed_ms = (time.monotonic() - started) * 1000
        if message is None:
            self.kill()
            text = f"Task timed out after {self.timeout_s:.2f} seconds"
            self.log.write(f"{datetime.now(UTC).isoformat()} {request_id} {text}")
            return WorkerOutcome(False, _error_shape(
                "Sandbox.Timedout", f"RequestId: {request_id} Error: {text}", request_id),
                elapsed_ms, reusable=False)
        if message["ok"]:
            return WorkerOutcome(True, message["payload"], message["duration_ms"], True)
        return WorkerOutcome(False, message["error"], message["duration_ms"],
                             reusable=self.init_error is None)

    def _exited(self, request_id: str, started: float) -> WorkerOutcome:
        code = self.process.wait(timeout=5)
        text = f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
        return WorkerOutcome(False, _error_shape("Runtime.ExitError", text, request_id),
                             (time.monotonic() - started) * 1000, reusable=False)

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self._read_fd)


class CodeCache:
    """Function zips extracted once per code digest under state_dir/lambda/code."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()

    def directory_for(self, fn: Any) -> Path:
        digest = fn.code_digest or hashlib.sha256(fn.code_bytes).hexdigest()
        target = self.root / digest[:24]
        with self._lock:
            if not target.exists():
                staging = self.root / f".{digest[:24]}.{uuid.uuid4().hex}"
                staging.mkdir(parents=True)
                with zipfile.ZipFile(BytesIO(fn.code_bytes)) as archive:
                    archive.extractall(staging)
                staging.rename(target)
        return target


def _pool_key(fn: Any) -> str:
    """Workers are reused only for the same version, code and configuration (as AWS does)."""
    config = [fn.handler, fn.environment_vars, fn.timeout, fn.memory_size, fn.role,
              fn.code_digest]
    return _version_arn(fn) + "#" + hashlib.sha256(
        json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


class WorkerPool:
    """Warm workers per version, and the concurrency they may use."""

    def __init__(self, config: RuntimeConfig, code: CodeCache, log_dir: Path) -> None:
        self.config = config
        self.code = code
        self.log_dir = log_dir
        self._lock = threading.Lock()
        self._idle: dict[str, deque[Worker]] = defaultdict(deque)
        self._busy_by_function: dict[str, int] = defaultdict(int)
        self._busy: set[Worker] = set()
        self._starting = 0

    def _worker_count(self) -> int:
        return sum(len(idle) for idle in self._idle.values()) + len(self._busy) + self._starting

    def acquire(self, fn: Any) -> Worker:
        """A warm worker, or a newly started one (cold); FunctionThrottled when none is allowed."""
        function_arn, key = _unqualified_arn(fn), _pool_key(fn)
        stale: list[Worker] = []
        with self._lock:
            reserved = _reserved_concurrency(fn)
            if reserved is not None and self._busy_by_function[function_arn] >= reserved:
                raise FunctionThrottled("ReservedFunctionConcurrentInvocationLimitExceeded")
            # Configuration or code changed: the old environments of this function go.
            version_arn = _version_arn(fn)
            for other_key in [k for k in self._idle
                              if k != key and k.split("#")[0] == version_arn]:
                stale.extend(self._idle.pop(other_key))
            idle = self._idle.get(key)
            while idle:
                worker = idle.pop()
                if worker.alive:
                    self._busy_by_function[function_arn] += 1
                    self._busy.add(worker)
                    break
                stale.append(worker)
            else:
                worker = None
            if worker is None:
                if self._worker_count() >= self.config.max_workers:
                    evicted = self._evict_one_idle()
                    if evicted is None:
                        raise FunctionThrottled("ConcurrentInvocationLimitExceeded")
                    stale.append(evicted)
                self._starting += 1
                self._busy_by_function[function_arn] += 1
        for old in stale:
            old.kill()
        if worker is not None:
            return worker
        try:
            worker = Worker(fn, key, self.code.directory_for(fn), self.log_dir)
        except BaseException:
            with self._lock:
                self._starting -= 1
                self._busy_by_function[function_arn] -= 1
            raise
        with self._lock:
            self._starting -= 1
            self._busy.add(worker)
        return worker

    def _evict_one_idle(self) -> Worker | None:
        for idle in self._idle.values():
            if idle:
                return idle.popleft()  # the one idle longest
        return None

    def release(self, worker: Worker, reusable: bool) -> None:
        with self._lock:
            self._busy.discard(worker)
            self._busy_by_function[worker.function_arn] -= 1
            expired = self._take_expired_idle()
            if reusable and worker.alive:
                worker.last_used = time.monotonic()
                self._idle[worker.pool_key].append(worker)
            else:
                expired.append(worker)
        for old in expired:
            old.kill()

    def _take_expired_idle(self) -> list[Worker]:
        """Idle workers unused for longer than idle_timeout_s (call with the lock held)."""
        oldest_allowed = time.monotonic() - self.config.idle_timeout_s
        expired = []
        for idle in self._idle.values():
            while idle and idle[0].last_used < oldest_allowed:
                expired.append(idle.popleft())
        return expired

    def stop_all(self) -> None:
        with self._lock:
            workers = [w for idle in self._idle.values() for w in idle] + list(self._busy)
            self._idle.clear()
        for worker in workers:
            worker.kill()

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"idle": sum(len(i) for i in self._idle.values()), "busy": len(self._busy)}


# ---------------------------------------------------------------- the durable async queue

@dataclass
class AsyncInvocation:
    request_id: str
    function_arn: str
    payload: Any
    enqueued_at: float
    attempts: int = 0
    in_flight: bool = False
    last_error: dict[str, Any] | None = None
    # Set when read back after a restart; not persisted.
    recovered: bool = field(default=False, compare=False)


class AsyncQueueStore:
    """One JSON file per queued invocation, rewritten at each step and removed when done.

    AWS's async queue survives failures; so does ours: a restarted local cloud reads these back.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, request_id: str) -> Path:
        return self.directory / f"{request_id}.json"

    def save(self, invocation: AsyncInvocation) -> None:
        record = asdict(invocation)
        record.pop("recovered")
        staging = self.directory / f".{invocation.request_id}.tmp"
        staging.write_text(json.dumps(record))
        os.replace(staging, self._path(invocation.request_id))  # never a half-written record

    def remove(self, request_id: str) -> None:
        self._path(request_id).unlink(missing_ok=True)

    def recover(self) -> list[AsyncInvocation]:
        """Every stored invocation, oldest first; one that was running counts as failed."""
        found = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                record = json.loads(path.read_text())
                invocation = AsyncInvocation(**record)
            except (ValueError, TypeError):
                log.warning("unreadable async invocation record %s: skipped", path)
                continue
            invocation.recovered = True
            if invocation.in_flight:
                invocation.in_flight = False
                invocation.last_error = _error_shape(
                    "Runtime.ExitError", "RequestId: " + invocation.request_id +
                    " Error: the local cloud stopped during the invocation",
                    invocation.request_id)
                self.save(invocation)
            found.append(invocation)
        return sorted(found, key=lambda inv: inv.enqueued_at)


# ---------------------------------------------------------------- destinations

def _send_to_sqs(queue_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = queue_arn.split(":", 5)
    sqs_backends[account][region].send_message(name, body, message_attributes=attributes or {})


def _send_to_sns(topic_arn: str, body: str, attributes: dict[str, Any] | None = None) -> None:
    from moto.sns.models import sns_backends

    region, account = topic_arn.split(":")[3:5]
    sns_attributes = {name: {"Type": value["DataType"], "Value": value["StringValue"]}
                      for name, value in (attributes or {}).items()}
    sns_backends[account][region].publish(body, arn=topic_arn, message_attributes=sns_attributes)


def _send_to_bus(bus_arn: str, detail_type: str, record: dict[str, Any],
                 function_arn: str) -> None:
    from moto.events.models import events_backends

    region, account = bus_arn.split(":")[3:5]
    events_backends[account][region].put_events([{
        "Source": "lambda", "DetailType": detail_type, "Detail": json.dumps(record),
        "Resources": [function_arn], "EventBusName": bus_arn}])


def deliver_to_destination(destination: str, record: dict[str, Any], success: bool,
                           function_arn: str) -> None:
    """An invocation record to an SQS queue, SNS topic, event bus or function (AWS's choices)."""
    service = destination.split(":")[2]
    if service == "sqs":
        _send_to_sqs(destination, json.dumps(record))
    elif service == "sns":
        _send_to_sns(destination, json.dumps(record))
    elif service == "events":
        outcome = "Success" if success else "Failure"
        _send_to_bus(destination, f"Lambda Function Invocation Result - {outcome}", record,
                     function_arn)
    elif service == "lambda":
        invoke_async(destination, record)
    else:
        raise ValueError(f"unsupported destination {destination}")


def invocation_record(invocation: AsyncInvocation, fn: Any, condition: str,
                      response: Any, function_error: str | None,
                      status_code: int = 200) -> dict[str, Any]:
    """The record AWS sends to OnSuccess/OnFailure destinations."""
    response_context: dict[str, Any] = {"statusCode": status_code,
                                        "executedVersion": str(fn.version)}
    if function_error:
        response_context["functionError"] = function_error
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {"requestId": invocation.request_id,
                           "functionArn": _version_arn(fn),
                           "condition": condition,
                           "approximateInvokeCount": invocation.attempts},
        "requestPayload": invocation.payload,
        "responseContext": response_context,
        "responsePayload": response,
    }


# ---------------------------------------------------------------- the runtime

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
        function_arn = _unqualified_arn(fn)
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
        self.stats.record(_unqualified_arn(fn), result)
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
        self.stats.update(_unqualified_arn(fn), async_queued=1)
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
        function_arn = _unqualified_arn(fn)
        config = _event_invoke_config(fn)
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
                    invocation, fn, "Success", result.payload, None), success=True)
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
        function_arn = _unqualified_arn(fn)
        self.stats.update(function_arn, async_failed=1)
        error = invocation.last_error or _error_shape(
            "TooManyRequestsException", "Rate Exceeded.", invocation.request_id)
        ran = invocation.attempts > 0
        dead_letter = (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn")
        if dead_letter:
            attributes = {
                "RequestID": {"DataType": "String", "StringValue": invocation.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200" if ran else "429"},
                "ErrorMessage": {"DataType": "String",
                                 "StringValue": str(error.get("errorMessage", ""))[:1024]},
            }
            try:
                body = json.dumps(invocation.payload)
                if dead_letter.split(":")[2] == "sns":
                    _send_to_sns(dead_letter, body, attributes)
                else:
                    _send_to_sqs(dead_letter, body, attributes)
                self.stats.update(function_arn, dead_lettered=1)
            except Exception:
                log.exception("dead-letter delivery to %s failed", dead_letter)
        on_failure = _event_invoke_config(fn).get("DestinationConfig", {}).get("OnFailure", {})
        if on_failure.get("Destination"):
            record = invocation_record(invocation, fn, condition, error if ran else None,
                                       "Unhandled" if ran else None, 200 if ran else 429)
            self._deliver(on_failure["Destination"], function_arn, record, success=False)
        self.store.remove(invocation.request_id)

    def _deliver(self, destination: str, function_arn: str, record: dict[str, Any],
                 success: bool) -> None:
        try:
            deliver_to_destination(destination, record, success, function_arn)
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


# ---------------------------------------------------------------- the public API

_runtime: LambdaRuntime | None = None


def runtime() -> LambdaRuntime:
    if _runtime is None:
        raise RuntimeError("the Lambda runtime is not installed (local_cloud.lambda_runtime)")
    return _runtime


def invoke_async(function_arn: str, payload: Any) -> str:
    """Queue an asynchronous invocation (as InvocationType=Event); returns its request id.

    Raises FunctionNotFound for an unknown function. Retries, dead-letter queue and
    destinations follow the function's configuration.
    """
    return runtime().invoke_async(function_arn, payload)


def invoke_sync(function_arn: str, payload: Any) -> InvocationResult:
    """Run the function now (as InvocationType=RequestResponse).

    Raises FunctionNotFound, or FunctionThrottled (retry later) when no concurrency is left.
    A handler error is a result with function_error "Unhandled", not an exception.
    """
    return runtime().invoke_sync(function_arn, payload)


# ---------------------------------------------------------------- moto integration

def _throttle_error(reason: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    class TooManyRequestsException(JsonRESTError):
        code = 429

    error = TooManyRequestsException("TooManyRequestsException", "Rate Exceeded.")
    error.description = json.dumps({"__type": "TooManyRequestsException",
                                     "message": "Rate Exceeded.", "Reason": reason})
    return error


def _invalid_content(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("InvalidRequestContentException", message)


def _header(headers: Any, name: str, default: str) -> str:
    if not headers:
        return default
    for key, value in dict(headers).items():
        if key.lower() == name:
            return str(value)
    return default


def _patched_invoke(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """LambdaFunction.invoke: moto's Invoke API and its event sources land here."""
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        raise _invalid_content("Could not parse request body into json") from None
    invocation_type = _header(request_headers, "x-amz-invocation-type", "RequestResponse")
    response_headers["x-amz-executed-version"] = str(fn.version)
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        request_id = runtime().invoke_async(fn.function_arn, payload)
        response_headers["x-amzn-requestid"] = request_id
        return b""
    try:
        result = runtime().run(fn, payload, fn.function_arn)
    except FunctionThrottled as throttled:
        raise _throttle_error(throttled.reason) from None
    response_headers["x-amzn-requestid"] = result.request_id
    if not result.ok:
        response_headers["x-amz-function-error"] = "Unhandled"
    return result.payload_bytes()


def _patch_moto() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, "_local_cloud_patched", False):
        return
    original_init = LambdaFunction.__init__
    original_configuration = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration
    original_from_cloudformation = LambdaFunction.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str,
                 version: str | int = 1) -> None:
        original_init(self, account_id, spec, region, version)
        # moto ignores DeadLetterConfig; async failures need it.
        self.dead_letter_config = spec.get("DeadLetterConfig") or None

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_configuration(self, on_create)
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config
        return config

    def update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            self.dead_letter_config = updates["DeadLetterConfig"] or None
        return original_update(self, updates)

    def create_from_cloudformation_json(cls: Any, resource_name: str,
                                        cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        fn = original_from_cloudformation(cls, resource_name, cloudformation_json, account_id,
                                          region_name, **kwargs)
        dead_letter = cloudformation_json.get("Properties", {}).get("DeadLetterConfig")
        if dead_letter:
            fn.dead_letter_config = dead_letter
        return fn

    LambdaFunction.__init__ = __init__  # type: ignore[method-assign]
    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]
    LambdaFunction.update_configuration = update_configuration  # type: ignore[method-assign, assignment]
    LambdaFunction.create_from_cloudformation_json = classmethod(  # type: ignore[method-assign, assignment]
        create_from_cloudformation_json)
    LambdaFunction.invoke = _patched_invoke  # type: ignore[method-assign, assignment]
    _patch_event_invoke_config()
    LambdaFunction._local_cloud_patched = True  # type: ignore[attr-defined]


def _patch_event_invoke_config() -> None:
    """moto appends on each Put and Get returns the first; AWS replaces on Put, merges on Update."""
    from moto.awslambda.models import EventInvokeConfig, LambdaBackend

    def put_function_event_invoke_config(self: Any, function_name: str,
                                         config: dict[str, Any]) -> dict[str, Any]:
        fn = self.get_function(function_name)
        event_config = EventInvokeConfig(fn.function_arn, fn.last_modified, config)
        fn.event_invoke_config = [event_config]
        return event_config.response()

    def update_function_event_invoke_config(self: Any, function_name: str,
                                            config: dict[str, Any]) -> dict[str, Any]:
        fn = self.get_function(function_name)
        merged = {**(fn.event_invoke_config[-1].config if fn.event_invoke_config else {}),
                  **config}
        return put_function_event_invoke_config(self, function_name, merged)

    LambdaBackend.put_function_event_invoke_config = (  # type: ignore[method-assign]
        put_function_event_invoke_config)
    LambdaBackend.update_function_event_invoke_config = (  # type: ignore[method-assign]
        update_function_event_invoke_config)


# ---------------------------------------------------------------- control routes

def _configure(**changes: Any) -> dict[str, Any]:
    config = runtime().config
    for name, value in changes.items():
        if not hasattr(config, name):
            raise ValueError(f"unknown setting {name!r}; known: {sorted(asdict(config))}")
        setattr(config, name, value)
    return asdict(config)


def _stats(function_name: str | None = None) -> dict[str, Any]:
    by_function = runtime().stats.snapshot()
    if function_name:
        by_function = {arn: s for arn, s in by_function.items()
                       if arn.split(":")[6] == function_name}
    return {"functions": by_function, "workers": runtime().pool.counts(),
            "async_pending": runtime().pending()}


def _reset() -> dict[str, Any]:
    """Forget statistics, queued async work and warm workers; settings back to defaults."""
    current = runtime()
    current.clear_queue()
    current.pool.stop_all()
    current.stats.clear()
    defaults = RuntimeConfig()
    for name, value in asdict(defaults).items():
        setattr(current.config, name, value)
    return {"reset": True}


def _wait_idle(timeout_s: float = 30.0) -> dict[str, Any]:
    return runtime().wait_idle(timeout_s)


def install() -> None:
    global _runtime
    _patch_moto()
    if _runtime is None:
        _runtime = LambdaRuntime(settings.current().state_dir)
        recovered = _runtime.store.recover()
        if recovered:
            log.info("re-queued %d asynchronous Lambda invocations", len(recovered))
        _runtime.requeue(recovered)
        from local_cloud import server

        server.on_shutdown(_runtime.stop)
    control.register("lambda", "configure", _configure)
    control.register("lambda", "stats", _stats)
    control.register("lambda", "reset", _reset)
    control.register("lambda", "wait_idle", _wait_idle)
