"""`model-copy demo` (the README's `make demo`), run as a user runs it: a local cloud of its
own, the whole copy from A to B with every stage shown, and nothing left running."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from local_cloud.core import launcher
from local_cloud.core.accounts import TARGET_ACCOUNT
from tests.support.clouds import own_cli_environment

CLI = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "model-copy"


@pytest.mark.slow
def test_the_demo_copies_to_b_showing_each_stage_and_stops_its_cloud(tmp_path):
    env = {**own_cli_environment(tmp_path / "local-cloud"), "HOME": str(tmp_path)}
    done = subprocess.run([str(CLI), "demo"], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    stages = [line.split(f"{TARGET_ACCOUNT}  ", 1)[1] for line in done.stdout.splitlines()
              if f"s] {TARGET_ACCOUNT}  " in line]
    shown = [stage.split(";")[0].split(":")[0] for stage in stages]
    # Each stage once, in order; "delivered" only once the target started the import.
    assert shown == ["validating the request", "sharing the model version", "shared",
                     "sent to the target's bus", "delivered", "TRAINED"], stages
    assert "status     SUCCEEDED" in done.stdout
    assert done.stdout.rstrip().endswith("local cloud stopped")
    assert launcher.running(tmp_path / "local-cloud" / "demo") is None
