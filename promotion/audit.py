"""`history MODEL`: the audit trail of a model, every stream of its ledger merged by time; and
`history MODEL --verify`: every stream's hash chain checked, from the ledger or from an exported copy.

Read through the verifier role, which may only Query the ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.ledger import Ledger, LedgerRecord, by_stream, merged, verify_streams


def ledger_streams(aws: AwsContext, config: OrgConfig, model: str) -> dict[str, list[LedgerRecord]]:
    """Every record of every stream of `model` (each chain environment's deploys included), by stream."""
    config.model(model)
    role = naming.verifier_role_arn(config)
    with calling(f"the ledger in the shared-services account {config.accounts.shared_services}", role=role):
        ledger = Ledger(aws.verifier().client("dynamodb", region_name=config.region), model)
        return ledger.read_streams(naming.ledger_streams(config, model))


def audit_trail(aws: AwsContext, config: OrgConfig, model: str) -> list[LedgerRecord]:
    """Every recorded event of `model`, sorted by time."""
    return merged(ledger_streams(aws, config, model))


@dataclass(frozen=True)
class Verification:
    """What `--verify` checked, and the first broken link of each stream that has one."""

    streams: int
    records: int
    problems: list[str]

    @property
    def holds(self) -> bool:
        return not self.problems


def verify_ledger(streams: dict[str, list[LedgerRecord]]) -> Verification:
    """Check every stream's chain: seq contiguous from 1, each prev the hash before, each hash recomputed."""
    return Verification(
        streams=len(streams),
        records=sum(len(records) for records in streams.values()),
        problems=verify_streams(streams),
    )


def read_export(path: Path, model: str) -> dict[str, list[LedgerRecord]]:
    """The records of an exported copy (`history MODEL --json`), by stream; InputError names what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON array of ledger records (the output of `history --json`)")
    records = []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InputError(f"{path}: item {number} is not a JSON object")
        record = LedgerRecord.from_dict(item, f"{path}: item {number}")
        if record.model != model:
            raise InputError(f"{path}: item {number} is a record of model {record.model!r}, not {model!r}")
        records.append(record)
    return by_stream(records)
