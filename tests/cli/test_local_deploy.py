"""`model-copy local up --template FILE --parameter-overrides Key=Value ...` deploys any
template with any parameters into the local cloud, like `sam deploy`; `local status` lists
the deployed stacks with their parameters; `make local-up` passes TEMPLATE and PARAMS on."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from local_cloud.core import launcher
from local_cloud.core.accounts import SOURCE_ACCOUNT, TARGET_ACCOUNT
from model_copy_cli.main import main
from tests.support.clouds import own_cli_environment

REPO_ROOT = Path(__file__).resolve().parents[2]
CLI = REPO_ROOT / ".venv" / "bin" / "model-copy"

# A template of the user's own: a parameter `Side` (as model-copy's template has) and one of
# its own; the local cloud deploys it into both accounts, as it deploys template.yaml.
CUSTOM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Side:
    Type: String
    AllowedValues: [source, target, both]
  QueueSuffix:
    Type: String
    Default: plain
    AllowedPattern: "[a-z]+"
Resources:
  Inbox:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "custom-${Side}-${QueueSuffix}"
Outputs:
  InboxUrl:
    Value: !Ref Inbox
"""


@pytest.fixture
def nothing_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the local cloud was started")
    monkeypatch.setattr(launcher, "start", refuse)
    monkeypatch.setattr("model_copy_cli.local.launcher.start", refuse)


@pytest.mark.parametrize(("argv", "message"), [
    (["--parameter-overrides", "NoSuchParameter=1"], "NoSuchParameter"),
    (["--parameter-overrides", "RevokeAfterImport"], "Key=Value"),
    (["--parameter-overrides", "RevokeAfterImport=maybe"], "RevokeAfterImport"),
    (["--template", "no/such/template.yaml"], "no/such/template.yaml"),
])
def test_bad_template_or_parameters_exit_2_before_anything_starts(
        nothing_starts, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.setenv("MODEL_COPY_LOCAL_DIR", str(tmp_path / "lc"))
    assert main(["local", "up", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "lc").exists()


def test_make_local_up_passes_template_and_parameters_on():
    dry = subprocess.run(
        ["make", "-n", "local-up", "TEMPLATE=my.yaml",
         "PARAMS=RevokeAfterImport=true ApprovalRequiredAccountIds=222222222222"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    [command] = [line for line in dry.splitlines() if "model-copy local up" in line]
    assert command.endswith("local up --template my.yaml --parameter-overrides "
                            "RevokeAfterImport=true ApprovalRequiredAccountIds=222222222222")
    plain = subprocess.run(["make", "-n", "local-up"], cwd=REPO_ROOT, capture_output=True,
                           text=True, check=True).stdout
    assert next(line for line in plain.splitlines() if "model-copy" in line).endswith(
        "model-copy local up")


def _stacks(document: dict) -> dict[str, dict]:
    return {stack["name"]: stack for stack in document["stacks"]}


@pytest.mark.slow
def test_local_up_deploys_a_template_with_parameters_and_status_lists_them(tmp_path):
    env = own_cli_environment(tmp_path / "lc")
    custom = tmp_path / "custom.yaml"
    custom.write_text(CUSTOM_TEMPLATE)

    def run(*argv: str) -> dict:
        done = subprocess.run([str(CLI), *argv], env=env, capture_output=True, text=True,
                              timeout=180, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if "--json" in argv else {"text": done.stdout}

    try:
        gated = _stacks(run("local", "up", "--json", "--parameter-overrides",
                            f"ApprovalRequiredAccountIds={TARGET_ACCOUNT}",
                            "RevokeAfterImport=true"))
        source = gated["model-copy-source"]
        assert source["account"] == SOURCE_ACCOUNT
        assert source["parameterOverrides"]["ApprovalRequiredAccountIds"] == TARGET_ACCOUNT
        assert source["parameters"]["RevokeAfterImport"] == "true"
        assert source["template"] == str(REPO_ROOT / "template.yaml")
        assert gated["model-copy-target"]["account"] == TARGET_ACCOUNT
        assert gated["model-copy-target"]["parameters"]["Side"] == "target"

        # Without options, `local up` keeps what is deployed.
        kept = _stacks(run("local", "status", "--json"))
        assert kept["model-copy-source"]["parameters"]["RevokeAfterImport"] == "true"
        text = run("local", "status")["text"]
        assert f"model-copy-source in {SOURCE_ACCOUNT}" in text
        assert "RevokeAfterImport=true" in text

        mine = _stacks(run("local", "up", "--json", "--template", str(custom),
                           "--parameter-overrides", "QueueSuffix=zz"))
        assert mine["model-copy-source"]["template"] == str(custom)
        assert mine["model-copy-source"]["outputs"]["InboxUrl"].endswith(
            f"/{SOURCE_ACCOUNT}/custom-source-zz")
        assert mine["model-copy-target"]["outputs"]["InboxUrl"].endswith(
            f"/{TARGET_ACCOUNT}/custom-target-zz")
        assert mine["model-copy-target"]["parameterOverrides"] == {
            "Side": "target", "QueueSuffix": "zz"}
    finally:
        subprocess.run([str(CLI), "local", "down"], env=env, capture_output=True, timeout=60,
                       check=False)
