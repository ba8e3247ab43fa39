"""The human-in-the-loop approval workflow of the shared-services account.

Registration event -> notify Lambda -> one SNS topic per environment (email to that environment's approver
group, one personal review link each) -> review page and decision API (API Gateway -> review Lambda, which
decides through the `modelops-approver` role) -> Approved event -> dispatch Lambda -> GitHub
`repository_dispatch` (`model-approved`) -> `.github/workflows/promote.yml` opens the promotion PR.

Packaging: the Lambda code is bundled locally (no Docker) into a directory holding only the handler
package, the repository modules it imports and the pinned third-party packages it needs, vendored from
the locked virtualenv. Powertools is vendored rather than taken from AWS's public layer so that the
function runs exactly the versions the tests ran, needs no layer in another account, and deploys the same
way in the sandbox. Compiled wheels (pydantic-core, PyYAML) are accepted only when built for Lambda's
python3.11 x86_64 (manylinux, glibc <= 2.26); anything else stops the synth with a one-line error.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from promotion.events import DEPLOY_VERIFIED, PIPELINE_EVENT_SOURCE
from shared_services.key_policy import administration_statement

REPO_ROOT = Path(__file__).resolve().parents[1]
HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
CONFIG_FILE_NAME = "modelops_config.json"

# Repository packages the handlers import (directly or through the promotion engine), copied whole.
BUNDLED_PACKAGES = ("accounts", "workloads", "promotion")
# Third-party distributions vendored into the bundle. boto3 and its dependencies come with the runtime.
VENDORED_DISTRIBUTIONS = (
    "aws-lambda-powertools",
    "jmespath",
    "typing-extensions",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-inspection",
    "PyYAML",
)
# Lambda's python3.11 runtime runs on Amazon Linux 2 (glibc 2.26), x86_64.
RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.X86_64
_COMPATIBLE_TAG = re.compile(r"^(py3-none-any|cp311-cp311-manylinux(2014|_2_(1[0-9]|2[0-6]))_x86_64)$")

GITHUB_API_URL = "https://api.github.com"
REVIEW_TOKEN_TTL_HOURS = 72
STAGE_NAME = "v1"
STATE_CHANGE_DETAIL_TYPE = "SageMaker Model Package State Change"
RESERVED_CONCURRENCY = {"notify": 2, "review": 5, "dispatch": 2}
LOG_RETENTION = logs.RetentionDays.ONE_YEAR


def _not_source(directory: str, names: list[str]) -> set[str]:
    """What a package copy leaves out: anything but Python modules and sub-packages (no data, no caches)."""
    here = Path(directory)
    return {name for name in names if not (name.endswith(".py") or ((here / name) / "__init__.py").is_file())}


class BundleError(RuntimeError):
    """The Lambda bundle cannot be built on this machine; the message says why."""


def _compatible(distribution: importlib.metadata.Distribution) -> bool:
    wheel = distribution.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return any(_COMPATIBLE_TAG.match(tag) for tag in tags)


def _copy_distribution(name: str, output: Path) -> None:
    distribution = importlib.metadata.distribution(name)
    if not _compatible(distribution):
        raise BundleError(
            f"cannot bundle {name} {distribution.version} for the Lambda runtime: the installed wheel is not "
            "built for python3.11 manylinux x86_64; synthesize on Linux x86_64 (as CI does)"
        )
    for file in distribution.files or []:
        relative = Path(str(file))
        if relative.parts[0] == ".." or "__pycache__" in relative.parts or relative.suffix == ".pyc":
            continue
        source = Path(str(distribution.locate_file(file)))
        target = output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def build_bundle(config: OrgConfig, output: Path) -> None:
    """Write the Lambda code into `output`: handlers, repository modules, vendored packages and the config."""
    for package in BUNDLED_PACKAGES:
        source = REPO_ROOT / package
        if not (source / "__init__.py").is_file():
            raise BundleError(f"cannot bundle the approval Lambdas: the package {package} does not exist")
        shutil.copytree(source, output / package, ignore=_not_source, dirs_exist_ok=True)
    (output / "shared_services").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "shared_services" / "__init__.py", output / "shared_services" / "__init__.py")
    shutil.copytree(
        HANDLERS_DIR,
        output / "shared_services" / "handlers",
        ignore=_not_source,
        dirs_exist_ok=True,
    )
    for name in VENDORED_DISTRIBUTIONS:
        _copy_distribution(name, output)
    # The handlers validate this with the same OrgConfig model as the CLI.
    (output / CONFIG_FILE_NAME).write_text(
        json.dumps(config.model_dump(mode="json", exclude_none=True), indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


@jsii.implements(cdk.ILocalBundling)
class _LocalBundler:
    """CDK local bundling: builds the bundle in-process, so no Docker is needed."""

    def __init__(self, config: OrgConfig) -> None:
        self._config = config

    def try_bundle(self, output_dir: str, _options: Any) -> bool:
        build_bundle(self._config, Path(output_dir))
        return True


def lambda_code(config: OrgConfig) -> lambda_.Code:
    """The approval Lambdas' code asset; its hash is the bundle's content, so config changes redeploy."""
    return lambda_.Code.from_asset(
        str(HANDLERS_DIR),
        asset_hash_type=cdk.AssetHashType.OUTPUT,
        exclude=["__pycache__", "*.pyc"],
        bundling=cdk.BundlingOptions(
            # Never pulled: local bundling always succeeds or raises.
            image=cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.11"),
            # jsii calls back with the options as one positional struct, not the keywords the stub declares.
            local=cast(cdk.ILocalBundling, _LocalBundler(config)),
        ),
    )


# -- IAM: one role per function, exactly these statements -------------------------------------------------


def _arn(config: OrgConfig, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{config.region}:{config.accounts.shared_services}:{resource}"


def log_statement(config: OrgConfig, purpose: str) -> iam.PolicyStatement:
    group = _arn(config, "logs", f"log-group:/aws/lambda/{naming.approval_function_name(purpose)}")
    return iam.PolicyStatement(
        sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[f"{group}:*"]
    )


def describe_packages_statement(config: OrgConfig) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="DescribeRegisteredVersions",
        actions=["sagemaker:DescribeModelPackage"],
        resources=[naming.model_packages_arn_pattern(config, model.name) for model in config.models],
    )


def state_table_statement(config: OrgConfig, purpose: str) -> iam.PolicyStatement:
    """Items of the state table keyed by this function's name only (Powertools and token records)."""
    function = naming.approval_function_name(purpose)
    return iam.PolicyStatement(
        sid="OwnStateRecords",
        actions=["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resources=[_arn(config, "dynamodb", f"table/{naming.APPROVAL_TABLE}")],
        conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{function}.*", f"{function}#*"]}},
    )


# The services that store the workflow's data under its key for the functions (Secrets Manager and
# CloudWatch Logs get their own statements: the secrets add theirs, the log statement is below).
KEY_USER_SERVICES = ["dynamodb", "sns"]
KEY_USER_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]


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


