"""The bench's arithmetic: minimum calls, ratios, verdicts, the table (no cloud, no timing)."""

from __future__ import annotations

import pytest

from bench.cold_start import parse_importtime
from bench.copies import _function_role, by_service
from bench.report import (
    Metric,
    counter_delta,
    minimum_calls_per_copy,
    missed_lines,
    overhead_ratio,
    polls_until_done,
    ratio,
    render_table,
    summarize_series,
)


@pytest.mark.parametrize(("duration", "expected"), [
    (0, 1),     # already done: the first describe sees it
    (0.5, 2),   # describe at 0, then after 1 s
    (1, 2),     # the end exactly at a describe counts as seen
    (3, 3),     # 0, 1, 3
    (20, 12),   # 0, 1, 3, 5, ... 19, 21: intervals 1, 2, 2, ... capped at 2
])
def test_polls_until_done_follows_the_capped_doubling_schedule(duration, expected):
    assert polls_until_done(duration, first_s=1, cap_s=2) == expected


def test_a_longer_cap_needs_fewer_describes_for_a_long_import():
    assert polls_until_done(60, 1, 30) < polls_until_done(60, 1, 2)


def test_minimum_calls_add_the_fixed_calls_to_both_poll_loops():
    minimum = minimum_calls_per_copy(import_s=20, training_s=0, training_poll=(1, 2),
                                     import_poll=(1, 2))
    # 1 source describe + policy read + policy write + ImportModel + 12 import describes
    assert minimum.by_service == {"comprehend": 16, "events": 2, "lambda": 2}
    assert minimum.by_operation["target:DescribeModel"] == 12
    assert sum(v for k, v in minimum.by_operation.items()
               if k.startswith(("source:", "target:"))) == 16


def test_counter_delta_keeps_what_grew_including_new_keys():
    before = {"comprehend:target:ImportModel": 3, "lambda:Relay": 2}
    after = {"comprehend:target:ImportModel": 4, "lambda:Relay": 2, "events:PutEvents": 3}
    assert counter_delta(before, after) == {"comprehend:target:ImportModel": 1,
                                            "events:PutEvents": 3}


def test_by_service_sums_the_operations_of_each_service():
    assert by_service({"comprehend:source:X": 2, "comprehend:target:Y": 3,
                       "lambda:Relay": 1}) == {"comprehend": 5, "lambda": 1}


@pytest.mark.parametrize(("name", "role"), [
    ("model-copy-source-RelayOutcomeFunction-6040CE045451", "RelayOutcome"),
    ("model-copy-target-import-model", "model-copy-target-import-model"),
])
def test_function_roles_come_from_the_logical_id_when_the_name_has_one(name, role):
    assert _function_role(f"arn:aws:lambda:us-east-1:111111111111:function:{name}") == role


def test_overhead_ratio_is_relative_to_the_emulated_work():
    assert overhead_ratio(22.0, 20.0) == pytest.approx(0.1)
    assert overhead_ratio(19.0, 20.0) == pytest.approx(-0.05)
    with pytest.raises(ValueError):
        overhead_ratio(5.0, 0.0)


def test_ratio_refuses_a_zero_denominator():
    assert ratio(3, 2) == 1.5
    with pytest.raises(ValueError):
        ratio(1, 0)


@pytest.mark.parametrize(("metric", "verdict"), [
    (Metric("a", 0.10, 0.10), "met"),
    (Metric("a", 0.1001, 0.10), "MISSED"),
    (Metric("a", 18, 16, "within", 2), "met"),
    (Metric("a", 19, 16, "within", 2), "MISSED"),
    (Metric("a", 13, 16, "within", 2), "MISSED"),
    (Metric("a", 50, 50, "=="), "met"),
    (Metric("a", 49, 50, "=="), "MISSED"),
    (Metric("a", None, 50), "unavailable"),
])
def test_verdicts(metric, verdict):
    assert metric.verdict == verdict


def test_table_has_a_row_per_metric_with_target_and_verdict():
    metrics = [Metric("overhead_ratio", 0.25, 0.10, note="copy 25 s"),
               Metric("api_calls_per_copy.events", 3, 2, "within", 2),
               Metric("package_mb.ImportModelFunction", None, 50, unit="MB", note="offline")]
    lines = render_table(metrics).splitlines()
    assert lines[0].split()[:4] == ["metric", "value", "target", "verdict"]
    assert set(lines[1]) <= {"-", " "}
    assert "0.250" in lines[2] and "<= 0.100" in lines[2] and "MISSED" in lines[2]
    assert "within 2 of 2" in lines[3] and "met" in lines[3]
    assert "unavailable" in lines[4] and "offline" in lines[4]
    # columns line up: every verdict starts at the same offset
    offsets = {line.index(word) for line, word in zip(lines[2:], ("MISSED", "met", "unavail"),
                                                           strict=True)}
    assert len(offsets) == 1


def test_missed_lines_name_only_the_missed_targets():
    metrics = [Metric("overhead_ratio", 0.25, 0.10, note="copy 25 s"),
               Metric("cold_start_ratio", 1.1, 1.3), Metric("package_mb.X", None, 50)]
    assert missed_lines(metrics) == [
        "target missed: overhead_ratio = 0.250 (target <= 0.100): copy 25 s"]


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:      1009 |      17017 | site
import time:       152 |     103255 |   boto3
import time:      2600 |      46540 |   aws_lambda_powertools.utilities.parser
import time:       215 |      13241 |     pydantic
import time:    129452 |     307063 | import_model.app
import time:        10 |         10 | other
"""


def test_importtime_lists_direct_imports_and_the_module_body():
    assert parse_importtime(IMPORTTIME, "import_model.app") == [
        ("import_model.app (module body)", 129.452), ("boto3", 103.255),
        ("aws_lambda_powertools.utilities.parser", 46.54)]


def test_importtime_without_the_module_gives_nothing():
    assert parse_importtime(IMPORTTIME, "relay_outcome.app") == []


def test_a_series_summary_gives_lag_as_a_fraction_of_each_import_and_describes_per_copy():
    summary = summarize_series(lags_s=[0.5, 1.0, 0.2], imports_s=[20.0, 25.0, 20.0],
                               describes=30)
    assert summary.copies == 3
    assert summary.describes_per_copy == 10
    assert summary.lag_fraction_mean == pytest.approx((0.025 + 0.04 + 0.01) / 3)
    assert summary.lag_fraction_max == pytest.approx(0.04)
    assert summary.lag_s_mean == pytest.approx(1.7 / 3)


def test_a_series_without_copies_has_no_summary():
    with pytest.raises(ValueError):
        summarize_series(lags_s=[], imports_s=[], describes=0)


def test_an_informational_row_has_no_verdict():
    row = Metric("series.today.lag", 0.07, None, "info")
    assert row.met is None and row.target_text == "-"
    assert "series.today.lag" in render_table([row]) and not missed_lines([row])
