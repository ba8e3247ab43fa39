"""The decision roles: one per environment, the only identities that can write a decision.

Nothing a person can reach assumes them: their trust names the decision service (the review function)
alone, and only with a source identity, the approver it acts for. Even the decision service can write
with `modelops-decision-<env>` only what a decision for `<env>` writes, and IAM checks it through
SageMaker's condition keys on UpdateModelPackage:
- the stage it sets (ModelLifeCycle) is `<env>`, with a decision's status;
- the metadata keys it adds are `<env>`'s within its quorum (every other reserved key must be absent:
  other environments' and slots beyond the quorum);
- the keys it removes are `<env>`'s (removal happens only when a decision is undone);
- the approval status is Approved (or, for the first environment, any: its outcome sets the status).
The decision role of the environment that approves model cards (`OrgConfig.card_environment`) may also
record a card approval: an UpdateModelPackage that writes `card:approval` (and the ModelCard, which has no
condition key) and nothing a decision writes: no stage, no approval status, no other reserved key, no removal;
and record a card submission (Draft -> PendingReview): an UpdateModelPackage with every reserved key absent,
`card:approval` among them, and no stage, approval status or removal, so a submission never carries an approval.
Its resources are every model's (`model-package/*/*`, `/modelops/models/*/approved/<env>`): a constant
size whatever the number of models, and exactly the configured models (shared_services/roles.py says why).
Besides, it appends to the ledger's decisions streams (promotion/ledger.py; only PartiQLInsert, so it can
never change a record) and writes `<env>`'s approved record (`/modelops/models/<model>/approved/<env>`).
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from promotion.metadata import CARD_APPROVAL_KEY, StageStatus, decision_keys, reserved_keys
from promotion.registry import ApprovalStatus
from shared_services import ledger
from shared_services.principals import pascal
from shared_services.roles import registry_read_statement
from shared_services.trust import define_role

CUSTOMER_METADATA = "sagemaker:CustomerMetadataProperties"


def decision_trust(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The review function, only when it names the approver as the session's source identity.

    The function's role is created after the decision roles, so the principal is the account and
    `aws:PrincipalArn` pins the exact role (the documented pattern for principals created later).
    """
    account = config.accounts.shared_services
    return [
        iam.PolicyStatement(
            sid="DecisionServiceOnly",
            principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
            actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
            conditions={
                "ArnEquals": {"aws:PrincipalArn": naming.role_arn(account, naming.approval_function_name("review"))},
                "Null": {"sts:SourceIdentity": "false"},
            },
        )
    ]


def record_statement(config: OrgConfig, env: str) -> iam.PolicyStatement:
    """UpdateModelPackage as a decision for `env` writes it, and in no other shape."""
    statuses = [ApprovalStatus.APPROVED]
    if env == config.chain[0]:
        # The first environment's outcome sets the version's status; undoing a decision puts it back.
        statuses += [ApprovalStatus.REJECTED, ApprovalStatus.PENDING]
    own = decision_keys(config, env)
    others = [key for key in reserved_keys(config) if key not in own]
    conditions: dict[str, dict[str, object]] = {
        "StringEquals": {
            "sagemaker:ModelLifeCycle:stage": env,
            "sagemaker:ModelLifeCycle:stageStatus": [str(status) for status in StageStatus],
        },
        "StringEqualsIfExists": {"sagemaker:ModelApprovalStatus": [str(status) for status in statuses]},
        "ForAllValues:StringEquals": {"sagemaker:CustomerMetadataPropertiesToRemove": own},
    }
    if others:
        conditions["Null"] = {f"{CUSTOMER_METADATA}/{key}": "true" for key in others}
    return iam.PolicyStatement(
        sid=f"RecordDecisionsFor{pascal(env)}",
        actions=["sagemaker:UpdateModelPackage"],
        resources=[naming.model_packages_arn_pattern(config, naming.ANY_MODEL)],
        conditions=conditions,
    )


def card_statement(config: OrgConfig) -> iam.PolicyStatement:
    """UpdateModelPackage as a card approval writes it: `card:approval` present; no stage, no approval status,
    no removal and no other reserved key."""
    null = {
        f"{CUSTOMER_METADATA}/{CARD_APPROVAL_KEY}": "false",
        "sagemaker:ModelLifeCycle:stage": "true",
        "sagemaker:ModelLifeCycle:stageStatus": "true",
        "sagemaker:ModelApprovalStatus": "true",
        "sagemaker:CustomerMetadataPropertiesToRemove": "true",
    }
    null.update({f"{CUSTOMER_METADATA}/{key}": "true" for key in reserved_keys(config) if key != CARD_APPROVAL_KEY})
    return iam.PolicyStatement(
        sid="RecordModelCardApprovals",
        actions=["sagemaker:UpdateModelPackage"],
        resources=[naming.model_packages_arn_pattern(config, naming.ANY_MODEL)],
        conditions={"Null": null},
    )


def card_submission_statement(config: OrgConfig) -> iam.PolicyStatement:
    """UpdateModelPackage as a card submission writes it (the ModelCard alone, which has no condition key):
    every reserved key absent, `card:approval` among them; no stage, no approval status, no removal."""
    null = {
        "sagemaker:ModelLifeCycle:stage": "true",
        "sagemaker:ModelLifeCycle:stageStatus": "true",
        "sagemaker:ModelApprovalStatus": "true",
        "sagemaker:CustomerMetadataPropertiesToRemove": "true",
    }
    null.update({f"{CUSTOMER_METADATA}/{key}": "true" for key in reserved_keys(config)})
    return iam.PolicyStatement(
        sid="RecordModelCardSubmissions",
        actions=["sagemaker:UpdateModelPackage"],
        resources=[naming.model_packages_arn_pattern(config, naming.ANY_MODEL)],
        conditions={"Null": null},
    )


def approved_record_statement(config: OrgConfig, env: str) -> iam.PolicyStatement:
    """Write `env`'s approved record of each model (when its quorum is met), and no other environment's."""
    return iam.PolicyStatement(
        sid=f"RecordApprovedFor{pascal(env)}",
        actions=["ssm:PutParameter"],
        resources=[naming.shared_parameter_arn(config, naming.approved_record_parameter(naming.ANY_MODEL, env))],
    )


def decision_permissions(config: OrgConfig, env: str) -> list[iam.PolicyStatement]:
    """Record `env`'s decisions, read the registry (the decision re-reads the version), append the decision
    to the ledger first (and read it: a decision completes one a crash left half done), write `env`'s
    approved record."""
    if not config.models:
        return []
    cards = [card_statement(config), card_submission_statement(config)] if env == config.card_environment().name else []
    return [
        record_statement(config, env),
        *cards,
        registry_read_statement(config),
        ledger.append_statement(config, "AppendDecisions", ledger.decisions_streams(config)),
        ledger.key_statement(config, write=True),
        approved_record_statement(config, env),
    ]


class DecisionRoles(Construct):
    """`modelops-decision-<env>` for each environment of the chain."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig) -> None:
        super().__init__(scope, construct_id)
        self.roles = {
            env: define_role(
                self,
                pascal(env),
                role_name=naming.decision_role_name(env),
                description=f"Records decisions for {env}; assumed only by the decision service.",
                trust=decision_trust(config),
                permissions=decision_permissions(config, env),
            )
            for env in config.chain
        }
