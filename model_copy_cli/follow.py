"""Follow a started copy: a line per target change, then the report and the exit code."""

from __future__ import annotations

import sys

from model_copy_cli import copy, report
from model_copy_cli.progress import CopyProgress


def follow(pipe: copy.Pipeline, execution_arn: str, as_json: bool,
           poll_seconds: float | None = None) -> int:
    """Progress lines until the copy ends, then the report; the exit code says how it ended."""
    out = sys.stderr if as_json else sys.stdout
    print(f"copy started: {execution_arn}", file=out, flush=True)

    def show(progress: CopyProgress, account: str) -> None:
        print(report.progress_line(progress, progress.targets[account]), file=out, flush=True)

    try:
        progress = copy.watch(pipe, execution_arn, show,
                              poll_seconds=poll_seconds or (0.5 if pipe.local else 5.0))
    except KeyboardInterrupt:
        name = execution_arn.rsplit(":", 1)[-1]
        return report.failure(f"interrupted: stopped watching; the copy goes on: "
                              f"model-copy status {name}", 130, as_json)
    return show_result(execution_arn, progress, as_json)


def show_result(execution_arn: str, progress: CopyProgress, as_json: bool) -> int:
    if as_json:
        report.emit_json(report.copy_document(execution_arn, progress))
    else:
        print("\n".join(report.copy_summary(execution_arn, progress)))
    if not progress.finished:
        return 0
    return 0 if progress.succeeded else 1
