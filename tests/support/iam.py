"""IAM roles on a local cloud, for tests: a role an AWS service may assume, made once."""

from __future__ import annotations

import json

import boto3


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
