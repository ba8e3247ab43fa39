"""The proof's universe: the principals, resources, actions and request parameters the sweep covers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from accounts.config import OrgConfig
from policies.iam import Policy, PolicyKind
from policies.iam.cloudformation.deployment import Deployment, Document
from policies.permission_sets import permission_sets
from policies.proof.actions import ServiceCoverage, all_actions, request_parameters, service_coverage
from policies.proof.bootstrap import CDK_ROLE_KINDS, bootstrap_trust, target_accounts
from policies.proof.errors import ProofError
from policies.proof.parameters import KeySamples, ParameterPlan
from policies.proof.principals import ProofPrincipal, permission_set_document_name, swept_principals
from policies.proof.resources import ProofResource, swept_resources
from policies.proof.samples import ORG_MEMBER_ACCOUNT, OUTSIDER_ACCOUNT, outside_accounts


@dataclass
class Universe:
    """Principals, resources, actions and context dimensions of one deployment."""

    config: OrgConfig
    deployment: Deployment
    principals: list[ProofPrincipal]
    resources: list[ProofResource]
    actions: list[str]
    param_samples: dict[str, KeySamples]  # request parameter key -> its samples
    action_params: dict[str, tuple[str, ...]]  # action -> parameter keys it varies
    account_names: dict[str, str]
    policies: dict[str, Policy] = field(default_factory=dict)  # document name -> compiled policy
    # Policies that shape the request-parameter plan without being deployed (mutations.py: the original of a
    # widened statement, so that a mutated universe is swept over at least the original's variants).
    plan_sources: tuple[Policy, ...] = ()
    # The outsider's account and the other organisation member's (samples.outside_accounts).
    outside: tuple[str, str] = (OUTSIDER_ACCOUNT, ORG_MEMBER_ACCOUNT)

    @cached_property
    def plan(self) -> ParameterPlan:
        """The request-parameter assignments the sweep decides (policies/proof/parameters.py)."""
        return ParameterPlan(self.param_samples, self.action_params, [*self.policies.values(), *self.plan_sources])

    @cached_property
    def coverage(self) -> ServiceCoverage:
        """The services the policies name (every one of them is swept, see actions.py)."""
        return service_coverage(self.policies.values())

    @cached_property
    def resources_by_service(self) -> dict[str, list[ProofResource]]:
        """The resources grouped by the service of their ARN."""
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
    """Build the proof's universe from the config and the deployed templates. `actions`, when given, replaces
    every action of every service the policies name (see `uncovered_services` for what that misses)."""
    ours = {
        config.accounts.shared_services: "shared-services",
        config.accounts.data_science: "data-science",
        config.accounts.deployment: "deployment",
        **{config.environment(env).account: env for env in config.chain},
    }
    outside = outside_accounts(ours)
    account_names = {**ours, outside[0]: "outsider", outside[1]: "org-member"}
    documents = _all_documents(config, deployment)
    policies = {doc.name: Policy(doc.name, doc.document, doc.kind) for doc in documents}
    if len(policies) != len(documents):
        raise ProofError("two deployed policy documents share a name; explanations would be ambiguous")
    actions = list(actions) if actions is not None else all_actions(service_coverage(policies.values()).swept())
    universe = Universe(
        config=config,
        deployment=deployment,
        principals=[],
        resources=[],
        actions=actions,
        param_samples={},
        action_params={},
        account_names=account_names,
        policies=policies,
        outside=outside,
    )
    universe.resources = swept_resources(config, deployment, documents, policies, universe.symbolize, outside[0])
    universe.principals = swept_principals(
        config, deployment, documents, policies, account_names, universe.symbolize, outside
    )
    universe.param_samples, universe.action_params = request_parameters(policies.values(), actions)
    return universe


def _all_documents(config: OrgConfig, deployment: Deployment) -> list[Document]:
    """The documents our templates deploy, the bootstrap roles' trust policies, and the permission sets'."""
    documents = list(deployment.documents())
    for account in target_accounts(config):
        documents.extend(bootstrap_trust(config, kind, account) for kind in CDK_ROLE_KINDS)
    documents.extend(
        Document(permission_set_document_name(p.name), PolicyKind.IDENTITY, p.document) for p in permission_sets(config)
    )
    return documents
