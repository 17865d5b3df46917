"""What `pip install model-copy` gives: the command's and the functions' runtime, and the
local cloud only behind the `local` extra, saying how to get it when it is missing."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from local_cloud.core import launcher, project
from model_copy_cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def _requirements(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, pin = line.partition("==")
            found[re.sub(r"\[.*\]", "", name).lower()] = pin
    return found


def test_runtime_dependencies_are_the_functions_requirements_plus_boto3():
    functions = _requirements((REPO_ROOT / "functions" / "requirements.txt").read_text()
                              .splitlines())
    runtime = _requirements(PYPROJECT["dependencies"])
    # The Lambda runtime brings boto3; the command needs it too.
    assert runtime.pop("boto3")
    assert runtime == functions


def test_the_local_cloud_is_an_extra_and_dev_extends_it():
    extras = PYPROJECT["optional-dependencies"]
    local = _requirements(extras["local"])
    assert {"moto", "aws-sam-translator", "cfn-lint"} <= set(local)
    assert "model-copy[local]" in extras["dev"]
    assert not {"moto", "aws-sam-translator"} & set(_requirements(PYPROJECT["dependencies"]))


def test_local_without_the_extra_says_how_to_install_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(tmp_path))
    monkeypatch.setattr(project, "missing_modules", lambda: ["moto", "samtranslator"])
    assert main(["local", "up"]) == 1
    err = capsys.readouterr().err
    assert "the local cloud is not installed (no module moto, samtranslator)" in err
    assert "pip install 'model-copy[local]'" in err
    assert not (tmp_path / "server.pid").exists()


def test_a_failed_start_shows_the_servers_cause_and_leaves_nothing_running(tmp_path):
    shadow = tmp_path / "shadow" / "moto"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'moto'\")\n")
    with pytest.raises(launcher.LocalCloudError) as raised:
        launcher.start(tmp_path / "lc", extra_env={"PYTHONPATH": str(shadow.parent)})
    assert "No module named 'moto'" in str(raised.value)
    assert "server.log" in str(raised.value)
    assert not (tmp_path / "lc" / "server.pid").exists()
    assert launcher.running(tmp_path / "lc") is None


def test_a_port_in_use_is_named_before_anything_starts(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(launcher.LocalCloudError) as raised:
            launcher.start(tmp_path / "lc", port=port)
    assert f"port {port} is in use" in str(raised.value)
    assert "MODEL_COPY_LOCAL_PORT" in str(raised.value)
    assert not (tmp_path / "lc" / "server.pid").exists()


def test_without_a_template_the_error_names_the_option(tmp_path, monkeypatch):
    monkeypatch.setattr(project, "CANDIDATES", (tmp_path / "nowhere" / "template.yaml",))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(project.ProjectNotFound) as raised:
        project.template_path()
    assert "template.yaml not found" in str(raised.value) and "--template" in str(raised.value)


def test_the_installed_template_is_found_outside_a_checkout(tmp_path, monkeypatch):
    installed = tmp_path / "share" / "model-copy"
    installed.mkdir(parents=True)
    (installed / "template.yaml").write_text("Resources: {}\n")
    monkeypatch.setattr(project, "CANDIDATES", (tmp_path / "checkout" / "template.yaml",
                                                installed / "template.yaml"))
    monkeypatch.chdir(tmp_path)
    assert project.template_path() == installed / "template.yaml"


# --- a fresh venv -----------------------------------------------------------------------------

@pytest.mark.slow
def test_pip_install_gives_a_command_that_copies_against_aws_endpoints(
        tmp_path, local_cloud, monkeypatch):
    """`pip install .` (no extras) in a new venv; the local cloud's endpoint stands in for AWS."""
    from local_cloud.cloudformation import pipeline
    from tests.cli.test_cli import _classifier

    local_cloud.control("comprehend", "configure", submitted_s=0.2, training_s=0.3,
                        import_s=0.3)
    deployed = pipeline.deploy_pipeline(local_cloud)
    arn = _classifier(local_cloud, f"pip-{os.getpid()}")
    venv = tmp_path / "venv"
    # Without pip of its own (ensurepip alone takes 20 s); this venv's pip installs into it.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
         "--quiet", str(REPO_ROOT)],
        capture_output=True, text=True, timeout=300, check=False)
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": str(local_cloud.aws_config_file),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
                "AWS_ENDPOINT_URL": local_cloud.endpoint, "AWS_REGION": "us-east-1",
                "MODEL_COPY_LOCAL_DIR": str(tmp_path / "no-local-cloud")})

    def model_copy(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(venv / "bin" / "model-copy"), *argv, "--cloud", "aws", "--profile", "source",
             "--state-machine-arn", deployed.state_machine_arn, "--json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False)

    copied = model_copy("copy", arn, "--to", "222222222222", "--poll-seconds", "0.3")
    assert copied.returncode == 0, copied.stderr
    assert json.loads(copied.stdout)["targets"][0]["status"] == "TRAINED"
    status = model_copy("status")
    assert status.returncode == 0 and json.loads(status.stdout)["status"] == "SUCCEEDED"
    history = model_copy("history")
    assert history.returncode == 0
    assert json.loads(history.stdout)["copies"][0]["sourceModelArn"] == arn

    # Without the extra, the local cloud says how to get it.
    local = subprocess.run([str(venv / "bin" / "model-copy"), "local", "up"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60, check=False)
    assert local.returncode == 1 and "pip install 'model-copy[local]'" in local.stderr