def key_statement(config: OrgConfig, key_arn: str, actions: list[str], services: list[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="UseWorkflowKeyThroughServices",
        actions=actions,
        resources=[key_arn],
        conditions={"StringEquals": {"kms:ViaService": [f"{s}.{config.region}.amazonaws.com" for s in services]}},
    )


def approver_trust_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The statement `modelops-approver`'s trust policy needs so that the review function decides as it.

    The review role is created in the same stack after the approver role, so the principal is the account
    and `aws:PrincipalArn` pins the exact role (the documented pattern for principals created later).
    """
    return iam.PolicyStatement(
        sid="ApprovalReviewFunction",
        principals=[iam.ArnPrincipal(naming.account_root_arn(config.accounts.shared_services))],
        actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
        conditions={
            "ArnEquals": {
                "aws:PrincipalArn": naming.role_arn(
                    config.accounts.shared_services, naming.approval_function_name("review")
                )
            }
        },
    )


def deploy_verified_statement(config: OrgConfig) -> iam.PolicyStatement:
    """What `modelops-promoter` needs so the pipeline can report a verified deploy (post-deploy step).

    Only that one event, on the shared-services default bus.
    """
    return iam.PolicyStatement(
        sid="ReportVerifiedDeploys",
        actions=["events:PutEvents"],
        resources=[_arn(config, "events", "event-bus/default")],
        conditions={"StringEquals": {"events:source": PIPELINE_EVENT_SOURCE, "events:detail-type": DEPLOY_VERIFIED}},
    )


def _skip_checks(resource: cdk.CfnResource, *checks: tuple[str, str]) -> None:
    resource.add_metadata("checkov", {"skip": [{"id": check, "comment": comment} for check, comment in checks]})


class ApprovalWorkflow(Construct):
    """Notification, review page and decision API, and promotion dispatch for every configured model."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: OrgConfig,
        github_api_url: str = GITHUB_API_URL,
        review_token_ttl_hours: int = REVIEW_TOKEN_TTL_HOURS,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        account, region = config.accounts.shared_services, config.region

        self.key = kms.Key(
            self,
            "Key",
            alias=naming.APPROVAL_KEY_ALIAS,
            description="Encrypts the approval workflow's topics, secrets, state table and logs.",
            enable_key_rotation=True,
            # Given a policy, CDK writes exactly it instead of its default `kms:*` account statement.
            policy=iam.PolicyDocument(statements=workflow_key_statements(config)),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs encrypts the workflow's log groups with the key, and only those.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptsWorkflowLogs",
                principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
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
                            _arn(config, "logs", f"log-group:/aws/lambda/{naming.APPROVAL_PREFIX}-*"),
                            _arn(config, "logs", f"log-group:/aws/apigateway/{naming.APPROVAL_API}"),
                        ]
                    }
                },
            )
        )

        self.table = dynamodb.Table(
            self,
            "State",
            table_name=naming.APPROVAL_TABLE,
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expiration",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

        self.token_key = secretsmanager.Secret(
            self,
            "ReviewTokenKey",
            secret_name=naming.REVIEW_TOKEN_SECRET,
            description="HMAC-SHA256 key signing review links. Generated by Secrets Manager; never in code.",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
        )
        self.github_token = secretsmanager.Secret(
            self,
            "GitHubDispatchToken",
            secret_name=naming.GITHUB_DISPATCH_SECRET,
            description=(
                "GitHub token allowed to create repository_dispatch events on "
                f"{config.pipeline.repository}. Set it with `aws secretsmanager put-secret-value`."
            ),
            encryption_key=self.key,
        )
        for secret in (self.token_key, self.github_token):
            _skip_checks(
                secret.node.default_child,  # type: ignore[arg-type]
                ("CKV_AWS_149", "encrypted with the workflow's customer-managed key"),
            )

        self.topics: dict[str, sns.Topic] = {}
        for env in config.environments:
            topic = sns.Topic(
                self,
                f"Approvers{_pascal(env.name)}",
                topic_name=naming.approval_topic_name(env.name),
                display_name=f"modelops approvals for {env.name}",
                master_key=self.key,
                enforce_ssl=True,
            )
            for member in config.approver_groups[env.approver_group].members:
                # Each approver receives only the message carrying their own review link.
                topic.add_subscription(
                    subscriptions.EmailSubscription(
                        member,
                        filter_policy={"approver": sns.SubscriptionFilter.string_filter(allowlist=[member])},
                    )
                )
            self.topics[env.name] = topic

        self.failed_events = sqs.Queue(
            self,
            "FailedEvents",
            queue_name=naming.APPROVAL_FAILED_EVENTS_QUEUE,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=cdk.Duration.days(14),
        )
        _skip_checks(
            cast(cdk.CfnResource, self.failed_events.node.default_child),
            (
                "CKV_AWS_27",
                "Encrypted at rest with SSE-SQS (SqsManagedSseEnabled); the check recognises only a KMS key, "
                "and a customer key here would have to admit the Lambda and EventBridge services.",
            ),
        )

        code = lambda_code(config)
        self.api = self._api(config)
        api_url = f"https://{self.api.rest_api_id}.execute-api.{region}.{cdk.Aws.URL_SUFFIX}/{STAGE_NAME}/"
        review_url = f"{api_url}review"

        self.notify = self._function(
            "notify",
            code,
            description="Emails each approver a personal review link when a version awaits a decision.",
            environment={
                "REVIEW_URL": review_url,
                "TOKEN_SECRET_ARN": self.token_key.secret_arn,
                "REVIEW_TOKEN_TTL_HOURS": str(review_token_ttl_hours),
            },
            statements=[
                describe_packages_statement(config),
                iam.PolicyStatement(
                    sid="PublishToApproverTopics",
                    actions=["sns:Publish"],
                    resources=[naming.approval_topic_arn(config, env) for env in config.chain],
                ),
                iam.PolicyStatement(
                    sid="ReadReviewTokenKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.token_key.secret_arn],
                ),
                key_statement(
                    config,
                    self.key.key_arn,
                    ["kms:Decrypt", "kms:GenerateDataKey*"],
                    ["sns", "secretsmanager"],
                ),
                self._dead_letter_statement(),
            ],
            asynchronous=True,
        )
        self.review = self._function(
            "review",
            code,
            description="Serves the review page and records decisions through the modelops-approver role.",
            environment={
                "TOKEN_SECRET_ARN": self.token_key.secret_arn,
                "STATE_TABLE": naming.APPROVAL_TABLE,
            },
            statements=[
                describe_packages_statement(config),
                iam.PolicyStatement(
                    sid="ReadLiveRecords",
                    actions=["ssm:GetParameter"],
                    resources=[
                        naming.ssm_parameter_arn(region, account, naming.live_record_parameter(m.name, env))
                        for m in config.models
                        for env in config.chain
                    ],
                ),
                iam.PolicyStatement(
                    sid="ReadReviewTokenKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.token_key.secret_arn],
                ),
                state_table_statement(config, "review"),
                key_statement(
                    config,
                    self.key.key_arn,
                    ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
                    ["dynamodb", "secretsmanager"],
                ),
                iam.PolicyStatement(
                    sid="DecideAsApprover",
                    actions=["sts:AssumeRole", "sts:SetSourceIdentity"],
                    resources=[naming.approver_role_arn(config)],
                ),
            ],
            asynchronous=False,
        )
        self.dispatch = self._function(
            "dispatch",
            code,
            description="Asks GitHub to open the promotion PR (repository_dispatch model-approved).",
            environment={
                "GITHUB_TOKEN_SECRET_ARN": self.github_token.secret_arn,
                "GITHUB_API_URL": github_api_url,
                "GITHUB_REPOSITORY": config.pipeline.repository,
                "STATE_TABLE": naming.APPROVAL_TABLE,
            },
            statements=[
                describe_packages_statement(config),
                iam.PolicyStatement(
                    sid="ReadGitHubToken",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.github_token.secret_arn],
                ),
                state_table_statement(config, "dispatch"),
                key_statement(
                    config,
                    self.key.key_arn,
                    ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
                    ["dynamodb", "secretsmanager"],
                ),
                self._dead_letter_statement(),
            ],
            asynchronous=True,
        )
        self._routes()
        self._rules(config)

        ssm.StringParameter(
            self,
            "ApiUrl",
            parameter_name=naming.shared_parameter("approval-api-url"),
            string_value=api_url,
            description="Approval API: GET review, POST decision (review links), POST decisions (IAM, CLI).",
        )
        cdk.CfnOutput(self, "ReviewUrl", value=review_url)

    # -- pieces --------------------------------------------------------------------------------------

    def _dead_letter_statement(self) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="SendFailedEvents", actions=["sqs:SendMessage"], resources=[self.failed_events.queue_arn]
        )

    def _function(
        self,
        purpose: str,
        code: lambda_.Code,
        *,
        description: str,
        environment: dict[str, str],
        statements: list[iam.PolicyStatement],
        asynchronous: bool,
    ) -> lambda_.Function:
        name = naming.approval_function_name(purpose)
        role = iam.Role(
            self,
            f"{_pascal(purpose)}Role",
            role_name=name,
            description=f"Execution role of the {name} Lambda.",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            inline_policies={name: iam.PolicyDocument(statements=[log_statement(self.config, purpose), *statements])},
        )
        log_group = logs.LogGroup(
            self,
            f"{_pascal(purpose)}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=LOG_RETENTION,
            encryption_key=self.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        function = lambda_.Function(
            self,
            _pascal(purpose),
            function_name=name,
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            code=code,
            handler=f"shared_services.handlers.{purpose}.handler",
            # The reviewed inline policy is the whole grant: CDK may not add statements to it.
            role=role.without_policy_updates(),
            memory_size=256,
            timeout=cdk.Duration.seconds(30),
            reserved_concurrent_executions=RESERVED_CONCURRENCY[purpose],
            log_group=log_group,
            environment={
                "POWERTOOLS_SERVICE_NAME": name,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "MODELOPS_CONFIG_FILE": CONFIG_FILE_NAME,
                **environment,
            },
            dead_letter_queue=self.failed_events if asynchronous else None,
            retry_attempts=2 if asynchronous else None,
            max_event_age=cdk.Duration.hours(6) if asynchronous else None,
        )
        function.node.add_dependency(role)
        checks = [
            ("CKV_AWS_117", "calls only public AWS APIs and api.github.com; no VPC resources to reach"),
            (
                "CKV_AWS_173",
                "the environment holds ARNs, names and URLs only; secrets come from Secrets Manager",
            ),
        ]
        if not asynchronous:
            checks.append(("CKV_AWS_116", "invoked synchronously by API Gateway; the caller sees every failure"))
        _skip_checks(function.node.default_child, *checks)  # type: ignore[arg-type]
        return function

    def _api(self, config: OrgConfig) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/{naming.APPROVAL_API}",
            retention=LOG_RETENTION,
            encryption_key=self.key,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        return apigw.RestApi(
            self,
            "Api",
            rest_api_name=naming.APPROVAL_API,
            description="modelops review page and decision API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                throttling_rate_limit=5,
                throttling_burst_limit=10,
                tracing_enabled=True,
            ),
        )

    def _routes(self) -> None:
        integration = apigw.LambdaIntegration(self.review, proxy=True)
        review = self.api.root.add_resource("review")
        review.add_method("GET", integration, authorization_type=apigw.AuthorizationType.NONE)
        decision = self.api.root.add_resource("decision")
        decision.add_method("POST", integration, authorization_type=apigw.AuthorizationType.NONE)
        decisions = self.api.root.add_resource("decisions")
        decisions.add_method("POST", integration, authorization_type=apigw.AuthorizationType.IAM)
        for resource in (review, decision):
            for method in resource.node.children:
                if isinstance(method, apigw.Method):
                    _skip_checks(
                        method.node.default_child,  # type: ignore[arg-type]
                        ("CKV_AWS_59", "review links are authorized by a signed, single-use, expiring token"),
                    )
        stage = self.api.deployment_stage.node.default_child
        _skip_checks(
            stage,  # type: ignore[arg-type]
            ("CKV_AWS_120", "responses are per-person and must not be cached"),
            ("CKV2_AWS_29", "WAF is left to the organisation's edge; the stage is throttled"),
            ("CKV2_AWS_51", "browsers of approvers carry no client certificate"),
        )

    def _rules(self, config: OrgConfig) -> None:
        if not config.models:
            return
        for construct_id, pattern, function in (
            ("NotifyRule", state_change_pattern(config, "PendingManualApproval"), self.notify),
            ("DispatchRule", state_change_pattern(config, "Approved"), self.dispatch),
            ("DeployVerifiedRule", deploy_verified_pattern(config), self.notify),
        ):
            rule = events.Rule(
                self,
                construct_id,
                event_pattern=events.EventPattern(
                    source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
                ),
            )
            rule.add_target(
                targets.LambdaFunction(
                    function,
                    dead_letter_queue=self.failed_events,
                    retry_attempts=4,
                    max_event_age=cdk.Duration.hours(2),
                )
            )


def state_change_pattern(config: OrgConfig, status: str) -> dict[str, Any]:
    """EventBridge pattern: a configured model's version whose approval status is now `status`."""
    return {
        "source": ["aws.sagemaker"],
        "detail-type": [STATE_CHANGE_DETAIL_TYPE],
        "detail": {"ModelPackageGroupName": [m.name for m in config.models], "ModelApprovalStatus": [status]},
    }


def deploy_verified_pattern(config: OrgConfig) -> dict[str, Any]:
    """EventBridge pattern: the pipeline verified a deploy of a configured model."""
    return {
        "source": [PIPELINE_EVENT_SOURCE],
        "detail-type": [DEPLOY_VERIFIED],
        "detail": {"model": [m.name for m in config.models]},
    }


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)
