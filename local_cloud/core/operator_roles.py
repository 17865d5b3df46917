"""The role each local profile assumes, created in its account as it exists in a real one.

AWS validates the principals a resource policy names, so a policy can name only a role that
exists; the profiles' role (`LOCAL_ROLE`) stands for the user's own role, which does.
"""

from __future__ import annotations

import json

from local_cloud.core.accounts import PROFILES
from local_cloud.core.launcher import LOCAL_ROLE


def ensure() -> None:
    """Create the operator role in every local account that lacks it (after a restore too)."""
    from moto.iam.exceptions import EntityAlreadyExists
    from moto.iam.models import iam_backends

    for account in PROFILES.values():
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}
        try:
            iam_backends[account]["aws"].create_role(
                role_name=LOCAL_ROLE, assume_role_policy_document=json.dumps(trust), path="/",
                permissions_boundary=None, description="what the local profiles assume",
                tags=[], max_session_duration=None)
        except EntityAlreadyExists:  # restored from the saved state
            pass
