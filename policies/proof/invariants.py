"""Governance invariants, checked over every identity a starting principal can reach (chains.py).

Each invariant is a named function with a one-sentence statement (ACCESS.md lists them). A failure
names the path, from the start to the request: `person ModelOpsApprover (qa.approver@example.com) →
sts:AssumeRole modelops-decision-qa (by the trust policy alone) → sagemaker:UpdateModelPackage arn:...`.

Requests are decided as the sweep decides them: on every resource of the action's service and the
identity's own account's `*` resource, in every context variant (parameters.py); and, where an
invariant says which request parameters must be refused, on requests built for the purpose from
accounts.yaml (another environment's stage or decision keys), whatever the policies name.

Identities modelled as administrators (the CDK bootstrap roles, reached through the GitHub deploy
roles and CloudFormation) can do anything in their account: they are the deploy path, behind the
GitHub environments' required reviewers, and what they deploy is this repository's reviewed code.
`only-decision-service-decides` lists the paths that reach them as trusted instead of judging them (the
outsider and the other organisation member, administrators of their own accounts, are judged); the
other invariants judge them like any identity (a person who reaches one breaks
`no-person-writes-decisions`).

The approval keys are `approval:<env>:decision` and `approval:<env>:<n>` for each of the environment's
required approvals (promotion/metadata.py owns that format; policies/ sits below promotion/, so
`decision_keys` spells it again and tests/test_governance_invariants.py holds the two equal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Context, decide, prepare
from policies.proof.actions import escalation_actions
from policies.proof.chains import Chains, Identity, Path
from policies.proof.parameters import ABSENT
from policies.proof.resources import ProofResource
from policies.proof.sweep import SERVICE_RESOURCES
from policies.proof.universe import Universe

UPDATE = "sagemaker:UpdateModelPackage"
CREATE = "sagemaker:CreateModelPackage"
GROUP_POLICY_WRITES = ("sagemaker:PutModelPackageGroupPolicy", "sagemaker:DeleteModelPackageGroupPolicy")
METADATA = "sagemaker:CustomerMetadataProperties/"
TO_REMOVE = "sagemaker:CustomerMetadataPropertiesToRemove"
STAGE = "sagemaker:ModelLifeCycle:stage"
DECIDED_VALUE = "Approved"  # what a forged decision key says; any present value is refused alike
NOBODY = ("outsider", "org-member", "anonymous", "lookalike")
# The approval API's browser pages are public by design (shared_services/approval_api_policy.py): they have no
# API Gateway authorization, and once the API has a resource policy API Gateway denies such a method unless the
# policy allows it, so the statement with this Sid admits everyone to execute-api:Invoke on exactly them. Each
# page checks a single-use signed review link and, to decide, the approver's sign-in; the decision itself is
# the decision role's, which `only-decision-service-decides` judges.
PUBLIC_PAGES_SID = "ReviewPagesArePublic"
INVOKE = "execute-api:Invoke"


CARD_KEY = "card:approval"  # the model card's approval (promotion/metadata.py CARD_APPROVAL_KEY)


def decision_keys(config: OrgConfig, env: str) -> list[str]:
    """The approval keys of `env`: its outcome and one slot per approval of its largest quorum (a risk rating
    may add approvals; promotion/metadata.py)."""
    required = config.environment(env).largest_quorum
    return [f"approval:{env}:decision", *(f"approval:{env}:{n}" for n in range(1, required + 1))]


@dataclass(frozen=True)
class Request:
    """A request an identity may make: the action, the resource, and the request parameters it carries."""

    action: str
    resource: str
    parameters: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        shown = ", ".join(f"{key}={value}" for key, value in self.parameters)
        return f"{self.action} {self.resource}" + (f" with {shown}" if shown else "")


@dataclass
class Verdict:
    """One invariant's outcome: what was checked, and each failure with its path."""

    name: str
    statement: str
    paths_checked: int = 0
    requests: int = 0
    violations: list[str] = field(default_factory=list)
    trusted: list[str] = field(default_factory=list)  # reached identities judged out of scope, by path

    @property
    def holds(self) -> bool:
        return not self.violations

    def fail(self, message: str) -> None:
        if message not in self.violations:
            self.violations.append(message)


