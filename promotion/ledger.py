"""The audit ledger: append-only, hash-chained records in the DynamoDB table `modelops-ledger`.

Every registration, decision, refusal, promotion and deploy is one record of one stream (naming.py:
`<model>/registrations`, `/decisions`, `/promotions`, `/deploys/<env>`); each stream has one writer, and
IAM scopes each writer to its own streams. A record's `seq` counts from 1 in its stream, `prev` is the
hash of the record before it (64 zeros for the first), and `hash` is the SHA-256 of the canonical JSON of
every other field, so changing, removing or reordering a record breaks the chain (`verify_stream`).

Writers hold only `dynamodb:PartiQLInsert` (and Query, to read the tail): a PartiQL INSERT fails with
DuplicateItemException when the key exists, so a writer can add a record and never change one
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html). Nothing is
evicted: a stream holds as many records as are appended.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from accounts import naming
from accounts.validation import InputError
from promotion.errors import ModelOpsError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class HistoryAction(StrEnum):
    """What a ledger record says happened."""

    REGISTERED = "registered"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUSED = "refused"  # a decision the rules refused: who asked, and which rule
    VOIDED = "voided"  # a decision record whose registry update failed: it never took effect
    PROMOTION_PROPOSED = "promotion-proposed"
    ROLLBACK_PROPOSED = "rollback-proposed"
    DEPLOYED = "deployed"
    CARD_APPROVED = "card-approved"  # a model card approved by the card approver group (promotion/card_review.py)
    HELD = "held"  # a rollback holds its environment at the version it rolled back to (promotions stream)
    RELEASED = "released"  # a platform engineer released a hold, with a reason (releases stream)
    CARD_SUBMITTED = "card-submitted"  # the registrant submitted the model card for review (card_submission.py)


GENESIS = "0" * 64  # the `prev` of each stream's first record
# DynamoDB's item size limit, 400 KB, counted as attribute names plus values in bytes
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
MAX_ITEM_BYTES = 400 * 1024
# How often an append re-reads the tail after a concurrent writer took its sequence number.
APPEND_ATTEMPTS = 5
FIELDS = ("stream", "seq", "model", "action", "who", "when", "reason", "arn", "account", "env", "prev", "hash")
VOIDS = re.compile(r"^voids record (?P<seq>\d+): ")


def utc_iso(moment: datetime) -> str:
    """`moment` in UTC, ISO 8601 to the microsecond, e.g. 2026-11-22T10:15:00.250000Z.

    To the microsecond because the history orders the records of different streams by this time: records
    written within one second (a deploy record, then the next environment's decision) keep their order.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    """Now, as `utc_iso` writes it: the `when` of every record a writer appends."""
    return utc_iso(datetime.now(UTC))


@dataclass(frozen=True)
class HistoryRecord:
    """What a writer records: who did what, when, why, to which ARN, in which account and environment."""

    who: str
    when: str
    action: HistoryAction
    reason: str
    arn: str
    account: str
    env: str | None


@dataclass(frozen=True)
class LedgerRecord:
    """One record as the ledger holds it: the writer's record, its place in its stream and its hashes."""

    stream: str
    seq: int
    model: str
    action: HistoryAction
    who: str
    when: str
    reason: str
    arn: str
    account: str
    env: str | None
    prev: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """The record as plain data, every field (the `--json` output, read back by `--verify --from`)."""
        data = asdict(self)
        data["action"] = str(self.action)
        return data

    def content_hash(self) -> str:
        """SHA-256 hex of the canonical JSON (sorted keys, compact) of every field but `hash`."""
        return content_hash({key: value for key, value in self.as_dict().items() if key != "hash"})

    @property
    def voided_seq(self) -> int | None:
        """For a `voided` record, the seq of the decision record it voids."""
        match = VOIDS.match(self.reason) if self.action == HistoryAction.VOIDED else None
        return int(match["seq"]) if match else None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str) -> LedgerRecord:
        """A record from its JSON form; InputError names `where` and the first field that is wrong."""
        missing = [key for key in FIELDS if key not in data]
        if missing:
            raise InputError(f"{where}: field {missing[0]!r} is missing")
        for key in FIELDS:
            value = data[key]
            if key == "seq":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise InputError(f"{where}: field 'seq' must be a whole number, got {value!r}")
            elif key == "env":
                if value is not None and not isinstance(value, str):
                    raise InputError(f"{where}: field 'env' must be text or null, got {value!r}")
            elif not isinstance(value, str):
                raise InputError(f"{where}: field {key!r} must be text, got {value!r}")
        if data["action"] not in set(HistoryAction):
            raise InputError(
                f"{where}: field 'action' must be one of {', '.join(HistoryAction)}, got {data['action']!r}"
            )
        return cls(**{key: data[key] for key in FIELDS} | {"action": HistoryAction(data["action"])})


