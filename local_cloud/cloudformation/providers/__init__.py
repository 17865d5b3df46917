"""Resource providers of the local deployer: one module per service, each with the create and
delete of the resource types it knows (`PROVIDERS`)."""

from __future__ import annotations

from local_cloud.cloudformation.providers import (
    awslambda,
    cloudtrail,
    cloudwatch,
    dynamodb,
    events,
    iam,
    kms,
    logs,
    s3,
    sns,
    sqs,
    ssm,
    stepfunctions,
)
from local_cloud.cloudformation.resources import Providers

HANDLERS: Providers = {
    **iam.PROVIDERS,
    **awslambda.PROVIDERS,
    **events.PROVIDERS,
    **stepfunctions.PROVIDERS,
    **sqs.PROVIDERS,
    **dynamodb.PROVIDERS,
    **cloudwatch.PROVIDERS,
    **ssm.PROVIDERS,
    **logs.PROVIDERS,
    **kms.PROVIDERS,
    **sns.PROVIDERS,
    **s3.PROVIDERS,
    **cloudtrail.PROVIDERS,
}