@dataclass(frozen=True)
class Invariant:
    """A named invariant: its statement for ACCESS.md and the function that checks it."""

    name: str
    statement: str
    check: Callable[[Governance, Verdict], None]


class Governance:
    """The invariants of one universe: its chains, and the requests each reached identity may make."""

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self.chains = Chains(universe)
        self.sweeper = self.chains.sweeper
        self.requests = 0
        self._allowed: dict[tuple[object, ...], list[tuple[ProofResource, tuple[tuple[str, str], ...], Context]]] = {}
        self._escalations: list[str] | None = None

    def check(self, invariants: Sequence[Invariant] | None = None) -> list[Verdict]:
        """Every invariant's verdict, in order."""
        verdicts = []
        for invariant in invariants if invariants is not None else INVARIANTS:
            verdict = Verdict(invariant.name, invariant.statement)
            before = self.requests
            invariant.check(self, verdict)
            verdict.requests = self.requests - before
            verdicts.append(verdict)
        return verdicts

    def paths(self, kinds: Iterable[str] | None = None) -> list[Path]:
        """Every path of every start of these kinds (all kinds when None)."""
        wanted = set(kinds) if kinds is not None else None
        return [
            path
            for start in self.chains.starts()
            if wanted is None or start.kind in wanted
            for path in self.chains.reachable(start)
        ]

    def escalations(self) -> list[str]:
        if self._escalations is None:
            swept = {action.split(":", 1)[0] for action in self.universe.actions}
            self._escalations = escalation_actions(sorted(swept))
        return self._escalations

    def allowed(
        self, identity: Identity, action: str, keep: Callable[[str], bool] = lambda arn: True
    ) -> list[tuple[ProofResource, tuple[tuple[str, str], ...], Context]]:
        """Every (resource, variant labels, context) of `action` the identity is allowed, on the resources
        whose ARN `keep` accepts: those of the action's service, and its own account's `*`."""
        principal = identity.who.principal
        key = (principal.name, principal.session_arn, tuple(sorted(principal.principal_tags.items())), action)
        cached = self._allowed.get(key)
        if cached is None:
            cached = self._allowed[key] = list(self._allowed_requests(identity, action))
        return [entry for entry in cached if keep(entry[0].resource.arn)]

    def _allowed_requests(
        self, identity: Identity, action: str
    ) -> Iterable[tuple[ProofResource, tuple[tuple[str, str], ...], Context]]:
        who = identity.who
        service = action.split(":", 1)[0]
        targets = list(self.universe.resources_by_service.get(SERVICE_RESOURCES.get(service, service), []))
        if who.account is not None:
            targets.append(self.sweeper.star(service, who.account))
        lowered = action.lower()
        named = any(policy.statements_for(lowered) for policy in who.principal.identity_policies)
        for target in targets:
            policy = target.resource.policy
            if not named and (policy is None or not policy.statements_for(lowered)):
                continue  # no statement names the action: denied
            prepared = prepare(who.principal, action, target.resource)
            for labels, context in self.sweeper.variants(who, action, target):
                self.requests += 1
                if decide(prepared, context).allowed:
                    yield target, labels, context

    def allows(self, identity: Identity, action: str, target: ProofResource, context: Context) -> bool:
        """Whether one request built on purpose is allowed."""
        self.requests += 1
        return decide(prepare(identity.who.principal, action, target.resource), context).allowed


