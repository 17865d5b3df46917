"""The local cloud's control plane: knobs that tests, the demo and benchmarks turn.

Each extension registers handlers with `register(area, action, handler)`; the
server answers `POST /_local/<area>/<action>` with a JSON body by calling
`handler(**body)` and returning its JSON-serialisable result. These routes are
ours, not AWS's, so they live under a prefix that no AWS API uses.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any

PREFIX = "/_local/"

Handler = Callable[..., Any]
_handlers: dict[tuple[str, str], Handler] = {}


def register(area: str, action: str, handler: Handler) -> None:
    _handlers[(area, action)] = handler


def registered() -> list[str]:
    return sorted(f"{area}/{action}" for area, action in _handlers)


class ControlPlaneMiddleware:
    """WSGI middleware: answers /_local/* itself and passes everything else to moto."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        status, payload = self._dispatch(path[len(PREFIX):], environ)
        body = json.dumps(payload, default=str).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _dispatch(route: str, environ: dict[str, Any]) -> tuple[str, Any]:
        area, _, action = route.strip("/").partition("/")
        handler = _handlers.get((area, action))
        if handler is None:
            return "404 Not Found", {"error": f"no control route {route!r}",
                                     "routes": registered()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
            return "200 OK", {"result": handler(**body)}
        except Exception as error:  # noqa: BLE001 - reported to the caller, not swallowed
            return "400 Bad Request", {"error": f"{type(error).__name__}: {error}",
                                       "trace": traceback.format_exc()}
