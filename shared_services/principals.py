"""Who the shared-services resource policies name, derived from accounts.yaml and the workload manifests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounts import naming
from accounts.config import OrgConfig
from workloads.manifest import EnvironmentManifest


@dataclass(frozen=True)
class WorkloadRoles:
    """Roles of one workload account that resource policies name before they exist.

    They are created after shared services deploys, so resource policies name the account root and pin
    the exact role ARNs with `ArnEquals aws:PrincipalArn` (IAM rejects principals that don't exist yet).
    """

    account: str
    role_arns: tuple[str, ...]

    @property
    def root_arn(self) -> str:
        return naming.account_root_arn(self.account)


def execution_roles_by_env(
    config: OrgConfig, manifests: dict[str, list[EnvironmentManifest]]
) -> dict[str, WorkloadRoles]:
    """Execution roles per environment, in chain order; environments without manifests are left out. The
    artifact bucket and key policies name each environment's account once, and its roles by one name-bound
    pattern (bucket_policy.py); `role_arns` lists the roles themselves, for what inspects them."""
    roles: dict[str, WorkloadRoles] = {}
    for env in config.chain:
        models = sorted({item.manifest.model for item in manifests.get(env, [])})
        if models:
            roles[env] = WorkloadRoles(
                account=config.environment(env).account,
                role_arns=tuple(naming.execution_role_arn(config, env, model) for model in models),
            )
    return roles


def github_deploy_role_arns(config: OrgConfig) -> list[str]:
    """The deployment account's per-environment GitHub OIDC roles; the codepipeline engine has none."""
    if config.pipeline.engine != "github-actions":
        return []
    return [naming.github_deploy_role_arn(config, env) for env in config.chain]


def model_creator_arns(config: OrgConfig) -> list[str]:
    """Each environment's CloudFormation execution role, which creates the SageMaker Model from a version.

    `cdk bootstrap` creates them before anything deploys, so they are named exactly.
    """
    return [naming.cdk_role_arn("cfn-exec", env.account, config.region) for env in config.environments]


def operator_roles(config: OrgConfig) -> list[WorkloadRoles]:
    """Each environment's operator role. The workload stage creates it, after shared services deploys,
    so, like an execution role, it is named through its account and `aws:PrincipalArn`."""
    return [
        WorkloadRoles(account=env.account, role_arns=(naming.operator_role_arn(config, env.name),))
        for env in config.environments
    ]


def pascal(name: str) -> str:
    """A Sid- and construct-id-safe form of a config name: `churn-model` -> `ChurnModel`."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def unique_sids(names: list[str], what: str) -> dict[str, str]:
    """Map each name to its Sid; ValueError when two names collapse to the same Sid."""
    sids: dict[str, str] = {}
    for name in names:
        sid = pascal(name)
        clash = [other for other, taken in sids.items() if taken == sid]
        if clash:
            raise ValueError(f"{what} {clash[0]!r} and {name!r} both map to policy Sid {sid!r}; rename one")
        sids[name] = sid
    return sids
