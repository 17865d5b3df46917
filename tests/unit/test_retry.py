"""Capped, jittered backoff; only throttling and transient errors are retried."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from hypothesis import given
from hypothesis import strategies as st
from model_copy.retry import backoff_delays, call_with_retries, error_code, is_retryable

from tests.support.fakes import client_error


class Flaky:
    """Fails with the given errors in turn, then returns 'ok'; counts its calls."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@given(attempts=st.integers(0, 20), base=st.floats(0.001, 10), cap=st.floats(0.001, 60),
       jitter=st.floats(0, 1))
def test_every_delay_is_jittered_below_the_capped_exponential(attempts: int, base: float,
                                                              cap: float,
                                                              jitter: float) -> None:
    delays = backoff_delays(attempts, base, cap, rng=lambda: jitter)
    assert len(delays) == attempts
    for n, delay in enumerate(delays):
        ceiling = min(cap, base * 2 ** n)
        assert 0 <= delay <= cap
        assert delay == pytest.approx(jitter * ceiling)


def test_without_jitter_delays_double_until_the_cap() -> None:
    assert backoff_delays(6, 0.5, 4.0, rng=lambda: 1.0) == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_default_jitter_varies_the_delays() -> None:
    delays = backoff_delays(50, 1.0, 1.0)
    assert all(0 <= d <= 1.0 for d in delays)
    assert len(set(delays)) > 1


@pytest.mark.parametrize("code", ["TooManyRequestsException", "ThrottlingException",
                                  "InternalServerException", "ServiceUnavailable"])
def test_retryable_errors_are_retried_until_success(code: str) -> None:
    call, slept = Flaky(client_error(code), client_error(code)), list[float]()
    assert call_with_retries(call, attempts=3, sleep=slept.append) == "ok"
    assert call.calls == 3
    assert len(slept) == 2


def test_connection_errors_are_retried() -> None:
    call = Flaky(BotoConnectionError(error="reset"))
    assert call_with_retries(call, attempts=1, sleep=lambda _: None) == "ok"
    assert is_retryable(BotoConnectionError(error="reset"))


@pytest.mark.parametrize("error", [client_error("ResourceNotFoundException"),
                                   client_error("AccessDeniedException"),
                                   client_error("ConditionalCheckFailedException"),
                                   ValueError("a bug")])
def test_other_errors_raise_at_once(error: BaseException) -> None:
    call, slept = Flaky(error), list[float]()
    with pytest.raises(type(error)):
        call_with_retries(call, attempts=5, sleep=slept.append)
    assert call.calls == 1
    assert slept == []


def test_gives_up_after_the_extra_attempts_with_the_last_error() -> None:
    errors = [client_error("TooManyRequestsException") for _ in range(10)]
    call, slept, retried = Flaky(*errors), list[float](), list[int]()
    with pytest.raises(ClientError) as raised:
        call_with_retries(call, attempts=4, base=0.1, cap=0.3, sleep=slept.append,
                          on_retry=lambda error, n: retried.append(n))
    assert raised.value is errors[4]
    assert call.calls == 5
    assert retried == [1, 2, 3, 4]
    assert len(slept) == 4 and all(0 <= s <= 0.3 for s in slept)


def test_custom_retryable_predicate_is_used() -> None:
    call = Flaky(KeyError("x"))
    assert call_with_retries(call, attempts=1, sleep=lambda _: None,
                             retryable=lambda e: isinstance(e, KeyError)) == "ok"


def test_error_code_reads_client_errors_only() -> None:
    assert error_code(client_error("Throttling")) == "Throttling"
    assert error_code(ValueError("x")) == ""
