"""The proof's universe: the principals, resources, actions and request parameters the sweep covers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from accounts.config import OrgConfig
from policies.iam import Policy
from policies.iam.cloudformation.deployment import Deployment, Document
from policies.proof.actions import all_actions, request_parameters
from policies.proof.bootstrap import CDK_ROLE_KINDS, bootstrap_trust, target_accounts
from policies.proof.errors import ProofError
from policies.proof.principals import ProofPrincipal, swept_principals
from policies.proof.resources import ProofResource, swept_resources
from policies.proof.samples import ORG_MEMBER_ACCOUNT, OUTSIDER_ACCOUNT


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
    universe.resources = swept_resources(config, deployment, documents, policies, universe.symbolize)
    universe.principals = swept_principals(config, deployment, documents, policies, account_names, universe.symbolize)
    universe.param_values, universe.action_params = request_parameters(documents, actions)
    return universe


def _all_documents(config: OrgConfig, deployment: Deployment) -> list[Document]:
    """The documents our templates deploy, and the bootstrap roles' trust policies."""
    documents = list(deployment.documents())
    for account in target_accounts(config):
        documents.extend(bootstrap_trust(config, kind, account) for kind in CDK_ROLE_KINDS)
    return documents
