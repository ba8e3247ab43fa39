"""The ledger's records: sealed and chained per stream, appended only by INSERT, size-checked, verified."""

from __future__ import annotations

import pytest

from promotion.ledger import (
    GENESIS,
    HistoryAction,
    HistoryRecord,
    Ledger,
    LedgerBusy,
    LedgerRecord,
    LedgerRecordTooLarge,
    seal,
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
