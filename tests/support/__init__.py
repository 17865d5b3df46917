"""Fakes, builders and fixtures shared by the tests and bench/, each defined once."""

from __future__ import annotations

import uuid


def new_name(prefix: str = "m") -> str:
    """A name no other test uses: tests share one local cloud per process."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
