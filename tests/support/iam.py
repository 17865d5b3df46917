"""IAM on a local cloud, for tests: a role an AWS service may assume, made once; a new role
with given statements and a session of it; the local cloud's denials read and expected."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.core.accounts import REGION
from tests.support import new_name


def service_role(session: boto3.Session, name: str, service: str, actions: list[str],
                 policy_name: str) -> str:
    """The role `name` of the session's account, which `service` may assume and which may do
    `actions` on any resource; made on first use and kept (tests share the local cloud)."""
    iam = session.client("iam")
    for role in iam.list_roles()["Roles"]:
        if role["RoleName"] == name:
            return str(role["Arn"])
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service},
            "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return str(arn)


TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}


def role_session(admin: boto3.Session, *statements: dict[str, Any],
                 session_name: str = "probe") -> tuple[boto3.Session, str]:
    """A new role with these statements, and a session of it (as a Lambda runtime gets one)."""
    iam = admin.client("iam")
    name = new_name("role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
    keys = admin.client("sts").assume_role(RoleArn=arn, RoleSessionName=session_name)
    credentials = keys["Credentials"]
    return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                         aws_secret_access_key=credentials["SecretAccessKey"],
                         aws_session_token=credentials["SessionToken"],
                         region_name=REGION), name


def allow(action: Any, resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def denied(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def no_policy_allows(account: str, role: str, action: str, resource: str) -> str:
    """The local cloud's (and AWS's) denial of `action` on `resource` to the session "probe"
    of `role` when no identity-based policy allows it."""
    return (f"User: arn:aws:sts::{account}:assumed-role/{role}/probe is not authorized to "
            f"perform: {action} on resource: {resource} because no identity-based policy "
            f"allows the {action} action")
