"""The embedded local cloud for the command: where it lives, start/stop, deploy both sides,
and what it runs (`model-copy local status`)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from local_cloud.cloudformation import deployer, pipeline
from local_cloud.cloudformation.intrinsics import TemplateError
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
    stacks: list[deployer.Stack] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        config = self.state_dir / "aws-config"
        return {"running": self.running, "stateDir": str(self.state_dir),
                "endpoint": self.endpoint, "deployed": self.deployed,
                "stateMachineArn": self.state_machine_arn,
                "awsConfigFile": str(config) if self.running else None,
                "region": REGION,
                "accounts": {"source": SOURCE_ACCOUNT, "target": TARGET_ACCOUNT},
                "stacks": [_stack_document(stack) for stack in self.stacks]}

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
        elif not self.stacks:
            lines.append("  stacks         not deployed (run: model-copy local up)")
        for stack in self.stacks:
            lines += _stack_lines(stack)
        lines.append(f"  use it:        export AWS_CONFIG_FILE={self.state_dir / 'aws-config'}"
                     " and pass --profile source (or target)")
        lines.append(f"  or:            source {self.state_dir / 'env'}"
                     " && aws --profile source stepfunctions list-state-machines")
        return lines


def _stack_document(stack: deployer.Stack) -> dict[str, Any]:
    record = asdict(stack)
    return {"name": stack.name, "account": stack.account, "region": stack.region,
            "template": stack.template, "parameters": record["parameters"],
            "parameterOverrides": record["parameter_overrides"], "outputs": record["outputs"]}


def _stack_lines(stack: deployer.Stack) -> list[str]:
    """The stack and what it was deployed with; the template's defaults are not repeated."""
    lines = [f"  stack          {stack.name} in {stack.account} "
             f"({stack.template or 'template unknown'})"]
    given = [f"{key}={value}" for key, value in sorted(stack.parameter_overrides.items())]
    row = "                 "
    for pair in given:
        if len(row) + len(pair) > 98 and row.strip():
            lines.append(row.rstrip())
            row = "                 "
        row += pair + " "
    if row.strip():
        lines.append(row.rstrip())
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
                       state_machine_arn=arn, deployed=arn is not None,
                       stacks=deployer.recorded_stacks(directory))


class NotInstalled(RuntimeError):
    pass


def check_installed() -> None:
    """The local cloud needs the `local` extra; say how to get it rather than fail later."""
    missing = project.missing_modules()
    if missing:
        raise NotInstalled(f"the local cloud is not installed (no module {', '.join(missing)}): "
                           f"{project.INSTALL_HINT}")


def up(directory: Path | None = None, port: int | None = None,
       durations: dict[str, float] | None = None, template: Path | None = None,
       overrides: dict[str, str] | None = None) -> LocalStatus:
    """Start (if needed) and deploy both sides (if needed); running twice is harmless.

    With a template or parameter overrides, both sides are (re)deployed from them, like
    `sam deploy --template-file FILE --parameter-overrides ...`; they are checked first
    (TemplateError), before anything starts. A cloud this call started is stopped again when
    the deployment fails: a failed `up` leaves nothing running.
    """
    check_installed()
    directory = directory or state_dir()
    redeploy = template is not None or bool(overrides)
    try:
        chosen = project.template_path(template)
    except project.ProjectNotFound as missing:
        raise TemplateError(str(missing)) from None
    pipeline.stack_parameters(chosen, overrides, overrides)
    was_running = running(directory) is not None
    cloud = launcher.start(directory, port=port or default_port())
    try:
        use(cloud)
        if durations:
            cloud.control("comprehend", "configure", **durations)
        if redeploy or not deployer.recorded_stacks(directory):
            pipeline.deploy_pipeline(cloud, overrides, overrides, template=chosen)
    except BaseException:
        if not was_running:
            launcher.stop(directory)
        raise
    return status(directory)


def down(directory: Path | None = None) -> bool:
    """Stop the local cloud; True if one was running."""
    return launcher.stop(directory or state_dir())