def _parameters(labels: tuple[tuple[str, str], ...], keys: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """The request parameters a variant carries (those not absent), as labelled in the matrix."""
    wanted = set(keys)
    return tuple((key, value) for key, value in labels if key in wanted and value != ABSENT)


def _changed(context: Context, key: str, value: str | list[str]) -> Context:
    """The context with one request parameter set (keys are lower-cased in a context)."""
    values: dict[str, Any] = dict(context.items())
    values[key.lower()] = value
    return Context(values)


def _request(
    governance: Governance, action: str, found: tuple[ProofResource, tuple[tuple[str, str], ...], Context]
) -> Request:
    target, labels, _ = found
    return Request(action, target.resource.arn, _parameters(labels, governance.universe.plan.keys(action)))


def _without(context: Context, key: str) -> Context:
    """The context without one request parameter (the request does not carry it)."""
    return Context({k: v for k, v in context.items() if k != key.lower()})


def _is_package(arn: str) -> bool:
    return ":model-package/" in arn


def _is_group(arn: str) -> bool:
    return ":model-package-group/" in arn


# --- the invariants ---


def only_decision_service_decides(governance: Governance, verdict: Verdict) -> None:
    """Only `modelops-decision-<env>`, with a source identity, changes a model package; each only for its env."""
    config = governance.universe.config
    decision_roles = {naming.decision_role_arn(config, env): env for env in config.chain}
    for path in governance.paths():
        identity = path.identity
        if path.hops and identity.who.modelled == "administrator":
            verdict.trusted.append(str(path))  # reached an administrator: the deploy path
            continue
        verdict.paths_checked += 1
        allowed = governance.allowed(identity, UPDATE, _is_package)
        if not allowed:
            continue
        env = decision_roles.get(identity.who.principal.name)
        first = _request(governance, UPDATE, allowed[0])
        if env is None:
            verdict.fail(f"{path} → {first}")
            continue
        if identity.source_identity is None:
            verdict.fail(f"{path} → {first}: without a source identity (the approver it acts for)")
        _own_environment_only(governance, verdict, path, env, allowed)


def _own_environment_only(
    governance: Governance,
    verdict: Verdict,
    path: Path,
    env: str,
    allowed: list[tuple[ProofResource, tuple[tuple[str, str], ...], Context]],
) -> None:
    """`env`'s decision role: every allowed variant sets `env`'s stage, and each allowed request rebuilt with
    another environment's stage, or writing or removing another environment's key, is refused."""
    config = governance.universe.config
    others = [other for other in config.chain if other != env]
    foreign = {key for other in others for key in decision_keys(config, other)}
    approves_cards = env == config.card_environment().name
    card = f"{METADATA}{CARD_KEY}".lower()
    for found in allowed:
        labels = dict(found[1])
        if labels.get(STAGE.lower(), ABSENT) == env:
            continue
        if approves_cards and labels.get(STAGE.lower(), ABSENT) == ABSENT and labels.get(card, ABSENT) != ABSENT:
            _card_approval_only(governance, verdict, path, env, found)
            continue
        if approves_cards and labels.get(STAGE.lower(), ABSENT) == ABSENT:
            _card_submission_only(governance, verdict, path, env, found)
            continue
        verdict.fail(f"{path} → {_request(governance, UPDATE, found)}: not {env}'s stage")
    probes: list[tuple[str, str | list[str]]] = [(STAGE, other) for other in others]
    for key in sorted(foreign):
        probes += [(f"{METADATA}{key}", DECIDED_VALUE), (TO_REMOVE, [key])]
    for found in allowed:
        target, _, context = found
        for key, value in probes:
            if governance.allows(path.identity, UPDATE, target, _changed(context, key, value)):
                shown = value if isinstance(value, str) else ",".join(value)
                verdict.fail(f"{path} → {Request(UPDATE, target.resource.arn, ((key.lower(), shown),))}")


def _card_approval_only(
    governance: Governance,
    verdict: Verdict,
    path: Path,
    env: str,
    found: tuple[ProofResource, tuple[tuple[str, str], ...], Context],
) -> None:
    """A card approval without a stage writes nothing a decision writes: each probe adding a stage, an approval
    status, a removal or any decision key (`env`'s own too) to it is refused."""
    config = governance.universe.config
    target, _, context = found
    written = f"{METADATA}{CARD_KEY}".lower()
    probes: list[tuple[str, str | list[str]]] = [
        (STAGE, env),
        ("sagemaker:ModelApprovalStatus", DECIDED_VALUE),
        (TO_REMOVE, [CARD_KEY]),
    ]
    probes += [(f"{METADATA}{key}", DECIDED_VALUE) for other in config.chain for key in decision_keys(config, other)]
    for key, value in probes:
        if governance.allows(path.identity, UPDATE, target, _changed(context, key, value)):
            shown = value if isinstance(value, str) else ",".join(value)
            request = Request(UPDATE, target.resource.arn, ((written, CARD_KEY), (key.lower(), shown)))
            verdict.fail(f"{path} → {request}")


def _card_submission_only(
    governance: Governance,
    verdict: Verdict,
    path: Path,
    env: str,
    found: tuple[ProofResource, tuple[tuple[str, str], ...], Context],
) -> None:
    """A card submission (no stage, no card approval; the ModelCard has no condition key) writes nothing a
    decision writes: each probe adding a stage, an approval status, a removal or any decision key to it is
    refused. (Adding the card approval makes it a card approval, which the same role may write:
    `only-card-reviewers-approve-cards` judges that.)"""
    config = governance.universe.config
    target, _, context = found
    probes: list[tuple[str, str | list[str]]] = [
        (STAGE, env),
        ("sagemaker:ModelApprovalStatus", DECIDED_VALUE),
        (TO_REMOVE, [CARD_KEY]),
    ]
    probes += [(f"{METADATA}{key}", DECIDED_VALUE) for other in config.chain for key in decision_keys(config, other)]
    for key, value in probes:
        if governance.allows(path.identity, UPDATE, target, _changed(context, key, value)):
            shown = value if isinstance(value, str) else ",".join(value)
            verdict.fail(f"{path} → {Request(UPDATE, target.resource.arn, ((key.lower(), shown),))}")


def only_card_reviewers_approve_cards(governance: Governance, verdict: Verdict) -> None:
    """Only the decision role of the environment that approves model cards writes the card approval key."""
    config = governance.universe.config
    card_role = naming.decision_role_arn(config, config.card_environment().name)
    key = f"{METADATA}{CARD_KEY}"
    for path in governance.paths():
        identity = path.identity
        if path.hops and identity.who.modelled == "administrator":
            verdict.trusted.append(str(path))  # the deploy path, as for decisions
            continue
        verdict.paths_checked += 1
        for action in (UPDATE, CREATE):
            # A version is registered into a group (CreateModelPackage's resource); a package is updated.
            for target, _, context in governance.allowed(
                identity, action, _is_package if action == UPDATE else _is_group
            ):
                if not governance.allows(identity, action, target, _changed(context, key, DECIDED_VALUE)):
                    continue
                if action == UPDATE and identity.who.principal.name == card_role and identity.source_identity:
                    continue
                verdict.fail(f"{path} → {Request(action, target.resource.arn, ((key.lower(), DECIDED_VALUE),))}")


def no_person_writes_decisions(governance: Governance, verdict: Verdict) -> None:
    """Nothing reachable from a person records a decision, or changes what decides."""
    config = governance.universe.config
    reserved = [key for env in config.chain for key in decision_keys(config, env)] + [CARD_KEY]
    for path in governance.paths(("person",)):
        verdict.paths_checked += 1
        identity = path.identity
        checks: list[tuple[str, Callable[[str], bool]]] = [(UPDATE, _is_package)]
        checks += [(action, _is_group) for action in GROUP_POLICY_WRITES]
        checks += [(action, lambda arn: True) for action in governance.escalations()]
        for action, keep in checks:
            allowed = governance.allowed(identity, action, keep)
            if allowed:
                verdict.fail(f"{path} → {_request(governance, action, allowed[0])}")
        for target, _, context in governance.allowed(identity, CREATE):
            for key in reserved:
                if governance.allows(identity, CREATE, target, _changed(context, f"{METADATA}{key}", DECIDED_VALUE)):
                    request = Request(CREATE, target.resource.arn, ((f"{METADATA}{key}".lower(), DECIDED_VALUE),))
                    verdict.fail(f"{path} → {request}")


def registrant_is_the_person(governance: Governance, verdict: Verdict) -> None:
    """From a person, the data-science role is reached only with the person's own email as source identity."""
    role = naming.data_science_role_arn(governance.universe.config)
    for path in governance.paths(("person",)):
        verdict.paths_checked += 1
        identity = path.identity
        person = path.start.person
        if identity.who.principal.name != role or person is None:
            continue
        if identity.source_identity != person.email:
            verdict.fail(f"{path}: source identity {identity.source_identity or ABSENT}, not {person.email}")


def outsiders_get_nothing(governance: Governance, verdict: Verdict) -> None:
    """The outsider, the other organisation member, the anonymous caller and lookalike people reach no
    identity and are allowed nothing on our resources."""
    for start in governance.chains.starts():
        if start.kind not in NOBODY:
            continue
        for path in governance.chains.reachable(start):
            verdict.paths_checked += 1
            if path.hops:
                verdict.fail(str(path))
        before = governance.sweeper.decisions
        swept = governance.sweeper.sweep(principals=[start.identity.who], views=("allowed",))
        governance.requests += governance.sweeper.decisions - before
        public = public_pages(governance.universe)
        for pairs in swept.values():
            for action, symbol in sorted(pairs):
                if (action, symbol) not in public:
                    verdict.fail(f"{start.label} → {action} {symbol}")


def public_pages(universe: Universe) -> set[tuple[str, str]]:
    """(execute-api:Invoke, method symbol) for each API method without authorization (AuthorizationType NONE)
    that its API policy's PUBLIC_PAGES_SID statement names: the one thing NOBODY may do. A method with
    authorization is never exempt, whatever the statement names."""
    symbols = {r.resource.arn: r.symbol for r in universe.resources}
    public: set[tuple[str, str]] = set()
    for arn, deployed in universe.deployment.resources.items():
        if deployed.authorization != "NONE" or deployed.policy is None or arn not in symbols:
            continue
        statements = deployed.policy.document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            resources = statement.get("Resource", [])
            if statement.get("Sid") == PUBLIC_PAGES_SID and arn in (
                [resources] if isinstance(resources, str) else resources
            ):
                public.add((INVOKE, symbols[arn]))
    return public


# What replaces or removes an artifact version, or unlocks one; and what changes the rules that forbid it.
ARTIFACT_REMOVALS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
)
ARTIFACT_RULE_CHANGES = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
)
# The same for the model images' repository: a pinned digest's image must stay pullable (a rollback pulls an
# older one), and its tags must not move.
IMAGE_REMOVALS = ("ecr:BatchDeleteImage",)
IMAGE_RULE_CHANGES = (
    "ecr:SetRepositoryPolicy",
    "ecr:DeleteRepositoryPolicy",
    "ecr:PutImageTagMutability",
    "ecr:DeleteRepository",
)
IF_NONE_MATCH = "s3:if-none-match"
OBJECT_CREATION = "s3:ObjectCreationOperation"


