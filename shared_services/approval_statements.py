"""IAM of the approval workflow: what each function's role may do, and who may use the workflow's key.

One role per function, holding exactly these statements and nothing CDK adds. Model resources are named
with a wildcard for the model, so no role grows with the number of models (shared_services/roles.py says
why that is still exactly the configured models). The statement the promoter
needs for the workflow (the deploy-verified event) lives here too, so every grant the workflow depends on
is reviewed in one place; the decision roles the review function assumes are in decision_roles.py.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam

from accounts import naming
from accounts.config import OrgConfig
from promotion.batch_events import BATCH_INFERENCE_COMPLETED
from promotion.decision_events import DECISION_EVENT_SOURCE, ENVIRONMENT_APPROVED
from promotion.events import DEPLOY_VERIFIED, PIPELINE_EVENT_SOURCE
from shared_services import ledger
from shared_services.key_policy import administration_statement

# The services that store the workflow's data under its key for the functions (Secrets Manager and
# CloudWatch Logs get their own statements: the secrets add theirs, the log statement is below).
KEY_USER_SERVICES = ["dynamodb", "sns"]
KEY_USER_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]


def workflow_arn(config: OrgConfig, service: str, resource: str) -> str:
    """The ARN of `resource` of `service` in the shared-services account and region."""
    return f"arn:aws:{service}:{config.region}:{config.accounts.shared_services}:{resource}"


# -- the workflow key ---------------------------------------------------------------------------------------


def workflow_key_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The workflow key's own statements; they replace CDK's default `kms:*` for the account.

    Shared services administers the key; only the workflow's function roles use it, and only through
    DynamoDB and SNS. The roles are created after the key, so the principal is the account and
    `aws:PrincipalArn` pins them (the documented pattern for principals created later).
    """
    account = config.accounts.shared_services
    functions = [naming.role_arn(account, naming.approval_function_name(p)) for p in naming.APPROVAL_FUNCTIONS]
    return [
        administration_statement(config),
        iam.PolicyStatement(
            sid="FunctionsUseKeyThroughServices",
            principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
            actions=KEY_USER_ACTIONS,
            resources=["*"],
            conditions={
                "ArnEquals": {"aws:PrincipalArn": functions},
                "StringEquals": {"kms:ViaService": [f"{s}.{config.region}.amazonaws.com" for s in KEY_USER_SERVICES]},
            },
        ),
    ]


def logs_key_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The key statement letting CloudWatch Logs encrypt the workflow's log groups with the key, and only those."""
    return iam.PolicyStatement(
        sid="CloudWatchLogsEncryptsWorkflowLogs",
        principals=[iam.ServicePrincipal(f"logs.{config.region}.amazonaws.com")],
        actions=[
            "kms:Decrypt*",
            "kms:Encrypt*",
            "kms:GenerateDataKey*",
            "kms:ReEncrypt*",
            "kms:Describe*",
        ],
        resources=["*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": [
                    workflow_arn(config, "logs", f"log-group:/aws/lambda/{naming.APPROVAL_PREFIX}-*"),
                    workflow_arn(config, "logs", f"log-group:/aws/apigateway/{naming.APPROVAL_API}"),
                ]
            }
        },
    )


# -- the functions' roles -----------------------------------------------------------------------------------


def log_statement(config: OrgConfig, purpose: str) -> iam.PolicyStatement:
    """Writing to the function's own log group, and no other."""
    group = workflow_arn(config, "logs", f"log-group:/aws/lambda/{naming.approval_function_name(purpose)}")
    return iam.PolicyStatement(
        sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{group}:*"]
    )


def describe_packages_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Reading the registered versions of the configured models."""
    return iam.PolicyStatement(
        sid="DescribeRegisteredVersions",
        actions=["sagemaker:DescribeModelPackage"],
        resources=[naming.model_packages_arn_pattern(config, naming.ANY_MODEL)],
    )


def state_table_statement(config: OrgConfig, purpose: str) -> iam.PolicyStatement:
    """Items of the state table keyed by this function's name only (Powertools and token records)."""
    function = naming.approval_function_name(purpose)
    return iam.PolicyStatement(
        sid="OwnStateRecords",
        actions=["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resources=[workflow_arn(config, "dynamodb", f"table/{naming.APPROVAL_TABLE}")],
        conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{function}.*", f"{function}#*"]}},
    )


def key_statement(config: OrgConfig, key_arn: str, actions: list[str], services: list[str]) -> iam.PolicyStatement:
    """Using the workflow key for `actions`, only when one of `services` calls on the function's behalf."""
    return iam.PolicyStatement(
        sid="UseWorkflowKeyThroughServices",
        actions=actions,
        resources=[key_arn],
        conditions={"StringEquals": {"kms:ViaService": [f"{s}.{config.region}.amazonaws.com" for s in services]}},
    )


def _read_secret_statement(sid: str, secret_arn: str) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=["secretsmanager:GetSecretValue"], resources=[secret_arn])


def dead_letter_statement(queue_arn: str) -> iam.PolicyStatement:
    """Sending the events an asynchronous function failed on to the workflow's dead-letter queue."""
    return iam.PolicyStatement(sid="SendFailedEvents", actions=["sqs:SendMessage"], resources=[queue_arn])


