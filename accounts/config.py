"""The typed, validated model of `accounts/accounts.yaml`."""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import botocore
import botocore.session
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from accounts.validation import InputError, parse_model, read_yaml

DEFAULT_CONFIG_PATH = Path(__file__).parent / "accounts.yaml"

# SageMaker's own pattern for a model package group name.
MODEL_PACKAGE_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# A model's name also names its endpoints, and SageMaker lower-cases endpoint names in their ARNs: a policy
# naming `endpoint/Churn-Model` would match nothing. So model names are lower case.
MODEL_NAME = re.compile(r"^[a-z0-9](-*[a-z0-9]){0,62}$")
# Derived IAM role names (`modelops-exec-<env>-<model>`) must fit IAM's 64 characters.
MAX_MODEL_NAME = 37
MAX_ENV_NAME = 12
# Each decision of a quorum is one CustomerMetadataProperties entry, which AWS caps at 50 per version
# (shared with metrics and every environment's outcome); five distinct approvers is a generous quorum.
MAX_APPROVALS_REQUIRED = 5
MAX_SOAK_HOURS = 14 * 24  # CloudWatch keeps alarm history for two weeks (DescribeAlarmHistory reference)
# A review link is a single-use capability for one person; it lives a day unless the organisation says
# otherwise, and never longer than a week.
DEFAULT_LINK_HOURS = 24
# Regulated model-risk records are commonly kept seven years: 7 x 365 + 2 leap days.
DEFAULT_RETENTION_DAYS = 2557
# S3 documents no upper bound for a default retention; a century is the sanity bound here (a typo of a
# few extra digits would lock every artifact, in COMPLIANCE mode, beyond anyone's reach).
MAX_RETENTION_DAYS = 36500
MAX_LINK_HOURS = 168


def _account_id(value: str) -> str:
    if not re.fullmatch(r"\d{12}", value):
        raise ValueError(f"must be a 12-digit AWS account id, got {value!r}")
    return value


def _quoted_account_id(value: object) -> object:
    """Refuse an account id that YAML has read as a number, saying what it read and how to quote it."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    # YAML 1.1 (PyYAML) reads an unquoted 0[0-7]+ as octal: 012345670123 arrives as 1402433619. With one
    # leading zero, what was written is known (its 11 octal digits); with more, only that it was short.
    if 8**10 <= value < 8**11:
        written = f"0{value:o}"
        raise ValueError(
            f"YAML read {written} as the octal number {value}; quote it ('{written}') so it stays a 12-digit account id"
        )
    if value < 8**10:
        raise ValueError(
            f"YAML read the number {value}, not a 12-digit account id (an unquoted id loses its leading zeros, and "
            "one of digits 0-7 only is read as octal); write it in quotes"
        )
    if len(str(value)) < 12:
        padded = str(value).rjust(12, "0")
        raise ValueError(
            f"{value} is not a 12-digit account id; if it starts with 0, quote it ('{padded}') so YAML keeps its "
            "leading zero"
        )
    raise ValueError(f"must be a 12-digit AWS account id in quotes, got the number {value}")


# Checked as a field, before the string check, so that an unquoted id is refused naming its own field.
AccountId = Annotated[str, BeforeValidator(_quoted_account_id), AfterValidator(_account_id)]


class StrictModel(BaseModel):
    """A model that rejects unknown keys, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region botocore's bundled endpoint data names, in every partition (read locally; no network)."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("sts", partition_name=partition)
    )


def _region(value: str) -> str:
    # A region that does not exist passes the shape check (eu-west-9) and fails only at deploy time.
    known = known_regions()
    if value not in known:
        near = sorted(difflib.get_close_matches(value, sorted(known), n=3, cutoff=0.6))
        hint = f"nearest: {', '.join(near)}" if near else "e.g. us-east-1, eu-west-1"
        raise ValueError(f"{value!r} is not an AWS region botocore {botocore.__version__} knows ({hint})")
    return value


class Organization(StrictModel):
    id: Annotated[str, Field(pattern=r"^o-[a-z0-9]{10,32}$")]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$"), AfterValidator(_region)]


