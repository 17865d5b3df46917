"""Comprehend's client errors, in the shape moto's JSON protocol returns them.

Name checks live here too: AWS answers a name that breaks its constraints with the same
ValidationException whichever operation received it.
"""

from __future__ import annotations

import re

NAME_MAX_LENGTH = 63
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$"
_NAME = re.compile(NAME_PATTERN)


def error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def not_found(arn: str) -> Exception:
    return error("ResourceNotFoundException",
                 f"RESOURCE_NOT_FOUND: Could not find specified resource. ({arn})")


def invalid(message: str) -> Exception:
    return error("InvalidRequestException", message)


def check_name(value: str | None, field_name: str, required: bool = True) -> None:
    """AWS's JSON services answer a constraint failure with ValidationException, in this form."""
    if value is None:
        if required:
            raise error("ValidationException", f"1 validation error detected: Value null at "
                        f"'{field_name}' failed to satisfy constraint: Member must not be null")
        return
    if len(value) > NAME_MAX_LENGTH:
        raise error("ValidationException", f"1 validation error detected: Value '{value}' at "
                    f"'{field_name}' failed to satisfy constraint: Member must have length "
                    f"less than or equal to {NAME_MAX_LENGTH}")
    if not _NAME.match(value):
        raise error("ValidationException", f"1 validation error detected: Value '{value}' at "
                    f"'{field_name}' failed to satisfy constraint: Member must satisfy regular "
                    f"expression pattern: {NAME_PATTERN}")