def content_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex of `fields` as canonical JSON: sorted keys, no spaces, UTF-8."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seal(stream: str, seq: int, model: str, record: HistoryRecord, prev: str) -> LedgerRecord:
    """`record` as the `seq`th record of `stream`, chained to `prev`."""
    unsealed = LedgerRecord(stream=stream, seq=seq, model=model, **asdict(record), prev=prev, hash="")
    return replace(unsealed, hash=unsealed.content_hash())


# -- the item, in DynamoDB's types ------------------------------------------------------------------------


def _attribute_size(value: Any) -> int:
    """An attribute value's size as DynamoDB counts it: UTF-8 bytes of a string, about one byte per two
    digits of a number plus one (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
    CapacityUnitCalculations.html)."""
    if isinstance(value, int):
        return (len(str(value)) + 1) // 2 + 1
    return len(str(value).encode("utf-8"))


def check_size(record: LedgerRecord) -> None:
    """LedgerRecordTooLarge when the item would exceed DynamoDB's 400 KB item limit, naming the largest field."""
    sizes = {key: len(key.encode("utf-8")) + _attribute_size(value) for key, value in _item_fields(record).items()}
    total = sum(sizes.values())
    if total > MAX_ITEM_BYTES:
        largest = max(sizes, key=lambda key: sizes[key])
        raise LedgerRecordTooLarge(
            f"ledger {record.stream}: the record is {total} bytes, over DynamoDB's item limit of {MAX_ITEM_BYTES} "
            f"bytes (400 KB); its field {largest!r} alone is {sizes[largest]} bytes"
        )


def _item_fields(record: LedgerRecord) -> dict[str, Any]:
    """The stored attributes: every field, `env` left out when there is none."""
    data = record.as_dict()
    if data["env"] is None:
        del data["env"]
    return data


def _typed(value: Any) -> dict[str, str]:
    return {"N": str(value)} if isinstance(value, int) else {"S": str(value)}


def _from_item(item: Mapping[str, Mapping[str, str]]) -> LedgerRecord:
    data: dict[str, Any] = {key: (int(v["N"]) if "N" in v else v.get("S", "")) for key, v in item.items()}
    data.setdefault("env", None)
    return LedgerRecord(**{key: data.get(key, "") for key in FIELDS} | {"action": HistoryAction(data["action"])})


class LedgerRecordTooLarge(InputError):
    """A record over DynamoDB's item size limit: nothing was written."""


class LedgerBusy(ModelOpsError):
    """Other writers kept taking the next sequence number of a stream: nothing was written."""


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Ledger:
    """The ledger of one model, in the shared-services account's `modelops-ledger` table."""

    def __init__(self, client: DynamoDBClient, model: str, *, table: str = naming.LEDGER_TABLE) -> None:
        self.client = client
        self.model = model
        self.table = table

    def last(self, stream: str) -> LedgerRecord | None:
        """The newest record of `stream` (one strongly consistent Query), or None for an empty stream."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="#stream = :stream",
            ExpressionAttributeNames={"#stream": "stream"},
            ExpressionAttributeValues={":stream": {"S": stream}},
            ScanIndexForward=False,
            Limit=1,
            ConsistentRead=True,
        )
        items = response.get("Items", [])
        return _from_item(items[0]) if items else None  # type: ignore[arg-type]

    def append(self, stream: str, record: HistoryRecord) -> LedgerRecord:
        """Add `record` at the end of `stream`; returns it sealed (seq, prev, hash).

        Reads the tail, then INSERTs the next seq; a concurrent writer that took that seq first makes the
        INSERT fail with DuplicateItemException, and the append reads the new tail and tries again.
        """
        for _attempt in range(APPEND_ATTEMPTS):
            tail = self.last(stream)
            sealed = seal(
                stream,
                (tail.seq if tail is not None else 0) + 1,
                self.model,
                record,
                tail.hash if tail is not None else GENESIS,
            )
            check_size(sealed)
            item = _item_fields(sealed)
            values = ", ".join(f"'{key}': ?" for key in item)
            try:
                self.client.execute_statement(
                    Statement=f'INSERT INTO "{self.table}" VALUE {{{values}}}',
                    Parameters=[_typed(value) for value in item.values()],
                )
            except ClientError as exc:
                if _code(exc) == "DuplicateItemException":
                    continue
                raise
            return sealed
        raise LedgerBusy(
            f"ledger {stream}: {APPEND_ATTEMPTS} concurrent appends took the next record first; nothing was "
            "written, try again"
        )

    def read(self, stream: str) -> list[LedgerRecord]:
        """Every record of `stream`, oldest first (paginated Query; nothing is ever evicted)."""
        records: list[LedgerRecord] = []
        paginator = self.client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="#stream = :stream",
            ExpressionAttributeNames={"#stream": "stream"},
            ExpressionAttributeValues={":stream": {"S": stream}},
            ConsistentRead=True,
        )
        for page in pages:
            records += [_from_item(item) for item in page.get("Items", [])]  # type: ignore[arg-type]
        return records

    def standing(self, stream: str, arn: str, action: HistoryAction) -> list[LedgerRecord]:
        """The `action` records of `arn` in `stream` that no `voided` record voids, oldest first."""
        records = self.read(stream)
        voided = {record.voided_seq for record in records if record.action == HistoryAction.VOIDED}
        return [r for r in records if r.action == action and r.arn == arn and r.seq not in voided]

    def void(self, record: LedgerRecord, why: str) -> None:
        """Append the `voided` record saying `record` (an intent the registry never recorded) took no effect,
        and why; in `record`'s own stream, as its own author."""
        self.append(
            record.stream,
            HistoryRecord(
                who=record.who,
                when=utc_now(),
                action=HistoryAction.VOIDED,
                reason=f"voids record {record.seq}: {' '.join(why.split())}"[:4096],
                arn=record.arn,
                account=record.account,
                env=record.env,
            ),
        )

    def read_streams(self, streams: Iterable[str]) -> dict[str, list[LedgerRecord]]:
        """Every record of each stream, by stream."""
        return {stream: self.read(stream) for stream in streams}

    def deployed_arns(self, env: str) -> list[str]:
        """ARNs `env`'s own post-deploy step recorded as deployed there, oldest first (repeats kept)."""
        return [
            record.arn
            for record in self.read(naming.deploys_stream(self.model, env))
            if record.action == HistoryAction.DEPLOYED
        ]


