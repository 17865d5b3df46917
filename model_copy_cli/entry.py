"""The `model-copy` program: runs the command, and turns a Ctrl-C at any moment (even while
Python is still importing) into exit 130 with one line, never a traceback."""

from __future__ import annotations

import sys

INTERRUPTED = 130  # as shells report a SIGINT


def run() -> None:
    try:
        from model_copy_cli.main import main

        code = main()
    except KeyboardInterrupt:
        print("model-copy: error: interrupted", file=sys.stderr)
        if "--json" in sys.argv[1:]:
            print('{"error": "interrupted", "exitCode": 130}')
        code = INTERRUPTED
    sys.exit(code)
