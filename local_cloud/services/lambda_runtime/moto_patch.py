"""What `install()` changes in moto's Lambda: Invoke runs here, DeadLetterConfig, async config."""

from __future__ import annotations

import json
from typing import Any

from local_cloud.services.lambda_runtime.api import runtime
from local_cloud.services.lambda_runtime.config import FunctionThrottled


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


def patch_moto() -> None:
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
