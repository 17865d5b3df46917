"""The functions read every setting from the environment template.yaml gives them: the
template is the one place a default lives, and a missing or malformed variable stops the
function at init, naming the variable and what in the template sets it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from model_copy.config import ConfigurationError, RelayConfig, SourceConfig, TargetConfig

from tests.support.template_environment import TEMPLATE

# Each settings class and the function that reads it.
READERS: list[tuple[Any, str]] = [(SourceConfig, "PrepareCopyFunction"),
                                  (TargetConfig, "ImportModelFunction"),
                                  (RelayConfig, "RelayOutcomeFunction")]
EVERY_SETTING = [(cls, function, name) for cls, function in READERS
                 for name in cls.SETTINGS]


@pytest.mark.parametrize(("config_class", "function", "setting"), EVERY_SETTING,
                         ids=[f"{f}-{s}" for _, f, s in EVERY_SETTING])
def test_a_missing_variable_is_an_error_naming_it(function_env: Any, config_class: Any,
                                                  function: str, setting: str) -> None:
    env = function_env(function)
    config_class.from_env(env)  # complete: reads
    wanted = config_class.SETTINGS[setting]
    del env[wanted.variable]
    with pytest.raises(ConfigurationError, match=wanted.variable) as raised:
        config_class.from_env(env)
    assert wanted.set_from in str(raised.value)


@pytest.mark.parametrize(("config_class", "function"), READERS,
                         ids=[function for _, function in READERS])
def test_a_handler_without_a_variable_fails_at_init(function_env: Any, fresh_handler: Any,
                                                    config_class: Any, function: str) -> None:
    env = function_env(function)
    assert fresh_handler(function, env).CONFIG == config_class.from_env(env)
    missing = next(s for s in config_class.SETTINGS.values() if s.variable != "AWS_REGION")
    del env[missing.variable]
    with pytest.raises(ConfigurationError, match=f"{missing.variable}.*{missing.set_from}"):
        fresh_handler(function, env)


@pytest.mark.parametrize(("variable", "value", "problem"), [
    ("POLL_FIRST_SECONDS", "soon", "not a number of seconds"),
    ("IMPORT_WAIT_MAX_SECONDS", "0", "positive"),
    ("REQUIRE_APPROVED_SHARES", "yes", "neither true nor false"),
])
def test_a_malformed_variable_is_an_error_naming_it_and_its_parameter(
        function_env: Any, variable: str, value: str, problem: str) -> None:
    env = {**function_env("ImportModelFunction"), variable: value}
    with pytest.raises(ConfigurationError, match=problem) as raised:
        TargetConfig.from_env(env)
    parameter = next(s.set_from for s in TargetConfig.SETTINGS.values()
                     if s.variable == variable)
    assert variable in str(raised.value) and parameter in str(raised.value)


@pytest.mark.parametrize(("parameter", "default", "changed", "function", "field", "expected"), [
    ("ImportPollFirstSeconds", "15", "7", "ImportModelFunction", "poll_first_s", 7.0),
    ("RequireApprovedShares", '"false"', '"true"', "ImportModelFunction",
     "require_approved_shares", True),
    ("EventBusName", "model-copy", "copies", "ImportModelFunction", "bus_name", "copies"),
    ("TrainingWaitMaxSeconds", "86400", "600", "PrepareCopyFunction", "training_wait_max_s",
     600.0),
    ("MaxConcurrentTargets", "10", "3", "PrepareCopyFunction", "max_concurrent_targets", 3),
])
def test_a_default_changed_in_the_template_is_what_the_function_reads(
        tmp_path: Path, function_env: Any, parameter: str, default: str, changed: str,
        function: str, field: str, expected: Any) -> None:
    config_class = next(cls for cls, f in READERS if f == function)
    text = TEMPLATE.read_text()
    declared = f"  {parameter}:\n"
    head, rest = text.split(declared, 1)
    old = f"    Default: {default}\n"
    assert old in re.split(r"\n  (?=\S)", rest, maxsplit=1)[0] + "\n", \
        f"{parameter}'s Default is not {default}"
    copy = tmp_path / "template.yaml"
    copy.write_text(head + declared + rest.replace(old, f"    Default: {changed}\n", 1))
    before = getattr(config_class.from_env(function_env(function)), field)
    after = getattr(config_class.from_env(function_env(function, template=copy)), field)
    assert before != expected and after == expected
