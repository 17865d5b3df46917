"""Every setting a function reads is set by template.yaml, from a parameter users can reach.

A setting the code reads but the template never sets silently falls back to its default, and an
error that names it names something nobody can change (issue 13 item 8).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from tests.static_checks import OfflineStack, offline_stack

CONFIG_SOURCE = Path(__file__).resolve().parents[2] / "functions" / "model_copy" / "config.py"
# Which function reads which settings class.
READERS = {"SourceConfig": "PrepareCopyFunction", "TargetConfig": "ImportModelFunction"}
SET_BY_LAMBDA = {"AWS_REGION"}
# Read with a default on purpose, not a deployment choice; each with its reason.
NOT_DEPLOYMENT_SETTINGS = {
    # Issue 14: how long AccessDenied counts as policy propagation; no parameter yet.
    "ACCESS_DENIED_RETRY_SECONDS": "propagation window of a share's policy, not user-tuned",
}


@cache
def stack(scenario: str) -> OfflineStack:
    return offline_stack(scenario)


def settings_read_by(class_name: str) -> set[str]:
    source = CONFIG_SOURCE.read_text()
    body = source.split(f"class {class_name}", 1)[1].split("\nclass ", 1)[0]
    return set(re.findall(r'_(?:get|seconds)\(env, "([A-Z0-9_]+)"', body))


def environment(current: OfflineStack, function_id: str, resolved: bool = True) -> dict:
    spec = (current.resources if resolved else current.raw)[function_id]
    return dict(spec["Properties"].get("Environment", {}).get("Variables", {}))


@pytest.mark.parametrize(("class_name", "scenario"), [("SourceConfig", "source"),
                                                      ("TargetConfig", "target")])
def test_the_template_sets_every_setting_the_code_reads(class_name: str, scenario: str) -> None:
    read = settings_read_by(class_name) - SET_BY_LAMBDA - set(NOT_DEPLOYMENT_SETTINGS)
    assert read, f"no settings found in {class_name}: the scan is broken"
    missing = read - set(environment(stack(scenario), READERS[class_name]))
    assert not missing, f"{READERS[class_name]} never gets {sorted(missing)}"


def test_the_import_wait_comes_from_the_import_wait_max_seconds_parameter() -> None:
    raw = environment(stack("target"), "ImportModelFunction", resolved=False)
    assert raw.get("IMPORT_WAIT_MAX_SECONDS") == {"Ref": "ImportWaitMaxSeconds"}

