"""The runtime this server process installed, and the calls other extensions make on it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local_cloud.services.lambda_runtime.results import InvocationResult

if TYPE_CHECKING:
    # Only for annotations: the runtime's modules import this one (function destinations).
    from local_cloud.services.lambda_runtime.invoker import LambdaRuntime

_runtime: LambdaRuntime | None = None


def runtime() -> LambdaRuntime:
    if _runtime is None:
        raise RuntimeError(
            "the Lambda runtime is not installed (local_cloud.services.lambda_runtime)")
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


def set_runtime(installed: LambdaRuntime) -> None:
    """Called once by `install()`; every later call goes to this runtime."""
    global _runtime
    _runtime = installed


def is_installed() -> bool:
    return _runtime is not None
