"""Every setting a function reads is set by template.yaml, from what its settings class says.

A setting the code reads but the template never sets stops the function at init (no default
in the code stands in for it), and its error names the template parameter behind it: that
name must be what the template really uses (issue 13 item 8, issue 17).
"""

from __future__ import annotations

from functools import cache

import pytest
from model_copy.config import LAMBDA_RUNTIME, RelayConfig, SourceConfig, TargetConfig

from local_cloud.cloudformation.intrinsics import referenced_names
from tests.static_checks import OfflineStack, offline_stack

# Which function reads which settings class, in which scenario it is deployed.
READERS = [(SourceConfig, "PrepareCopyFunction", "source"),
           (TargetConfig, "ImportModelFunction", "target"),
           (RelayConfig, "RelayOutcomeFunction", "source")]
IDS = [function for _, function, _ in READERS]
# Globals: Powertools' own settings, read by Powertools.
POWERTOOLS = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


@cache
def stack(scenario: str) -> OfflineStack:
    return offline_stack(scenario)


def environment(current: OfflineStack, function_id: str, resolved: bool = True) -> dict:
    spec = (current.resources if resolved else current.raw)[function_id]
    return dict(spec["Properties"].get("Environment", {}).get("Variables", {}))


@pytest.mark.parametrize(("config_class", "function", "scenario"), READERS, ids=IDS)
def test_the_template_sets_every_setting_from_what_the_code_names(
        config_class: type, function: str, scenario: str) -> None:
    raw = environment(stack(scenario), function, resolved=False)
    for name, setting in config_class.SETTINGS.items():  # type: ignore[attr-defined]
        if setting.set_from == LAMBDA_RUNTIME:
            continue
        assert setting.variable in raw, f"{function} never gets {setting.variable} ({name})"
        assert setting.set_from in referenced_names(raw[setting.variable]), (
            f"{setting.variable} is set from {raw[setting.variable]}, not {setting.set_from}")


@pytest.mark.parametrize(("config_class", "function", "scenario"), READERS, ids=IDS)
def test_the_template_sets_nothing_the_code_does_not_read(config_class: type, function: str,
                                                          scenario: str) -> None:
    read = {s.variable for s in config_class.SETTINGS.values()}  # type: ignore[attr-defined]
    unread = set(environment(stack(scenario), function)) - read - POWERTOOLS
    assert not unread, f"{function} gets {sorted(unread)}, which nothing reads"


def test_the_import_wait_comes_from_the_import_wait_max_seconds_parameter() -> None:
    raw = environment(stack("target"), "ImportModelFunction", resolved=False)
    assert raw.get("IMPORT_WAIT_MAX_SECONDS") == {"Ref": "ImportWaitMaxSeconds"}
