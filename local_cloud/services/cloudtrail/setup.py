"""A trail that logs, set up through the API as an account administrator would: an S3 bucket
for its log files, the trail, StartLogging. Used by the local pipeline deployment and tests."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError


def start_trail(session: boto3.Session, name: str, region: str | None = None,
                multi_region: bool = False, logging: bool = True) -> str:
    """Create trail `name` (and its bucket) in the session's account unless it exists; start
    its logging unless `logging` is False. Returns the trail's ARN."""
    region = region or session.region_name
    cloudtrail = session.client("cloudtrail", region_name=region)
    try:
        arn = str(cloudtrail.get_trail(Name=name)["Trail"]["TrailARN"])
    except ClientError as error:
        if error.response["Error"]["Code"] != "TrailNotFoundException":
            raise
        account = session.client("sts").get_caller_identity()["Account"]
        bucket = f"{name.lower()}-{account}-{region}"
        s3 = session.client("s3", region_name=region)
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            extra = ({} if region == "us-east-1" else
                     {"CreateBucketConfiguration": {"LocationConstraint": region}})
            s3.create_bucket(Bucket=bucket, **extra)
        arn = str(cloudtrail.create_trail(Name=name, S3BucketName=bucket,
                                          IsMultiRegionTrail=multi_region)["TrailARN"])
    if logging:
        cloudtrail.start_logging(Name=name)
    return arn
