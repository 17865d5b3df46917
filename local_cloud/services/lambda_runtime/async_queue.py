"""The durable queue of asynchronous invocations: one record per event under the state dir."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from local_cloud.services.lambda_runtime.results import error_shape

log = logging.getLogger("local_cloud.lambda")


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
                invocation.last_error = error_shape(
                    "Runtime.ExitError", "RequestId: " + invocation.request_id +
                    " Error: the local cloud stopped during the invocation",
                    invocation.request_id)
                self.save(invocation)
            found.append(invocation)
        return sorted(found, key=lambda inv: inv.enqueued_at)
