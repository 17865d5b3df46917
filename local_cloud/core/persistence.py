"""Keep moto's in-memory state across a restart of the local cloud.

moto holds every resource in memory, in one `BackendDict` per service
(`[account][region] -> backend`). On a graceful shutdown (and periodically) the server
pickles every backend in use into `<state_dir>/moto-state.pickle`; at the next start,
before the extensions re-queue their work, it puts them back into the same module-level
dicts, so code that looks backends up by name (`sqs_backends[account][region]`) finds them.

What does not pickle is handled by type, not by service: locks and conditions come back
new and unlocked, threads, executors and generators come back as None (the work they did
cannot survive a process anyway). Step Functions executions lose their interpreter thread,
so those that were RUNNING are marked FAILED (`LocalCloudRestarted`) on restore: AWS would
have kept them running, we make the difference visible instead of leaving them RUNNING.

Not kept: the extensions' own module-level state (our Comprehend configuration and call
counters, the EventBridge statistics): a restarted cloud starts those afresh.
"""

from __future__ import annotations

import _thread
import functools
import importlib
import io
import logging
import os
import pickle
import queue
import threading
import time
import types
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("local_cloud.core.persistence")

STATE_FILE = "moto-state.pickle"
FORMAT = 1
RESTART_ERROR = "LocalCloudRestarted"
RESTART_CAUSE = ("The local cloud restarted during this execution; its interpreter thread "
                 "did not survive. (AWS would have kept the execution running.) Start it again.")

# A backend key: where its BackendDict lives, found again from the backend's class.
BackendKey = tuple[str, str]  # (module of the backend class, class qualname)


# ---------------------------------------------------------------- pickling what moto holds

def _new_lock() -> Any:
    return threading.Lock()


def _new_rlock() -> Any:
    return threading.RLock()


def _new_condition() -> threading.Condition:
    return threading.Condition()


def _new_event(was_set: bool) -> threading.Event:
    event = threading.Event()
    if was_set:
        event.set()
    return event


def _nothing() -> None:
    return None


def _portable_factory(factory: Callable[[], Any]) -> Callable[[], Any]:
    """A picklable stand-in for a lambda that makes an empty builtin (`lambda: {}`)."""
    sample = factory()
    kind = type(sample)
    if kind in (dict, list, set, int, float, str, tuple) and sample == kind():
        return kind
    if kind is defaultdict and not sample and sample.default_factory is not None:
        inner = sample.default_factory
        if "<" in getattr(inner, "__qualname__", ""):
            inner = _portable_factory(inner)
        return functools.partial(defaultdict, inner)  # `lambda: defaultdict(dict)`
    raise TypeError(f"cannot pickle the default factory {factory.__qualname__}")


def _private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_private_key(der, password=None)


def _public_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_public_key(der)


def _reduce_crypto_key(key: Any) -> Any:
    """cryptography's keys (moto KMS holds them) are Rust objects: carry them as DER."""
    from cryptography.hazmat.primitives import serialization

    if hasattr(key, "private_bytes"):
        return _private_key, (key.private_bytes(serialization.Encoding.DER,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()),)
    if hasattr(key, "public_bytes"):
        return _public_key, (key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),)
    return NotImplemented


def _new_defaultdict(cls: type[defaultdict[Any, Any]],
                     factory: Callable[[], Any] | None) -> defaultdict[Any, Any]:
    made = defaultdict.__new__(cls)
    made.default_factory = factory
    return made


def _reduce_defaultdict(obj: defaultdict[Any, Any]) -> Any:
    """Lambda factories get a picklable stand-in; subclasses (moto's ParameterDict has its own
    __init__ arguments) are rebuilt without calling __init__, attributes and items restored."""
    factory = obj.default_factory
    portable = factory is None or "<" not in getattr(factory, "__qualname__", "")
    if portable and type(obj) is defaultdict:
        return NotImplemented
    if not portable:
        factory = _portable_factory(factory)  # type: ignore[arg-type]
    return (_new_defaultdict, (type(obj), factory), getattr(obj, "__dict__", None) or None,
            None, iter(obj.items()))


def _weak_mapping(cls: type, items: list[tuple[Any, Any]]) -> Any:
    return cls(items)


def _weak_set(items: list[Any]) -> weakref.WeakSet[Any]:
    return weakref.WeakSet(items)


_LOCKS = (type(threading.Lock()), _thread.LockType)
_RLOCKS: tuple[type, ...] = (type(threading.RLock()),)
if hasattr(threading, "_PyRLock"):
    _RLOCKS += (threading._PyRLock,)
# Live machinery of this process: meaningless in the next one.
_TRANSIENT: tuple[type, ...] = (threading.Thread, Executor, Future, types.GeneratorType,
                                types.CoroutineType, types.AsyncGeneratorType, io.IOBase)


