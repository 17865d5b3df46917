"""Comprehend model ARNs: the one place that knows their format.

    arn:aws:comprehend:us-east-1:111111111111:document-classifier/NAME
    arn:aws:comprehend:us-east-1:111111111111:document-classifier/NAME/version/VERSION
    (entity-recognizer likewise)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from model_copy.errors import InvalidCopyRequest

MODEL_TYPES = ("document-classifier", "entity-recognizer")
# Comprehend's own constraint on model and version names (botocore's ComprehendArnName).
NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
NAME_MAX_LENGTH = 63
# Every pattern is used with `fullmatch` and ASCII classes: `re.match` with `$` accepts a
# trailing newline ("name\n"), and a Unicode `\d` accepts digits of other scripts.
ACCOUNT_PATTERN = re.compile(r"[0-9]{12}")

_ARN = re.compile(
    r"arn:(?P<partition>aws(-[a-z]+)*):comprehend:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]):"
    r"(?P<account>[0-9]{12}):(?P<model_type>[a-z-]+)/(?P<name>[^/]+)"
    r"(/version/(?P<version>[^/]+))?"
)
_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class ModelArn:
    partition: str
    region: str
    account: str
    model_type: str
    model_name: str
    version_name: str | None = None

    def __str__(self) -> str:
        arn = (f"arn:{self.partition}:comprehend:{self.region}:{self.account}:"
               f"{self.model_type}/{self.model_name}")
        return f"{arn}/version/{self.version_name}" if self.version_name else arn

    @property
    def is_classifier(self) -> bool:
        return self.model_type == "document-classifier"

    def in_account(self, account: str, name: str, version: str | None) -> ModelArn:
        """The ARN the same kind of model gets in another account (an imported copy)."""
        return replace(self, account=account, model_name=name, version_name=version)


def validate_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidCopyRequest(f"{what} is missing")
    if len(value) > NAME_MAX_LENGTH:
        raise InvalidCopyRequest(
            f"{what} {value!r} is {len(value)} characters long; Comprehend allows "
            f"at most {NAME_MAX_LENGTH}")
    if not _NAME.fullmatch(value):
        raise InvalidCopyRequest(
            f"{what} {value!r} is not a valid Comprehend name: use letters, digits and "
            "single or repeated hyphens between them (pattern " + NAME_PATTERN + ")")
    return value


def validate_account(value: object, what: str = "account id") -> str:
    if not isinstance(value, str) or not ACCOUNT_PATTERN.fullmatch(value):
        raise InvalidCopyRequest(f"{what} {value!r} is not a 12-digit AWS account id")
    return value


def parse_model_arn(value: object) -> ModelArn:
    """Parse and validate; the error says which part is wrong."""
    if value is None or value == "":
        raise InvalidCopyRequest("sourceModelArn is missing: give the ARN of a Comprehend "
                                 "document classifier or entity recognizer (version)")
    if not isinstance(value, str):
        raise InvalidCopyRequest(f"sourceModelArn must be a string, not {value!r}")
    match = _ARN.fullmatch(value)
    if not match:
        raise InvalidCopyRequest(
            f"{value!r} is not a Comprehend model ARN; expected "
            "arn:aws:comprehend:<region>:<account>:document-classifier/<name>[/version/<version>] "
            "or the same with entity-recognizer")
    model_type = match["model_type"]
    if model_type not in MODEL_TYPES:
        raise InvalidCopyRequest(
            f"{value!r} names a {model_type!r}; only {' and '.join(MODEL_TYPES)} models "
            "can be copied")
    version = match["version"]
    validate_name(match["name"], "model name")
    if version is not None:
        validate_name(version, "version name")
    return ModelArn(partition=match["partition"], region=match["region"],
                    account=match["account"], model_type=model_type,
                    model_name=match["name"], version_name=version)
