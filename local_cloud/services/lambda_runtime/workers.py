"""One execution environment: a `worker_main.py` process, its protocol pipe and its logs."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local_cloud.core import settings
from local_cloud.services.lambda_runtime.functions import assume_execution_role, unqualified_arn
from local_cloud.services.lambda_runtime.results import error_shape

log = logging.getLogger("local_cloud.lambda")

# The worker is run by path, not imported (see its docstring).
WORKER_SCRIPT = Path(__file__).parent / "worker_main.py"
# AWS gives the init phase 10 s of its own, outside the function's timeout.
INIT_TIMEOUT_S = 10.0
# Variables of the server's environment a worker keeps; everything AWS_* is set afresh.
INHERITED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "LD_LIBRARY_PATH")


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
        self.role_arn = str(fn.role or "")
        self.function_name = fn.function_name
        self._cloudwatch_ready = False
        self._cloudwatch_denied: str | None = None

    def write(self, line: str) -> None:
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line if line.endswith("\n") else line + "\n")
        self._to_cloudwatch(line.rstrip("\n"))

    def _to_cloudwatch(self, message: str) -> None:
        from moto.logs.models import logs_backends

        if self._cloudwatch_denied is not None:
            return
        try:
            backend = logs_backends[self.account][self.region]
            if not self._cloudwatch_ready:
                self._cloudwatch_denied = self._role_refuses_logs(self.group in backend.groups)
                if self._cloudwatch_denied is not None:
                    # As on AWS: the function runs, its logs never reach CloudWatch Logs.
                    log.warning("logs of %s stay out of CloudWatch Logs: %s",
                                self.function_name, self._cloudwatch_denied)
                    return
                if self.group not in backend.groups:
                    backend.create_log_group(self.group, tags={})
                if self.stream not in backend.groups[self.group].streams:
                    backend.create_log_stream(self.group, self.stream)
                self._cloudwatch_ready = True
            backend.put_log_events(self.group, self.stream, [
                {"timestamp": int(time.time() * 1000), "message": message}])
        except Exception:
            log.debug("could not copy a log line to CloudWatch Logs", exc_info=True)


    def _role_refuses_logs(self, group_exists: bool) -> str | None:
        """Lambda writes a function's logs with its execution role (local_cloud.iam)."""
        if not self.role_arn:
            return None
        from local_cloud.iam.enforcement import authorize
        from local_cloud.iam.evaluator import Request
        from local_cloud.iam.operations import Check

        prefix = f"arn:aws:logs:{self.region}:{self.account}:log-group:{self.group}"
        stream = f"{prefix}:log-stream:{self.stream}"
        checks = [Check(Request("logs:CreateLogStream", stream)),
                  Check(Request("logs:PutLogEvents", stream))]
        if not group_exists:
            checks.insert(0, Check(Request("logs:CreateLogGroup", prefix)))
        return authorize(self.role_arn, checks, session_name=self.function_name,
                         via=f"lambda logs of {self.function_name}")


class Worker:
    """The server's handle on one execution environment (a `worker_main.py` process)."""

    def __init__(self, fn: Any, pool_key: str, code_dir: Path, log_dir: Path) -> None:
        self.pool_key = pool_key
        self.function_arn = unqualified_arn(fn)
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
            self.init_error = error_shape("Runtime.ExitError", "Runtime failed to start", "")
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
            **assume_execution_role(fn, fn.function_name),
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
            return WorkerOutcome(False, error_shape(
                "Sandbox.Timedout", f"RequestId: {request_id} Error: {text}", request_id),
                elapsed_ms, reusable=False)
        if message["ok"]:
            return WorkerOutcome(True, message["payload"], message["duration_ms"], True)
        return WorkerOutcome(False, message["error"], message["duration_ms"],
                             reusable=self.init_error is None)

    def _exited(self, request_id: str, started: float) -> WorkerOutcome:
        code = self.process.wait(timeout=5)
        text = f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
        return WorkerOutcome(False, error_shape("Runtime.ExitError", text, request_id),
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
