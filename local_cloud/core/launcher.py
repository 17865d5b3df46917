"""Start and stop the local cloud in the background, and write the files clients use.

`start()` returns once the server answers; `stop()` ends it and every process it
started (Lambda workers included), leaving nothing running.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_cloud.core.accounts import PROFILES, REGION
from local_cloud.core.credentials import BASE_ACCESS_KEY

LOCAL_ROLE = "model-copy-local-operator"


class LocalCloudError(RuntimeError):
    pass


@dataclass(frozen=True)
class LocalCloud:
    port: int
    state_dir: Path
    # Names this start of the cloud in its profiles' role session name, so the AWS CLI's
    # credential cache (keyed on role and session name) never hands one cloud's keys to another.
    cloud_id: str = ""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def aws_config_file(self) -> Path:
        return self.state_dir / "aws-config"

    def client_environment(self) -> dict[str, str]:
        """What a boto3 program or the AWS CLI needs in its environment to use this cloud."""
        return {
            "AWS_CONFIG_FILE": str(self.aws_config_file),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.state_dir / "no-credentials"),
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def control(self, area: str, action: str, **payload: Any) -> Any:
        """Call a control-plane route (see local_cloud.core.control)."""
        request = urllib.request.Request(
            f"{self.endpoint}/_local/{area}/{action}",
            data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["result"]
        except urllib.error.HTTPError as error:
            detail = json.loads(error.read() or b"{}")
            raise LocalCloudError(f"/_local/{area}/{action}: {detail.get('error')}") from None


def port_in_use(port: int) -> bool:
    """True when something listens on the port. Probed as the server binds (SO_REUSEADDR), so
    a stopped server's connections in TIME_WAIT do not block its restart on the same port."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _cause_in_log(log_file: Path, since: int) -> str:
    """The last error line the server wrote after `since` (its log's size before the start)."""
    try:
        with log_file.open("rb") as log:
            log.seek(since)
            lines = log.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", line.strip()):
            return line.strip()
    return lines[-1].strip() if lines else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_client_files(cloud: LocalCloud) -> None:
    """An ordinary AWS config: profile `source` acts as 111111111111, and so on.

    The base profile's key only assumes the profiles' roles (local_cloud.core.credentials);
    `env` also puts this Python's bin directory (the venv's, with `model-copy`) on PATH.
    """
    lines = ["[profile local-base]",
             f"aws_access_key_id = {BASE_ACCESS_KEY}",
             f"aws_secret_access_key = {BASE_ACCESS_KEY}",
             f"region = {REGION}", f"endpoint_url = {cloud.endpoint}", ""]
    session_name = f"model-copy-local-{cloud.cloud_id or cloud.port}"
    for profile, account in PROFILES.items():
        lines += [f"[profile {profile}]",
                  f"role_arn = arn:aws:iam::{account}:role/{LOCAL_ROLE}",
                  f"role_session_name = {session_name}",
                  "source_profile = local-base",
                  f"region = {REGION}", f"endpoint_url = {cloud.endpoint}", ""]
    cloud.aws_config_file.write_text("\n".join(lines))
    env_lines = [f"export {key}={shlex.quote(value)}"
                 for key, value in cloud.client_environment().items()]
    env_lines.append(f'export PATH={shlex.quote(str(Path(sys.executable).parent))}:"$PATH"')
    (cloud.state_dir / "env").write_text("\n".join(env_lines) + "\n")


def _pid_file(state_dir: Path) -> Path:
    return state_dir / "server.pid"


def running(state_dir: Path) -> LocalCloud | None:
    """The local cloud recorded in state_dir, if its process still answers."""
    info_file = state_dir / "server.json"
    if not info_file.exists():
        return None
    info = json.loads(info_file.read_text())
    cloud = LocalCloud(port=info["port"], state_dir=state_dir,
                       cloud_id=str(info.get("cloudId", "")))
    try:
        cloud.control("health", "ping")
    except (OSError, LocalCloudError):
        return None
    return cloud


def start(state_dir: Path, port: int | None = None, timeout: float = 60.0,
          extra_env: dict[str, str] | None = None) -> LocalCloud:
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    already = running(state_dir)
    if already is not None:
        return already
    port = port or free_port()
    if port_in_use(port):
        # Checked first: a ping would be answered by whatever listens there, and a deploy
        # would then go into another cloud.
        raise LocalCloudError(f"port {port} is in use (another local cloud or program listens "
                              "there): stop it (model-copy local down), or choose another "
                              "port with --port or MODEL_COPY_LOCAL_PORT")
    cloud = LocalCloud(port=port, state_dir=state_dir, cloud_id=uuid.uuid4().hex[:12])
    env = {**os.environ, **(extra_env or {})}
    env.pop("MOTO_ACCOUNT_ID", None)  # it would override every account choice we make
    log_file = state_dir / "server.log"
    log_start = log_file.stat().st_size if log_file.exists() else 0
    log = open(log_file, "ab")  # the child process keeps it open
    process = subprocess.Popen(
        [sys.executable, "-m", "local_cloud.core.server", "--port", str(port),
         "--state-dir", str(state_dir)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    _pid_file(state_dir).write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stop(state_dir)
            cause = _cause_in_log(log_file, log_start)
            raise LocalCloudError(
                f"the local cloud exited at start (code {process.returncode}): "
                f"{cause or 'no cause logged'}; see {log_file}")
        try:
            cloud.control("health", "ping")
            break
        except (OSError, LocalCloudError):
            time.sleep(0.1)
    else:
        stop(state_dir)
        cause = _cause_in_log(log_file, log_start)
        raise LocalCloudError(f"the local cloud did not answer on port {port} within "
                              f"{timeout:.0f}s{': ' + cause if cause else ''}; see {log_file}")
    (state_dir / "server.json").write_text(json.dumps({"port": port, "pid": process.pid,
                                                       "cloudId": cloud.cloud_id}))
    write_client_files(cloud)
    return cloud


def stop(state_dir: Path, timeout: float = 20.0) -> bool:
    """Stop the server and its process group; True if something was running."""
    pid_file = _pid_file(state_dir.resolve())
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            _reap(pid)
            time.sleep(0.1)
        except ProcessLookupError:
            break
    else:
        os.killpg(pid, signal.SIGKILL)
    try:  # workers the server started share its process group; none may outlive it
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    (state_dir / "server.json").unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
