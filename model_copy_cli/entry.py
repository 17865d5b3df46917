"""The `model-copy` program: runs the command, and turns a Ctrl-C at any moment (even while
Python is still importing) into exit 130 with one line, never a traceback."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

INTERRUPTED = 130  # as shells report a SIGINT


def _report_interrupt() -> None:
    # os.write: also safe inside a signal handler that interrupted a buffered print.
    os.write(2, b"model-copy: error: interrupted\n")
    if "--json" in sys.argv[1:]:
        os.write(1, b'{"error": "interrupted", "exitCode": 130}\n')


def _interrupted_while_starting(_signum: int, _frame: FrameType | None) -> None:
    # While the command's modules import nothing has started yet, so there is nothing to
    # clean up; and a KeyboardInterrupt raised inside a library's import can be swallowed by
    # its broad `except`, leaving the command to go on as if never interrupted (seen once).
    _report_interrupt()
    os._exit(INTERRUPTED)


def run() -> None:
    signal.signal(signal.SIGINT, _interrupted_while_starting)
    try:
        from model_copy_cli.main import main

        # From here the command handles Ctrl-C itself (it says what goes on without it).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        code = main()
    except KeyboardInterrupt:
        _report_interrupt()
        code = INTERRUPTED
    sys.exit(code)
