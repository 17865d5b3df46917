"""The fixed identities of the local cloud: one Region, three accounts."""

REGION = "us-east-1"
SOURCE_ACCOUNT = "111111111111"
TARGET_ACCOUNT = "222222222222"
OUTSIDER_ACCOUNT = "333333333333"

# Profile name -> account id, as written into .local-cloud/aws-config.
PROFILES = {
    "source": SOURCE_ACCOUNT,
    "target": TARGET_ACCOUNT,
    "outsider": OUTSIDER_ACCOUNT,
}

DEFAULT_PORT = 4566
