"""The principals the sweep covers: our roles with their policies, and everyone else modelled as an
account administrator, a service, a web identity or the anonymous caller."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Policy, PolicyKind, Principal
from policies.iam.cloudformation.deployment import Deployment, Document
from policies.proof.bootstrap import CDK_ROLE_KINDS, target_accounts
from policies.proof.samples import ORG_MEMBER_ACCOUNT, OUTSIDER_ACCOUNT, arn_account, sample_of

ADMIN_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass
class ProofPrincipal:
    """One principal of the matrix: its id in access.yaml, how it is modelled, and its views."""

    id: str
    principal: Principal
    modelled: str  # "deployed" (our templates), "administrator" (not ours), "service", "federated", "none"
    description: str
    org: tuple[str, ...] = ("inside",)  # aws:PrincipalOrgID follows the principal's account

    @property
    def account(self) -> str | None:
        """The principal's account; None for services, web identities and the anonymous caller."""
        return self.principal.account


def administrator(name: str) -> Policy:
    """An identity policy allowing everything: how the proof models a principal whose policies are not ours."""
    return Policy(name, ADMIN_DOCUMENT, PolicyKind.IDENTITY)


def swept_principals(
    config: OrgConfig,
    deployment: Deployment,
    documents: list[Document],
    policies: Mapping[str, Policy],
    account_names: Mapping[str, str],
    symbolize: Callable[[str], str],
) -> list[ProofPrincipal]:
    """Every principal the sweep covers: our templates' roles, the bootstrap roles, a sample of each
    role pattern the policies name, any other role of each account, the outsider, the other
    organisation member, the anonymous caller, and the service and web-identity principals named."""
    found: list[ProofPrincipal] = []
    for arn, role in sorted(deployment.roles.items()):
        identity = [policies[doc.name] for doc in role.policies]
        found.append(
            ProofPrincipal(
                _role_id(arn, account_names, symbolize),
                Principal.role(arn, identity_policies=identity),
                "deployed",
                "a role of our templates",
            )
        )
    deployed = set(deployment.roles)
    for account in target_accounts(config):
        for kind in CDK_ROLE_KINDS:
            arn = naming.cdk_role_arn(kind, account, config.region)
            if arn not in deployed:
                found.append(
                    ProofPrincipal(
                        _role_id(arn, account_names, symbolize),
                        Principal.role(
                            arn,
                            identity_policies=[administrator(f"{kind} (cdk bootstrap, modelled as administrator)")],
                        ),
                        "administrator",
                        "CDK bootstrap role; its policies come from `cdk bootstrap`, modelled as administrator",
                    )
                )
    # Roles the trust and resource policies name by pattern (SSO permission sets): one sample each.
    for pattern in sorted({p for doc in documents for p in _principal_arn_patterns(doc.document)}):
        arn = sample_of(pattern)
        if arn in deployed or any(p.principal.name == arn for p in found):
            continue
        found.append(
            ProofPrincipal(
                _role_id(arn, account_names, symbolize),
                Principal.role(arn, identity_policies=[administrator("permission set (modelled as administrator)")]),
                "administrator",
                f"a role matching {symbolize(pattern)} (an SSO permission set), modelled as administrator",
            )
        )
    for account in sorted(
        {
            config.accounts.shared_services,
            config.accounts.data_science,
            config.accounts.deployment,
            *(config.environment(e).account for e in config.chain),
        }
    ):
        arn = naming.role_arn(account, "any-other-role")
        found.append(
            ProofPrincipal(
                f"any-other-role@{account_names[account]}",
                Principal.role(arn, identity_policies=[administrator("any other role (modelled as administrator)")]),
                "administrator",
                "any other role of the account, even an administrator",
            )
        )
    found.append(
        ProofPrincipal(
            "outsider",
            Principal.role(
                naming.role_arn(OUTSIDER_ACCOUNT, "admin"),
                identity_policies=[administrator("outsider administrator")],
            ),
            "administrator",
            "an administrator of an account outside the organisation",
            org=("outside",),
        )
    )
    found.append(
        ProofPrincipal(
            "org-member",
            Principal.role(
                naming.role_arn(ORG_MEMBER_ACCOUNT, "admin"),
                identity_policies=[administrator("org member administrator")],
            ),
            "administrator",
            "an administrator of another account inside the organisation",
            org=("inside",),
        )
    )
    found.append(ProofPrincipal("anonymous", Principal.anonymous(), "none", "an unauthenticated caller"))
    services = sorted({s for doc in documents for s in _named(doc.document, "Service")})
    found.extend(
        ProofPrincipal(f"service:{s}", Principal.service(s), "service", f"the AWS service {s}") for s in services
    )
    providers = sorted({f for doc in documents for f in _named(doc.document, "Federated")})
    found.extend(
        ProofPrincipal(
            f"web-identity:{symbolize(f)}",
            Principal.federated(f),
            "federated",
            "a GitHub Actions job (OIDC)",
        )
        for f in providers
    )
    return found


def _role_id(arn: str, account_names: Mapping[str, str], symbolize: Callable[[str], str]) -> str:
    account = arn_account(arn)
    name = arn.rsplit("/", 1)[1]
    short = symbolize(name).replace("-<region>", "")
    return f"{short}@{account_names.get(account, account)}"


def _named(document: dict[str, Any], kind: str) -> set[str]:
    names: set[str] = set()
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        if isinstance(principal, dict) and kind in principal:
            value = principal[kind]
            names.update([value] if isinstance(value, str) else value)
    return names


def _principal_arn_patterns(document: dict[str, Any]) -> set[str]:
    patterns: set[str] = set()
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        for operator, keys in statement.get("Condition", {}).items():
            if operator.startswith("Arn") and "Not" not in operator:
                value = {k.lower(): v for k, v in keys.items()}.get("aws:principalarn")
                if value is not None:
                    patterns.update(v for v in ([value] if isinstance(value, str) else value) if "*" in v or "?" in v)
    return patterns