class CoreAccounts(StrictModel):
    shared_services: AccountId
    data_science: AccountId
    deployment: AccountId


# An approver is named by the Identity Center user name their session carries (an email address). It is
# recorded in registry metadata, whose values AWS limits to `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, and it is an STS
# role session name (`[\w+=,.@-]`, at most 64 characters): this pattern fits both.
APPROVER = re.compile(r"^[A-Za-z0-9._+-]{1,40}@[A-Za-z0-9.-]{1,23}$")


def _approver(value: str) -> str:
    if not APPROVER.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an Identity Center user name; expected an email address of letters, digits and "
            "._+- (at most 64 characters)"
        )
    return value


class ApproverGroup(StrictModel):
    github_team: Annotated[str, Field(pattern=r"^@[\w.-]+/[\w.-]+$")]
    members: Annotated[list[Annotated[str, AfterValidator(_approver)]], Field(min_length=1)]

    @model_validator(mode="after")
    def _members_unique(self) -> ApproverGroup:
        repeated = sorted({m for m in self.members if self.members.count(m) > 1})
        if repeated:
            raise ValueError(f"{repeated[0]} is listed twice in members; a quorum counts distinct people")
        return self


Email = Annotated[str, AfterValidator(_approver)]


def _unique(people: list[str], field: str) -> list[str]:
    repeated = sorted({p for p in people if people.count(p) > 1})
    if repeated:
        raise ValueError(f"{repeated[0]} is listed twice in {field}")
    return people


class People(StrictModel):
    """Who else signs in through IAM Identity Center, by user name (their email): the data scientists
    (permission set `DataScientist`) and platform engineers (`ModelOpsPlatform`). In AWS, Identity Center's
    assignments decide who holds a permission set; these lists document them for reviewers and give the
    sandbox its profiles and the demo its actors. Approvers are listed in `approver_groups`."""

    data_scientists: list[Email] = Field(default_factory=list)
    platform_engineers: list[Email] = Field(default_factory=list)

    @model_validator(mode="after")
    def _each_once(self) -> People:
        _unique(self.data_scientists, "data_scientists")
        _unique(self.platform_engineers, "platform_engineers")
        return self


RiskName = Literal["high", "medium", "low", "unknown"]


class RiskRule(StrictModel):
    """What a card's risk rating means in one environment: extra approvers, or no entry at all."""

    extra_approvals: Annotated[int, Field(strict=True, ge=0, le=MAX_APPROVALS_REQUIRED - 1)] = 0
    refuse: bool = False


class CardRules(StrictModel):
    """An environment's model-card rules (`environments[i].model_card`): the card status a version needs to
    enter it, and per risk rating (the card's intended_uses.risk_rating, lower case) what else it needs."""

    status: Literal["Approved"] | None = None
    risk: dict[RiskName, RiskRule] = Field(default_factory=dict)

    def rule(self, rating: str | None) -> RiskRule:
        """The rule for a card's rating; a card that does not rate its risk counts as `unknown`."""
        name = (rating or "Unknown").lower()
        for known, rule in self.risk.items():
            if known == name:
                return rule
        return RiskRule()


class Environment(StrictModel):
    name: Annotated[str, Field(pattern=rf"^[a-z][a-z0-9]{{0,{MAX_ENV_NAME - 1}}}$")]
    account: AccountId
    approver_group: str
    requires_review: bool
    # Distinct members of the approver group who must approve before the version is approved here.
    approvals_required: Annotated[int, Field(ge=1, le=MAX_APPROVALS_REQUIRED)] = 1
    # Model-card rules; none by default (a fork's file without them keeps its behaviour).
    model_card: CardRules = Field(default_factory=CardRules)

    def quorum(self, rating: str | None) -> int:
        """Distinct approvals needed here for a version whose card rates its risk `rating`."""
        return self.approvals_required + self.model_card.rule(rating).extra_approvals

    @property
    def largest_quorum(self) -> int:
        """The most approvals any risk rating can need here: the decision slots IAM must allow."""
        extras = [rule.extra_approvals for rule in self.model_card.risk.values()]
        return self.approvals_required + max(extras, default=0)

    # Hours a version must have been live, and healthy under its alarms, in the environment before this one
    # before it may be promoted here (0: no soak). At most two weeks, the alarm history CloudWatch is
    # documented to keep, so the whole soak is always within the history the gate reads.
    soak_hours: Annotated[int, Field(ge=0, le=MAX_SOAK_HOURS)] = 0


