"""Durations of finished imports, kept in the ledger table (moto in process)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from model_copy.arns import parse_model_arn
from model_copy.import_durations import (
    KEEP,
    ImportDurations,
    NothingKnown,
    durations_keys,
    import_seconds,
)

NEWS_V3 = parse_model_arn(
    "arn:aws:comprehend:us-east-1:111111111111:document-classifier/news/version/v3")
NEWS_V4 = parse_model_arn(
    "arn:aws:comprehend:us-east-1:111111111111:document-classifier/news/version/v4")
SPORTS = parse_model_arn(
    "arn:aws:comprehend:us-east-1:111111111111:document-classifier/sports/version/v1")
PEOPLE = parse_model_arn(
    "arn:aws:comprehend:us-east-1:111111111111:entity-recognizer/people/version/v1")


@pytest.fixture
def durations(ledger_table: Any, clock: Any) -> ImportDurations:
    return ImportDurations(ledger_table, clock=clock)


def test_nothing_known_at_first(durations: ImportDurations) -> None:
    assert durations.known(NEWS_V3) == []


def test_a_models_versions_share_their_durations(durations: ImportDurations) -> None:
    durations.record(NEWS_V3, 600.5)
    durations.record(NEWS_V3, 640)
    assert durations.known(NEWS_V4) == [600.5, 640]


def test_a_model_never_imported_gets_its_types_durations(durations: ImportDurations) -> None:
    durations.record(NEWS_V3, 600)
    assert durations.known(SPORTS) == [600]
    assert durations.known(PEOPLE) == []  # another type: nothing known


def test_only_the_last_few_are_kept(durations: ImportDurations) -> None:
    for seconds in range(KEEP + 5):
        durations.record(NEWS_V3, seconds)
    assert durations.known(NEWS_V3) == list(range(5, KEEP + 5))


def test_items_are_their_own_expire_and_never_look_like_a_copy(durations: ImportDurations,
                                                              ledger_table: Any,
                                                              clock: Any) -> None:
    durations.record(NEWS_V3, 600)
    items = ledger_table.scan()["Items"]
    assert sorted(item["copyKey"] for item in items) == sorted(durations_keys(NEWS_V3))
    assert all(not item["copyKey"].startswith("arn:") for item in items)
    assert all(item["expiresAt"] > clock.now for item in items)


def test_a_concurrent_record_is_not_lost(durations: ImportDurations, ledger_table: Any,
                                         clock: Any) -> None:
    """Two imports end at once: the one that loses the conditional write reads and retries."""
    other = ImportDurations(ledger_table, clock=clock)
    real_get = ledger_table.get_item
    raced: list[Any] = []

    def get_then_race(**kwargs: Any) -> Any:
        result = real_get(**kwargs)
        if not raced:
            raced.append(True)
            other.record(NEWS_V3, 1.0)
        return result

    durations.table = _Proxy(ledger_table, get_item=get_then_race)
    durations.record(NEWS_V3, 2.0)
    assert sorted(durations.known(NEWS_V3)) == [1.0, 2.0]


def test_storage_errors_never_fail_an_import(clock: Any) -> None:
    """Reading or recording fails: nothing known, nothing kept, a warning says why."""
    warnings: list[str] = []
    durations = ImportDurations(_Broken(), clock=clock, warn=warnings.append,
                                retry_sleep=lambda _s: None)
    assert durations.known(NEWS_V3) == []
    durations.record(NEWS_V3, 600)
    assert len(warnings) == 2 and "AccessDeniedException" in warnings[0]


def test_nothing_known_port_keeps_nothing() -> None:
    port = NothingKnown()
    port.record(NEWS_V3, 600)
    assert port.known(NEWS_V3) == []


# ---------------------------------------------------------------- what an import's duration is

BEGAN = datetime(2026, 11, 3, 9, 20, tzinfo=UTC).timestamp()


def test_duration_is_comprehends_end_time_since_the_import_began() -> None:
    """Detection lag is not part of it: the poll schedule needs when the import really ended."""
    properties = {"Status": "TRAINED", "SubmitTime": datetime(2026, 11, 3, 9, 20, 1, tzinfo=UTC),
                  "EndTime": datetime(2026, 11, 3, 9, 30, 0, 500_000, tzinfo=UTC)}
    assert import_seconds(properties, BEGAN, now=BEGAN + 620) == pytest.approx(600.5)


def test_duration_without_an_end_time_is_when_it_was_seen() -> None:
    assert import_seconds({"Status": "TRAINED"}, BEGAN, now=BEGAN + 620) == 620
    # An end time that cannot be right (clock skew, another field's meaning) is not used.
    late = {"EndTime": datetime(2026, 11, 3, 9, 40, tzinfo=UTC)}
    assert import_seconds(late, BEGAN, now=BEGAN + 620) == 620


class _Proxy:
    def __init__(self, table: Any, **overrides: Any) -> None:
        self._table, self._overrides = table, overrides

    def __getattr__(self, name: str) -> Any:
        return self._overrides.get(name) or getattr(self._table, name)


class _Broken:
    def __getattr__(self, name: str) -> Any:
        def fail(**_kwargs: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, name)
        return fail
