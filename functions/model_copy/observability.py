"""One Logger and one Metrics for the whole package, created once per execution environment."""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