class Teams(StrictModel):
    platform: Annotated[str, Field(pattern=r"^@[\w.-]+/[\w.-]+$")]
    security: Annotated[str, Field(pattern=r"^@[\w.-]+/[\w.-]+$")]


def _engine_complete(value: str) -> str:
    # The CodePipeline engine still synthesizes (deployment/codepipeline_stack.py, tested from code), but
    # under it each workload operator role trusts a GitHub deploy role that engine never creates, so the
    # post-deploy step has no role to run as: refused until the engine is complete.
    if value == "codepipeline":
        raise ValueError(
            "the codepipeline engine is not complete (its workload operator roles trust a GitHub deploy role "
            "it never creates, so no post-deploy step can run); use github-actions"
        )
    return value


class Pipeline(StrictModel):
    engine: Annotated[Literal["github-actions", "codepipeline"], AfterValidator(_engine_complete)]
    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    branch: Annotated[str, Field(min_length=1)]
    codestar_connection_arn: (
        Annotated[
            str, Field(pattern=r"^arn:aws:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[\w-]+$")
        ]
        | None
    ) = None

    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    @property
    def repo(self) -> str:
        return self.repository.split("/")[1]

    # Unreachable from accounts.yaml while the engine is refused above; kept for when it is complete.
    @model_validator(mode="after")
    def _codepipeline_needs_a_connection(self) -> Pipeline:
        if self.engine == "codepipeline" and self.codestar_connection_arn is None:
            raise ValueError("the codepipeline engine needs codestar_connection_arn")
        return self


def _https_url(value: str, *, query: bool) -> str:
    """`value` when it is an absolute https URL with a host, no fragment, and a query only if `query`."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.fragment or (parts.query and not query):
        rule = "an https URL without a fragment" if query else "an https URL without a query or fragment"
        raise ValueError(f"must be {rule}, got {value!r}")
    return value


def _issuer(value: str) -> str:
    # OpenID Connect Discovery 1.0, section 3: the issuer is an https URL with no query or fragment.
    return _https_url(value, query=False)


def _endpoint(value: str) -> str:
    # RFC 6749, section 3.1: an endpoint URL may carry a query, never a fragment.
    return _https_url(value, query=True)


def _link_hours(value: int) -> int:
    if not 1 <= value <= MAX_LINK_HOURS:
        raise ValueError(f"must be a whole number of hours from 1 to {MAX_LINK_HOURS} (a week), got {value}")
    return value


class SignIn(StrictModel):
    """The organisation's OpenID Connect identity provider, which signs approvers in on the review page.

    The names are those of the provider's discovery document (`/.well-known/openid-configuration`). The
    client is a confidential web client whose secret is put in Secrets Manager after the first deploy.
    """

    issuer: Annotated[str, AfterValidator(_issuer)]
    authorization_endpoint: Annotated[str, AfterValidator(_endpoint)]
    token_endpoint: Annotated[str, AfterValidator(_endpoint)]
    # RFC 6749, appendix A.1: printable ASCII; spaces are refused too, since no provider issues them.
    client_id: Annotated[str, Field(pattern=r"^[!-~]{1,255}$")]


def _reserved_units(value: int) -> int:
    # Zero is valid for Lambda but throttles every invocation: the workflow would silently stop.
    if value < 1:
        raise ValueError(f"must be a whole number of concurrent executions of at least 1, got {value}")
    return value


ReservedUnits = Annotated[int, Field(strict=True), AfterValidator(_reserved_units)]


class ReservedConcurrency(StrictModel):
    """Concurrency reserved for each approval function; a function not named here reserves none.

    Lambda keeps 100 units of the account's concurrency unreserved, so reserving anything needs an account
    limit of at least 100 plus the total (new accounts often have 10):
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    """

    notify: ReservedUnits | None = None
    review: ReservedUnits | None = None
    dispatch: ReservedUnits | None = None

    def units(self, purpose: str) -> int | None:
        """The units reserved for the approval function `purpose` (notify, review, dispatch), or None."""
        reserved: int | None = getattr(self, purpose)
        return reserved


class Approvals(StrictModel):
    """How approvers are asked and signed in: review links' lifetime, the identity provider, and the
    approval functions' reserved concurrency (none unless configured)."""

    link_hours: Annotated[int, Field(strict=True), AfterValidator(_link_hours)] = DEFAULT_LINK_HOURS
    sign_in: SignIn
    reserved_concurrency: ReservedConcurrency = Field(default_factory=ReservedConcurrency)


