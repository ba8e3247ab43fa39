"""The ledger's records: sealed and chained per stream, appended only by INSERT, size-checked, verified."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from promotion.ledger import (
    GENESIS,
    HistoryAction,
    HistoryRecord,
    Ledger,
    LedgerBusy,
    LedgerRecord,
    LedgerRecordTooLarge,
    merged,
    seal,
    utc_iso,
    utc_now,
    verify_stream,
)
from tests.promotion_support import LocalAws

STREAM = "churn-model/deploys/qa"
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"


def record(n: int = 1, reason: str = "deployed") -> HistoryRecord:
    return HistoryRecord(
        "ci", "2026-01-01T00:00:00Z", HistoryAction.DEPLOYED, reason, ARN.format(n), "444444444444", "qa"
    )


def chain(count: int) -> list[LedgerRecord]:
    records: list[LedgerRecord] = []
    for n in range(1, count + 1):
        records.append(seal(STREAM, n, "churn-model", record(n), records[-1].hash if records else GENESIS))
    return records


def test_each_record_carries_the_hash_of_the_one_before_and_the_first_sixty_four_zeros(local_aws: LocalAws) -> None:
    ledger = local_aws.ledger()
    first = ledger.append(STREAM, record(1))
    second = ledger.append(STREAM, record(2))
    assert (first.seq, first.prev, second.seq, second.prev) == (1, "0" * 64, 2, first.hash)
    assert ledger.read(STREAM) == [first, second]
    assert (first.hash, len(first.hash)) == (first.content_hash(), 64)


def test_an_append_that_loses_the_race_for_its_seq_reads_the_tail_again_and_takes_the_next(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = local_aws.ledger()
    ledger.append(STREAM, record(1))
    stale = ledger.last(STREAM)
    local_aws.ledger().append(STREAM, record(2))  # another writer, between this writer's tail read and its INSERT
    original = Ledger.last
    reads: list[int] = []

    def last(self: Ledger, stream: str) -> LedgerRecord | None:
        reads.append(1)
        return stale if len(reads) == 1 else original(self, stream)

    monkeypatch.setattr(Ledger, "last", last)
    mine = ledger.append(STREAM, record(3))
    monkeypatch.undo()
    assert (mine.seq, len(reads)) == (3, 2)
    assert [(r.seq, r.arn) for r in ledger.read(STREAM)] == [(1, ARN.format(1)), (2, ARN.format(2)), (3, ARN.format(3))]


def test_an_append_that_keeps_losing_the_race_writes_nothing_and_says_so(
    local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = local_aws.ledger()
    ledger.append(STREAM, record(1))
    monkeypatch.setattr(Ledger, "last", lambda self, stream: None)  # always the stale view: seq 1 is taken
    with pytest.raises(LedgerBusy) as busy:
        ledger.append(STREAM, record(2))
    monkeypatch.undo()
    assert str(busy.value) == (
        "ledger churn-model/deploys/qa: 5 concurrent appends took the next record first; nothing was written, try again"
    )


def test_a_record_over_dynamodbs_item_limit_is_refused_naming_its_largest_field(local_aws: LocalAws) -> None:
    ledger = local_aws.ledger()
    with pytest.raises(LedgerRecordTooLarge) as refused:
        ledger.append(STREAM, record(1, reason="é" * 205_000))
    assert str(refused.value) == (
        "ledger churn-model/deploys/qa: the record is 410329 bytes, over DynamoDB's item limit of 409600 bytes "
        "(400 KB); its field 'reason' alone is 410006 bytes"
    )
    assert ledger.read(STREAM) == []


def test_verify_names_the_first_broken_link() -> None:
    records = chain(4)
    tampered = [
        *records[:1],
        LedgerRecord(**{**records[1].as_dict(), "action": HistoryAction.DEPLOYED, "reason": "x"}),
        *records[2:],
    ]
    assert (
        verify_stream(STREAM, records),
        verify_stream(STREAM, tampered),
        verify_stream(STREAM, records[1:]),
        verify_stream(STREAM, [records[0], records[2], records[3]]),
    ) == (
        None,
        "ledger churn-model/deploys/qa: record 2's hash does not match its content",
        "ledger churn-model/deploys/qa: the first record is 2, not 1",
        "ledger churn-model/deploys/qa: record 3 does not follow record 1",
    )


# -- the history's order ------------------------------------------------------------------------------------


def streams_of(*records: tuple[str, str, HistoryAction, str]) -> dict[str, list[LedgerRecord]]:
    """Records sealed in the order given, per stream: (stream, when, action, env)."""
    streams: dict[str, list[LedgerRecord]] = {}
    for stream, when, action, env in records:
        found = streams.setdefault(f"churn-model/{stream}", [])
        written = HistoryRecord("x", when, action, "r", ARN.format(1), "111111111111", env)
        found.append(seal(f"churn-model/{stream}", len(found) + 1, "churn-model", written, GENESIS))
    return streams


def order(merged_records: list[LedgerRecord]) -> list[tuple[str, int]]:
    return [(r.stream.removeprefix("churn-model/"), r.seq) for r in merged_records]


def test_records_of_one_second_are_in_the_order_they_were_written_across_streams() -> None:
    """qa's deploy record, then prod's two approvals, in one second: the lifecycle order of the streams
    (decisions before deploys) used to put the approvals first."""
    streams = streams_of(
        ("deploys/qa", "2026-11-22T10:15:00.100000Z", HistoryAction.DEPLOYED, "qa"),
        ("decisions", "2026-11-22T10:15:00.200000Z", HistoryAction.APPROVED, "prod"),
        ("decisions", "2026-11-22T10:15:00.300000Z", HistoryAction.APPROVED, "prod"),
        ("deploys/prod", "2026-11-22T10:15:00.900000Z", HistoryAction.DEPLOYED, "prod"),
    )
    assert order(merged(streams)) == [("deploys/qa", 1), ("decisions", 1), ("decisions", 2), ("deploys/prod", 1)]


def test_a_stream_keeps_its_seq_order_where_its_writers_clock_stepped_back() -> None:
    streams = streams_of(
        ("decisions", "2026-11-22T10:15:00.500000Z", HistoryAction.APPROVED, "qa"),
        ("decisions", "2026-11-22T10:15:00.400000Z", HistoryAction.APPROVED, "prod"),
        ("deploys/qa", "2026-11-22T10:15:00.450000Z", HistoryAction.DEPLOYED, "qa"),
    )
    assert order(merged(streams)) == [("deploys/qa", 1), ("decisions", 1), ("decisions", 2)]


def test_records_of_equal_times_written_to_the_second_fall_back_to_the_lifecycle_order() -> None:
    streams = streams_of(
        ("deploys/qa", "2026-01-01T00:00:00Z", HistoryAction.DEPLOYED, "qa"),
        ("promotions", "2026-01-01T00:00:00Z", HistoryAction.PROMOTION_PROPOSED, "qa"),
        ("decisions", "2026-01-01T00:00:00Z", HistoryAction.APPROVED, "qa"),
        ("registrations", "2026-01-01T00:00:00Z", HistoryAction.REGISTERED, ""),
    )
    assert order(merged(streams)) == [("registrations", 1), ("decisions", 1), ("promotions", 1), ("deploys/qa", 1)]


def test_a_second_precision_time_sorts_before_the_microseconds_of_its_second_and_a_missing_one_first() -> None:
    streams = streams_of(
        ("decisions", "2026-11-22T10:15:00.000001Z", HistoryAction.APPROVED, "qa"),
        ("deploys/qa", "2026-11-22T10:15:00Z", HistoryAction.DEPLOYED, "qa"),
        ("registrations", "", HistoryAction.REGISTERED, ""),
    )
    assert order(merged(streams)) == [("registrations", 1), ("deploys/qa", 1), ("decisions", 1)]


def test_writers_stamp_records_to_the_microsecond_in_utc() -> None:
    moment = datetime(2026, 11, 22, 11, 15, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert utc_iso(moment) == "2026-11-22T10:15:00.250000Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", utc_now())