def _refuse(
    governance: Governance, verdict: Verdict, path: Path, requests: Iterable[tuple[str, Callable[[str], bool]]]
) -> None:
    """Fail `verdict` with the first allowed request of each (action, which resources) pair."""
    for action, keep in requests:
        allowed = governance.allowed(path.identity, action, keep)
        if allowed:
            verdict.fail(f"{path} → {_request(governance, action, allowed[0])}")


def approved_content_is_immutable(governance: Governance, verdict: Verdict) -> None:
    """Nobody replaces, removes or unlocks an artifact, nor deletes an image; only the deploy path changes the
    bucket's or the image repository's rules."""
    bucket = f"arn:aws:s3:::{naming.artifact_bucket(governance.universe.config)}"
    images = naming.model_image_repository_arn(governance.universe.config)

    def artifact(arn: str) -> bool:
        return arn.startswith(f"{bucket}/{naming.ARTIFACT_ROOT}/")

    def the_bucket(arn: str) -> bool:
        return arn == bucket

    def the_repository(arn: str) -> bool:
        return arn == images

    for path in governance.paths():
        verdict.paths_checked += 1
        identity = path.identity
        for target, _, context in governance.allowed(identity, "s3:PutObject", artifact):
            # A whole-object write (AWS sets ObjectCreationOperation true for PutObject and
            # CompleteMultipartUpload) that does not say If-None-Match replaces the key's current version.
            overwrite = _without(_changed(context, OBJECT_CREATION, "true"), IF_NONE_MATCH)
            if governance.allows(identity, "s3:PutObject", target, overwrite):
                verdict.fail(f"{path} → s3:PutObject {target.resource.arn} without If-None-Match")
                break
        removals = [(action, artifact) for action in ARTIFACT_REMOVALS]
        _refuse(governance, verdict, path, removals + [(action, the_repository) for action in IMAGE_REMOVALS])
        if path.hops and identity.who.modelled == "administrator":
            verdict.trusted.append(str(path))  # the deploy path may change the bucket's and repository's rules
            continue
        changes = [(action, the_bucket) for action in ARTIFACT_RULE_CHANGES]
        _refuse(governance, verdict, path, changes + [(action, the_repository) for action in IMAGE_RULE_CHANGES])


