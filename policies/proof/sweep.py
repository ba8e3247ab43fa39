"""The sweep: every principal x action x resource x context variant, decided in three views."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from itertools import product
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import AccessDecision, Context, Policy, PolicyKind, Prepared, Principal, Resource, decide, prepare
from policies.proof.parameters import label_value
from policies.proof.principals import ProofPrincipal, administrator
from policies.proof.resources import ProofResource
from policies.proof.samples import FOREIGN_SOURCE_ARN, OTHER, arn_account, sample_of
from policies.proof.universe import Universe

# A pull request's merge ref, as a job of pull request number 1 runs at it.
PULL_REQUEST_REF = "refs/pull/1/merge"
# The three views of a role (see the package docstring); other principals get only `allowed`.
VIEWS = ("allowed", "identity_alone", "resource_policies_alone")
SERVICE_RESOURCES = {"sts": "iam"}  # sts:AssumeRole* act on IAM roles
# Principals whose identity policies are known documents: their `allowed` view covers every resource, and
# they get all three views (a person's permission set is assumed, not deployed: a trust policy must keep
# out whom it should by itself, which `resource_policies_alone` shows).
FULL_SCOPE = frozenset({"deployed", "permission-set"})


def github_subjects(config: OrgConfig) -> dict[str, str]:
    """The GitHub Actions OIDC subjects the sweep presents, by label, in the repository's subject template
    (accounts/naming.py): each deploy target's and the promotion workflow's exact subject, a pull request's
    (number 1), and the near misses an attacker can produce: another repository or fork, a job without an
    environment, another workflow file, the same file on another branch or at a pull request's ref, and
    GitHub's default subject format (a repository whose template was reset)."""
    targets = ["shared-services", *config.chain]
    repo, branch, last = config.pipeline.repository, config.pipeline.branch, targets[-1]
    deploy, heads = naming.GITHUB_DEPLOY_WORKFLOW, naming.github_branch_ref(branch)
    last_env = naming.github_environment_context(last)
    subjects = {target: naming.github_deploy_subject(config, target) for target in targets}
    subjects["fork"] = naming.github_subject(f"{OTHER}/{config.pipeline.repo}", last_env, deploy, heads)
    subjects["other-repo"] = naming.github_subject(f"{config.pipeline.owner}/{OTHER}", last_env, deploy, heads)
    subjects["branch"] = naming.github_subject(repo, f"ref:{heads}", deploy, heads)
    subjects["other-workflow"] = naming.github_subject(repo, last_env, f".github/workflows/{OTHER}.yml", heads)
    subjects["other-branch"] = naming.github_subject(repo, last_env, deploy, naming.github_branch_ref(OTHER))
    subjects["pull-request-ref"] = naming.github_subject(repo, last_env, deploy, PULL_REQUEST_REF)
    subjects["default-format"] = f"repo:{repo}:{last_env}"
    # The promotion workflow's own subject, and another file running in its environment.
    subjects["promotion"] = naming.github_promote_subject(config)
    subjects["promotion-other-workflow"] = naming.github_subject(
        repo,
        naming.github_environment_context(naming.GITHUB_PROMOTION_ENVIRONMENT),
        f".github/workflows/{OTHER}.yml",
        heads,
    )
    # A pull-request job (the PR gates job of checks.yml).
    subjects["pull-request"] = naming.github_subject(
        repo, "pull_request", naming.GITHUB_CHECKS_WORKFLOW, PULL_REQUEST_REF
    )
    return subjects