class StatePickler(pickle.Pickler):
    """A pickler that turns process-bound objects into fresh equivalents (or None)."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCKS):
            return _new_lock, ()
        if isinstance(obj, _RLOCKS):
            return _new_rlock, ()
        if isinstance(obj, threading.Condition):
            return _new_condition, ()
        if isinstance(obj, threading.Event):
            return _new_event, (obj.is_set(),)
        if isinstance(obj, threading.local):
            return threading.local, ()
        # Their removal callbacks are closures; the entries are kept alive (or not) by the
        # strong references elsewhere in the same pickle, as before.
        if isinstance(obj, (weakref.WeakValueDictionary, weakref.WeakKeyDictionary)):
            return _weak_mapping, (type(obj), list(obj.items()))
        if isinstance(obj, weakref.WeakSet):
            return _weak_set, (list(obj),)
        if isinstance(obj, defaultdict):
            return _reduce_defaultdict(obj)
        if type(obj).__module__.startswith("cryptography."):
            return _reduce_crypto_key(obj)
        if isinstance(obj, queue.Queue):
            return type(obj), ()  # work queued for threads that no longer exist
        if isinstance(obj, _TRANSIENT):
            return _nothing, ()
        return NotImplemented


# What pickle raises for an object it cannot handle (or a class gone since the save).
_PICKLING_ERRORS = (pickle.PickleError, TypeError, AttributeError, ValueError)


def dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


# ---------------------------------------------------------------- which backends

def _backend_dicts() -> list[Any]:
    from moto.core.base_backend import BackendDict

    return list(BackendDict._instances)  # type: ignore[misc]


def _key(backend_dict: Any) -> BackendKey:
    cls = backend_dict.backend
    return cls.__module__, cls.__qualname__


def _backend_dict_for(key: BackendKey) -> Any | None:
    """The module-level BackendDict whose backends are of this class (there is one per class)."""
    from moto.core.base_backend import BackendDict

    module_name, qualname = key
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    for value in vars(module).values():
        if isinstance(value, BackendDict) and value.backend.__qualname__ == qualname:
            return value
    return None


def _snapshot() -> dict[BackendKey, dict[str, dict[str, Any]]]:
    """{backend key: {account: {region: backend}}} for every backend dict in use."""
    return {_key(bd): {account: dict(per_account) for account, per_account in bd.items()}
            for bd in _backend_dicts() if len(bd)}


# ---------------------------------------------------------------- save

@dataclass
class SaveReport:
    path: str
    seconds: float
    bytes: int
    services: list[str]
    skipped: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "seconds": round(self.seconds, 4), "bytes": self.bytes,
                "services": self.services, "skipped": self.skipped}


_save_lock = threading.Lock()


def save(state_dir: Path, attempts: int = 3) -> SaveReport:
    """Pickle every backend in use to state_dir/moto-state.pickle, atomically.

    All backends go into one pickle, so objects shared between services (a stack's
    resources and the services' own records) stay shared after the restore. A service whose
    state does not pickle is left out (and named in the report) rather than losing all.
    Requests may change the backends while we read them; that is retried.
    """
    with _save_lock:
        started = time.perf_counter()
        skipped: dict[str, str] = {}
        data = b""
        for _attempt in range(attempts):
            snapshot = _snapshot()
            for label in skipped:
                snapshot.pop(_unlabel(label), None)
            payload = {"format": FORMAT, "saved_at": time.time(), "backends": snapshot,
                       "not_saved": dict(skipped)}
            try:
                data = dumps(payload)
                break
            except RecursionError:
                raise
            except RuntimeError as error:  # "dictionary changed size during iteration"
                log.debug("state changed while saving (%s): retrying", error)
            except _PICKLING_ERRORS:
                newly = _unpicklable(snapshot)
                if not newly:
                    raise
                skipped.update(newly)
        else:
            raise RuntimeError(f"state kept changing or failing to pickle ({attempts} tries)")
        path = state_dir / STATE_FILE
        staging = state_dir / f".{STATE_FILE}.{os.getpid()}.tmp"
        with open(staging, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(staging, path)  # a crash mid-write leaves the previous file whole
        report = SaveReport(path=str(path), seconds=time.perf_counter() - started,
                            bytes=len(data), services=sorted(_label(k) for k in snapshot),
                            skipped=skipped)
    for service, reason in skipped.items():
        log.warning("state of %s not saved: %s", service, reason)
    return report


def _label(key: BackendKey) -> str:
    return f"{key[0]}:{key[1]}"


def _unlabel(label: str) -> BackendKey:
    module, qualname = label.split(":", 1)
    return module, qualname


def _unpicklable(snapshot: dict[BackendKey, Any]) -> dict[str, str]:
    """Which services fail to pickle on their own, and why."""
    failures = {}
    for key, accounts in snapshot.items():
        try:
            dumps(accounts)
        except _PICKLING_ERRORS as error:
            failures[_label(key)] = f"{type(error).__name__}: {error}"
    return failures


# ---------------------------------------------------------------- restore

@dataclass
class RestoreReport:
    path: str
    seconds: float = 0.0
    bytes: int = 0
    saved_at: float | None = None
    services: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed_executions: list[str] = field(default_factory=list)
    not_saved: dict[str, str] = field(default_factory=dict)  # services the save left out
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "seconds": round(self.seconds, 4), "bytes": self.bytes,
                "saved_at": self.saved_at, "services": self.services, "missing": self.missing,
                "failed_executions": self.failed_executions, "not_saved": self.not_saved,
                "error": self.error}


def restore(state_dir: Path) -> RestoreReport | None:
    """Put the saved backends back; None if there is nothing saved.

    An unreadable file is reported and set aside (renamed), never fatal: the cloud then
    starts empty, as it would have without persistence.
    """
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    started = time.perf_counter()
    report = RestoreReport(path=str(path))
    try:
        data = path.read_bytes()
        report.bytes = len(data)
        payload = pickle.loads(data)
        if payload.get("format") != FORMAT:
            raise ValueError(f"unknown state format {payload.get('format')!r}")
    except (*_PICKLING_ERRORS, OSError, EOFError, ImportError, KeyError) as error:
        report.error = f"{type(error).__name__}: {error}"
        aside = path.with_name(f"{STATE_FILE}.unreadable-{int(time.time())}")
        os.replace(path, aside)
        log.error("cannot restore %s (%s): moved to %s", path, report.error, aside)
        report.seconds = time.perf_counter() - started
        return report
    report.saved_at = payload.get("saved_at")
    report.not_saved = dict(payload.get("not_saved") or {})
    for key, accounts in payload["backends"].items():
        backend_dict = _backend_dict_for(key)
        if backend_dict is None:
            report.missing.append(_label(key))
            continue
        for account, regions in accounts.items():
            per_account = backend_dict[account]  # creates it and registers the dict as in use
            for region, backend in regions.items():
                dict.__setitem__(per_account, region, backend)
        report.services.append(_label(key))
    report.failed_executions = fail_interrupted_executions()
    report.seconds = time.perf_counter() - started
    return report


def _executions() -> Iterator[Any]:
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    for _, _, backend in stepfunctions_parser_backends.iter_backends():
        for state_machine in getattr(backend, "state_machines", []):
            yield from getattr(state_machine, "executions", [])


def fail_interrupted_executions() -> list[str]:
    """Every execution left RUNNING by the previous process becomes FAILED, with the reason."""
    from moto.stepfunctions.parser.api import ExecutionStatus

    failed = []
    now = datetime.now(UTC)
    for execution in _executions():
        if execution.exec_status != ExecutionStatus.RUNNING:
            continue
        execution.exec_status = ExecutionStatus.FAILED
        execution.error = RESTART_ERROR
        execution.cause = RESTART_CAUSE
        execution.stop_date = now
        failed.append(execution.exec_arn)
        log.warning("execution %s was RUNNING when the local cloud stopped: marked FAILED",
                    execution.exec_arn)
    return failed


# ---------------------------------------------------------------- periodic saves

class PeriodicSaver:
    """Saves every `interval_s` seconds in a daemon thread, so a crash loses little."""

    def __init__(self, state_dir: Path, interval_s: float) -> None:
        self.state_dir = state_dir
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="local-cloud-state-saver")

    def start(self) -> None:
        if self.interval_s > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                save(self.state_dir)
            except Exception:  # best effort: the shutdown save is the one that counts
                log.exception("periodic state save failed")


# ---------------------------------------------------------------- wiring into the server

_last_restore: RestoreReport | None = None
_last_save: SaveReport | None = None


def install(state_dir: Path, on_shutdown: Callable[[Callable[[], None]], None],
            interval_s: float | None = None) -> RestoreReport | None:
    """Restore now, save on shutdown and every `interval_s`; control routes `state/*`.

    Call before the extensions install: they re-queue work that expects the restored
    resources, and the shutdown hook registered first runs last, once their workers stopped.
    """
    from local_cloud.core import control

    global _last_restore
    _last_restore = restore(state_dir)
    if _last_restore is not None:
        log.info("restored %s", _last_restore.as_dict())
    if interval_s is None:
        interval_s = float(os.environ.get("MODEL_COPY_LOCAL_SAVE_INTERVAL_S", "30"))
    saver = PeriodicSaver(state_dir, interval_s)

    def save_now() -> dict[str, Any]:
        global _last_save
        _last_save = save(state_dir)
        return _last_save.as_dict()

    def save_at_shutdown() -> None:
        saver.stop()
        log.info("saved state at shutdown: %s", save_now())

    def status() -> dict[str, Any]:
        return {"restored": _last_restore.as_dict() if _last_restore else None,
                "last_save": _last_save.as_dict() if _last_save else None,
                "interval_s": interval_s}

    control.register("state", "save", save_now)
    control.register("state", "status", status)
    on_shutdown(save_at_shutdown)
    saver.start()
    return _last_restore