# Every way to change or remove a ledger record, besides the INSERT writers hold; the table's own policy denies
# them to everyone, administrators included. Then what changes the table itself, which the deploy path may.
LEDGER_RECORD_REWRITES = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
    "dynamodb:DeleteTable",
)
LEDGER_REWRITES = (
    *LEDGER_RECORD_REWRITES,
    "dynamodb:UpdateTable",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:UpdateTimeToLive",
    "dynamodb:RestoreTableFromBackup",
    "dynamodb:RestoreTableToPointInTime",
)
INSERT = "dynamodb:PartiQLInsert"
LEADING_KEYS = "dynamodb:LeadingKeys"


def ledger_is_append_only(governance: Governance, verdict: Verdict) -> None:
    """Nobody changes or removes a ledger record; only the deploy path changes the table's configuration."""
    table = naming.ledger_table_arn(governance.universe.config)
    for path in governance.paths():
        identity = path.identity
        verdict.paths_checked += 1
        administrator = path.hops and identity.who.modelled == "administrator"
        if administrator:
            verdict.trusted.append(str(path))  # trusted with the table's configuration, never with its records
        for action in LEDGER_RECORD_REWRITES if administrator else LEDGER_REWRITES:
            allowed = governance.allowed(identity, action, lambda arn: arn == table)
            if allowed:
                verdict.fail(f"{path} → {_request(governance, action, allowed[0])}")


