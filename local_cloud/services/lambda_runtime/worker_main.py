"""One Lambda execution environment: imports a handler once, then runs invocations one at a time.

Started by `local_cloud.services.lambda_runtime` as `python worker_main.py <result-fd>` (by path,
not with -m, so that nothing of the local cloud is importable by the handler). Protocol:
  stdin        one JSON request per line:
               {"request_id", "payload", "deadline_ms", "invoked_function_arn"}
  <result-fd>  first {"type": "ready", "init_ms", "error"},
               then one {"type": "result", ...} per request
  stdout/err   the function's own output (the runtime copies it to a log file and CloudWatch Logs)

Dependencies come from the Python that runs this script, the project venv, which holds what
functions/requirements.txt lists (as a deployment package or layer would on AWS).

The environment (set by the runtime) follows AWS's Python runtime: _HANDLER, LAMBDA_TASK_ROOT,
AWS_LAMBDA_FUNCTION_NAME, ... and the function's credentials and endpoint.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

Handler = Callable[[Any, Any], Any]


class InitError(Exception):
    """An error of the init phase, already shaped as AWS's runtime reports it."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error = {"errorMessage": message, "errorType": error_type,
                      "stackTrace": stack or [], "requestId": ""}


class LambdaContext:
    """The `context` argument, with the attributes AWS's Python runtime provides."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_function_arn: str) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string in AWS's runtime too (it is read from the environment there as well).
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _stack(error: BaseException) -> list[str]:
    return traceback.format_list(traceback.extract_tb(error.__traceback__))


def load_handler(spec: str) -> Handler:
    """Import `module.function` as AWS's runtime does, with its error types."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise InitError("Runtime.MalformedHandlerName",
                        f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise InitError("Runtime.ImportModuleError",
                        f"Unable to import module '{module_name}': {error}") from error
    except SyntaxError as error:
        raise InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module "
                        f"'{module_name}': {error}", _stack(error)) from error
    except Exception as error:
        raise InitError(type(error).__name__, str(error), _stack(error)) from error
    handler = getattr(module, function_name, None)
    if handler is None:
        raise InitError("Runtime.HandlerNotFound",
                        f"Handler '{function_name}' missing on module '{module_name}'")
    return handler


def run_one(handler: Handler, request: dict[str, Any]) -> dict[str, Any]:
    request_id = request["request_id"]
    context = LambdaContext(request_id, request["deadline_ms"], request["invoked_function_arn"])
    started = time.perf_counter()
    try:
        result = handler(request["payload"], context)
        body: dict[str, Any] = {"ok": True, "payload": json.loads(json.dumps(result))}
    except TypeError as error:
        if "JSON serializable" in str(error):
            body = {"ok": False, "error": {
                "errorMessage": f"Unable to marshal response: {error}",
                "errorType": "Runtime.MarshalError", "stackTrace": [], "requestId": request_id}}
        else:
            body = _unhandled(error, request_id)
    except Exception as error:  # noqa: BLE001 - an unhandled error is the invocation's result
        body = _unhandled(error, request_id)
    body.update(type="result", duration_ms=(time.perf_counter() - started) * 1000)
    return body


def _unhandled(error: BaseException, request_id: str) -> dict[str, Any]:
    # Printed as AWS does, so the log file shows why an invocation failed.
    print(f"[ERROR] {type(error).__name__}: {error}\nTraceback (most recent call last):\n"
          + "".join(_stack(error)), file=sys.stdout, flush=True)
    return {"ok": False, "error": {"errorMessage": str(error), "errorType": type(error).__name__,
                                   "stackTrace": _stack(error), "requestId": request_id}}


def _send(results: TextIO, message: dict[str, Any]) -> None:
    results.write(json.dumps(message) + "\n")
    results.flush()


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _configure_logging() -> _RequestIdFilter:
    # AWS's runtime puts a handler on the root logger with this format (level left at WARNING).
    request_ids = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)
    return request_ids


def main() -> None:
    results = os.fdopen(int(sys.argv[1]), "w")
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    # The code directory comes first, as /var/task does on AWS; the script's own directory goes.
    sys.path[0] = task_root
    os.chdir(task_root)
    request_ids = _configure_logging()
    version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")

    started = time.perf_counter()
    handler: Handler | None = None
    init_error: dict[str, Any] | None = None
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except InitError as error:
        init_error = error.error
        print(f"[ERROR] {init_error['errorType']}: {init_error['errorMessage']}", flush=True)
    init_ms = (time.perf_counter() - started) * 1000
    _send(results, {"type": "ready", "init_ms": init_ms, "error": init_error})

    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["request_id"]
        request_ids.request_id = request_id
        print(f"START RequestId: {request_id} Version: {version}", flush=True)
        if handler is None:
            assert init_error is not None
            outcome: dict[str, Any] = {"type": "result", "ok": False, "duration_ms": 0.0,
                       "error": {**init_error, "requestId": request_id}}
        else:
            outcome = run_one(handler, request)
        sys.stdout.flush()
        sys.stderr.flush()
        duration = float(outcome["duration_ms"])
        print(f"END RequestId: {request_id}", flush=True)
        print(f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
              f"Billed Duration: {int(duration) + 1} ms\t"
              f"Memory Size: {os.environ.get('AWS_LAMBDA_FUNCTION_MEMORY_SIZE')} MB", flush=True)
        _send(results, outcome)
        if handler is None:
            return  # AWS starts a fresh environment after a failed init


if __name__ == "__main__":
    main()
