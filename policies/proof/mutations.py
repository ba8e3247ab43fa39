"""Proof that the proof can fail: every widening of every deployed Allow statement, the requests it can
change, and an independent oracle for widenings that allow nothing new."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from policies.iam import Policy, PolicyKind, Resource
from policies.iam.cloudformation.deployment import Document
from policies.iam.evaluate import context_lookup
from policies.iam.policy import PrincipalMatch
from policies.proof.principals import ProofPrincipal
from policies.proof.resources import ProofResource
from policies.proof.results import ProofResult, run_proof
from policies.proof.sweep import SERVICE_RESOURCES, VIEWS, Sweeper
from policies.proof.universe import Universe

# The widening "one extra action" adds, per service: the action that would hurt most, if unmatched.
EXTRA_ACTIONS = {
    # Not DeleteObject: the artifact bucket's policy denies it to everyone (Object Lock's companion), so
    # granting it widens nothing; writing an object is what would hurt.
    "s3": "s3:PutObject",
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
                dataclasses.replace(who.principal, identity_policies=replaced),  # keeps session and tags
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
        param_samples=universe.param_samples,
        action_params=universe.action_params,
        account_names=universe.account_names,
        policies={**universe.policies, old.name: new},
        plan_sources=(*universe.plan_sources, old),  # swept over at least the original's variants
        outside=universe.outside,
    )
    affected = (
        [p for p in principals if new in p.principal.identity_policies]
        if old.kind is PolicyKind.IDENTITY
        else principals
    )
    return mutated, affected, actions


def baseline(universe: Universe, mutation: Mutation) -> Universe:
    """The unmutated universe swept over the mutated one's request-parameter variants: what a widening is
    compared with when it changes those variants (`reach`)."""
    old = universe.policies[mutation.document]
    return dataclasses.replace(
        universe, plan_sources=(*universe.plan_sources, Policy(old.name, mutation.mutated, old.kind))
    )


def _plan_changed(universe: Universe, mutated: Universe, actions: Sequence[str]) -> bool:
    """Whether the widening gives some action new request-parameter variants (for any caller's session tags)."""
    tag_sets = {frozenset(p.principal.principal_tags) for p in universe.principals}
    return any(
        mutated.plan.assignments(action, tags) != universe.plan.assignments(action, tags)
        for action in actions
        if universe.plan.keys(action)
        for tags in tag_sets
    )


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
    exceptions: a widening that drops the only condition naming a kms:ViaService or aws:SourceArn value
    changes the dimensions themselves, and then everything `mutate` names is in reach; a widening that
    gives an action new request-parameter variants (a statement with parameter conditions, on a new
    action or with fewer conditions: parameters.py) puts every principal's grants of its actions in
    reach, and `recheck` compares them with the unmutated universe swept over the same variants.
    """
    mutated, principals, actions = mutate(universe, mutation)
    policy = mutated.policies[mutation.document]
    views: frozenset[str]
    resources: frozenset[str] | None
    if _plan_changed(universe, mutated, actions):
        principals, views, resources = mutated.principals, frozenset(VIEWS), None
    elif Sweeper(mutated).dimension_inputs() != Sweeper(universe).dimension_inputs():
        views, resources = frozenset(VIEWS), None
    elif policy.kind is PolicyKind.IDENTITY:
        views, resources = frozenset({"allowed", "identity_alone"}), None
    else:
        views = frozenset({"allowed", "resource_policies_alone"})
        resources = frozenset(r.symbol for r in mutated.resources if r.resource.policy is policy)
        widened = policy.statements[mutation.statement]
        principals = [p for p in principals if widened.principal_match(p.principal) is not PrincipalMatch.NONE]
    return mutated, principals, Reach(frozenset(p.id for p in principals), views, frozenset(actions), resources)


def recheck(universe: Universe, mutation: Mutation) -> tuple[ProofResult, Reach, ProofResult | None]:
    """Sweep the widened universe on every request in the widening's `reach`; when the widening changed the
    request-parameter variants, also the unmutated universe over the same variants and reach (else None:
    the unmutated grants are the matrix's)."""
    mutated, principals, within = reach(universe, mutation)
    actions = sorted(within.actions)
    result = run_proof(mutated, principals=principals, actions=actions, views=within.views, resources=within.resources)
    before = None
    if _plan_changed(universe, mutated, actions):
        unmutated = baseline(universe, mutation)
        before = run_proof(
            unmutated,
            principals=unmutated.principals,
            actions=actions,
            views=within.views,
            resources=within.resources,
        )
    return result, within, before


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
            reach.update(_action_reach(sweeper, policy, who, action))
    return reach


def _action_reach(
    sweeper: Sweeper, policy: Policy, who: ProofPrincipal, action: str
) -> Iterator[tuple[str, str, str, tuple[tuple[str, str], ...]]]:
    """`policy_reach` for one principal and one action."""
    statements = [
        s
        for s in policy.statements_for(action.lower())
        if policy.kind is PolicyKind.IDENTITY or s.principal_match(who.principal).value != 0
    ]
    if not any(s.allow for s in statements):
        return
    for target in _policy_targets(sweeper, policy, who, action):
        applying = [s for s in statements if s.matches_resource(target.resource.arn)]
        if not any(s.allow for s in applying):
            continue
        for labels, context in sweeper.variants(who, action, target):
            lookup = context_lookup(who.principal, action.lower(), context)
            holding = [s for s in applying if s.applies(target.resource.arn, lookup)]
            if any(s.allow for s in holding) and not any(not s.allow for s in holding):
                yield (who.id, action, target.symbol, labels)


def _policy_targets(sweeper: Sweeper, policy: Policy, who: ProofPrincipal, action: str) -> list[ProofResource]:
    """The resources `policy` can govern for `action`: an identity policy every resource of the action's
    service (and the `*` resource of the principal's account), a resource policy its own resources."""
    service = action.split(":", 1)[0]
    targets = list(sweeper.universe.resources_by_service.get(SERVICE_RESOURCES.get(service, service), []))
    if policy.kind is not PolicyKind.IDENTITY:
        return [target for target in targets if target.resource.policy is policy]
    if who.account is not None:
        targets.append(sweeper.star(service, who.account))
    return targets
