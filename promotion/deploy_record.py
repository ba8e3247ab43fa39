"""Whether a deploy is already recorded, so that the post-deploy step records each deploy once.

`deploy ENV` runs the post-deploy step itself, and the deploy workflow (or a person after `deploy`) may run
`record-deploy ENV` again for the same deploy; a re-run job does too. A deploy is identified by what it left
live: the endpoint's config (CloudFormation creates a new one for every change it rolls out) running the
pinned ARN. Its deploy record names that config, so a second run finds the latest deploy record of the
environment naming the same ARN and config, the live records saying that ARN, and records and asks nothing.
A new deploy, even of the same ARN, rolls out a new config and is recorded; so is one whose live records
were changed since.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts import naming
from promotion.aws import calling
from promotion.deploy_roles import EnvironmentRoles
from promotion.gates import version_label
from promotion.ledger import HistoryAction, Ledger, LedgerRecord
from promotion.live_records import LiveRecords
from promotion.rollback import previous_live_arn
from workloads.manifest import EnvironmentManifest


@dataclass(frozen=True)
class AlreadyRecorded:
    """A model whose deploy (this ARN on this endpoint config) was recorded by an earlier run, and that record."""

    model: str
    arn: str
    config_name: str
    record: LedgerRecord

    def summary(self) -> str:
        """`churn-model v3 on endpoint config X, recorded by W at T`."""
        return (
            f"{self.model} {version_label(self.arn)} on endpoint config {self.config_name}, recorded by "
            f"{self.record.who} at {self.record.when}"
        )


def deploy_reason(arn: str, env: str, config_name: str) -> str:
    """The deploy record's reason: the version, the environment and the endpoint config it verified."""
    return f"deployed {version_label(arn)} to {env} (endpoint config {config_name})"


def recorded_before(
    roles: EnvironmentRoles, manifests: list[EnvironmentManifest], configs: dict[str, str]
) -> dict[str, AlreadyRecorded]:
    """The manifests whose deploy is already recorded, by model: the environment's latest deploy record is
    the pinned ARN on the endpoint config live now (`configs`, by model), and both live records say that ARN."""
    env, config = roles.env.name, roles.config
    recorder = naming.recorder_role_arn(config, env)
    shared = f"the ledger and Parameter Store in the shared-services account {config.accounts.shared_services}"
    candidates: dict[str, AlreadyRecorded] = {}
    with calling(shared, role=recorder):
        session = roles.recorder()
        dynamodb = session.client("dynamodb", region_name=roles.region)
        live = LiveRecords(session.client("ssm", region_name=roles.region))
        for entry in manifests:
            model, arn = entry.manifest.model, entry.manifest.model_package_arn
            last = Ledger(dynamodb, model).last(naming.deploys_stream(model, env))
            this_deploy = (HistoryAction.DEPLOYED, arn, deploy_reason(arn, env, configs[model]))
            if last is not None and (last.action, last.arn, last.reason) == this_deploy and live.get(model, env) == arn:
                candidates[model] = AlreadyRecorded(model, arn, configs[model], last)
    if not candidates:
        return {}
    operator = naming.operator_role_arn(config, env)
    with calling(f"Parameter Store in {env} (account {roles.account})", role=operator):
        ssm = roles.operator().client("ssm", region_name=roles.region)
        return {model: found for model, found in candidates.items() if previous_live_arn(ssm, model) == found.arn}