def _live_record_of(config: OrgConfig, env: str) -> Callable[[str], bool]:
    """Whether an ARN is some model's live record of `env`: a configured model's, or a proof sample of the pattern
    the roles name (`/modelops/models/*/live/<env>`), so that a wildcard grant is judged on what it reaches."""
    prefix, _, suffix = naming.shared_parameter_arn(config, naming.live_record_parameter("\0", env)).partition("\0")

    def matches(arn: str) -> bool:
        model = arn.removeprefix(prefix).removesuffix(suffix)
        return arn.startswith(prefix) and arn.endswith(suffix) and bool(model) and "/" not in model

    return matches


def environments_write_only_their_own_records(governance: Governance, verdict: Verdict) -> None:
    """`E`'s live records and deploy records are written only by `modelops-recorder-<E>`, from `E`'s deploys."""
    config = governance.universe.config
    table = naming.ledger_table_arn(config)
    models = [model.name for model in config.models]
    for path in governance.paths():
        identity = path.identity
        if path.hops and identity.who.modelled == "administrator":
            verdict.trusted.append(str(path))
            continue
        verdict.paths_checked += 1
        start_env = path.start.identity.oidc if path.start.kind == "github" else None
        inserts = governance.allowed(identity, INSERT, lambda arn: arn == table)
        for env in config.chain:
            own = identity.role_name == naming.recorder_role_name(env) and start_env == env
            if own:
                continue
            allowed = governance.allowed(identity, "ssm:PutParameter", _live_record_of(config, env))
            if allowed:
                verdict.fail(f"{path} → {_request(governance, 'ssm:PutParameter', allowed[0])}")
            for target, _, context in inserts:
                streams = [naming.deploys_stream(m, env) for m in models]
                if governance.allows(identity, INSERT, target, _changed(context, LEADING_KEYS, streams)):
                    shown = ",".join(streams)
                    verdict.fail(f"{path} → {Request(INSERT, target.resource.arn, ((LEADING_KEYS.lower(), shown),))}")
                    break


def only_platform_engineers_release_holds(governance: Governance, verdict: Verdict) -> None:
    """A hold is released (ledger stream `<model>/releases`) only by `modelops-releaser`, reached from a platform
    engineer naming themselves: no workflow, Lambda, pipeline role or other person releases one."""
    config = governance.universe.config
    table = naming.ledger_table_arn(config)
    streams = [naming.releases_stream(model.name) for model in config.models]
    for path in governance.paths():
        identity = path.identity
        if path.hops and identity.who.modelled == "administrator":
            verdict.trusted.append(str(path))
            continue
        verdict.paths_checked += 1
        person = path.start.person
        own = (
            identity.role_name == naming.RELEASER_ROLE
            and person is not None
            and person.permission_set == naming.PLATFORM_PERMISSION_SET
            and identity.source_identity == person.email
        )
        if own or not streams:
            continue
        for target, _, context in governance.allowed(identity, INSERT, lambda arn: arn == table):
            if governance.allows(identity, INSERT, target, _changed(context, LEADING_KEYS, streams)):
                shown = ",".join(streams)
                verdict.fail(f"{path} → {Request(INSERT, target.resource.arn, ((LEADING_KEYS.lower(), shown),))}")
                break


