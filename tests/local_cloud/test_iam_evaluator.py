"""The local cloud's one policy evaluator decides as IAM does (no cloud needed)."""

from __future__ import annotations

from typing import Any

import pytest

from local_cloud.iam.conditions import condition_holds
from local_cloud.iam.evaluator import Principal, Request, evaluate
from local_cloud.iam.matching import arn_like

A, B, C = "111111111111", "222222222222", "333333333333"
ROLE = f"arn:aws:iam::{B}:role/model-copy-importer-us-east-1"
SESSION = f"arn:aws:sts::{B}:assumed-role/model-copy-importer-us-east-1/import"
IMPORTER = Principal(account=B, arn=SESSION, role_arn=ROLE, org_id="o-1")
MODEL = f"arn:aws:comprehend:us-east-1:{A}:document-classifier/clf/version/v1"
OWN_MODEL = f"arn:aws:comprehend:us-east-1:{B}:document-classifier/clf/version/v1"
BUS = f"arn:aws:events:us-east-1:{B}:event-bus/model-copy"


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource, **extra}]}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Deny", "Action": action, "Resource": resource, **extra}]}


def model_policy(principal: Any, effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": effect, "Principal": {"AWS": principal},
                           "Action": "comprehend:ImportModel", "Resource": "*", **extra}]}


def test_no_policy_allows_nothing_and_says_so() -> None:
    request = Request("dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{B}:table/ledger")
    decision = evaluate(IMPORTER, request, [])
    assert not decision.allowed
    assert decision.message(IMPORTER, request) == (
        f"User: {SESSION} is not authorized to perform: dynamodb:GetItem on resource: "
        f"arn:aws:dynamodb:us-east-1:{B}:table/ledger because no identity-based policy allows "
        "the dynamodb:GetItem action")


def test_an_allow_for_the_action_and_resource_allows() -> None:
    table = f"arn:aws:dynamodb:us-east-1:{B}:table/ledger"
    policy = allow(["dynamodb:GetItem", "dynamodb:PutItem"], table)
    assert evaluate(IMPORTER, Request("dynamodb:GetItem", table), [policy]).allowed
    assert not evaluate(IMPORTER, Request("dynamodb:DeleteItem", table), [policy]).allowed
    assert not evaluate(IMPORTER, Request("dynamodb:GetItem", table + "-other"), [policy]).allowed


def test_an_explicit_deny_wins_over_any_allow() -> None:
    request = Request("comprehend:DescribeDocumentClassifier", OWN_MODEL)
    decision = evaluate(IMPORTER, request, [allow("comprehend:*"), deny("comprehend:Describe*")])
    assert not decision.allowed
    assert "explicit deny in an identity-based policy" in decision.reason
    # A Deny in the resource policy wins too, even over an identity Allow in its own account.
    own = Request("comprehend:ImportModel", OWN_MODEL)
    assert not evaluate(IMPORTER, own, [allow("comprehend:ImportModel")],
                        model_policy(ROLE, effect="Deny")).allowed


@pytest.mark.parametrize(("pattern", "action", "expected"), [
    ("comprehend:*", "comprehend:ImportModel", True),
    ("comprehend:Describe*", "comprehend:DescribeEntityRecognizer", True),
    ("COMPREHEND:importmodel", "comprehend:ImportModel", True),
    ("comprehend:Describe?ocumentClassifier", "comprehend:DescribeDocumentClassifier", True),
    ("comprehend:Describe*", "comprehend:ImportModel", False),
    ("*", "states:SendTaskSuccess", True),
])
def test_action_wildcards(pattern: str, action: str, expected: bool) -> None:
    assert evaluate(IMPORTER, Request(action, OWN_MODEL), [allow(pattern)]).allowed is expected


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    (f"arn:aws:comprehend:us-east-1:{A}:document-classifier/*", MODEL, True),
    (f"arn:aws:comprehend:us-east-1:{A}:entity-recognizer/*", MODEL, False),
    ("arn:aws:comprehend:*:*:document-classifier/*", MODEL, True),
    # A wildcard stays within its part of the ARN: `*` in the Region does not span the account.
    (f"arn:aws:comprehend:*{A}:document-classifier/*", MODEL, False),
    ("arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/x-import-model:*",
     "arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/x-import-model:log-stream:s",
     True),
    ("arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/x-import-model:*",
     "arn:aws:logs:us-east-1:222222222222:log-group:/aws/lambda/x-other:log-stream:s", False),
    ("*", MODEL, True),
])
def test_resource_wildcards(pattern: str, arn: str, expected: bool) -> None:
    assert arn_like(arn, pattern) is expected