def _retention_days(value: int) -> int:
    if not 1 <= value <= MAX_RETENTION_DAYS:
        raise ValueError(f"must be a whole number of days from 1 to {MAX_RETENTION_DAYS} (100 years), got {value}")
    return value


class Artifacts(StrictModel):
    """The artifact bucket: how long S3 Object Lock (COMPLIANCE mode) keeps every version of every artifact."""

    retention_days: Annotated[int, Field(strict=True), AfterValidator(_retention_days)] = DEFAULT_RETENTION_DAYS


class Threshold(StrictModel):
    """Bounds on one metric: at least `min`, at most `max`, or both."""

    min: float | None = None
    max: float | None = None

    def text(self) -> str:
        """The bounds as every view writes them, e.g. `min 0.8, max 0.95`."""
        parts = [f"min {self.min:g}"] if self.min is not None else []
        if self.max is not None:
            parts.append(f"max {self.max:g}")
        return ", ".join(parts)

    @model_validator(mode="after")
    def _has_a_bound(self) -> Threshold:
        if self.min is None and self.max is None:
            raise ValueError("a metric threshold needs min, max or both")
        return self


# Metrics that are rates or probabilities, so a bound outside [0, 1] can never be met (min) or never fail (max):
# the binary classification metrics SageMaker Model Monitor computes ("Model quality metrics and Amazon
# CloudWatch monitoring", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html).
RATE_METRICS = frozenset(
    {
        "accuracy",
        "auc",
        "f0_5",
        "f1",
        "f2",
        "false_negative_rate",
        "false_positive_rate",
        "precision",
        "recall",
        "true_negative_rate",
        "true_positive_rate",
    }
)


class Requirements(StrictModel):
    """What a version of a model must show to enter one environment (`gates.<env>` in accounts.yaml)."""

    metrics: dict[str, Threshold] = Field(default_factory=dict)
    model_card_required: bool = False


def _model_name(value: str) -> str:
    if not MODEL_PACKAGE_GROUP_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid model package group name "
            "(letters, digits and single hyphens, starting with a letter or digit)"
        )
    if not MODEL_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} must be lower case (SageMaker lower-cases endpoint names in ARNs, so policies naming "
            f"its endpoints would not match); use {value.lower()!r}"
        )
    if len(value) > MAX_MODEL_NAME:
        raise ValueError(f"{value!r} is longer than {MAX_MODEL_NAME} characters (derived IAM role names must fit)")
    return value


class Training(StrictModel):
    """The model's training pipeline (`models[].training`): the condition its evaluation must meet before the
    pipeline registers a version. Each metric's threshold is a ConditionStep comparison on the evaluation report."""

    condition: Annotated[dict[str, Threshold], Field(min_length=1)]


# DataZone's own pattern for a project identifier (DataZone API reference, SubscribedProjectInput.identifier).
DATAZONE_PROJECT_ID = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")


def _datazone_project(value: str) -> str:
    if not DATAZONE_PROJECT_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a DataZone project id; expected 1 to 36 letters, digits, _ or - (the id DataZone "
            "shows for the project, not its name)"
        )
    return value


