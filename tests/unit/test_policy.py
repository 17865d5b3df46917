"""Merging our import statement into a resource policy never touches anyone else's."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from model_copy.policy import (
    IMPORT_ACTION,
    grant_import,
    parse_policy,
    render,
    revoke_import,
    statement_id,
)

TARGET = "222222222222"
PRINCIPAL = f"arn:aws:iam::{TARGET}:role/model-copy-import-us-east-1"

accounts = st.from_regex(r"\d{12}", fullmatch=True)
principals = accounts.map(lambda a: f"arn:aws:iam::{a}:role/importer")
# Statements written by others: any Sid but ours, any shape.
foreign_statements = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"]),
     "Principal": st.fixed_dictionaries({"AWS": principals}),
     "Action": st.sampled_from(["comprehend:ImportModel", "comprehend:DescribeDocumentClassifier",
                                "comprehend:*"]),
     "Resource": st.just("*")},
    optional={"Sid": st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
              "Condition": st.just({"StringEquals": {"aws:PrincipalOrgID": "o-example"}})},
)
policies = st.lists(foreign_statements, max_size=5).map(
    lambda statements: {"Version": "2012-10-17", "Statement": statements})


def ours(policy: dict[str, Any], account: str) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s.get("Sid") == statement_id(account)]


def others(policy: dict[str, Any], account: str) -> list[dict[str, Any]]:
    return [s for s in policy["Statement"] if s.get("Sid") != statement_id(account)]


@given(policy=policies, account=accounts, principal=principals)
def test_grant_keeps_others_statements_in_order(policy: dict[str, Any], account: str,
                                                principal: str) -> None:
    before = copy.deepcopy(policy)
    granted, changed = grant_import(policy, account, principal)
    assert changed
    assert others(granted, account) == before["Statement"]
    assert policy == before  # the input is not mutated
    assert granted["Version"] == "2012-10-17"


@given(policy=policies, account=accounts, principal=principals)
def test_granting_twice_is_granting_once(policy: dict[str, Any], account: str,
                                         principal: str) -> None:
    once, _ = grant_import(policy, account, principal)
    twice, changed = grant_import(once, account, principal)
    assert not changed
    assert twice == once
    assert len(ours(twice, account)) == 1


@given(policy=policies, account=accounts, principal=principals)
def test_revoke_after_grant_restores_the_original(policy: dict[str, Any], account: str,
                                                  principal: str) -> None:
    granted, _ = grant_import(policy, account, principal)
    revoked, changed = revoke_import(granted, account)
    assert changed
    assert revoked["Statement"] == policy["Statement"]
    again, changed_again = revoke_import(revoked, account)
    assert not changed_again and again == revoked


@given(policy=policies, account=accounts, principal=principals)
def test_grant_survives_a_json_round_trip(policy: dict[str, Any], account: str,
                                          principal: str) -> None:
    granted, _ = grant_import(policy, account, principal)
    reread = parse_policy(render(granted))
    assert grant_import(reread, account, principal) == (reread, False)


@given(account=accounts, principal=principals)
def test_our_statement_allows_only_import_to_exactly_the_principal(account: str,
                                                                   principal: str) -> None:
    granted, _ = grant_import(parse_policy(None), account, principal)
    [statement] = granted["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == IMPORT_ACTION == "comprehend:ImportModel"
    assert statement["Principal"] == {"AWS": principal}
    assert statement["Sid"] == statement_id(account)
    assert set(statement) == {"Sid", "Effect", "Principal", "Action", "Resource"}


def test_a_changed_principal_replaces_our_statement_in_place() -> None:
    foreign = {"Sid": "Analytics", "Effect": "Allow", "Principal": {"AWS": "x"},
               "Action": IMPORT_ACTION, "Resource": "*"}
    first, _ = grant_import({"Statement": [foreign]}, TARGET, PRINCIPAL)
    first["Statement"].append({**foreign, "Sid": "Later"})
    root = f"arn:aws:iam::{TARGET}:root"
    second, changed = grant_import(first, TARGET, root)
    assert changed
    assert [s["Sid"] for s in second["Statement"]] == ["Analytics", statement_id(TARGET), "Later"]
    assert second["Statement"][1]["Principal"] == {"AWS": root}


def test_grants_for_two_accounts_live_side_by_side() -> None:
    policy, _ = grant_import(parse_policy(None), TARGET, PRINCIPAL)
    policy, _ = grant_import(policy, "333333333333", "arn:aws:iam::333333333333:root")
    revoked, _ = revoke_import(policy, TARGET)
    assert [s["Sid"] for s in revoked["Statement"]] == [statement_id("333333333333")]


def test_a_single_dict_statement_is_read_as_a_list() -> None:
    foreign = {"Sid": "Solo", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
               "Action": IMPORT_ACTION, "Resource": "*"}
    text = json.dumps({"Version": "2012-10-17", "Statement": foreign})
    policy = parse_policy(text)
    assert policy["Statement"] == [foreign]
    granted, changed = grant_import(policy, TARGET, PRINCIPAL)
    assert changed and granted["Statement"][0] == foreign and len(granted["Statement"]) == 2


def test_no_policy_yet_is_an_empty_one() -> None:
    assert parse_policy(None) == {"Version": "2012-10-17", "Statement": []}
    assert parse_policy("") == {"Version": "2012-10-17", "Statement": []}
    assert revoke_import(parse_policy(None), TARGET)[1] is False


def test_render_is_stable() -> None:
    policy, _ = grant_import(parse_policy(None), TARGET, PRINCIPAL)
    assert render(policy) == render(json.loads(render(policy)))
    assert " " not in render(policy)
