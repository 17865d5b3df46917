"""Comprehend model ARNs: the one parser every side relies on."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from model_copy.arns import MODEL_TYPES, NAME_MAX_LENGTH, ModelArn, parse_model_arn
from model_copy.errors import InvalidCopyRequest

SOURCE = "111111111111"
VALID = "arn:aws:comprehend:us-east-1:111111111111:document-classifier/support-tickets/version/v3"

# Comprehend names: alphanumerics, hyphens only between them, at most 63 characters.
_alnum = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                 min_size=1, max_size=8)
names = st.lists(st.tuples(_alnum, st.integers(0, 2)), min_size=1, max_size=6).map(
    lambda parts: "".join(part + "-" * hyphens for part, hyphens in parts).rstrip("-")
).filter(lambda name: 0 < len(name) <= NAME_MAX_LENGTH)
accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)
regions = st.sampled_from(["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2",
                           "us-gov-west-1", "eu-central-2"])
partitions = st.sampled_from(["aws", "aws-us-gov", "aws-cn"])


@given(partition=partitions, region=regions, account=accounts,
       model_type=st.sampled_from(MODEL_TYPES), name=names,
       version=st.none() | names)
def test_format_then_parse_gives_the_same_arn(partition: str, region: str, account: str,
                                              model_type: str, name: str,
                                              version: str | None) -> None:
    arn = ModelArn(partition, region, account, model_type, name, version)
    text = str(arn)
    assert parse_model_arn(text) == arn
    assert str(parse_model_arn(text)) == text
    assert text.endswith(f"/version/{version}") == (version is not None)


def test_parses_every_part_of_a_version_arn() -> None:
    arn = parse_model_arn(VALID)
    assert (arn.partition, arn.region, arn.account) == ("aws", "us-east-1", SOURCE)
    assert (arn.model_type, arn.model_name, arn.version_name) == (
        "document-classifier", "support-tickets", "v3")
    assert arn.is_classifier
    recognizer = parse_model_arn(
        "arn:aws:comprehend:us-east-1:111111111111:entity-recognizer/people")
    assert not recognizer.is_classifier and recognizer.version_name is None


def test_in_account_keeps_type_and_region_and_renames() -> None:
    copy = parse_model_arn(VALID).in_account("222222222222", "tickets", None)
    assert str(copy) == (
        "arn:aws:comprehend:us-east-1:222222222222:document-classifier/tickets")


@pytest.mark.parametrize(("value", "names_the_problem"), [
    ("", "missing"),
    (None, "missing"),
    (42, "must be a string, not 42"),
    ("arn:aws:sagemaker:us-east-1:111111111111:document-classifier/x", "not a Comprehend model"),
    ("arn:aws:comprehend:us-east-1:11111111111:document-classifier/x", "not a Comprehend model"),
    ("arn:aws:comprehend:us-east-1:1111111111112:document-classifier/x",
     "not a Comprehend model"),
    ("arn:aws:comprehend:useast1:111111111111:document-classifier/x", "not a Comprehend model"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/x/version/",
     "not a Comprehend model"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/x/extra/v",
     "not a Comprehend model"),
    ("document-classifier/x", "not a Comprehend model"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier-endpoint/x",
     "'document-classifier-endpoint'"),
    ("arn:aws:comprehend:us-east-1:111111111111:endpoint/x", "'endpoint'"),
    ("arn:aws:comprehend:us-east-1:111111111111:flywheel/x", "'flywheel'"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/bad_name",
     "model name 'bad_name' is not a valid Comprehend name"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/-lead",
     "model name '-lead'"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/trail-",
     "model name 'trail-'"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/x/version/v.1",
     "version name 'v.1'"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/" + "n" * 64,
     "64 characters long"),
    ("arn:aws:comprehend:us-east-1:111111111111:document-classifier/x/version/" + "v" * 64,
     "version name"),
])
def test_malformed_arns_are_refused_with_the_reason(value: object,
                                                    names_the_problem: str) -> None:
    with pytest.raises(InvalidCopyRequest) as raised:
        parse_model_arn(value)
    assert names_the_problem in str(raised.value)


def test_name_of_exactly_the_maximum_length_is_accepted() -> None:
    name = "n" * NAME_MAX_LENGTH
    arn = parse_model_arn(f"arn:aws:comprehend:us-east-1:111111111111:entity-recognizer/{name}")
    assert arn.model_name == name


# ------------------------------------------------------------------ whole-string matches
# `re.match` with `$` accepts a trailing newline ("name\n"), and `\d` accepts any Unicode
# digit: every check must cover the whole string, ASCII only.
CONTROL_CHARACTERS = st.sampled_from(["\n", "\r", "\t", "\x00", "\x0b", "\x0c", "\x1b",
                                      "\x7f", "\u2028", "\u0085"])


@given(name=names, control=CONTROL_CHARACTERS, where=st.sampled_from(["end", "start", "middle"]))
def test_names_with_a_control_character_are_refused(name: str, control: str,
                                                    where: str) -> None:
    from model_copy.arns import validate_name

    bad = {"end": name + control, "start": control + name,
           "middle": name[:1] + control + name[1:]}[where]
    with pytest.raises(InvalidCopyRequest):
        validate_name(bad, "targetModelName")
    arn = f"arn:aws:comprehend:us-east-1:{SOURCE}:document-classifier/{bad}/version/v1"
    with pytest.raises(InvalidCopyRequest):
        parse_model_arn(arn)
    with pytest.raises(InvalidCopyRequest):
        parse_model_arn(f"arn:aws:comprehend:us-east-1:{SOURCE}:document-classifier/x"
                        f"/version/{bad}")


@given(account=accounts, control=CONTROL_CHARACTERS)
def test_accounts_and_arns_with_a_control_character_are_refused(account: str,
                                                                control: str) -> None:
    from model_copy.arns import validate_account

    with pytest.raises(InvalidCopyRequest):
        validate_account(account + control)
    with pytest.raises(InvalidCopyRequest):
        parse_model_arn(VALID + control)


@pytest.mark.parametrize("value", ["\u0661" * 12, "\uff11" * 12])  # Arabic-Indic, fullwidth
def test_accounts_are_ascii_digits_only(value: str) -> None:
    from model_copy.arns import validate_account

    with pytest.raises(InvalidCopyRequest):
        validate_account(value)
    with pytest.raises(InvalidCopyRequest):
        parse_model_arn(VALID.replace(SOURCE, value))
