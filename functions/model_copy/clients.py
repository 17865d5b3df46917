"""The AWS clients of a function, each built on its first use and kept for the life of the
execution environment.

A client costs tens of milliseconds to build, and several are needed only on some paths
(lambda for a hand-over, ssm for a promotion, kms for an encrypted model), so none of them
slows a cold start that does not use it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3


@cache
def client(service: str) -> Any:
    return boto3.client(service)
