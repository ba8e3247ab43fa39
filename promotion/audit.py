"""`history MODEL`: the audit trail, from Parameter Store (decisions, promotions, deploys) and the
registry (registrations), oldest first."""

from __future__ import annotations

from datetime import UTC

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import AwsContext, calling
from promotion.history import History, HistoryAction, HistoryRecord
from promotion.registry import Registry


def audit_trail(aws: AwsContext, config: OrgConfig, model: str) -> list[HistoryRecord]:
    """Every recorded event of `model`, registrations included, sorted by time."""
    config.model(model)
    role = naming.promoter_role_arn(config)
    records: list[HistoryRecord] = []
    with calling("the SageMaker registry", role=role):
        registry = Registry(aws.promoter().client("sagemaker", region_name=config.region), config)
        for summary in registry.versions(model):
            package = registry.describe(summary.arn)
            when = summary.created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if summary.created is not None else ""
            records.append(
                HistoryRecord(
                    who=(package.lineage.registered_by if package is not None else None) or "",
                    when=when,
                    action=HistoryAction.REGISTERED,
                    reason=package.description if package is not None else "",
                    arn=summary.arn,
                    account=config.accounts.shared_services,
                    env=None,
                )
            )
    with calling(f"Parameter Store in the shared-services account {config.accounts.shared_services}", role=role):
        records += History(aws.promoter().client("ssm", region_name=config.region), model).read()
    # Stable: records of the same second keep registry-then-history order, and history order within.
    return sorted(records, key=lambda record: record.when)
