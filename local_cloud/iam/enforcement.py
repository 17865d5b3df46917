"""IAM enforced on every request made with role credentials, before moto sees it.

A WSGI middleware in front of moto reads who signs a request (the SigV4 access key), and if
the key belongs to a role session, maps the call to its checks (`operations`) and decides each
with the one evaluator against the role's policies (and, in the same account, the resource's
policy). A refusal is answered in the service's own error shape and never reaches moto:

    User: arn:aws:sts::<acct>:assumed-role/<role>/<session> is not authorized to perform:
    <action> on resource: <arn> because no identity-based policy allows the <action> action

Who is checked: sessions of roles, that is Lambda execution roles, the state machine's role
(Step Functions tasks sign with it) and rule target roles (checked in process by EventBridge
through `authorize`). Who is not: the local profiles' operator role (`source`, `target`,
`outsider` act as administrators of their own accounts; across accounts the services still
apply bus and model policies), and plain keys (moto's own clients).

Operations not mapped in `operations` are asked for on resource "*" (only an unscoped
statement allows them) and listed by the control route `iam/stats` under `unmapped`.
Control routes (area `iam`): stats (checks made, recent denials, unmapped actions), reset.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape as xml_escape

from local_cloud.core import control
from local_cloud.iam import identities
from local_cloud.iam.evaluator import Decision, Policy, Principal, Request, evaluate
from local_cloud.iam.operations import Call, Check, checks_for

log = logging.getLogger("local_cloud.iam")

# The role the local profiles assume (local_cloud.core.launcher.LOCAL_ROLE): administrators.
ADMINISTRATOR_ROLES = frozenset({"model-copy-local-operator"})
RECENT_DENIALS = 200

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")
_LAMBDA_INVOKE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")
_CBOR_OPERATION = re.compile(r"/operation/([A-Za-z0-9]+)$")


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.enforce = True
        self.checked = 0
        self.denials: deque[dict[str, str]] = deque(maxlen=RECENT_DENIALS)
        self.unmapped: dict[str, int] = {}


_state = _State()


# --------------------------------------------------------------------------- deciding

def decide(principal: Principal, policies: list[Policy], check: Check) -> Decision:
    return evaluate(principal, check.request, policies, check.resource_policy,
                    resource_checked_elsewhere=check.resource_side_checked_by_service)


def _record_denial(principal: Principal, request: Request, decision: Decision,
                   via: str) -> str:
    message = decision.message(principal, request)
    with _state.lock:
        _state.denials.append({"principal": principal.arn, "action": request.action,
                               "resource": request.resource, "message": message, "via": via})
    log.info("denied (%s): %s", via, message)
    return message


def authorize(role_arn: str, checks: Iterable[Check], session_name: str,
              via: str) -> str | None:
    """In-process calls a service makes with a role (a rule target's RoleArn, a Lambda
    destination, a function's logs): None if every check passes, else AWS's denial text."""
    if not _state.enforce:
        return None
    account = role_arn.split(":")[4]
    session = identities.RoleSession(
        account=account, role_arn=role_arn,
        session_arn=f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/"
                    f"{session_name}")
    principal = session.principal()
    policies = identities.role_policies(role_arn)
    for check in checks:
        with _state.lock:
            _state.checked += 1
        decision = decide(principal, policies, check)
        if not decision.allowed:
            return _record_denial(principal, check.request, decision, via)
    return None


# --------------------------------------------------------------------------- reading requests

def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
    return bytes(body)


def _call_of(environ: dict[str, Any], body: bytes, account: str, service: str,
             region: str) -> Call | None:
    path = environ.get("PATH_INFO", "/")
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    target = environ.get("HTTP_X_AMZ_TARGET")
    content_type = environ.get("CONTENT_TYPE", "")
    params: dict[str, Any] = {}
    if target:
        operation = target.rsplit(".", 1)[-1]
        try:
            loaded = json.loads(body or b"{}")
            params = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            params = {}
    elif "x-www-form-urlencoded" in content_type or "Action" in query:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        form.update(query)
        operation = form.get("Action", "")
        params = form
    elif service == "lambda":
        match = _LAMBDA_INVOKE.match(path)
        if not match:
            operation = f"{environ.get('REQUEST_METHOD')} {path}"
        else:
            operation, params = "Invoke", {"FunctionName": unquote(match.group(1))}
    elif (match := _CBOR_OPERATION.search(path)) is not None:
        operation = match.group(1)  # smithy-rpc-v2-cbor (CloudWatch): the body is not read
    else:
        return None
    if not operation:
        return None
    return Call(service=service, operation=operation, params=params, account=account,
                region=region, path=path, query=query)


# --------------------------------------------------------------------------- answering

def _denied_response(call: Call, message: str, environ: dict[str, Any],
                     start_response: Callable[..., Any]) -> list[bytes]:
    query_protocol = not environ.get("HTTP_X_AMZ_TARGET") and call.service in (
        "sqs", "sts", "iam", "cloudformation")
    if query_protocol:
        body = ("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                f"<Message>{xml_escape(message)}</Message></Error>"
                "<RequestId>local-iam</RequestId></ErrorResponse>").encode()
        start_response("403 Forbidden", [("Content-Type", "text/xml"),
                                         ("Content-Length", str(len(body)))])
        return [body]
    if call.service == "lambda":  # REST-JSON: the code is in a header
        body = json.dumps({"Type": "User", "Message": message}).encode()
        headers = [("x-amzn-ErrorType", "AccessDeniedException")]
        status = "403 Forbidden"
    elif call.service == "sqs":  # JSON, query-compatible: botocore reads the code from here
        body = json.dumps({"__type": "com.amazonaws.sqs#AccessDenied",
                           "message": message}).encode()
        headers = [("x-amzn-query-error", "AccessDenied;Sender")]
        status = "403 Forbidden"
    else:
        body = json.dumps({"__type": "AccessDeniedException", "message": message,
                           "Message": message}).encode()
        headers = [("x-amzn-ErrorType", "AccessDeniedException")]
        status = "400 Bad Request"
    # botocore (and moto's Step Functions interpreter after it) expects a request id.
    start_response(status, [("Content-Type", "application/x-amz-json-1.1"),
                            ("Content-Length", str(len(body))),
                            ("x-amzn-RequestId", str(uuid.uuid4())), *headers])
    return [body]


class IamEnforcement:
    """WSGI middleware: requests signed by role sessions pass only if IAM allows them."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        refusal = self._refusal(environ, start_response) if _state.enforce else None
        if refusal is not None:
            return refusal
        return self.app(environ, start_response)

    @staticmethod
    def _refusal(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if credential is None:
            return None
        access_key, region, service = credential.groups()
        session = identities.session_of(access_key)
        if session is None or session.role_name in ADMINISTRATOR_ROLES:
            return None
        call = _call_of(environ, _read_body(environ), session.account, service, region)
        if call is None:
            return None
        checks = checks_for(call)
        if checks is None:
            with _state.lock:
                first = call.action not in _state.unmapped
                _state.unmapped[call.action] = _state.unmapped.get(call.action, 0) + 1
            if first:
                log.warning("%s is not mapped to its resources: checked on resource *",
                            call.action)
            checks = [Check(Request(call.action, "*"))]
        principal = session.principal()
        policies = identities.role_policies(session.role_arn)
        for check in checks:
            with _state.lock:
                _state.checked += 1
            decision = decide(principal, policies, check)
            if not decision.allowed:
                message = _record_denial(principal, check.request, decision, "request")
                return _denied_response(call, message, environ, start_response)
        return None


# --------------------------------------------------------------------------- control routes

def stats() -> dict[str, Any]:
    with _state.lock:
        return {"enforce": _state.enforce, "checked": _state.checked,
                "denials": list(_state.denials), "unmapped": dict(_state.unmapped)}


def reset() -> dict[str, Any]:
    with _state.lock:
        _state.checked = 0
        _state.denials.clear()
        _state.unmapped.clear()
    return {"reset": True}


def install() -> None:
    identities.install()
    for action, handler in (("stats", stats), ("reset", reset)):
        control.register("iam", action, handler)
