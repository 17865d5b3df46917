"""The embedded local cloud for the command: where it lives, start/stop, deploy both sides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.cloudformation import deployer, pipeline
from local_cloud.core import launcher, project
from local_cloud.core.accounts import DEFAULT_PORT, REGION, SOURCE_ACCOUNT, TARGET_ACCOUNT

# Short enough for a demo, long enough to watch each stage go by.
DEMO_DURATIONS = {"submitted_s": 0.5, "training_s": 3.0, "import_s": 2.0}


def state_dir() -> Path:
    return Path(os.environ.get("MODEL_COPY_LOCAL_DIR", ".local-cloud")).resolve()


def default_port() -> int:
    return int(os.environ.get("MODEL_COPY_LOCAL_PORT", DEFAULT_PORT))


def use(cloud: launcher.LocalCloud) -> None:
    """Point this process's AWS clients at the local cloud (profiles source/target/outsider).

    The local_cloud pipeline code reads the client environment, so the command sets it
    rather than threading config paths through every session.
    """
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN"):
        os.environ.pop(key, None)
    os.environ.update(cloud.client_environment())


def running(directory: Path | None = None) -> launcher.LocalCloud | None:
    return launcher.running(directory or state_dir())


@dataclass(frozen=True)
class LocalStatus:
    running: bool
    state_dir: Path
    endpoint: str | None = None
    state_machine_arn: str | None = None
    deployed: bool = False

    def document(self) -> dict[str, Any]:
        config = self.state_dir / "aws-config"
        return {"running": self.running, "stateDir": str(self.state_dir),
                "endpoint": self.endpoint, "deployed": self.deployed,
                "stateMachineArn": self.state_machine_arn,
                "awsConfigFile": str(config) if self.running else None,
                "region": REGION,
                "accounts": {"source": SOURCE_ACCOUNT, "target": TARGET_ACCOUNT}}

    def lines(self) -> list[str]:
        if not self.running:
            return [f"local cloud: not running (state in {self.state_dir})",
                    "start it with: model-copy local up"]
        lines = [f"local cloud: running at {self.endpoint}",
                 f"  state dir      {self.state_dir}",
                 f"  source account {SOURCE_ACCOUNT} (profile source), "
                 f"target account {TARGET_ACCOUNT} (profile target)"]
        if self.deployed:
            lines.append(f"  state machine  {self.state_machine_arn}")
        else:
            lines.append("  stacks         not deployed (run: model-copy local up)")
        lines.append(f"  use it:        export AWS_CONFIG_FILE={self.state_dir / 'aws-config'}"
                     " and pass --profile source (or target)")
        lines.append(f"  or:            source {self.state_dir / 'env'}"
                     " && aws --profile source stepfunctions list-state-machines")
        return lines


def deployed_state_machine(cloud: launcher.LocalCloud) -> str | None:
    use(cloud)
    try:
        return pipeline.deployed_pipeline(cloud).state_machine_arn
    except (deployer.StackNotFoundError, KeyError):
        return None


def status(directory: Path | None = None) -> LocalStatus:
    directory = directory or state_dir()
    cloud = running(directory)
    if cloud is None:
        return LocalStatus(running=False, state_dir=directory)
    arn = deployed_state_machine(cloud)
    return LocalStatus(running=True, state_dir=directory, endpoint=cloud.endpoint,
                       state_machine_arn=arn, deployed=arn is not None)


class NotInstalled(RuntimeError):
    pass


def check_installed() -> None:
    """The local cloud needs the `local` extra; say how to get it rather than fail later."""
    missing = project.missing_modules()
    if missing:
        raise NotInstalled(f"the local cloud is not installed (no module {', '.join(missing)}): "
                           f"{project.INSTALL_HINT}")


def up(directory: Path | None = None, port: int | None = None,
       durations: dict[str, float] | None = None) -> LocalStatus:
    """Start (if needed) and deploy both sides (if needed); running twice is harmless.

    A cloud this call started is stopped again when the deployment fails: a failed `up`
    leaves nothing running.
    """
    check_installed()
    directory = directory or state_dir()
    was_running = running(directory) is not None
    cloud = launcher.start(directory, port=port or default_port())
    try:
        use(cloud)
        if durations:
            cloud.control("comprehend", "configure", **durations)
        if deployed_state_machine(cloud) is None:
            pipeline.deploy_pipeline(cloud)
    except BaseException:
        if not was_running:
            launcher.stop(directory)
        raise
    return status(directory)


def down(directory: Path | None = None) -> bool:
    """Stop the local cloud; True if one was running."""
    return launcher.stop(directory or state_dir())
