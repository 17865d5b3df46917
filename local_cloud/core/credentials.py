"""Refuse credentials the local cloud did not issue, as AWS does (`InvalidClientTokenId`).

moto answers a request signed with a key it does not know as its default account
123456789012. A user whose AWS CLI reuses credentials cached (`~/.aws/cli/cache`) from an
earlier local cloud would then work, silently, in an account none of ours is. So every AWS
request must be signed with a key this cloud issued:
- keys from `sts:AssumeRole` (the profiles in `.local-cloud/aws-config`, the Lambda roles) or
  from `iam:CreateAccessKey`: moto records both in its IAM backends, which are saved and
  restored with the cloud, so they survive a restart of the same cloud and nothing else;
- the base key of `aws-config` (`BASE_ACCESS_KEY`), which may only call STS: it exists to
  assume the profiles' roles and acts in no account itself.
Requests moto's own Step Functions interpreter makes are signed with keys of the execution
role (issued in process by local_cloud.services.stepfunctions); a request that names its
account with `x-moto-account-id` passes too; /moto-api/ and /_local/ are ours.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape as xml_escape

BASE_ACCESS_KEY = "local"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]*/[^/]*/([^/,\s]+)/")
_OPEN_PATHS = ("/moto-api/", "/_local/")


def signing_key(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """(access key id, service) of a SigV4 request: header, or presigned query string."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found is None:
        query = urllib.parse.unquote(environ.get("QUERY_STRING", ""))
        found = re.search(r"X-Amz-Credential=([^/&]+)/[^/]*/[^/]*/([^/&]+)/", query)
    return (found.group(1), found.group(2)) if found else (None, None)


def issued_keys() -> Iterable[str]:
    from moto.iam.models import iam_backends

    for _account, by_partition in list(iam_backends.items()):
        for backend in list(by_partition.values()):
            yield from list(backend.access_keys)


def refusal(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(error code, message) when the request must be refused, None when it may pass."""
    path = environ.get("PATH_INFO", "")
    if path.startswith(_OPEN_PATHS) or environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
        return None
    key, service = signing_key(environ)
    if key is None:
        return ("MissingAuthenticationToken",
                "Request is missing Authentication Token: the local cloud answers signed "
                "requests only (use a profile of .local-cloud/aws-config)")
    if key == BASE_ACCESS_KEY:
        if service == "sts":
            return None
        return ("InvalidClientTokenId",
                f"The security token included in the request is invalid: the base key "
                f"'{BASE_ACCESS_KEY}' only assumes roles; use --profile source, target or "
                "outsider of .local-cloud/aws-config")
    if key in set(issued_keys()):
        return None
    return ("InvalidClientTokenId",
            f"The security token included in the request is invalid: this local cloud did "
            f"not issue access key {key} (credentials cached by another cloud, e.g. in "
            "~/.aws/cli/cache, or real AWS keys?); use a profile of this cloud's "
            ".local-cloud/aws-config")


def _error_body(environ: dict[str, Any], service: str | None, code: str,
                message: str) -> tuple[str, bytes]:
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type:
        return ("application/x-amz-json-1.1",
                json.dumps({"__type": code, "message": message}).encode())
    error = f"<Code>{code}</Code><Message>{xml_escape(message)}</Message>"
    if service == "s3":
        return "application/xml", f"<Error>{error}</Error>".encode()
    return ("text/xml", f"<ErrorResponse><Error><Type>Sender</Type>{error}</Error>"
                        "<RequestId>local</RequestId></ErrorResponse>".encode())


class IssuedCredentialsOnly:
    """WSGI middleware: answers 403 for requests signed with a key this cloud did not issue."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        refused = refusal(environ)
        if refused is None:
            return self.app(environ, start_response)
        code, message = refused
        content_type, body = _error_body(environ, signing_key(environ)[1], code, message)
        start_response("403 Forbidden", [("Content-Type", content_type),
                                          ("x-amzn-ErrorType", code),
                                          ("Content-Length", str(len(body)))])
        return [body]
