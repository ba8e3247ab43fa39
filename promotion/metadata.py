"""What a version carries in CustomerMetadataProperties, and who may write which key.

AWS restricts keys and values to letters, digits, spaces and `_.:/=+-@`, values to 256 characters and a
version to 50 entries. Two families of keys:
- `metric:<name>`: a metric value, e.g. `metric:auc` = `0.91`. Data science writes these at registration,
  and nothing else: registration refuses any other key, and so does IAM (see `reserved_keys`).
- `approval:<env>:...`: the decisions for one environment, written only by the decision service through
  that environment's decision role:
  - `approval:<env>:decision`: the outcome so far, `Approved`, `Rejected` or `PendingApproval` (some of
    the quorum has approved);
  - `approval:<env>:<n>` for n = 1 .. approvals_required: one person's decision, in the order made,
    as `<Approved|Rejected> <approver> <when>`.
- `content:...`: what was registered, written once by registration and by nobody after (IAM refuses them to
  every UpdateModelPackage the stacks grant, see `reserved_keys`):
  - `content:artifact-version`: the S3 version id of the artifact when it was registered;
  - `content:artifact-sha256`: its SHA-256, 64 lowercase hex digits;
  - `content:image`: the image pinned by digest, `<repository>@sha256:<digest>`.
- `lineage:...`: where a trained version came from, written once by registration when known, and by
  nobody after (reserved like the content keys):
  - `lineage:data` and `lineage:data-version`: the training data's location (S3 URI, or a bundled data
    set's name) and version (S3 version id, or `sha256:<hex>` of its content);
  - `lineage:evaluation-version` and `lineage:evaluation-sha256`: the S3 version id and SHA-256 of the
    evaluation report that ModelMetrics names (promotion/evaluation.py).

- `card:approval`: the model card's approval, `<sha256 of the card's content> <approver> <when>`, written
  only by the card decision (the decision role of the environment that approves cards; promotion/card_review.py).
  AWS has no condition key for ModelCard, so this key, which IAM can restrict, is the governed fact: the gate
  holds the card approved only when it is present and the content still hashes to it.

Who registered a version is not metadata: it is the identity AWS records (`CreatedBy`), see `registrant`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from accounts import naming
from accounts.config import MAX_APPROVALS_REQUIRED, OrgConfig

METRIC_PREFIX = "metric:"
APPROVAL_PREFIX = "approval:"
OUTCOME = "decision"
CONTENT_PREFIX = "content:"
ARTIFACT_VERSION_KEY = f"{CONTENT_PREFIX}artifact-version"
ARTIFACT_SHA256_KEY = f"{CONTENT_PREFIX}artifact-sha256"
IMAGE_KEY = f"{CONTENT_PREFIX}image"
# Written by registration, together, and only then.
CONTENT_KEYS = (ARTIFACT_VERSION_KEY, ARTIFACT_SHA256_KEY, IMAGE_KEY)
LINEAGE_PREFIX = "lineage:"
DATA_KEY = f"{LINEAGE_PREFIX}data"
DATA_VERSION_KEY = f"{LINEAGE_PREFIX}data-version"
EVALUATION_VERSION_KEY = f"{LINEAGE_PREFIX}evaluation-version"
EVALUATION_SHA256_KEY = f"{LINEAGE_PREFIX}evaluation-sha256"
# Written by registration when known (a version trained elsewhere may have none), and only then.
LINEAGE_KEYS = (DATA_KEY, DATA_VERSION_KEY, EVALUATION_VERSION_KEY, EVALUATION_SHA256_KEY)
CARD_APPROVAL_KEY = "card:approval"


class StageStatus(StrEnum):
    """The outcome of an environment's decisions, as recorded in metadata and ModelLifeCycle.StageStatus."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING = "PendingApproval"


def approval_key(env: str, part: str) -> str:
    """Metadata key of one part of `env`'s decisions: `decision` (the outcome) or a decision's number."""
    return f"{APPROVAL_PREFIX}{env}:{part}"


def decision_keys(config: OrgConfig, env: str) -> list[str]:
    """Every key `env`'s decisions can write: the outcome and one slot per approval its largest quorum (with
    a risk rating's extra approvals) needs."""
    required = config.environment(env).largest_quorum
    return [approval_key(env, OUTCOME), *(approval_key(env, str(n)) for n in range(1, required + 1))]


def decision_reserved_keys(config: OrgConfig) -> list[str]:
    """Every key a decision could ever write, every environment's, up to the largest quorum allowed: IAM
    refuses them to registration, and to every other environment's decision role. (Slots beyond today's
    quorum are reserved too, so a slot written early could not count if the quorum were raised.)"""
    slots = range(1, MAX_APPROVALS_REQUIRED + 1)
    return [
        key for env in config.chain for key in (approval_key(env, OUTCOME), *(approval_key(env, str(n)) for n in slots))
    ]


def reserved_keys(config: OrgConfig) -> list[str]:
    """Every key only one writer may write: the decision keys (see `decision_reserved_keys`), the content
    and lineage keys, which registration writes and nothing may write after it (no decision role may add
    them), and the card approval, which only the card decision writes."""
    return [*decision_reserved_keys(config), *CONTENT_KEYS, *LINEAGE_KEYS, CARD_APPROVAL_KEY]


