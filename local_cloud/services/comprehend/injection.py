"""Errors injected on purpose (control route `comprehend/inject`): an operation answers with an
error AWS documents for it, on its next call(s) or on every call, so callers' handling of each
error is tested against the local cloud and not only against fakes.

Only errors the Comprehend API reference lists for the operation can be injected (plus
AccessDeniedException, one of its Common Errors), each with the HTTP status the API reference
gives (400, 500 for InternalServerException; botocore's model says 404/429 for some, botocore
reads the code either way) and, unless the caller gives one, the message the API model documents
for that error (aws-facts item 4).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from local_cloud.services.comprehend.state import state

# Operation -> error code -> (HTTP status, AWS's message).
DOCUMENTED_ERRORS: dict[str, dict[str, tuple[int, str]]] = {
    "ImportModel": {
        "InternalServerException": (500, "An internal server error occurred. Retry your "
                                         "request."),
        "InvalidRequestException": (400, "The request is invalid."),
        "KmsKeyValidationException": (400, "The KMS customer managed key (CMK) entered cannot "
                                           "be validated. Verify the key and re-enter it."),
        "ResourceInUseException": (400, "The specified resource name is already in use. Use "
                                        "a different name and try your request again."),
        "ResourceLimitExceededException": (400, "The maximum number of resources per account "
                                                "has been exceeded. Review the resources, and "
                                                "then try your request again."),
        "ResourceNotFoundException": (400, "The specified resource ARN was not found. Check "
                                           "the ARN and try your request again."),
        "ResourceUnavailableException": (400, "The specified resource is not available. Check "
                                              "the resource and try your request again."),
        "TooManyRequestsException": (400, "The number of requests exceeds the limit. Resubmit "
                                          "your request later."),
        "TooManyTagsException": (400, "The request contains more tags than can be associated "
                                      "with a resource (50 tags per resource). The maximum "
                                      "number of tags includes both existing tags and those "
                                      "included in your current request."),
        "AccessDeniedException": (400, "You do not have sufficient access to perform this "
                                       "action."),
    },
}


@dataclass
class Injection:
    error: str
    message: str
    times: int | None  # None: every call
    accounts: list[str] | None  # None: every account


def inject(operation: str, error: str | None, message: str | None = None,
           times: int | None = None, accounts: list[str] | None = None) -> dict[str, Any]:
    """Make `operation` fail with `error` on its next `times` calls (None: every call) from
    `accounts` (None: all); `error` None clears it. Returns the injections in force."""
    documented = DOCUMENTED_ERRORS.get(operation)
    if documented is None:
        raise ValueError(f"errors can be injected into {sorted(DOCUMENTED_ERRORS)}, "
                         f"not {operation!r}")
    with state.lock:
        if error is None:
            state.injections.pop(operation, None)
        else:
            if error not in documented:
                raise ValueError(f"{operation} documents {sorted(documented)}, not {error!r}")
            if times is not None and int(times) < 1:
                raise ValueError("times must be at least 1, or null for every call")
            state.injections[operation] = Injection(
                error=error, message=message or documented[error][1],
                times=None if times is None else int(times),
                accounts=None if accounts is None else [str(a) for a in accounts])
        return {op: asdict(i) for op, i in state.injections.items()}


def take(account: str, operation: str) -> tuple[int, str, str] | None:
    """The (HTTP status, code, message) this call must fail with, if an injection applies; a
    limited injection is used up by the calls it fails."""
    with state.lock:
        injection = state.injections.get(operation)
        if injection is None or (injection.accounts is not None
                                 and account not in injection.accounts):
            return None
        if injection.times is not None:
            injection.times -= 1
            if injection.times <= 0:
                del state.injections[operation]
        status = DOCUMENTED_ERRORS[operation][injection.error][0]
        return status, injection.error, injection.message
