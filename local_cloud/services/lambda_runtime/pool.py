"""Warm workers per function version, their code on disk, and the concurrency they may use."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
import zipfile
from collections import defaultdict, deque
from io import BytesIO
from pathlib import Path
from typing import Any

from local_cloud.services.lambda_runtime.config import FunctionThrottled, RuntimeConfig
from local_cloud.services.lambda_runtime.functions import (
    reserved_concurrency,
    unqualified_arn,
    version_arn,
)
from local_cloud.services.lambda_runtime.workers import Worker


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


def pool_key(fn: Any) -> str:
    """Workers are reused only for the same version, code and configuration (as AWS does)."""
    config = [fn.handler, fn.environment_vars, fn.timeout, fn.memory_size, fn.role,
              fn.code_digest]
    return version_arn(fn) + "#" + hashlib.sha256(
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
        function_arn, key = unqualified_arn(fn), pool_key(fn)
        stale: list[Worker] = []
        with self._lock:
            reserved = reserved_concurrency(fn)
            if reserved is not None and self._busy_by_function[function_arn] >= reserved:
                raise FunctionThrottled("ReservedFunctionConcurrentInvocationLimitExceeded")
            # Configuration or code changed: the old environments of this function go.
            this_version = version_arn(fn)
            for other_key in [k for k in self._idle
                              if k != key and k.split("#")[0] == this_version]:
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