def metadata_budget(config: OrgConfig) -> int:
    """How many entries decisions and the content record can take on one version with today's quorums (of
    AWS's 50); metrics get the rest."""
    return (
        sum(len(decision_keys(config, env)) for env in config.chain)
        + len(CONTENT_KEYS)
        + len(LINEAGE_KEYS)
        + 1  # card:approval
    )


def check_registration_keys(keys: Iterable[str]) -> None:
    """Registration writes metrics and exactly the content keys: ValueError names the first other key, or
    the first content key missing."""
    given = list(keys)
    for key in given:
        if key in CONTENT_KEYS or key in LINEAGE_KEYS:
            continue
        if not key.startswith(METRIC_PREFIX) or ":" in key.removeprefix(METRIC_PREFIX):
            allowed = ", ".join((*CONTENT_KEYS, *LINEAGE_KEYS))
            raise ValueError(f"metadata key {key!r}: registration writes only {METRIC_PREFIX}<name> keys and {allowed}")
    for key in CONTENT_KEYS:
        if key not in given:
            raise ValueError(f"metadata key {key!r}: registration must record it (what was registered)")


@dataclass(frozen=True)
class Decision:
    """One approver's decision on a version for one environment: the one type every route and view uses.

    Read back from the registry, `reason` is empty: the registry keeps who decided what and when, and only
    the latest reason (ApprovalDescription); the history keeps every reason.
    """

    arn: str
    env: str
    status: str
    approver: str
    when: str
    reason: str = ""

    @property
    def model(self) -> str:
        """The model, from the version's ARN."""
        return naming.parse_model_package_arn(self.arn).group

    @property
    def version(self) -> int:
        """The version number, from its ARN."""
        return naming.parse_model_package_arn(self.arn).version

    def slot_value(self) -> str:
        """The decision as one metadata value: `<status> <approver> <when>`."""
        return f"{self.status} {self.approver} {self.when}"


@dataclass(frozen=True)
class EnvironmentDecisions:
    """What the approvers of one environment decided on a version so far: the outcome and each decision."""

    env: str
    status: str  # a StageStatus, or "" when nobody decided yet
    decisions: tuple[Decision, ...]

    @property
    def approvers(self) -> list[str]:
        """Who decided, in order."""
        return [decision.approver for decision in self.decisions]

    @property
    def last(self) -> Decision | None:
        """The latest decision: the one that completed the quorum, or the reject."""
        return self.decisions[-1] if self.decisions else None

    def summary(self) -> str:
        """`Approved by a@x at T1, b@x at T2` or `Rejected by c@x at T3`: one line for messages and views."""
        who = ", ".join(f"{d.approver} at {d.when}" for d in self.decisions)
        return f"{self.status} by {who}" if who else self.status


def metrics_of(metadata: Mapping[str, str]) -> dict[str, float]:
    """The metrics among a version's metadata; a value that is not a number is left out."""
    metrics: dict[str, float] = {}
    for key, value in metadata.items():
        if key.startswith(METRIC_PREFIX):
            try:
                metrics[key.removeprefix(METRIC_PREFIX)] = float(value)
            except ValueError:
                continue  # not a number: ignored by the thresholds, which then report it missing
    return metrics


def decisions_of(arn: str, metadata: Mapping[str, str]) -> dict[str, EnvironmentDecisions]:
    """Each environment's decisions recorded on the version at `arn`, by environment name."""
    envs = sorted({key.split(":")[1] for key in metadata if key.startswith(APPROVAL_PREFIX) and key.count(":") == 2})
    found: dict[str, EnvironmentDecisions] = {}
    for env in envs:
        decisions: list[Decision] = []
        number = 1
        while (value := metadata.get(approval_key(env, str(number)))) is not None:
            status, _, rest = value.partition(" ")
            approver, _, when = rest.partition(" ")
            decisions.append(Decision(arn=arn, env=env, status=status, approver=approver, when=when))
            number += 1
        found[env] = EnvironmentDecisions(
            env=env, status=metadata.get(approval_key(env, OUTCOME), ""), decisions=tuple(decisions)
        )
    return found


def registrant(described: Mapping[str, Any]) -> str | None:
    """Who registered a version, as AWS recorded it: the source identity of the session that called
    CreateModelPackage, else that session's name; None when the registry does not say.

    A person reaches the registry through a role session whose source identity the data-science role's
    trust requires (see data_science/stack.py), so this names the person, never text they chose.
    """
    identity = ((described.get("CreatedBy") or {}).get("IamIdentity")) or {}
    source = identity.get("SourceIdentity")
    if source:
        return str(source)
    arn = str(identity.get("Arn") or "")
    if ":assumed-role/" in arn:
        return arn.rsplit("/", 1)[1]
    return arn or None


@dataclass(frozen=True)
class CardApproval:
    """The card decision recorded on a version: which content was approved, by whom, when."""

    digest: str
    approver: str
    when: str

    def value(self) -> str:
        """As the metadata value of `card:approval`."""
        return f"{self.digest} {self.approver} {self.when}"


def card_approval_of(metadata: Mapping[str, str]) -> CardApproval | None:
    """The card approval among a version's metadata, or None when there is none (or it is malformed)."""
    parts = metadata.get(CARD_APPROVAL_KEY, "").split(" ")
    if len(parts) != 3 or len(parts[0]) != 64:
        return None
    return CardApproval(digest=parts[0], approver=parts[1], when=parts[2])
