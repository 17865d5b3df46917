"""How results look: one JSON document for scripts, short lines for people."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO

from model_copy_cli.progress import (
    CopyProgress,
    Stage,
    TargetProgress,
    describe_failure,
    rejection,
)


def emit_json(document: Any, out: TextIO | None = None) -> None:
    print(json.dumps(document, indent=2, default=str), file=out or sys.stdout)


def error(message: str) -> None:
    print(f"model-copy: error: {message}", file=sys.stderr)


def failure(message: str, exit_code: int, as_json: bool) -> int:
    """An error as one line on stderr and, for --json, as the one document on stdout."""
    error(message)
    if as_json:
        emit_json({"error": message, "exitCode": exit_code})
    return exit_code


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def target_document(target: TargetProgress) -> dict[str, Any]:
    return {"account": target.account, "stage": str(target.stage), "status": target.status,
            "targetModelArn": target.target_model_arn, "importSeconds": target.import_seconds,
            "error": target.error, "cause": target.cause, "approval": target.approval}


def copy_document(execution_arn: str, progress: CopyProgress) -> dict[str, Any]:
    """The `--json` result of `copy`, `status` and the copy part of `demo`."""
    return {
        "executionArn": execution_arn,
        "sourceModelArn": progress.source_model_arn,
        "status": progress.execution_status,
        "succeeded": progress.succeeded,
        "error": progress.error,
        "cause": progress.cause,
        "startedAt": _iso(progress.started_at),
        "endedAt": _iso(progress.ended_at),
        "elapsedSeconds": round(progress.elapsed(), 3) if progress.ended_at else None,
        "targets": [target_document(t) for t in progress.targets.values()],
    }


def progress_line(progress: CopyProgress, target: TargetProgress) -> str:
    """`[  12.3s] 222222222222  delivered; the target is importing`"""
    return f"[{progress.elapsed(target.since):7.1f}s] {target.account}  {target.label}"


def copy_summary(execution_arn: str, progress: CopyProgress) -> list[str]:
    """The final human report of one copy."""
    verdict = ("copied" if progress.succeeded else
               "still running" if not progress.finished else "copy FAILED")
    lines = [f"{verdict}: {progress.source_model_arn or '?'}",
             f"  execution  {execution_arn}",
             f"  status     {progress.execution_status}"
             + (f" after {progress.elapsed():.1f}s" if progress.ended_at else "")]
    for target in progress.targets.values():
        if target.stage is Stage.TRAINED:
            seconds = (f", imported in {target.import_seconds:.1f}s"
                       if target.import_seconds is not None else "")
            lines.append(f"  {target.account}  {target.status}  {target.target_model_arn}"
                         f"{seconds}")
        elif target.stage is Stage.FAILED:
            lines.append(f"  {target.account}  FAILED  "
                         f"{describe_failure(target.error, target.cause)}")
        else:
            lines.append(f"  {target.account}  {target.label}")
        if target.approval and rejection(target.error, target.cause) is None:
            # A rejection is already the failure line; an approval is said on its own line.
            decision = target.approval
            reason = f": {decision['reason']}" if decision.get("reason") else ""
            lines.append(f"      {str(decision.get('decision', '?')).lower()} by "
                         f"{decision.get('by', '?')} at {decision.get('at', '?')}{reason}")
    if progress.finished and not progress.succeeded and progress.error and all(
            t.stage is Stage.TRAINED for t in progress.targets.values()):
        # Every target is fine but the execution still failed: say why, or it looks like success.
        lines.append(f"  execution failed: {describe_failure(progress.error, progress.cause)}")
    return lines


def history_row(item: dict[str, Any]) -> str:
    started = item.get("startedAt") or ""
    seconds = item.get("elapsedSeconds")
    took = f"{seconds:.0f}s" if isinstance(seconds, int | float) else "-"
    targets = ", ".join(
        f"{t['account']}={t.get('status') or '?'}" for t in item.get("targets") or []) or "-"
    dry_run = "  (dry run: nothing copied)" if item.get("dryRun") else ""
    return (f"{str(started)[:19]:19}  {item.get('status', '?'):9}  {took:>6}  "
            f"{item.get('name', '?')}  {item.get('sourceModelArn') or '?'}  -> {targets}"
            f"{dry_run}")
