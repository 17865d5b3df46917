"""Merging our import statement into a resource policy never touches anyone else's."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from model_copy.policy import (
    IMPORT_ACTION,
    SID_MAX_LENGTH,
    grant_import,
    parse_policy,
    render,
    revoke_import,
    statement_id,
)
from model_copy.policy import TargetCopy as Copy

# Timing is not under test, and the machine is shared: no per-example deadline.
untimed = settings(deadline=None)
TARGET = "222222222222"
COPY = Copy(TARGET, "support-tickets-prod", "v3")
PRINCIPAL = f"arn:aws:iam::{TARGET}:role/model-copy-import-us-east-1"

accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)
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
    sid = statement_id(Copy(account, "news", "v1"))
    return [s for s in policy["Statement"] if s.get("Sid") == sid]


def others(policy: dict[str, Any], account: str) -> list[dict[str, Any]]:
    sid = statement_id(Copy(account, "news", "v1"))
    return [s for s in policy["Statement"] if s.get("Sid") != sid]


@untimed
@given(policy=policies, account=accounts, principal=principals)
def test_grant_keeps_others_statements_in_order(policy: dict[str, Any], account: str,
                                                principal: str) -> None:
    before = copy.deepcopy(policy)
    granted, changed = grant_import(policy, Copy(account, "news", "v1"), principal)
    assert changed
    assert others(granted, account) == before["Statement"]
    assert policy == before  # the input is not mutated
    assert granted["Version"] == "2012-10-17"


@untimed
@given(policy=policies, account=accounts, principal=principals)
def test_granting_twice_is_granting_once(policy: dict[str, Any], account: str,
                                         principal: str) -> None:
    once, _ = grant_import(policy, Copy(account, "news", "v1"), principal)
    twice, changed = grant_import(once, Copy(account, "news", "v1"), principal)
    assert not changed
    assert twice == once
    assert len(ours(twice, account)) == 1


@untimed
@given(policy=policies, account=accounts, principal=principals)
def test_revoke_after_grant_restores_the_original(policy: dict[str, Any], account: str,
                                                  principal: str) -> None:
    granted, _ = grant_import(policy, Copy(account, "news", "v1"), principal)
    revoked, changed = revoke_import(granted, Copy(account, "news", "v1"))
    assert changed
    assert revoked["Statement"] == policy["Statement"]
    again, changed_again = revoke_import(revoked, Copy(account, "news", "v1"))
    assert not changed_again and again == revoked


@untimed
@given(policy=policies, account=accounts, principal=principals)
def test_grant_survives_a_json_round_trip(policy: dict[str, Any], account: str,
                                          principal: str) -> None:
    granted, _ = grant_import(policy, Copy(account, "news", "v1"), principal)
    reread = parse_policy(render(granted))
    assert grant_import(reread, Copy(account, "news", "v1"), principal) == (reread, False)


@untimed
@given(account=accounts, principal=principals)
def test_our_statement_allows_only_import_to_exactly_the_principal(account: str,
                                                                   principal: str) -> None:
    granted, _ = grant_import(parse_policy(None), Copy(account, "news", "v1"), principal)
    [statement] = granted["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == IMPORT_ACTION == "comprehend:ImportModel"
    assert statement["Principal"] == {"AWS": principal}
    assert statement["Sid"] == statement_id(Copy(account, "news", "v1"))
    assert set(statement) == {"Sid", "Effect", "Principal", "Action", "Resource"}


def test_a_changed_principal_replaces_our_statement_in_place() -> None:
    foreign = {"Sid": "Analytics", "Effect": "Allow", "Principal": {"AWS": "x"},
               "Action": IMPORT_ACTION, "Resource": "*"}
    first, _ = grant_import({"Statement": [foreign]}, COPY, PRINCIPAL)
    first["Statement"].append({**foreign, "Sid": "Later"})
    root = f"arn:aws:iam::{TARGET}:root"
    second, changed = grant_import(first, COPY, root)
    assert changed
    assert [s["Sid"] for s in second["Statement"]] == ["Analytics", statement_id(COPY), "Later"]
    assert second["Statement"][1]["Principal"] == {"AWS": root}


def test_grants_for_two_accounts_live_side_by_side() -> None:
    policy, _ = grant_import(parse_policy(None), COPY, PRINCIPAL)
    other = Copy("333333333333", COPY.model_name, COPY.version_name)
    policy, _ = grant_import(policy, other, "arn:aws:iam::333333333333:root")
    revoked, _ = revoke_import(policy, COPY)
    assert [s["Sid"] for s in revoked["Statement"]] == [statement_id(other)]


def test_a_single_dict_statement_is_read_as_a_list() -> None:
    foreign = {"Sid": "Solo", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"},
               "Action": IMPORT_ACTION, "Resource": "*"}
    text = json.dumps({"Version": "2012-10-17", "Statement": foreign})
    policy = parse_policy(text)
    assert policy["Statement"] == [foreign]
    granted, changed = grant_import(policy, COPY, PRINCIPAL)
    assert changed and granted["Statement"][0] == foreign and len(granted["Statement"]) == 2


def test_no_policy_yet_is_an_empty_one() -> None:
    assert parse_policy(None) == {"Version": "2012-10-17", "Statement": []}
    assert parse_policy("") == {"Version": "2012-10-17", "Statement": []}
    assert revoke_import(parse_policy(None), COPY)[1] is False


def test_render_is_stable() -> None:
    policy, _ = grant_import(parse_policy(None), COPY, PRINCIPAL)
    assert render(policy) == render(json.loads(render(policy)))
    assert " " not in render(policy)


# --- one statement per copy (issue 14 item 3) -------------------------------------------------

names = st.from_regex(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", fullmatch=True).filter(
    lambda n: len(n) <= 63)
copies = st.builds(Copy, accounts, names, st.one_of(st.none(), names))


def test_two_copies_to_one_account_have_a_statement_each_and_revoke_only_their_own() -> None:
    """Issue 14 item 3: the first copy's revoke must not take the second copy's share."""
    second = Copy(TARGET, "support-tickets-stage", "v3")
    policy, _ = grant_import(parse_policy(None), COPY, PRINCIPAL)
    policy, changed = grant_import(policy, second, PRINCIPAL)
    assert changed and len(policy["Statement"]) == 2
    revoked, _ = revoke_import(policy, COPY)
    assert [s["Sid"] for s in revoked["Statement"]] == [statement_id(second)]


@untimed
@given(one=copies)
def test_the_sid_names_the_copy_within_the_sid_alphabet(one: Copy) -> None:
    sid = statement_id(one)
    assert re.fullmatch(r"[A-Za-z0-9]+", sid), sid  # IAM's Sid alphabet
    assert len(sid) <= SID_MAX_LENGTH
    assert one.account in sid
    if len(one.model_name) <= 24:
        assert one.model_name.replace("-", "") in sid


@untimed
@given(first=copies, second=copies)
def test_different_copies_never_share_a_sid(first: Copy, second: Copy) -> None:
    if first != second:
        assert statement_id(first) != statement_id(second)


def test_names_that_differ_only_in_hyphens_get_different_sids() -> None:
    assert statement_id(Copy(TARGET, "a-b", "v1")) != statement_id(Copy(TARGET, "ab", "v1"))
    assert statement_id(Copy(TARGET, "ab", None)) != statement_id(Copy(TARGET, "ab", "v"))


def test_the_longest_names_keep_the_sid_within_its_limit() -> None:
    longest = Copy(TARGET, "m" * 63, "v" * 63)
    assert len(statement_id(longest)) <= SID_MAX_LENGTH