def only_the_reviewed_workflow_drives_the_pipeline(governance: Governance, verdict: Verdict) -> None:
    """A GitHub job reaches a deploy role, or the promotion role, only with that role's pinned subject."""
    config = governance.universe.config
    pinned = {
        naming.github_deploy_role_name(target): naming.github_deploy_subject(config, target)
        for target in naming.deploy_targets(config)
    }
    pinned[naming.GITHUB_PROMOTE_ROLE] = naming.github_promote_subject(config)
    for path in governance.paths(("github",)):
        verdict.paths_checked += 1
        subject = governance.sweeper.oidc_subjects.get(path.start.identity.oidc or "", "")
        for hop in path.hops:
            expected = pinned.get(hop.target)
            if expected is not None and subject != expected:
                verdict.fail(f"{path}: subject {subject} is not the reviewed workflow's {expected}")
                break


# What creates, removes or re-policies a model package group: the registry's shape.
REGISTRY_SHAPE_CHANGES = (
    "sagemaker:CreateModelPackageGroup",
    "sagemaker:DeleteModelPackageGroup",
    *GROUP_POLICY_WRITES,
)


def only_the_deploy_path_shapes_the_registry(governance: Governance, verdict: Verdict) -> None:
    """Only the deploy path creates, deletes or re-policies a model package group in shared services."""
    config = governance.universe.config
    registry = f":{config.accounts.shared_services}:model-package-group/"

    def shared_group(arn: str) -> bool:
        return registry in arn

    for path in governance.paths():
        if path.hops and path.identity.who.modelled == "administrator":
            verdict.trusted.append(str(path))  # the deploy path: CloudFormation deploying shared services
            continue
        verdict.paths_checked += 1
        _refuse(governance, verdict, path, [(action, shared_group) for action in REGISTRY_SHAPE_CHANGES])


