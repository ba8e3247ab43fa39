"""The audit ledger's table, and the IAM statements that make it append-only.

`modelops-ledger`: partition key `stream` (S), sort key `seq` (N), on demand, point-in-time recovery,
deletion protection, encrypted with the approval workflow's customer managed key, retained when the stack
goes. promotion/ledger.py writes and reads it.

Append-only is enforced by AWS, not by our code: every writer holds `dynamodb:PartiQLInsert` and
`dynamodb:Query` on the table and nothing else of DynamoDB (no PutItem, UpdateItem, DeleteItem,
BatchWriteItem, PartiQLUpdate or PartiQLDelete). A PartiQL INSERT "fails with DuplicateItemException if the
item already exists" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html),
so a writer can add records and never change or remove one. Each writer is also scoped to its own streams:
`ForAllValues:StringLike` on `dynamodb:LeadingKeys` (the partition keys the request touches), together with
`Null: {dynamodb:LeadingKeys: false}` so that a request for which AWS supplied no leading keys is refused
rather than allowed (a ForAllValues test over an absent key holds). Unverified: that AWS supplies
`dynamodb:LeadingKeys` for PartiQL requests (the Service Authorization Reference lists it for
PartiQLInsert); if it does not, the Null test makes every insert fail closed, never open.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig

INSERT_ACTIONS = ["dynamodb:PartiQLInsert", "dynamodb:Query"]
# What the table's own policy denies to every principal, administrators included: every way to change or
# remove a record, and deleting the table. (UpdateTable and UpdateContinuousBackups stay with the deploy path:
# CloudFormation turns point-in-time recovery on after CreateTable, and deletion protection already refuses
# DeleteTable until UpdateTable turns it off.)
REWRITE_ACTIONS = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DeleteTable",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
]
READ_ACTIONS = ["dynamodb:Query"]
LEADING_KEYS = "dynamodb:LeadingKeys"
# What DynamoDB asks KMS for on a caller's behalf, as CDK's table grants give it: reading decrypts, writing
# also encrypts and generates data keys.
KEY_READ_ACTIONS = ["kms:Decrypt", "kms:DescribeKey"]
KEY_WRITE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]


def streams_condition(streams: list[str]) -> dict[str, dict[str, object]]:
    """Only these streams (patterns), and refused when AWS supplies no leading keys (fail closed)."""
    return {"ForAllValues:StringLike": {LEADING_KEYS: streams}, "Null": {LEADING_KEYS: "false"}}


def append_statement(config: OrgConfig, sid: str, streams: list[str]) -> iam.PolicyStatement:
    """Append to (and read the tail of) `streams` of the ledger, and nothing else."""
    return iam.PolicyStatement(
        sid=sid,
        actions=INSERT_ACTIONS,
        resources=[naming.ledger_table_arn(config)],
        conditions=streams_condition(streams),
    )


def read_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Read every stream of the configured models (Query only)."""
    return iam.PolicyStatement(
        sid="ReadLedger",
        actions=READ_ACTIONS,
        resources=[naming.ledger_table_arn(config)],
        conditions=streams_condition([f"{naming.ANY_MODEL}/*"]),
    )


def holds_read_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Read the promotions and releases streams (Query only): whether an environment is held."""
    return iam.PolicyStatement(
        sid="ReadHolds",
        actions=READ_ACTIONS,
        resources=[naming.ledger_table_arn(config)],
        conditions=streams_condition([*promotions_streams(config), *releases_streams(config)]),
    )


def key_statement(config: OrgConfig, *, write: bool) -> iam.PolicyStatement:
    """Use the ledger's key (the approval workflow's, by alias) only as DynamoDB does on the caller's behalf."""
    return iam.PolicyStatement(
        sid="UseLedgerKeyThroughDynamoDB",
        actions=KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS,
        resources=[naming.shared_kms_keys_arn_pattern(config)],
        conditions={
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.APPROVAL_KEY_ALIAS},
            "StringEquals": {"kms:ViaService": f"dynamodb.{config.region}.amazonaws.com"},
        },
    )


# Each writer's streams, of every model: one pattern whatever the number of models (the table holds only
# modelops's streams, so `*/decisions` is the configured models' decisions).
def decisions_streams(config: OrgConfig) -> list[str]:
    return [naming.decisions_stream(naming.ANY_MODEL)]


def promotions_streams(config: OrgConfig) -> list[str]:
    return [naming.promotions_stream(naming.ANY_MODEL)]


def releases_streams(config: OrgConfig) -> list[str]:
    return [naming.releases_stream(naming.ANY_MODEL)]


def registrations_streams(config: OrgConfig) -> list[str]:
    return [naming.registrations_stream(naming.ANY_MODEL)]


def deploys_streams(config: OrgConfig, env: str) -> list[str]:
    return [naming.deploys_stream(naming.ANY_MODEL, env)]


def ledger_users(config: OrgConfig) -> list[str]:
    """Every role that reads or appends to the ledger through DynamoDB (the key policy names them)."""
    account = config.accounts.shared_services
    return [
        naming.promoter_role_arn(config),
        naming.verifier_role_arn(config),
        naming.releaser_role_arn(config),
        *(naming.decision_role_arn(config, env) for env in config.chain),
        *(naming.recorder_role_arn(config, env) for env in config.chain),
        *(naming.role_arn(account, naming.approval_function_name(p)) for p in ("notify", "review")),
    ]


def key_policy_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The workflow key's statement for the ledger's users, through DynamoDB only."""
    account = config.accounts.shared_services
    return iam.PolicyStatement(
        sid="LedgerUsersThroughDynamoDB",
        principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
        actions=KEY_WRITE_ACTIONS,
        resources=["*"],
        conditions={
            "ArnEquals": {"aws:PrincipalArn": ledger_users(config)},
            "StringEquals": {"kms:ViaService": f"dynamodb.{config.region}.amazonaws.com"},
        },
    )


def table_policy() -> iam.PolicyDocument:
    """The table's resource policy: no principal, however privileged its own policies, rewrites a record.

    An explicit Deny in a resource policy overrides every Allow (IAM policy evaluation logic), so even the
    account's administrators, the CDK bootstrap roles of the deploy path among them, can only INSERT. To
    rewrite a record they would first have to replace this policy (dynamodb:PutResourcePolicy), a change
    CloudTrail records and only a reviewed deploy of this stack makes.
    """
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="NobodyRewritesTheLedger",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=REWRITE_ACTIONS,
                resources=["*"],
            )
        ]
    )


class AuditLedger(Construct):
    """The `modelops-ledger` table."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=naming.LEDGER_TABLE,
            partition_key=dynamodb.Attribute(name="stream", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="seq", type=dynamodb.AttributeType.NUMBER),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            resource_policy=table_policy(),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        key.add_to_resource_policy(key_policy_statement(config))
