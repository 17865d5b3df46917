"""Shapes EventBridge writes: bus ARNs, timestamps, the event as targets see it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def bus_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account}:event-bus/{name}"


def arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        raise ValueError(f"not an ARN: {arn}")
    return parts[2], parts[3], parts[4], parts[5]


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_time(value: Any) -> str:
    """PutEvents' optional Time (epoch seconds or ISO text) as EventBridge writes it."""
    if value in (None, ""):
        return now_iso()
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def public(event: dict[str, Any]) -> dict[str, Any]:
    """The event as targets see it (without moto's internal fields)."""
    return {k: v for k, v in event.items() if k != "ingestion-time"}