def test_not_action_and_not_resource() -> None:
    everything_but_import = {"Statement": [{"Effect": "Allow", "NotAction": "comprehend:Import*",
                                            "Resource": "*"}]}
    assert evaluate(IMPORTER, Request("comprehend:TagResource", OWN_MODEL),
                    [everything_but_import]).allowed
    assert not evaluate(IMPORTER, Request("comprehend:ImportModel", OWN_MODEL),
                        [everything_but_import]).allowed
    not_a = {"Statement": [{"Effect": "Allow", "Action": "*", "NotResource": MODEL}]}
    assert not evaluate(IMPORTER, Request("comprehend:ImportModel", MODEL), [not_a]).allowed


# ------------------------------------------------------------------------------- accounts

def test_cross_account_needs_identity_and_resource_policy() -> None:
    request = Request("comprehend:ImportModel", MODEL)
    identity = allow("comprehend:ImportModel", f"arn:aws:comprehend:us-east-1:{A}:*")
    both = evaluate(IMPORTER, request, [identity], model_policy(ROLE))
    assert both.allowed
    no_resource = evaluate(IMPORTER, request, [identity], None)
    assert not no_resource.allowed
    assert "no resource-based policy allows" in no_resource.reason
    no_identity = evaluate(IMPORTER, request, [], model_policy(ROLE))
    assert not no_identity.allowed
    assert "no identity-based policy allows" in no_identity.reason


def test_a_resource_policy_names_a_role_an_account_or_anyone() -> None:
    request = Request("comprehend:ImportModel", MODEL)
    identity = [allow("comprehend:ImportModel")]
    assert evaluate(IMPORTER, request, identity, model_policy(B)).allowed
    assert evaluate(IMPORTER, request, identity, model_policy(f"arn:aws:iam::{B}:root")).allowed
    assert evaluate(IMPORTER, request, identity, model_policy("*")).allowed
    other_role = f"arn:aws:iam::{B}:role/someone-else"
    assert not evaluate(IMPORTER, request, identity, model_policy(other_role)).allowed
    # A role stands only for itself: the account's root is not named by a role principal.
    root = Principal.root(B)
    assert not evaluate(root, request, identity, model_policy(ROLE)).allowed


def test_same_account_either_side_allows() -> None:
    request = Request("events:PutEvents", BUS)
    bus_policy = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE},
                                 "Action": "events:PutEvents", "Resource": BUS}]}
    assert evaluate(IMPORTER, request, [], bus_policy).allowed
    assert evaluate(IMPORTER, request, [allow("events:PutEvents", BUS)], None).allowed
    # Naming only the account delegates to its identity policies: it grants nothing alone.
    by_account = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": B},
                                 "Action": "events:PutEvents", "Resource": BUS}]}
    assert not evaluate(IMPORTER, request, [], by_account).allowed


def test_administrators_are_decided_by_the_resource_side_only() -> None:
    request = Request("comprehend:ImportModel", MODEL)
    admin = Principal.root(C)
    assert not evaluate(admin, request, [], model_policy(B), identity_checked=False).allowed
    assert evaluate(admin, request, [], model_policy(C), identity_checked=False).allowed
    own = Request("comprehend:ImportModel", f"arn:aws:comprehend:us-east-1:{C}:x/y")
    assert evaluate(admin, own, [], None, identity_checked=False).allowed


# ------------------------------------------------------------------------------- conditions

def bus_policy(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Principal": {"AWS": A},
                           "Action": "events:PutEvents", "Resource": BUS,
                           "Condition": condition}]}


def put_from_a(source: str, detail_type: str, org: str | None = "o-1") -> bool:
    sender = Principal(account=A, arn=f"arn:aws:sts::{A}:assumed-role/sm/x",
                       role_arn=f"arn:aws:iam::{A}:role/sm", org_id=org)
    request = Request("events:PutEvents", BUS, {"events:source": source,
                                                "events:detail-type": detail_type})
    policy = bus_policy({"StringEquals": {"events:source": "model-copy",
                                          "aws:PrincipalOrgID": "o-1"},
                         "ForAllValues:StringEquals": {
                             "events:detail-type": ["Model Version Shared"]}})
    return evaluate(sender, request, [allow("events:PutEvents", BUS)], policy).allowed


def test_bus_policy_conditions_on_source_detail_type_and_organization() -> None:
    assert put_from_a("model-copy", "Model Version Shared")
    assert not put_from_a("someone-else", "Model Version Shared")
    assert not put_from_a("model-copy", "Model Imported")
    assert not put_from_a("model-copy", "Model Version Shared", org=None)
    assert not put_from_a("model-copy", "Model Version Shared", org="o-2")


