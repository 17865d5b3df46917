"""Run the local cloud in the foreground: moto's server, our extensions, our control plane.

    python -m local_cloud.core.server --port 4566 --state-dir .local-cloud

`local_cloud.core.launcher` starts this in the background for `make local-up`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from local_cloud.core import control, credentials, operator_roles, persistence, settings

# Each module has install(): patch moto where it falls short of AWS (see README, "The local cloud").
EXTENSIONS = ("comprehend", "lambda_runtime", "eventbridge", "stepfunctions", "cloudformation")

_shutdown_hooks: list[Callable[[], None]] = []
log = logging.getLogger("local_cloud")


def on_shutdown(hook: Callable[[], None]) -> None:
    """Extensions register what must happen before the process exits (stop workers, save state)."""
    _shutdown_hooks.append(hook)


def install_extensions() -> None:
    from local_cloud.iam import enforcement

    enforcement.install()
    for name in EXTENSIONS:
        importlib.import_module(f"local_cloud.services.{name}").install()
    control.register("health", "ping", lambda: {"pid": os.getpid(),
                                                 "routes": control.registered()})


def _enable_state_machine_execution() -> None:
    # moto only runs ASL when this switch is on; off, executions just "succeed" at once.
    from moto.core.config import default_user_config

    default_user_config["stepfunctions"] = {"execute_state_machine": True}


def build_app() -> control.ControlPlaneMiddleware:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from local_cloud.iam.enforcement import IamEnforcement

    # Control routes first (they are ours, not AWS's), then the credentials check, then IAM,
    # then moto.
    return control.ControlPlaneMiddleware(credentials.IssuedCredentialsOnly(
        IamEnforcement(DomainDispatcherApplication(create_backend_app))))


def serve(port: int, state_dir: Path) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    state_dir.mkdir(parents=True, exist_ok=True)
    settings.set_current(settings.Settings(port=port, state_dir=state_dir))
    # moto's Step Functions interpreter calls the other services through this port.
    os.environ["MOTO_PORT"] = str(port)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    _enable_state_machine_execution()
    # Restore moto's state before the extensions re-queue work that needs it; its shutdown
    # hook, registered first, runs last (after the extensions' workers stopped).
    persistence.install(state_dir, on_shutdown)
    operator_roles.ensure()
    install_extensions()

    server = make_server("127.0.0.1", port, build_app(), threaded=True,
                         request_handler=MotoRequestHandler)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %s: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("local cloud listening on 127.0.0.1:%s (state in %s)", port, state_dir)
    try:
        server.serve_forever()
    finally:
        for hook in reversed(_shutdown_hooks):
            try:
                hook()
            except Exception:  # one failing hook must not keep the others from running
                log.exception("shutdown hook failed")


def main(argv: list[str] | None = None) -> None:
    # Run as `python -m`, this module is __main__; extensions import it as local_cloud.core.server.
    # One module object, so the shutdown hooks they register are the ones that run.
    sys.modules.setdefault("local_cloud.core.server", sys.modules[__name__])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = settings.from_environment()
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--state-dir", type=Path, default=defaults.state_dir)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(args.port, args.state_dir.resolve())


if __name__ == "__main__":
    main()