def views_of(who: ProofPrincipal) -> tuple[str, ...]:
    """The views swept for a principal: all three for our roles and the people, the effective one for the rest."""
    return VIEWS if who.modelled in FULL_SCOPE else ("allowed",)


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
        self._signatures: dict[Principal, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {}
        self._source_label_cache: dict[str, tuple[str, ...]] = {}
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
        self.oidc_subjects = github_subjects(config)
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
            label: arn_account(arn) or owners.get(arn.split("/", 1)[0], "") for label, arn in self._source_arns.items()
        }

    def dimension_inputs(self) -> tuple[object, ...]:
        """What the context dimensions are built from, beyond the config: two sweepers with equal
        inputs give every request the same dimensions and variants."""
        return (self.via_values, self._source_arns, self._source_owner)

    # --- dimensions ---

    def dimensions(self, who: ProofPrincipal, action: str, target: ProofResource) -> list[tuple[str, tuple[str, ...]]]:
        """The context dimensions of one request and their values, in a fixed order: those the sweep
        combines in full, then the request parameters (whose assignments `variants` picks, parameters.py)."""
        dims = self._context_dimensions(who, action, target)
        tags = frozenset(who.principal.principal_tags)
        for key in self.universe.plan.keys(action):
            dims.append((key, self.universe.param_samples[key].labels(tags)))
        return dims

    def _context_dimensions(
        self, who: ProofPrincipal, action: str, target: ProofResource
    ) -> list[tuple[str, tuple[str, ...]]]:
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
        return dims

    def context(
        self, who: ProofPrincipal, action: str, target: ProofResource, labels: tuple[tuple[str, str], ...]
    ) -> Context:
        """The request context of one variant, given its labels (cached: variants share contexts)."""
        values: dict[str, Any] = {}
        for dim, value in labels:
            values.update(self._dimension_keys(dim, value, target, who))
        if action.startswith("kms:") and target.service == "kms":
            values["kms:ResourceAliases"] = list(target.aliases)
        key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in values.items()))
        cached = self._contexts.get(key)
        if cached is None:
            cached = self._contexts[key] = Context(values)
        return cached

    def _dimension_keys(self, dim: str, value: str, target: ProofResource, who: ProofPrincipal) -> dict[str, Any]:
        """The context keys one dimension's label sets; a request parameter sets its own key unless absent."""
        config = self.universe.config
        if dim == "tls":
            return {"aws:SecureTransport": value == "on"}
        if dim == "org":
            return {"aws:PrincipalOrgID": config.organization.id} if value == "inside" else {}
        if dim == "via":
            return {} if value == "direct" else {"kms:ViaService": f"{value}.{config.region}.amazonaws.com"}
        if dim == "source":
            return self._source_keys(value, target)
        if dim == "oidc":
            return {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": self.oidc_subjects[value],
            }
        parameter = label_value(value, who.principal.principal_tags)
        return {} if parameter is None else {dim: parameter}

    def _source_keys(self, value: str, target: ProofResource) -> dict[str, Any]:
        """A service acting on behalf of the resource's account (plus the bucket whose logs it delivers),
        of a named source ARN of that account, or of an outsider."""
        if value == "foreign":
            return {"aws:SourceAccount": self.universe.outside[0], "aws:SourceArn": FOREIGN_SOURCE_ARN}
        keys: dict[str, Any] = {"aws:SourceAccount": target.resource.account}
        if value != "own":
            keys["aws:SourceArn"] = self._source_arns[value]
        elif target.logging_sources:
            keys["aws:SourceArn"] = target.logging_sources[0]
        return keys

    def variants(
        self, who: ProofPrincipal, action: str, target: ProofResource
    ) -> list[tuple[tuple[tuple[str, str], ...], Context]]:
        """Every context variant of one request: its labels and its context (cached). The context
        dimensions are combined in full; the request parameters take the plan's assignments."""
        key = self._variant_key(who, action, target)
        found = self._variants.get(key)
        if found is None:
            dims = self._context_dimensions(who, action, target)
            keys = self.universe.plan.keys(action)
            assignments = self.universe.plan.assignments(action, frozenset(who.principal.principal_tags))
            found = []
            for values in product(*(values for _, values in dims)):
                fixed = tuple(zip((name for name, _ in dims), values, strict=True))
                for assignment in assignments:
                    labels = fixed + tuple(zip(keys, assignment, strict=True))
                    found.append((labels, self.context(who, action, target, labels)))
            self._variants[key] = found
        return found

    def _variant_key(self, who: ProofPrincipal, action: str, target: ProofResource) -> tuple[Any, ...]:
        """What the variants of a request depend on: requests with equal keys have equal variants."""
        principal = who.principal
        signature = self._signatures.get(principal)  # by the principal itself: one role, many sessions
        if signature is None:
            signature = self._signatures[principal] = (
                principal.kind.value,
                who.org,
                tuple(sorted(principal.principal_tags.items())),
            )
        kms_action = action.startswith("kms:")
        kms_target = kms_action and target.service == "kms"
        return (
            *signature,
            kms_action,
            action if action in self.universe.action_params else None,
            (target.resource.account, target.logging_sources[:1], self._source_labels(target))
            if signature[0] == "service"
            else None,
            target.aliases if kms_target else None,
            kms_target,
        )

    def _identity_may_allow(self, who: ProofPrincipal, action: str) -> bool:
        lowered = action.lower()
        return any(s.allow for p in who.principal.identity_policies for s in p.statements_for(lowered))

    def _source_labels(self, target: ProofResource) -> tuple[str, ...]:
        """The named source ARNs of the resource's account, as context labels."""
        account = target.resource.account
        found = self._source_label_cache.get(account)
        if found is None:
            found = tuple(sorted(label for label, owner in self._source_owner.items() if owner == account))
            self._source_label_cache[account] = found
        return found

    # --- views ---

    def star(self, service: str, account: str) -> ProofResource:
        """The `*` resource of an account: where actions that name no resource are decided."""
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
        star = [self.star(service, account)] if account is not None else []
        if view == "identity_alone":
            found = [r for r in candidates if r.resource.account != account or _must_allow(r)]
        elif who.modelled in FULL_SCOPE and view == "allowed":
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
        """The views swept for a principal (`views_of`)."""
        return views_of(who)

    def _open_policy(self, who: ProofPrincipal, target: ProofResource) -> Resource:
        """The resource as if its resource policy allowed this principal's account everything.

        It names the account, not the role: an account grant only delegates, so the role's own
        identity policies still decide (a grant naming the role would allow without them)."""
        kind = target.resource.policy.kind if target.resource.policy is not None else PolicyKind.RESOURCE
        if target.resource.is_kms_key:
            kind = PolicyKind.KMS_KEY  # a key's resource policy is its key policy, even where it has none
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
            self._twins[who.id] = dataclasses.replace(  # the same session and session tags
                who.principal,
                identity_policies=(administrator("identity widened to administrator (proof view)"),),
            )
        return self._twins[who.id]

    # --- the sweep ---

    def sweep(
        self,
        principals: Iterable[ProofPrincipal] | None = None,
        actions: Iterable[str] | None = None,
        views: Iterable[str] = VIEWS,
        resources: Collection[str] | None = None,
    ) -> dict[tuple[str, str], dict[tuple[str, str], dict[tuple[tuple[str, str], ...], AccessDecision]]]:
        """Allowed requests per (principal id, view): (action, resource symbol) -> variant -> decision.

        `resources` (symbols), when given, limits the sweep to those resources of each view's scope."""
        wanted_views = set(views)
        action_list = list(actions) if actions is not None else self.universe.actions
        results: dict[tuple[str, str], dict[tuple[str, str], dict[tuple[tuple[str, str], ...], AccessDecision]]] = {}
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
                    lowered = action.lower()
                    has_identity = any(policy.statements_for(lowered) for policy in principal.identity_policies)
                    service = action.split(":", 1)[0]
                    for target in self.scope(who, view, service):
                        if resources is not None and target.symbol not in resources:
                            continue
                        resource = self._open_policy(who, target) if view == "identity_alone" else target.resource
                        variants = self.variants(who, action, target)
                        count += len(variants)
                        policy = resource.policy
                        if not has_identity and (policy is None or not policy.statements_for(lowered)):
                            continue  # no statement names the action: every variant is denied
                        self._decide(prepare(principal, action, resource), variants, allowed, (action, target.symbol))
        self.decisions += count
        return results

    @staticmethod
    def _decide(
        prepared: Prepared,
        variants: list[tuple[tuple[tuple[str, str], ...], Context]],
        allowed: dict[tuple[str, str], dict[tuple[tuple[str, str], ...], AccessDecision]],
        pair: tuple[str, str],
    ) -> None:
        """Decide every variant of a prepared request, recording the allowed ones under `pair`."""
        matched = [*prepared.identity, *(statement for statement, _ in prepared.resource_statements)]
        if not any(statement.allow for statement in matched):
            return  # no Allow statement matches: every variant is denied
        if not any(statement.contextual for statement in matched):
            # No statement reads the context: every variant has the first one's decision.
            decision = decide(prepared, variants[0][1])
            if decision.allowed:
                allowed[pair] = dict.fromkeys((labels for labels, _ in variants), decision)
            return
        for labels, context in variants:
            decision = decide(prepared, context)
            if decision.allowed:
                allowed.setdefault(pair, {})[labels] = decision


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
