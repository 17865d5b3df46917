"""Shared fixtures: one local cloud per test process, and boto3 sessions per account."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from hypothesis import settings

from local_cloud.core import launcher
from local_cloud.core.accounts import REGION
from tests.support.clouds import private_cloud

REPO_ROOT = Path(__file__).resolve().parent.parent

# Property tests check rules, not speed: on a shared 2-core machine hypothesis's default
# 200 ms deadline fails examples that are merely slow (seen in test_request and test_policy).
settings.register_profile("model-copy", deadline=None)
settings.load_profile("model-copy")


def wait_until(condition: Callable[[], Any], timeout: float = 30.0,
               interval: float = 0.2) -> Any:
    """Poll until `condition()` is truthy and return it; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f}s")


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[launcher.LocalCloud]:
    """A running local cloud on a free port, private to this test process."""
    with private_cloud(tmp_path_factory.mktemp("local-cloud")) as cloud:
        yield cloud


def session_for(cloud: launcher.LocalCloud, profile: str) -> boto3.Session:
    """A boto3 session acting as one of the local accounts (profiles source/target/outsider)."""
    del cloud  # the environment set by the fixture already points at it
    return boto3.Session(profile_name=profile, region_name=REGION)


@pytest.fixture(scope="session")
def source(local_cloud: launcher.LocalCloud) -> boto3.Session:
    return session_for(local_cloud, "source")


@pytest.fixture(scope="session")
def target(local_cloud: launcher.LocalCloud) -> boto3.Session:
    return session_for(local_cloud, "target")


@pytest.fixture(scope="session")
def outsider(local_cloud: launcher.LocalCloud) -> boto3.Session:
    return session_for(local_cloud, "outsider")


# ---------------------------------------------------------------- the fault summary
# Tests marked `fault` say in their docstring (or name) what was tried; at the end of the
# run one table shows what was tried and whether it held (issue: reliability gates).
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault: a fault injected on the local cloud")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if item.get_closest_marker("fault") is not None and report.when == "call":
        doc = (getattr(item, "function", None).__doc__ or "").strip().splitlines()  # type: ignore[union-attr]
        report.user_properties.append(("fault", doc[0] if doc else item.name))


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    _iam_mutation_summary(terminalreporter)
    rows = []
    for status in ("passed", "failed"):
        for report in terminalreporter.stats.get(status, []):
            tried = dict(report.user_properties).get("fault")
            if tried:
                rows.append(("held" if status == "passed" else "BROKE", tried, report.nodeid))
    if not rows:
        return
    terminalreporter.section("faults tried on the local cloud")
    for verdict, tried, nodeid in sorted(rows, key=lambda r: r[2]):
        terminalreporter.write_line(f"{verdict:5}  {tried}  [{nodeid.split('::')[-1]}]")
    held = sum(1 for r in rows if r[0] == "held")
    terminalreporter.write_line(f"{held} of {len(rows)} faults held")


def _iam_mutation_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """The IAM mutation test (tests/integration/test_iam_mutations_*.py): statements checked."""
    checked = [dict(r.user_properties)["iam_statement"]
               for r in terminalreporter.stats.get("passed", [])
               if "iam_statement" in dict(r.user_properties)]
    failed = [r.nodeid for r in terminalreporter.stats.get("failed", [])
              if "iam_mutations" in r.nodeid]
    if not checked and not failed:
        return
    terminalreporter.section("IAM statements of template.yaml, each removed in turn")
    for line in sorted(checked):
        terminalreporter.write_line(f"needed  {line}")
    for nodeid in failed:
        terminalreporter.write_line(f"NOT SHOWN NEEDED  {nodeid.split('[')[-1].rstrip(']')}")
    terminalreporter.write_line(f"{len(checked)} statements checked, {len(checked)} needed, "
                                f"{len(failed)} not shown needed")
