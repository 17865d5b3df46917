"""Comprehend's client errors, in the shape moto's JSON protocol returns them, and the field
constraints of Comprehend's API model that AWS checks before any operation runs.

A value that breaks a constraint gets the same ValidationException whichever operation received
it. Every pattern is matched against the whole value (`fullmatch`): Python's `$` also matches
before a trailing newline, so `re.match(".*$")` would let "name\\n" through; AWS (Java's
`String.matches`) does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_MAX_LENGTH = 63
# Patterns as the Comprehend API model (botocore's comprehend service-2.json) writes them.
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
_VERSIONED = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*(/version/[a-zA-Z0-9](-*[a-zA-Z0-9])*)?"
_ARN_PREFIX = r"arn:aws(-[^:]+)?:comprehend:[a-zA-Z0-9-]*:[0-9]{12}:"


@dataclass(frozen=True)
class Constraint:
    """One shape of the API model: a pattern (always matched whole) and length bounds."""
    pattern: str
    max_length: int
    min_length: int = 1

    def holds(self, value: str) -> bool:
        # The model's patterns are anchored with ^...$ or not at all; fullmatch makes both whole.
        core = self.pattern.removeprefix("^").removesuffix("$")
        return (self.min_length <= len(value) <= self.max_length
                and re.fullmatch(core, value) is not None)


NAME = Constraint(NAME_PATTERN, NAME_MAX_LENGTH)
DOCUMENT_CLASSIFIER_ARN = Constraint(_ARN_PREFIX + "document-classifier/" + _VERSIONED, 256)
ENTITY_RECOGNIZER_ARN = Constraint(_ARN_PREFIX + "entity-recognizer/" + _VERSIONED, 256)
MODEL_ARN = Constraint(_ARN_PREFIX + "(document-classifier|entity-recognizer)/" + _VERSIONED, 256)
POLICY_REVISION_ID = Constraint("[0-9A-Fa-f]+", 64)
IAM_ROLE_ARN = Constraint("arn:aws(-[^:]+)?:iam::[0-9]{12}:role/.+", 2048, min_length=20)
KMS_KEY_ID = Constraint(r"^[\x00-\x7f]+$", 2048)  # the model's ^\p{ASCII}+$
# PutResourcePolicy's ResourcePolicy: the `Policy` shape of the Comprehend API model.
POLICY_DOCUMENT = Constraint(r"[\t\n\r\x20-\xff]+", 20000)


def error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def not_found() -> Exception:
    """moto's own message (moto.comprehend.exceptions.ResourceNotFound), word for word: moto's
    tests compare it, and AWS's documented example says the same (aws-facts item 1)."""
    return error("ResourceNotFoundException",
                 "RESOURCE_NOT_FOUND: Could not find specified resource.")


def invalid(message: str) -> Exception:
    return error("InvalidRequestException", message)


def check(value: str | None, field_name: str, constraint: Constraint,
          required: bool = True) -> None:
    """AWS's JSON services answer a constraint failure with ValidationException, in this form."""
    prefix = "1 validation error detected: Value"
    if value is None:
        if required:
            raise error("ValidationException", f"{prefix} null at '{field_name}' failed to "
                        "satisfy constraint: Member must not be null")
        return
    if len(value) > constraint.max_length:
        raise error("ValidationException", f"{prefix} '{value}' at '{field_name}' failed to "
                    "satisfy constraint: Member must have length less than or equal to "
                    f"{constraint.max_length}")
    if len(value) < constraint.min_length:
        raise error("ValidationException", f"{prefix} '{value}' at '{field_name}' failed to "
                    "satisfy constraint: Member must have length greater than or equal to "
                    f"{constraint.min_length}")
    if not constraint.holds(value):
        raise error("ValidationException", f"{prefix} '{value}' at '{field_name}' failed to "
                    "satisfy constraint: Member must satisfy regular expression pattern: "
                    f"{constraint.pattern}")


def check_name(value: str | None, field_name: str, required: bool = True) -> None:
    check(value, field_name, NAME, required)
