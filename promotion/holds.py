"""Holds: a rollback holds its environment at the version it rolled back to, until a person releases it.

The rollback's `held` record goes in the model's promotions stream, beside its `rollback-proposed` record; the
release is a `released` record in the model's releases stream, which only `modelops-releaser` appends to, and
only a signed-in platform engineer (ModelOpsPlatform, naming themselves) reaches that role: no workflow, no
Lambda and no pipeline role can release a hold. A hold only ever refuses (the `hold` gate), so whoever writes
`held` records can hold an environment, never open one: the earliest unreleased hold decides the version an
environment is held at, and a release names the seq of the newest hold it ends (it ends every earlier one too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.errors import GateFailed
from promotion.gates import Hold, version_label
from promotion.ledger import HistoryAction, HistoryRecord, Ledger, LedgerRecord, utc_now

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RELEASES = re.compile(r"^releases hold (?P<seq>\d+): ")


def released_seq(record: LedgerRecord) -> int | None:
    """For a `released` record, the seq of the (newest) `held` record it releases."""
    match = RELEASES.match(record.reason) if record.action == HistoryAction.RELEASED else None
    return int(match["seq"]) if match else None


def current_hold(env: str, promotions: Sequence[LedgerRecord], releases: Sequence[LedgerRecord]) -> Hold | None:
    """`env`'s hold from the promotions and releases streams, or None when every hold of `env` was released."""
    released = max(
        (seq for record in releases if record.env == env and (seq := released_seq(record)) is not None), default=0
    )
    held = [r for r in promotions if r.action == HistoryAction.HELD and r.env == env and r.seq > released]
    if not held:
        return None
    first = min(held, key=lambda record: record.seq)
    return Hold(env=env, arn=first.arn, who=first.who, when=first.when, reason=first.reason, seq=first.seq)


def newest_hold_seq(env: str, promotions: Sequence[LedgerRecord]) -> int:
    """The seq of `env`'s newest `held` record (0 when there is none)."""
    return max((r.seq for r in promotions if r.action == HistoryAction.HELD and r.env == env), default=0)


def read_hold(dynamodb: DynamoDBClient, model: str, env: str) -> Hold | None:
    """`env`'s hold of `model`, read from the ledger with the caller's client (promoter, verifier, releaser)."""
    ledger = Ledger(dynamodb, model)
    return current_hold(env, ledger.read(naming.promotions_stream(model)), ledger.read(naming.releases_stream(model)))


def read_holds(dynamodb: DynamoDBClient, config: OrgConfig, model: str) -> dict[str, Hold]:
    """Every environment's hold of `model` (environments not held left out), from two Queries."""
    ledger = Ledger(dynamodb, model)
    promotions = ledger.read(naming.promotions_stream(model))
    releases = ledger.read(naming.releases_stream(model))
    return {env: hold for env in config.chain if (hold := current_hold(env, promotions, releases)) is not None}


def held_record(config: OrgConfig, env: str, arn: str, *, who: str, reason: str) -> HistoryRecord:
    """The record a rollback appends to the promotions stream: `env` is held at `arn`."""
    return HistoryRecord(
        who=who,
        when=utc_now(),
        action=HistoryAction.HELD,
        reason=reason,
        arn=arn,
        account=config.environment(env).account,
        env=env,
    )


def release(aws: AwsContext, config: OrgConfig, *, model: str, env: str, reason: str) -> LedgerRecord:
    """Release `env`'s hold of `model` as the signed-in person, through the releaser role; the reason is kept.

    InputError without a reason; GateFailed when the environment is not held."""
    config.model(model)
    config.environment(env)
    if not reason.strip():
        raise InputError("--reason: a release needs a reason, which the ledger keeps; got nothing")
    role = naming.releaser_role_arn(config)
    with calling(f"the ledger in the shared-services account {config.accounts.shared_services}", role=role):
        dynamodb = aws.releaser().client("dynamodb", region_name=config.region)
        ledger = Ledger(dynamodb, model)
        promotions = ledger.read(naming.promotions_stream(model))
        hold = current_hold(env, promotions, ledger.read(naming.releases_stream(model)))
        if hold is None:
            raise GateFailed([f"hold: {env} is not held for {model}; nothing to release"])
        newest = newest_hold_seq(env, promotions)
        return ledger.append(
            naming.releases_stream(model),
            HistoryRecord(
                who=aws.identity(),
                when=utc_now(),
                action=HistoryAction.RELEASED,
                reason=f"releases hold {newest}: {reason.strip()}",
                arn=hold.arn,
                account=config.environment(env).account,
                env=env,
            ),
        )


def release_summary(model: str, record: LedgerRecord) -> str:
    """`released prod of churn-model (held at v1); recorded as releases record 1 by W`."""
    return (
        f"released {record.env} of {model} (held at {version_label(record.arn)}); recorded as record {record.seq} "
        f"of {record.stream} by {record.who}"
    )
