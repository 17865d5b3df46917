"""The local deployer's provider for CloudWatch alarms."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_bool,
    ints,
    pick,
    tagging,
)

ALARM_KEYS = ("AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
              "InsufficientDataActions", "MetricName", "Namespace", "Statistic",
              "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods",
              "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
              "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId")


def _create_alarm(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    name = context.physical_name(properties, "AlarmName", logical_id, 255)
    request = ints(pick(properties, *ALARM_KEYS), "Period", "EvaluationPeriods",
                    "DatapointsToAlarm")
    if "Threshold" in request:
        request["Threshold"] = float(request["Threshold"])
    if "ActionsEnabled" in request:
        request["ActionsEnabled"] = as_bool(request["ActionsEnabled"])
    request.update(tagging(properties))
    context.client("cloudwatch").put_metric_alarm(AlarmName=name, **request)
    return Created(name, {"Arn": context.arn("cloudwatch", f"alarm:{name}")})


def _delete_alarm(context: Context, name: str, _: dict[str, Any]) -> None:
    context.client("cloudwatch").delete_alarms(AlarmNames=[name])


PROVIDERS: Providers = {
    "AWS::CloudWatch::Alarm": (_create_alarm, _delete_alarm),
}
