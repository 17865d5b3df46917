"""The local deployer checks a template's Rules as CloudFormation does, before creating
anything (issue 13 item 4: a key for the copies needs a DataAccessRoleArn)."""

from __future__ import annotations

import pytest

from local_cloud.cloudformation import deployer, pipeline
from local_cloud.cloudformation.intrinsics import TemplateError
from local_cloud.core.accounts import REGION, TARGET_ACCOUNT


def test_a_model_key_without_a_data_access_role_is_refused(local_cloud, target):
    parameters = pipeline.target_parameters(
        ModelKmsKeyId=f"arn:aws:kms:{REGION}:{TARGET_ACCOUNT}:key/copies")
    with pytest.raises(TemplateError, match=r"ModelKmsKeyNeedsDataAccessRole.*DataAccessRoleArn"):
        deployer.deploy(target, pipeline.TEMPLATE, "model-copy-rule-check", parameters,
                        local_cloud.state_dir)
    with pytest.raises(deployer.StackNotFoundError):
        deployer.describe(target, "model-copy-rule-check", local_cloud.state_dir)