INVARIANTS = (
    Invariant(
        "only-decision-service-decides",
        "Of every identity a starting principal can reach, the deploy path aside (the CDK bootstrap roles, "
        "modelled as administrators and listed as trusted), only `modelops-decision-<env>`, assumed with a "
        "source identity (the approver it acts for), can change a model package (sagemaker:UpdateModelPackage), "
        "and only with `<env>`'s stage and `<env>`'s decision keys: a request with another environment's stage, "
        "or writing or removing another environment's key, is refused. The role of the environment that approves "
        "model cards may also write without a stage a card approval or a card submission, which carry no "
        "approval status, removal or decision key.",
        only_decision_service_decides,
    ),
    Invariant(
        "no-person-writes-decisions",
        "No identity reachable from a person can change approval status, decision metadata or lifecycle stage "
        "(sagemaker:UpdateModelPackage, Put/DeleteModelPackageGroupPolicy, CreateModelPackage carrying an "
        "`approval:*` key), nor change who may do what (a write of IAM, Identity Center, Organizations or "
        "Lambda, or a permissions-management action of any swept service).",
        no_person_writes_decisions,
    ),
    Invariant(
        "only-card-reviewers-approve-cards",
        "Of every identity a starting principal can reach, the deploy path aside, only the decision role of the "
        "environment that approves model cards (the first that requires an Approved card, else the chain's first), "
        "assumed with a source identity, can write the card approval key `card:approval` "
        "(sagemaker:UpdateModelPackage); no identity can register a version carrying it "
        "(sagemaker:CreateModelPackage); and that role's card approval writes no stage, approval status or "
        "decision key.",
        only_card_reviewers_approve_cards,
    ),
    Invariant(
        "registrant-is-the-person",
        "A person reaches `modelops-data-science` only with their own email as the session's source identity, "
        "so every version registered names its registrant.",
        registrant_is_the_person,
    ),
    Invariant(
        "outsiders-get-nothing",
        "The outsider, the other organisation member, the anonymous caller and a person of a permission set we "
        "do not name (e.g. `ModelOpsApprover_Extra`) reach no identity of ours and are allowed nothing on our "
        "resources but invoking the approval API's browser pages (its policy's `ReviewPagesArePublic`: review, "
        "sign-in, callback and decision form, each guarded by a single-use review link and the sign-in).",
        outsiders_get_nothing,
    ),
    Invariant(
        "approved-content-is-immutable",
        "No identity reachable from any start, administrators included, can replace a registered artifact "
        "(s3:PutObject of a whole object under `artifacts/` of the artifact bucket without If-None-Match), "
        "delete or unlock one (DeleteObject, DeleteObjectVersion, PutObjectRetention, PutObjectLegalHold, "
        "BypassGovernanceRetention), or delete a model image (ecr:BatchDeleteImage on `modelops-models`); and "
        "only the deploy path (administrators, listed as trusted) can change the bucket's policy, versioning, "
        "Object Lock or lifecycle configuration, or the image repository's policy or tag mutability, or delete "
        "it. Object Lock (COMPLIANCE) keeps every artifact version even from them; tags of `modelops-models` "
        "are immutable.",
        approved_content_is_immutable,
    ),
    Invariant(
        "ledger-is-append-only",
        "No identity reachable from any start, administrators included, can change or remove a record of the "
        "audit ledger (`modelops-ledger`: PutItem, UpdateItem, DeleteItem, BatchWriteItem, PartiQLUpdate, "
        "PartiQLDelete) or delete the table: writers hold only dynamodb:PartiQLInsert (an INSERT of an existing "
        "key fails), and the table's own policy denies the rest to every principal. Only the deploy path "
        "(administrators, listed as trusted) may change the table's configuration (UpdateTable, backups, time "
        "to live, restores, its resource policy).",
        ledger_is_append_only,
    ),
    Invariant(
        "environments-write-only-their-own-records",
        "Environment `<E>`'s live records (`/modelops/models/<model>/live/<E>`) and deploy records (ledger "
        "stream `<model>/deploys/<E>`) are written only by `modelops-recorder-<E>`, reached from `<E>`'s own "
        "deploy workflow: no person, no service and no other environment's pipeline writes them (the deploy "
        'path\'s administrators aside, listed as trusted). So "was live in the previous environment" is '
        "what that environment's own post-deploy step recorded.",
        environments_write_only_their_own_records,
    ),
    Invariant(
        "only-platform-engineers-release-holds",
        "A hold that a rollback placed on an environment is released (ledger stream `<model>/releases`) only by "
        "`modelops-releaser`, reached from a person of the `ModelOpsPlatform` permission set whose session names "
        "them as its source identity: no GitHub workflow (the promotion workflow included), no Lambda, no "
        "pipeline role and no other person can release a hold (the deploy path's administrators aside, listed "
        "as trusted). So no automated promotion undoes a rollback.",
        only_platform_engineers_release_holds,
    ),
    Invariant(
        "only-the-deploy-path-shapes-the-registry",
        "No identity reachable from any start, the deploy path aside (administrators, listed as trusted: "
        "CloudFormation deploying shared services), can create or delete a model package group of the "
        "shared-services registry or change or delete a group's policy (sagemaker:CreateModelPackageGroup, "
        "DeleteModelPackageGroup, PutModelPackageGroupPolicy, DeleteModelPackageGroupPolicy). So the registry "
        "holds exactly the configured models' groups, and a role's `model-package-group/*` or "
        "`model-package/*/*` names the configured models and nothing else.",
        only_the_deploy_path_shapes_the_registry,
    ),
    Invariant(
        "only-the-reviewed-workflow-drives-the-pipeline",
        "A GitHub Actions job reaches `modelops-github-deploy-<target>` (and through it the target account) only "
        "when its OIDC subject is that role's pinned one: `deploy.yml` of this repository, run from the "
        "pipeline's branch, in the GitHub Environment of that target; the promotion role only from "
        "`promote.yml` on the same branch. Another workflow file, another branch, a pull request's ref, a fork "
        "or GitHub's default subject format reaches neither.",
        only_the_reviewed_workflow_drives_the_pipeline,
    ),
)