@pytest.mark.parametrize(("operator", "key", "wanted", "context", "expected"), [
    ("StringEquals", "iam:PassedToService", "comprehend.amazonaws.com",
     {"iam:passedtoservice": "comprehend.amazonaws.com"}, True),
    ("StringEquals", "iam:PassedToService", "comprehend.amazonaws.com",
     {"iam:passedtoservice": "lambda.amazonaws.com"}, False),
    ("StringEquals", "iam:PassedToService", "comprehend.amazonaws.com", {}, False),
    ("StringEquals", "kms:ViaService", ["s3.us-east-1.amazonaws.com",
                                        "comprehend.us-east-1.amazonaws.com"],
     {"kms:viaservice": "comprehend.us-east-1.amazonaws.com"}, True),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/model-copy-*",
     {"aws:principalarn": ROLE}, True),
    ("StringNotEquals", "aws:SourceAccount", A, {"aws:sourceaccount": B}, True),
    ("StringNotEquals", "aws:SourceAccount", A, {}, True),  # negated: a missing key holds
    ("StringEqualsIfExists", "aws:SourceAccount", A, {}, True),
    ("StringEquals", "aws:SourceAccount", A, {"aws:sourceaccount": A}, True),
    ("ArnEquals", "aws:PrincipalArn", ROLE, {"aws:principalarn": ROLE}, True),
    ("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{B}:role/*", {"aws:principalarn": ROLE},
     True),
    ("ArnNotLike", "aws:PrincipalArn", f"arn:aws:iam::{A}:role/*", {"aws:principalarn": ROLE},
     True),
    ("Bool", "aws:SecureTransport", "false", {"aws:securetransport": "false"}, True),
    ("Bool", "aws:SecureTransport", "false", {"aws:securetransport": "true"}, False),
    ("Null", "events:source", "false", {"events:source": "x"}, True),
    ("Null", "events:source", "false", {}, False),
    ("Null", "events:source", "true", {}, True),
    ("ForAllValues:StringEquals", "events:detail-type", ["a", "b"],
     {"events:detail-type": ["a", "b"]}, True),
    ("ForAllValues:StringEquals", "events:detail-type", ["a"],
     {"events:detail-type": ["a", "b"]}, False),
    ("ForAllValues:StringEquals", "events:detail-type", ["a"], {}, True),  # empty set holds
    ("ForAnyValue:StringEquals", "events:detail-type", ["b"], {"events:detail-type": ["a", "b"]},
     True),
    ("ForAnyValue:StringEquals", "events:detail-type", ["b"], {}, False),
    ("ForAnyValue:StringLike", "events:detail-type", ["Model *"],
     {"events:detail-type": ["Model Imported"]}, True),
])
def test_condition_operators(operator: str, key: str, wanted: Any, context: dict[str, Any],
                             expected: bool) -> None:
    assert condition_holds(operator, key, wanted, context) is expected


def test_an_unknown_operator_never_matches() -> None:
    grant = allow("s3:GetObject", "*", Condition={"DateGreaterThan": {"aws:CurrentTime": "x"}})
    assert not evaluate(IMPORTER, Request("s3:GetObject", "*"), [grant]).allowed


def test_condition_keys_are_case_insensitive_and_principal_keys_are_global() -> None:
    grant = allow("ssm:GetParameter", "*",
                  Condition={"StringEquals": {"AWS:PRINCIPALACCOUNT": B},
                             "ArnEquals": {"aws:PrincipalArn": ROLE}})
    assert evaluate(IMPORTER, Request("ssm:GetParameter", "*"), [grant]).allowed
    assert not evaluate(Principal.root(A), Request("ssm:GetParameter", "*"), [grant]).allowed


def test_pass_role_condition_from_the_template() -> None:
    data_role = f"arn:aws:iam::{B}:role/comprehend-data"
    grant = allow("iam:PassRole", data_role,
                  Condition={"StringEquals": {"iam:PassedToService": "comprehend.amazonaws.com"}})
    to_comprehend = Request("iam:PassRole", data_role,
                            {"iam:PassedToService": "comprehend.amazonaws.com"})
    assert evaluate(IMPORTER, to_comprehend, [grant]).allowed
    assert not evaluate(IMPORTER, Request("iam:PassRole", data_role,
                                          {"iam:PassedToService": "ec2.amazonaws.com"}),
                        [grant]).allowed