def notify_statements(
    config: OrgConfig, *, key_arn: str, token_secret_arn: str, dead_letter_queue_arn: str
) -> list[iam.PolicyStatement]:
    """The notify function's grants besides its logs: read versions, record registrations in the ledger, check
    deploy-verified events against the deploy records, sign links, publish to approver topics, and keep its
    idempotency records (one per email sent, so a duplicated event emails nobody twice)."""
    return [
        describe_packages_statement(config),
        ledger.append_statement(config, "AppendRegistrations", ledger.registrations_streams(config)),
        state_table_statement(config, "notify"),
        iam.PolicyStatement(
            sid="ReadDeployRecords",
            actions=ledger.READ_ACTIONS,
            resources=[naming.ledger_table_arn(config)],
            conditions=ledger.streams_condition([naming.deploys_stream(naming.ANY_MODEL, "*")]),
        ),
        iam.PolicyStatement(
            sid="PublishToApproverTopics",
            actions=["sns:Publish"],
            resources=[naming.approval_topic_arn(config, env) for env in config.chain],
        ),
        _read_secret_statement("ReadReviewTokenKey", token_secret_arn),
        key_statement(config, key_arn, ledger.KEY_WRITE_ACTIONS, ["dynamodb", "sns", "secretsmanager"]),
        dead_letter_statement(dead_letter_queue_arn),
    ]


def review_statements(
    config: OrgConfig,
    *,
    key_arn: str,
    token_secret_arn: str,
    session_key_secret_arn: str,
    signin_client_secret_arn: str,
) -> list[iam.PolicyStatement]:
    """The review function's grants besides its logs: read versions and live records, sign approvers in (the
    identity provider's client secret, the session key, pending sign-ins in its state records), spend links,
    decide, and record refusals in the ledger (decisions are recorded with the decision roles)."""
    return [
        describe_packages_statement(config),
        iam.PolicyStatement(
            sid="ReadLiveRecords",
            actions=["ssm:GetParameter"],
            resources=[
                naming.ssm_parameter_arn(
                    config.region, config.accounts.shared_services, naming.live_record_parameter(naming.ANY_MODEL, env)
                )
                for env in config.chain
            ],
        ),
        _read_secret_statement("ReadReviewTokenKey", token_secret_arn),
        _read_secret_statement("ReadSessionKey", session_key_secret_arn),
        _read_secret_statement("ReadSignInClientSecret", signin_client_secret_arn),
        state_table_statement(config, "review"),
        ledger.append_statement(config, "RecordRefusals", ledger.decisions_streams(config)),
        key_statement(
            config,
            key_arn,
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            ["dynamodb", "secretsmanager"],
        ),
        iam.PolicyStatement(
            sid="ReportApprovedEnvironments",
            actions=["events:PutEvents"],
            resources=[workflow_arn(config, "events", "event-bus/default")],
            conditions=only_event_conditions(DECISION_EVENT_SOURCE, ENVIRONMENT_APPROVED),
        ),
        iam.PolicyStatement(
            sid="DecideWithDecisionRoles",
            actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
            resources=[naming.decision_role_arn(config, env) for env in config.chain],
        ),
    ]


def dispatch_statements(
    config: OrgConfig, *, key_arn: str, github_token_secret_arn: str, dead_letter_queue_arn: str
) -> list[iam.PolicyStatement]:
    """The dispatch function's grants besides its logs: read versions and the GitHub token, record dispatches."""
    return [
        describe_packages_statement(config),
        _read_secret_statement("ReadGitHubToken", github_token_secret_arn),
        state_table_statement(config, "dispatch"),
        # Whether a rollback holds the environment (the workflow's key encrypts the ledger too: `key_statement`).
        ledger.holds_read_statement(config),
        key_statement(
            config,
            key_arn,
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            ["dynamodb", "secretsmanager"],
        ),
        dead_letter_statement(dead_letter_queue_arn),
    ]


# -- what the shared-services roles need for the workflow ---------------------------------------------------


def deploy_verified_statement(config: OrgConfig) -> iam.PolicyStatement:
    """What `modelops-promoter` needs so the pipeline can report a verified deploy (post-deploy step) and a
    completed batch-inference job (promotion/batch_inference.py).

    Only those two events, on the shared-services default bus.
    """
    return iam.PolicyStatement(
        sid="ReportVerifiedDeploys",
        actions=["events:PutEvents"],
        resources=[workflow_arn(config, "events", "event-bus/default")],
        conditions=only_event_conditions(PIPELINE_EVENT_SOURCE, [DEPLOY_VERIFIED, BATCH_INFERENCE_COMPLETED]),
    )


def only_event_conditions(source: str, detail_type: str | list[str]) -> dict[str, dict[str, str | list[str]]]:
    """events:PutEvents conditions that let through only entries of `source` and `detail_type` (one or several).

    The Service Authorization Reference types events:source and events:detail-type as ArrayOfString (a
    PutEvents call carries a set: one value per entry), and "Multivalued context keys require a condition
    set operator" (IAM User Guide, Single-valued vs. multivalued context keys). ForAllValues: every entry
    must be ours; it "also returns true if there are no context keys in the request", so Null false
    requires both keys (Multivalued context key examples,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html).
    """
    return {
        "ForAllValues:StringEquals": {"events:source": source, "events:detail-type": detail_type},
        "Null": {"events:source": "false", "events:detail-type": "false"},
    }
