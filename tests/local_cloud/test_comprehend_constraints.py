"""Property tests of the local Comprehend's field constraints (no server needed): every pattern
is matched whole, so no value with a control character, and no name with a trailing newline,
passes; values AWS accepts still do."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto.core.exceptions import JsonRESTError

from local_cloud.services.comprehend.errors import (
    IAM_ROLE_ARN,
    MODEL_ARN,
    NAME,
    POLICY_REVISION_ID,
    check,
)
from local_cloud.services.comprehend.models import ModelArn

CONTROL = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.just("\x7f")
NAMES = st.from_regex(r"[a-zA-Z0-9](-{0,2}[a-zA-Z0-9]){0,20}", fullmatch=True)


@given(NAMES)
def test_names_aws_accepts_pass(name):
    check(name, "modelName", NAME)
    arn = f"arn:aws:comprehend:us-east-1:111111111111:document-classifier/{name}/version/{name}"
    check(arn, "sourceModelArn", MODEL_ARN)
    assert ModelArn.parse(arn) is not None


@given(NAMES, CONTROL, st.sampled_from(["prefix", "suffix", "inside"]))
def test_a_control_character_anywhere_is_refused(name, control, where):
    value = {"prefix": control + name, "suffix": name + control,
             "inside": name[:1] + control + name[1:]}[where]
    arn = f"arn:aws:comprehend:us-east-1:111111111111:document-classifier/{value}"
    for field, constraint, tried in (("modelName", NAME, value),
                                     ("sourceModelArn", MODEL_ARN, arn),
                                     ("policyRevisionId", POLICY_REVISION_ID, "ab12" + control)):
        with pytest.raises(JsonRESTError) as refused:
            check(tried, field, constraint)
        assert refused.value.error_type == "ValidationException"
    assert ModelArn.parse(arn) is None


@given(st.text(max_size=30))
def test_a_check_agrees_with_the_patterns_whole_match(text):
    """What passes is exactly what the API model's pattern matches as a whole string."""
    for constraint in (NAME, POLICY_REVISION_ID, IAM_ROLE_ARN):
        core = constraint.pattern.removeprefix("^").removesuffix("$")
        whole = re.fullmatch(core, text) is not None
        within_length = constraint.min_length <= len(text) <= constraint.max_length
        assert constraint.holds(text) == (whole and within_length)
        assert not constraint.holds(text + "\n")
