"""README "Your first copy", run as written: the shell block, line by line, in one bash, with
an empty HOME; then again on a fresh local cloud while the first cloud's credentials sit in
the AWS CLI's cache (~/.aws/cli/cache). Both runs must end with a TRAINED copy in B."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from local_cloud.core import launcher
from local_cloud.core.accounts import REGION, TARGET_ACCOUNT

REPO_ROOT = Path(__file__).resolve().parents[2]
COPY_ARN = f"arn:aws:comprehend:{REGION}:{TARGET_ACCOUNT}:document-classifier/news/version/v1"


def readme_block() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Your first copy", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the section has a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def _checkout(tmp_path: Path) -> Path:
    """A working directory as a user's checkout looks to these commands (the same venv)."""
    work = tmp_path / "checkout"
    work.mkdir()
    for name in ("Makefile", "pyproject.toml", ".venv"):
        (work / name).symlink_to(REPO_ROOT / name)
    return work


def _run(lines: list[str], work: Path, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    script = ["set -e"]
    for number, line in enumerate(lines, 1):
        script += [f"echo '>>> line {number}: {line[:60]}' >&2", line]
    # No aws and no model-copy on this PATH: `source .local-cloud/env` must bring both (the
    # venv's bin, where `make install` puts the AWS CLI of the dev extra).
    env = {"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin",
           "LANG": os.environ.get("LANG", "C.UTF-8"),
           "MODEL_COPY_LOCAL_PORT": str(port)}  # a port of its own; nothing else is set
    return subprocess.run(["bash", "-c", "\n".join(script)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def _copy_in_b(work: Path) -> dict[str, object]:
    cloud = launcher.running(work / ".local-cloud")
    assert cloud is not None
    env = cloud.client_environment()
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                    "AWS_SESSION_TOKEN"):
            patch.delenv(key, raising=False)
        for key, value in env.items():
            patch.setenv(key, value)
        target = boto3.Session(profile_name="target", region_name=REGION)
        return dict(target.client("comprehend").describe_document_classifier(
            DocumentClassifierArn=COPY_ARN)["DocumentClassifierProperties"])


@pytest.mark.slow
def test_your_first_copy_works_as_written_twice(tmp_path):
    lines = readme_block()
    assert lines[-1].startswith("make local-down")
    assert any(line.startswith("aws ") for line in lines), "the block uses the AWS CLI"
    assert (REPO_ROOT / ".venv" / "bin" / "aws").exists(), \
        "the AWS CLI is missing from .venv: run make install (pyproject.toml, dev extra)"
    work, home = _checkout(tmp_path), tmp_path / "home"
    home.mkdir()
    for attempt in ("first", "second"):
        if attempt == "second":
            # A fresh local cloud; the first one's credentials stay in the AWS CLI's cache.
            shutil.rmtree(work / ".local-cloud")
        port = launcher.free_port()
        try:
            done = _run(lines[:-1], work, home, port)
            assert done.returncode == 0, f"{attempt} run:\n{done.stderr[-3000:]}"
            assert f"{TARGET_ACCOUNT}  TRAINED" in done.stdout, done.stdout
            props = _copy_in_b(work)
            assert props["Status"] == "TRAINED"
            assert str(props["SourceModelArn"]).startswith("arn:aws:comprehend:us-east-1:"
                                                           "111111111111:")
        finally:
            stopped = _run(lines[-1:], work, home, port)
        assert stopped.returncode == 0, stopped.stderr
        assert launcher.running(work / ".local-cloud") is None
        # The AWS CLI cached the profile's role credentials, as a user's would: the second
        # run starts with the first cloud's credentials in the cache.
        assert list((home / ".aws" / "cli" / "cache").glob("*.json")), attempt


def _json_documents(output: str) -> list[Any]:
    """The JSON documents the AWS CLI printed, in order, among the other commands' lines."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while (start := output.find("{\n", at)) != -1:
        document, at = decoder.raw_decode(output, start)
        documents.append(document)
    return documents


def readme_aws_cli_training() -> str:
    """The AWS CLI command "Your first copy" gives instead of `model-copy local train`."""
    section = (REPO_ROOT / "README.md").read_text().split("## Your first copy", 1)[1]
    found = re.search(r"`(aws comprehend create-document-classifier[^`]*)`", section)
    assert found, "the section shows the AWS CLI command"
    return " ".join(found.group(1).split())


def readme_local_cloud_block() -> list[str]:
    section = (REPO_ROOT / "README.md").read_text().split("## The local cloud", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the section has a bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.slow
def test_the_aws_cli_lines_of_the_readme_work_as_written(tmp_path):
    """"The local cloud"'s block, with the AWS CLI training command of "Your first copy" run
    between its lines: the model lands in the source account and the listing shows it."""
    up, listing, down = readme_local_cloud_block()
    assert up.startswith("make local-up") and down.startswith("make local-down")
    work, home = _checkout(tmp_path), tmp_path / "home"
    home.mkdir()
    port = launcher.free_port()
    try:
        done = _run([up, readme_aws_cli_training(), listing], work, home, port)
        assert done.returncode == 0, done.stderr[-3000:]
    finally:
        stopped = _run([down], work, home, port)
    assert stopped.returncode == 0, stopped.stderr
    created, listed = _json_documents(done.stdout)
    arn = f"arn:aws:comprehend:{REGION}:111111111111:document-classifier/news/version/v1"
    assert created["DocumentClassifierArn"] == arn
    assert [c["DocumentClassifierArn"] for c in listed["DocumentClassifierPropertiesList"]] == [
        arn]
    assert launcher.running(work / ".local-cloud") is None
