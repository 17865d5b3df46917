"""The local deployer's provider for S3 buckets and bucket policies."""

from __future__ import annotations

from typing import Any

from local_cloud.cloudformation.resources import (
    Context,
    Created,
    Providers,
    as_bool,
    as_json,
    not_supported,
    tag_list,
)


def _create_bucket(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    not_supported(logical_id, "AWS::S3::Bucket", properties, "NotificationConfiguration",
                   "ReplicationConfiguration", "WebsiteConfiguration", "CorsConfiguration")
    s3 = context.client("s3")
    # Bucket names are global and lower case: CloudFormation's generated name is lowered.
    name = properties.get("BucketName") or context.generated_name(logical_id, 63).lower()
    extra = ({} if context.region == "us-east-1" else
             {"CreateBucketConfiguration": {"LocationConstraint": context.region}})
    s3.create_bucket(Bucket=name, **extra)
    if "BucketEncryption" in properties:
        # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSide...
        rules = [{("ApplyServerSideEncryptionByDefault" if key == "ServerSideEncryptionByDefault"
                   else key): value for key, value in rule.items()}
                 for rule in properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
        s3.put_bucket_encryption(Bucket=name,
                                 ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
            key: as_bool(value)
            for key, value in properties["PublicAccessBlockConfiguration"].items()})
    if "VersioningConfiguration" in properties:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={
            "Status": properties["VersioningConfiguration"]["Status"]})
    if properties.get("Tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(properties["Tags"])})
    arn = f"arn:aws:s3:::{name}"
    return Created(name, {"Arn": arn, "DomainName": f"{name}.s3.amazonaws.com"})


def _delete_bucket(context: Context, name: str, _: dict[str, Any]) -> None:
    # DeletionPolicy is not honoured locally: a redeploy replaces the stack as a whole.
    s3 = context.client("s3")
    versions = s3.list_object_versions(Bucket=name)
    for item in [*versions.get("Versions", []), *versions.get("DeleteMarkers", [])]:
        s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=name)


def _create_bucket_policy(context: Context, logical_id: str,
                          properties: dict[str, Any]) -> Created:
    bucket = properties["Bucket"]
    context.client("s3").put_bucket_policy(Bucket=bucket,
                                           Policy=as_json(properties["PolicyDocument"]))
    return Created(context.generated_name(logical_id, 128), {}, {"bucket": bucket})


def _delete_bucket_policy(context: Context, _: str, teardown: dict[str, Any]) -> None:
    context.client("s3").delete_bucket_policy(Bucket=teardown["bucket"])


PROVIDERS: Providers = {
    "AWS::S3::Bucket": (_create_bucket, _delete_bucket),
    "AWS::S3::BucketPolicy": (_create_bucket_policy, _delete_bucket_policy),
}
