"""The local cloud answers only credentials it issued, and its profiles cannot reuse another
cloud's cached ones (issue 15: "Profiles that cannot land in the wrong account")."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from local_cloud.core import launcher
from local_cloud.core.accounts import REGION, TARGET_ACCOUNT


def _client(cloud: launcher.LocalCloud, service: str, key: str, token: str | None = None):  # type: ignore[no-untyped-def]
    return boto3.Session(aws_access_key_id=key, aws_secret_access_key="whatever",
                         aws_session_token=token, region_name=REGION).client(
        service, endpoint_url=cloud.endpoint)


@pytest.mark.parametrize(("service", "call"), [
    ("comprehend", lambda c: c.list_document_classifiers()),   # JSON protocol
    ("sts", lambda c: c.get_caller_identity()),                 # query protocol
    ("stepfunctions", lambda c: c.list_state_machines()),
    ("s3", lambda c: c.list_buckets()),                         # REST-XML
])
def test_a_key_this_cloud_did_not_issue_is_refused(local_cloud, service, call):
    client = _client(local_cloud, service, "ASIAOTHERCLOUD0000001", token="cached")
    with pytest.raises(ClientError) as refused:
        call(client)
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "did not issue access key ASIAOTHERCLOUD0000001" in str(refused.value)


def test_the_base_key_only_assumes_roles_and_acts_in_no_account(local_cloud):
    with pytest.raises(ClientError) as refused:
        _client(local_cloud, "comprehend", "local").list_document_classifiers()
    assert refused.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert "only assumes roles" in str(refused.value)
    keys = _client(local_cloud, "sts", "local").assume_role(
        RoleArn=f"arn:aws:iam::{TARGET_ACCOUNT}:role/anything", RoleSessionName="test")[
        "Credentials"]
    sts = _client(local_cloud, "sts", keys["AccessKeyId"], keys["SessionToken"])
    assert sts.get_caller_identity()["Account"] == TARGET_ACCOUNT


def test_profiles_act_in_their_accounts(source, target):
    assert source.client("sts").get_caller_identity()["Account"] == "111111111111"
    listed = target.client("comprehend").list_document_classifiers()
    assert listed["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_each_cloud_names_its_role_sessions_apart(tmp_path):
    sessions = []
    for name in ("one", "two"):
        cloud = launcher.LocalCloud(port=4566, state_dir=tmp_path / name, cloud_id=name + "x")
        cloud.state_dir.mkdir()
        launcher.write_client_files(cloud)
        config = configparser.ConfigParser()
        config.read(cloud.aws_config_file)
        sessions.append(config["profile source"]["role_session_name"])
    assert sessions[0] != sessions[1]


def test_the_env_file_puts_the_command_on_path(tmp_path):
    cloud = launcher.LocalCloud(port=4566, state_dir=tmp_path, cloud_id="abc")
    launcher.write_client_files(cloud)
    found = subprocess.run(["bash", "-c", f"source {tmp_path / 'env'} && command -v model-copy"
                            " && echo $AWS_CONFIG_FILE"], capture_output=True, text=True,
                           env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, check=False)
    command, config = found.stdout.split()
    assert Path(command).name == "model-copy" and Path(command).is_file()
    assert config == str(cloud.aws_config_file)