# -- verification -------------------------------------------------------------------------------------------


def verify_stream(stream: str, records: list[LedgerRecord]) -> str | None:
    """The first broken link of `stream` as one line, or None when every link holds.

    `records` are in the order read (by seq). Each record's hash is recomputed from its content; each
    seq follows the one before from 1; each `prev` is the hash of the record before it.
    """
    before: LedgerRecord | None = None
    for record in records:
        if record.stream != stream:
            return f"ledger {stream}: record {record.seq} belongs to stream {record.stream}"
        if record.hash != record.content_hash():
            return f"ledger {stream}: record {record.seq}'s hash does not match its content"
        expected_seq = before.seq + 1 if before is not None else 1
        expected_prev = before.hash if before is not None else GENESIS
        if record.seq != expected_seq:
            if before is None:
                return f"ledger {stream}: the first record is {record.seq}, not 1"
            return f"ledger {stream}: record {record.seq} does not follow record {before.seq}"
        if record.prev != expected_prev:
            if before is None:
                return f"ledger {stream}: record 1 does not start the chain (its prev is not {GENESIS[:8]}...)"
            return f"ledger {stream}: record {record.seq} does not follow record {before.seq}"
        before = record
    return None


def by_stream(records: Iterable[LedgerRecord]) -> dict[str, list[LedgerRecord]]:
    """Records grouped by stream, each stream ordered by seq (the order a Query returns)."""
    streams: dict[str, list[LedgerRecord]] = {}
    for record in records:
        streams.setdefault(record.stream, []).append(record)
    return {stream: sorted(found, key=lambda r: r.seq) for stream, found in sorted(streams.items())}


def verify_streams(streams: Mapping[str, list[LedgerRecord]]) -> list[str]:
    """The first broken link of each stream that has one, in stream order."""
    return [problem for stream, records in streams.items() if (problem := verify_stream(stream, records))]


# Records whose times are equal (those written before `when` carried microseconds were to the second) fall
# back to the order of the lifecycle: registered, decided, proposed, deployed.
STREAM_ORDER = ("registrations", "decisions", "promotions", "releases", "deploys")
EARLIEST = datetime.min.replace(tzinfo=UTC)


def _stream_rank(stream: str, model: str) -> int:
    kind = stream.removeprefix(f"{model}/").split("/", 1)[0]
    return STREAM_ORDER.index(kind) if kind in STREAM_ORDER else len(STREAM_ORDER)


def _moment(record: LedgerRecord) -> datetime:
    """The record's `when` as a time; a record without a readable one (a registration SageMaker gave no
    creation time) sorts first."""
    try:
        moment = datetime.fromisoformat(record.when)
    except ValueError:
        return EARLIEST
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def merged(streams: Mapping[str, list[LedgerRecord]]) -> list[LedgerRecord]:
    """Every record of every stream, oldest first: each stream in its own order (by seq, which its one writer
    assigns in the order it writes), the streams interleaved by `when`.

    Within a stream the seq is the truth, even where a writer's clock stepped back. Across streams the only
    shared order is time: each writer stamps its records to the microsecond from a clock AWS and CI hosts keep
    by NTP, within milliseconds, while causally linked records (a decision, then the deploy it allowed) are
    separated by AWS round trips. Equal times fall back to the lifecycle order of the streams.
    """
    ordered = sorted(streams.items(), key=lambda item: (_stream_rank(item[0], _model_of(item[1])), item[0]))
    by_seq = [sorted(records, key=lambda r: r.seq) for _, records in ordered]
    # heapq.merge takes the head of each stream in turn, so each stream's own order is kept whatever its
    # times say; among equal times it takes the earlier stream of `ordered` first.
    return list(heapq.merge(*by_seq, key=_moment))


def _model_of(records: list[LedgerRecord]) -> str:
    return records[0].model if records else ""
