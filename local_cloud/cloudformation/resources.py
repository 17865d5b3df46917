"""What every resource provider shares: the deployment context, the result of a create,
the provider signatures and helpers for CloudFormation properties."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from local_cloud.cloudformation.intrinsics import as_text

LOG = logging.getLogger("local_cloud.cloudformation.deployer")


class DeployError(RuntimeError):
    """A stack could not be deployed or deleted; the message names the resource."""


@dataclass
class Created:
    """What creating one resource produced: its Ref value, its GetAtt attributes and what
    deleting it needs later."""

    physical_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    teardown: dict[str, Any] = field(default_factory=dict)


class Context:
    """The account, Region and clients one deployment works with."""

    def __init__(self, session: boto3.Session, stack_name: str) -> None:
        self.session = session
        self.stack_name = stack_name
        self.region = session.region_name or "us-east-1"
        self._clients: dict[str, Any] = {}
        self.account = str(self.client("sts").get_caller_identity()["Account"])

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service, region_name=self.region)
        return self._clients[service]

    def generated_name(self, logical_id: str, limit: int, suffix: str = "") -> str:
        """`<stack>-<LogicalId>-<RANDOM>` as CloudFormation names resources, within `limit`."""
        tail = f"-{uuid.uuid4().hex[:12].upper()}{suffix}"
        return f"{self.stack_name}-{logical_id}"[: limit - len(tail)] + tail

    def physical_name(self, properties: Mapping[str, Any], name_key: str, logical_id: str,
                      limit: int, suffix: str = "") -> Any:
        """The name the template gives under `name_key`, else one generated as CloudFormation
        generates it (`generated_name`)."""
        return properties.get(name_key) or self.generated_name(logical_id, limit, suffix)

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


def pick(properties: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: properties[key] for key in keys if key in properties}


def as_json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def ints(values: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """Numbers reach us as text when they come from parameters; the APIs want numbers."""
    return {key: (int(value) if key in keys else value) for key, value in values.items()}


def tag_map(tags: Any) -> dict[str, str]:
    if isinstance(tags, dict):
        return {str(key): as_text(value) for key, value in tags.items()}
    return {str(tag["Key"]): as_text(tag["Value"]) for tag in tags or []}


def tag_list(tags: Any, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    """Tags as a list of pairs; `key` and `value` name the pair's fields where an API spells
    them otherwise (KMS: TagKey/TagValue, Step Functions: key/value)."""
    return [{key: name, value: text} for name, text in tag_map(tags).items()]


def tagging(properties: Mapping[str, Any], keyword: str = "Tags",
            form: Callable[[Any], Any] = tag_list) -> dict[str, Any]:
    """The template's Tags as the keyword argument a create call takes (`Tags`, `tags`,
    `TagsList`, ...) in that API's form (`tag_list`, `tag_map`): nothing when it has none."""
    return {keyword: form(properties["Tags"])} if properties.get("Tags") else {}


def as_bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


# Settings with no local meaning (logs go to the server's log anyway): a note, not a warning.
LOCALLY_MEANINGLESS = {"LoggingConfig", "LoggingConfiguration", "TracingConfig"}


def not_supported(logical_id: str, kind: str, properties: Mapping[str, Any],
                   *keys: str) -> None:
    for key in keys:
        if key in properties:
            log = LOG.info if key in LOCALLY_MEANINGLESS else LOG.warning
            log("%s (%s): %s is ignored by the local cloud", logical_id, kind, key)


Create = Callable[[Context, str, dict[str, Any]], Created]


Delete = Callable[[Context, str, dict[str, Any]], None]


# What a provider module offers: per resource type, its create and its delete.
Providers = dict[str, tuple[Create, Delete]]
