"""The local deployer's provider for IAM roles and policies."""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import ClientError

from local_cloud.cloudformation.resources import (
    LOG,
    Context,
    Created,
    Providers,
    as_json,
    pick,
    tagging,
)


def _policy_document(document: Any) -> str:
    """IAM takes a document without Version (SAM's policy templates omit it); moto refuses
    one, so the current version is added."""
    if isinstance(document, dict) and "Version" not in document:
        document = {"Version": "2012-10-17", **document}
    return as_json(document)


def _create_role(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    iam = context.client("iam")
    name = context.physical_name(properties, "RoleName", logical_id, 64)
    extra = pick(properties, "Path", "Description", "PermissionsBoundary")
    if "MaxSessionDuration" in properties:
        extra["MaxSessionDuration"] = int(properties["MaxSessionDuration"])
    extra.update(tagging(properties))
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_policy_document(
        properties["AssumeRolePolicyDocument"]), **extra)["Role"]
    for policy in properties.get("Policies", []):
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"],
                            PolicyDocument=_policy_document(policy["PolicyDocument"]))
    attached = []
    for policy_arn in properties.get("ManagedPolicyArns", []):
        try:
            iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
            attached.append(policy_arn)
        except ClientError as error:
            # moto knows AWS managed policies only when its server runs with
            # MOTO_IAM_LOAD_MANAGED_POLICIES=true; a policy not attached grants nothing.
            log = LOG.info if policy_arn.startswith("arn:aws:iam::aws:policy/") else LOG.warning
            log("%s: managed policy %s not attached: %s", logical_id, policy_arn, error)
    return Created(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]},
                   {"managed": attached,
                    "inline": [policy["PolicyName"] for policy in properties.get("Policies", [])]})


def _delete_role(context: Context, name: str, teardown: dict[str, Any]) -> None:
    iam = context.client("iam")
    for policy_arn in teardown.get("managed", []):
        with contextlib.suppress(ClientError):
            iam.detach_role_policy(RoleName=name, PolicyArn=policy_arn)
    for policy_name in teardown.get("inline", []):
        with contextlib.suppress(ClientError):
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)


def _create_policy(context: Context, logical_id: str, properties: dict[str, Any]) -> Created:
    iam = context.client("iam")
    document = _policy_document(properties["PolicyDocument"])
    name = properties["PolicyName"]
    for role in properties.get("Roles", []):
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)
    for user in properties.get("Users", []):
        iam.put_user_policy(UserName=user, PolicyName=name, PolicyDocument=document)
    for group in properties.get("Groups", []):
        iam.put_group_policy(GroupName=group, PolicyName=name, PolicyDocument=document)
    return Created(context.generated_name(logical_id, 128), {},
                   {"name": name, "roles": properties.get("Roles", []),
                    "users": properties.get("Users", []), "groups": properties.get("Groups", [])})


def _delete_policy(context: Context, _: str, teardown: dict[str, Any]) -> None:
    iam = context.client("iam")
    for role in teardown["roles"]:
        iam.delete_role_policy(RoleName=role, PolicyName=teardown["name"])
    for user in teardown["users"]:
        iam.delete_user_policy(UserName=user, PolicyName=teardown["name"])
    for group in teardown["groups"]:
        iam.delete_group_policy(GroupName=group, PolicyName=teardown["name"])


def _create_managed_policy(context: Context, logical_id: str,
                           properties: dict[str, Any]) -> Created:
    iam = context.client("iam")
    name = context.physical_name(properties, "ManagedPolicyName", logical_id, 128)
    policy = iam.create_policy(
        PolicyName=name, PolicyDocument=_policy_document(properties["PolicyDocument"]),
        **pick(properties, "Path", "Description"))["Policy"]
    for role in properties.get("Roles", []):
        iam.attach_role_policy(RoleName=role, PolicyArn=policy["Arn"])
    return Created(policy["Arn"], {"PolicyArn": policy["Arn"], "PolicyId": policy["PolicyId"]},
                   {"roles": properties.get("Roles", [])})


def _delete_managed_policy(context: Context, arn: str, teardown: dict[str, Any]) -> None:
    iam = context.client("iam")
    for role in teardown["roles"]:
        with contextlib.suppress(ClientError):
            iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    iam.delete_policy(PolicyArn=arn)


PROVIDERS: Providers = {
    "AWS::IAM::Role": (_create_role, _delete_role),
    "AWS::IAM::Policy": (_create_policy, _delete_policy),
    "AWS::IAM::ManagedPolicy": (_create_managed_policy, _delete_managed_policy),
}
