"""Where the running local cloud listens and keeps its files (set once by the server)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from local_cloud.core.accounts import DEFAULT_PORT


@dataclass(frozen=True)
class Settings:
    port: int
    state_dir: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def from_environment() -> Settings:
    port = int(os.environ.get("MODEL_COPY_LOCAL_PORT", DEFAULT_PORT))
    state_dir = Path(os.environ.get("MODEL_COPY_LOCAL_DIR", ".local-cloud")).resolve()
    return Settings(port=port, state_dir=state_dir)


_current: Settings | None = None


def current() -> Settings:
    """The settings of the server this process runs (or, outside it, of the environment)."""
    return _current or from_environment()


def set_current(settings: Settings) -> None:
    global _current
    _current = settings
