"""The profiles written by the local cloud select the account, as AWS profiles do."""

from local_cloud.core.accounts import OUTSIDER_ACCOUNT, SOURCE_ACCOUNT, TARGET_ACCOUNT


def test_each_profile_acts_as_its_own_account(source, target, outsider):
    identities = [s.client("sts").get_caller_identity()["Account"]
                  for s in (source, target, outsider)]
    assert identities == [SOURCE_ACCOUNT, TARGET_ACCOUNT, OUTSIDER_ACCOUNT]


def test_resources_are_kept_per_account(source, target):
    source.client("sqs").create_queue(QueueName="only-in-source")
    assert "QueueUrls" not in target.client("sqs").list_queues(QueueNamePrefix="only-in-source")


def test_control_plane_answers(local_cloud):
    assert "health/ping" in local_cloud.control("health", "ping")["routes"]
