"""What one invocation returns, and the error shape AWS's runtime reports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


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


def error_shape(error_type: str, message: str, request_id: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": [],
            "requestId": request_id}
