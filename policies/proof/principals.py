"""The principals the sweep covers: our roles with their policies, people signed in with the
organisation's permission sets (holding exactly the reviewed documents of policies/permission_sets.py),
and everyone else modelled as an account administrator, a service, a web identity or the anonymous caller."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Policy, PolicyKind, Principal
from policies.iam.cloudformation.deployment import Deployment, Document
from policies.iam.matching import arn_condition_matcher
from policies.permission_sets import permission_sets
from policies.proof.bootstrap import CDK_ROLE_KINDS, target_accounts
from policies.proof.samples import ANOTHER_PERSON, arn_account, sample_of

ADMIN_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


# A sample person per permission set (an approver is the first configured approver of the first
# environment); Identity Center sets a person's session name and `email` session tag to their address.
SAMPLE_PEOPLE = {
    naming.DATA_SCIENTIST_PERMISSION_SET: "data.scientist@example.com",
    naming.PLATFORM_PERMISSION_SET: "platform.engineer@example.com",
}
SSO_ROLE_SUFFIX = "0123456789abcdef"  # Identity Center's random suffix, as a sample
LOOKALIKE_SUFFIX = "_Extra"  # a permission set whose name merely starts with one of ours


@dataclass(frozen=True)
class Person:
    """A person signed in through Identity Center: the permission set, its account, and their email."""

    permission_set: str
    account: str
    email: str

    @property
    def role_arn(self) -> str:
        """The role Identity Center provisions for the permission set (the current path form)."""
        return naming.role_arn(self.account, f"{naming.SSO_ROLE_PATH.strip('/')}/{self.role_name}")

    @property
    def role_name(self) -> str:
        return naming.sso_role_name(self.permission_set, SSO_ROLE_SUFFIX)

    def role_arns(self, region: str) -> tuple[str, str]:
        """Both path forms Identity Center uses (with the region for accounts set up before 2022)."""
        path = naming.SSO_ROLE_PATH.strip("/")
        return self.role_arn, naming.role_arn(self.account, f"{path}/{region}/{self.role_name}")

    def principal(self, identity_policies: list[Policy]) -> Principal:
        """The person's session: named after them, tagged with their email."""
        return Principal.role(
            self.role_arn,
            session=self.email,
            session_tags={naming.PERSON_TAG: self.email},
            identity_policies=identity_policies,
        )

    def __str__(self) -> str:
        return f"person {self.permission_set} ({self.email})"


def people(config: OrgConfig) -> list[Person]:
    """A sample person for each permission set of policies/permission_sets.py."""
    first = config.approver_groups[config.environment(config.chain[0]).approver_group].members[0]
    emails = {**SAMPLE_PEOPLE, naming.APPROVER_PERMISSION_SET: first}
    return [Person(p.name, p.account, emails[p.name]) for p in permission_sets(config)]


def lookalikes(config: OrgConfig) -> list[Person]:
    """For each permission set of ours, someone signed in with a set whose name merely starts with its name
    (`ModelOpsApprover_Extra`): nobody we name, whom no trust policy of ours may let in."""
    return [Person(f"{p.permission_set}{LOOKALIKE_SUFFIX}", p.account, ANOTHER_PERSON) for p in people(config)]


def permission_set_document_name(permission_set: str) -> str:
    """The name the proof gives a permission set's document (explanations name it)."""
    return f"permission set {permission_set}"


@dataclass
class ProofPrincipal:
    """One principal of the matrix: its id in access.yaml, how it is modelled, and its views."""

    id: str
    principal: Principal
    # "deployed" (our templates), "permission-set" (a person, holding a reviewed document), "administrator"
    # (not ours), "service", "federated", "none"
    modelled: str
    description: str
    org: tuple[str, ...] = ("inside",)  # aws:PrincipalOrgID follows the principal's account
    person: Person | None = None

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
    outside: tuple[str, str],
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
                Principal.role(arn, role_tags=role.tags, identity_policies=identity),
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
    # People: each permission set's role, holding exactly its reviewed document.
    signed_in = people(config)
    for person in signed_in:
        document = permission_set_document_name(person.permission_set)
        found.append(
            ProofPrincipal(
                f"person:{person.permission_set}@{account_names[person.account]}",
                person.principal([policies[document]]),
                "permission-set",
                f"a person signed in with the permission set {person.permission_set} (as {person.email}), holding "
                f"exactly its reviewed document (policies/rendered/permission-sets/{person.permission_set}.json)",
                person=person,
            )
        )
    person_arns = [arn for person in signed_in for arn in person.role_arns(config.region)]
    # Other roles the trust and resource policies name by pattern: one sample each, modelled as administrator.
    for pattern in sorted({p for doc in documents for p in _principal_arn_patterns(doc.document)}):
        arn = sample_of(pattern)
        if arn in deployed or any(p.principal.name == arn for p in found):
            continue
        if any(map(arn_condition_matcher(pattern), person_arns)):
            continue  # a pattern for one of the people above
        found.append(
            ProofPrincipal(
                _role_id(arn, account_names, symbolize),
                Principal.role(arn, identity_policies=[administrator("role by pattern (modelled as administrator)")]),
                "administrator",
                f"a role matching {symbolize(pattern)}, modelled as administrator",
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
                naming.role_arn(outside[0], "admin"),
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
                naming.role_arn(outside[1], "admin"),
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