class ModelSpec(StrictModel):
    name: Annotated[str, AfterValidator(_model_name)]
    # Documentation for the people reading accounts.yaml. It is not written to the model package group:
    # SageMaker cannot change a group's description (CloudFormation replaces the group, which fails for a
    # named group), so editing it here must not touch the deployed group.
    description: str = ""
    gates: dict[str, Requirements] = Field(default_factory=dict)
    # A model that trains in the data-science account's pipeline (data_science/pipeline.py); None: trained elsewhere.
    training: Training | None = None
    # The DataZone project that governs the model's data; the model's group carries it as a tag.
    datazone_project: Annotated[str, AfterValidator(_datazone_project)] | None = None


class OrgConfig(StrictModel):
    """The whole organisation: accounts, environment chain, approvers, pipeline and models."""

    organization: Organization
    accounts: CoreAccounts
    approver_groups: dict[str, ApproverGroup]
    approvals: Approvals
    artifacts: Artifacts = Field(default_factory=Artifacts)
    environments: list[Environment]
    teams: Teams
    people: People = Field(default_factory=People)
    pipeline: Pipeline
    models: list[ModelSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> OrgConfig:
        """The rules across fields, one check each, in the order the file reads: the first broken one is reported."""
        self._check_chain_not_empty()
        for index, env in enumerate(self.environments):
            self._check_environment_name_unique(index, env)
            self._check_environment_has_own_account(index, env)
            self._check_approver_group_known(index, env)
            self._check_quorum_reachable(index, env)
        self._check_account_ids_unique()
        for index, model in enumerate(self.models):
            self._check_model_name_unique(index, model)
            self._check_gates_name_known_environments(index, model)
            self._check_rate_bounds(index, model)
            self._check_training_rate_bounds(index, model)
        return self

    def _check_chain_not_empty(self) -> None:
        if not self.environments:
            raise ValueError("environments: the chain is empty; list at least one environment in promotion order")

    def _check_environment_name_unique(self, index: int, env: Environment) -> None:
        if env.name in self.chain[:index]:
            raise ValueError(f"environments[{index}].name: duplicate environment name {env.name!r}")

    def _check_environment_has_own_account(self, index: int, env: Environment) -> None:
        if env.account == self.accounts.shared_services:
            raise ValueError(
                f"environments[{index}].account: environment {env.name!r} shares account {env.account} with "
                "shared_services; each environment needs its own workload account"
            )

    def _check_approver_group_known(self, index: int, env: Environment) -> None:
        if env.approver_group not in self.approver_groups:
            raise ValueError(
                f"environments[{index}].approver_group: unknown group {env.approver_group!r}; "
                f"expected one of {sorted(self.approver_groups)}"
            )

    def _check_quorum_reachable(self, index: int, env: Environment) -> None:
        members = self.approver_groups[env.approver_group].members
        if env.approvals_required > len(members):
            raise ValueError(
                f"environments[{index}].approvals_required: {env.approvals_required} approvals need at least "
                f"{env.approvals_required} members in {env.approver_group}, which has {len(members)}"
            )
        for rating, rule in env.model_card.risk.items():
            needed = env.approvals_required + rule.extra_approvals
            where = f"environments[{index}].model_card.risk.{rating}.extra_approvals"
            if needed > MAX_APPROVALS_REQUIRED:
                raise ValueError(
                    f"{where}: {env.approvals_required} + {rule.extra_approvals} approvals exceed the largest quorum, "
                    f"{MAX_APPROVALS_REQUIRED}"
                )
            if needed > len(members):
                raise ValueError(
                    f"{where}: {needed} approvals need at least {needed} members in {env.approver_group}, "
                    f"which has {len(members)}"
                )

    def _check_account_ids_unique(self) -> None:
        owners: dict[str, str] = {}
        named = [
            ("accounts.shared_services", self.accounts.shared_services),
            ("accounts.data_science", self.accounts.data_science),
            ("accounts.deployment", self.accounts.deployment),
        ] + [(f"environments[{i}].account", env.account) for i, env in enumerate(self.environments)]
        for field, account in named:
            if account in owners:
                raise ValueError(f"{field}: account id {account} appears twice (also at {owners[account]})")
            owners[account] = field

    def _check_model_name_unique(self, index: int, model: ModelSpec) -> None:
        if model.name in [other.name for other in self.models[:index]]:
            raise ValueError(f"models[{index}].name: duplicate model name {model.name!r}")

    def _check_gates_name_known_environments(self, index: int, model: ModelSpec) -> None:
        for env_name in model.gates:
            if env_name not in self.chain:
                raise ValueError(f"models[{index}].gates.{env_name}: unknown environment; expected one of {self.chain}")

    def _check_rate_bounds(self, index: int, model: ModelSpec) -> None:
        for env_name, requirements in model.gates.items():
            for metric, threshold in requirements.metrics.items():
                if metric.lower() not in RATE_METRICS:
                    continue
                for bound, value in (("min", threshold.min), ("max", threshold.max)):
                    if value is not None and not 0 <= value <= 1:
                        raise ValueError(
                            f"models[{index}].gates.{env_name}.metrics.{metric}.{bound}: {value:g} is outside 0..1 "
                            f"for model {model.name!r}; {metric} is a rate"
                        )

    def _check_training_rate_bounds(self, index: int, model: ModelSpec) -> None:
        for metric, threshold in (model.training.condition if model.training else {}).items():
            for bound, value in (("min", threshold.min), ("max", threshold.max)):
                if metric.lower() in RATE_METRICS and value is not None and not 0 <= value <= 1:
                    raise ValueError(
                        f"models[{index}].training.condition.{metric}.{bound}: {value:g} is outside 0..1 "
                        f"for model {model.name!r}; {metric} is a rate"
                    )

    # -- lookups ---------------------------------------------------------------

    @property
    def region(self) -> str:
        return self.organization.region

    @property
    def chain(self) -> list[str]:
        """Environment names in promotion order."""
        return [env.name for env in self.environments]

    def environment(self, name: str) -> Environment:
        """The environment called `name`, or InputError listing the known ones."""
        for env in self.environments:
            if env.name == name:
                return env
        raise InputError(f"unknown environment {name!r}; expected one of {self.chain}")

    def previous_environment(self, name: str) -> Environment | None:
        """The environment before `name` in the chain, or None for the first."""
        index = self.chain.index(self.environment(name).name)
        return self.environments[index - 1] if index > 0 else None

    def next_environment(self, name: str) -> Environment | None:
        """The environment after `name` in the chain, or None for the last."""
        index = self.chain.index(self.environment(name).name)
        return self.environments[index + 1] if index + 1 < len(self.environments) else None

    def model(self, name: str) -> ModelSpec:
        """The model called `name`, or InputError listing the known ones."""
        for model in self.models:
            if model.name == name:
                return model
        raise InputError(f"unknown model {name!r}; expected one of {[m.name for m in self.models]}")

    def requirements(self, model: str, env: str) -> Requirements:
        """What `model` must show to enter `env`; no requirements when none are configured."""
        return self.model(model).gates.get(env) or Requirements()

    def card_environment(self) -> Environment:
        """The environment whose approver group approves model cards: the first that requires an Approved
        card, else the first of the chain."""
        required = [env for env in self.environments if env.model_card.status == "Approved"]
        return (required or self.environments)[0]

    def approvers(self, env_name: str) -> ApproverGroup:
        """The approver group that decides for `env_name`."""
        return self.approver_groups[self.environment(env_name).approver_group]


def parse_config(data: object, source: Path | str) -> OrgConfig:
    """Validate already-parsed YAML data as an OrgConfig."""
    return parse_model(OrgConfig, data, source)


def load_config(path: Path | str = DEFAULT_CONFIG_PATH) -> OrgConfig:
    """Load and validate `accounts.yaml`; raises InputError naming file, field and rule."""
    path = Path(path)
    return parse_config(read_yaml(path), path)
