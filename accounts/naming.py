"""Names and ARNs derived from the configuration: one place, so stacks, policies and the CLI agree."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accounts.config import OrgConfig

PREFIX = "modelops"
ARTIFACT_KEY_ALIAS = f"alias/{PREFIX}-artifacts"
ARTIFACT_ROOT = "artifacts"
DATA_SCIENCE_ROLE = f"{PREFIX}-data-science"
SSM_ROOT = f"/{PREFIX}"
# CDK's default bootstrap qualifier; `cdk bootstrap` creates these roles in every target account.
CDK_QUALIFIER = "hnb659fds"


def artifact_bucket(config: OrgConfig) -> str:
    """The shared-services bucket holding every model's artifacts."""
    return f"{PREFIX}-artifacts-{config.accounts.shared_services}-{config.region}"


def access_log_bucket(config: OrgConfig) -> str:
    """The bucket receiving the artifact bucket's server access logs."""
    return f"{PREFIX}-access-logs-{config.accounts.shared_services}-{config.region}"


def artifact_prefix(model: str) -> str:
    """Key prefix under which one model's artifacts live."""
    return f"{ARTIFACT_ROOT}/{model}/"


def role_arn(account: str, name: str) -> str:
    """ARN of an IAM role without a path."""
    return f"arn:aws:iam::{account}:role/{name}"


TRAINING_PIPELINE_ROLE = f"{PREFIX}-training-pipeline"
TRAINING_ROOT = "training"  # the artifact bucket's prefix for training pipelines' step outputs


def training_pipeline_role_arn(config: OrgConfig) -> str:
    """The role SageMaker Pipelines runs the training pipelines as (data_science/training_stack.py)."""
    return role_arn(config.accounts.data_science, TRAINING_PIPELINE_ROLE)


def training_objects_arn(config: OrgConfig) -> str:
    """`training/*/*` of the artifact bucket: every model's training step outputs (scratch between steps)."""
    return f"{artifact_bucket_arn(config)}/{TRAINING_ROOT}/*/*"


def evaluation_reports_context(config: OrgConfig) -> str:
    """The KMS encryption context (`aws:s3:arn`) of every evaluation report: each is its own object's ARN
    (uploaded without the bucket's S3 Bucket Key), `artifacts/<model>/<run>/evaluation.json`."""
    return f"{artifact_bucket_arn(config)}/{ARTIFACT_ROOT}/*/evaluation.json"


def trains_models(config: OrgConfig) -> bool:
    """Some model configures a training pipeline."""
    return any(model.training is not None for model in config.models)


def data_science_role_arn(config: OrgConfig) -> str:
    """The role data scientists use to write artifacts and register model packages."""
    return role_arn(config.accounts.data_science, DATA_SCIENCE_ROLE)


def execution_role_name(env: str, model: str) -> str:
    """The SageMaker execution role of one model's endpoint in one environment."""
    return f"{PREFIX}-exec-{env}-{model}"


def execution_role_arn(config: OrgConfig, env: str, model: str) -> str:
    return role_arn(config.environment(env).account, execution_role_name(env, model))


# The tag each endpoint execution role carries: the model it serves. Resource policies that must not grow
# with the number of models (the artifact bucket's and key's) read it as `${aws:PrincipalTag/modelops:model}`
# and bind it to the role's own name (`modelops-exec-<env>-<tag>`), see shared_services/bucket_policy.py.
MODEL_TAG_KEY = f"{PREFIX}:model"
MODEL_TAG_VARIABLE = "${aws:PrincipalTag/" + MODEL_TAG_KEY + "}"
# Every configured model, in a resource pattern: modelops's own namespaces (its registry account's groups,
# `/modelops/models/`, `artifacts/`, the ledger's streams) hold only configured models.
ANY_MODEL = "*"


def execution_role_arn_bound_to_tag(config: OrgConfig, env: str) -> str:
    """The ARN an execution role of `env` has when its name matches its own `modelops:model` tag: a policy
    variable, so one ArnEquals value stands for every model's role."""
    return role_arn(config.environment(env).account, execution_role_name(env, MODEL_TAG_VARIABLE))


def execution_role_arn_pattern(config: OrgConfig, env: str) -> str:
    """Every model's execution role in `env`'s account: one pattern whatever the number of models."""
    return role_arn(config.environment(env).account, execution_role_name(env, "*"))


# One ECR repository in shared services holds every model's images (tags `<model>-<version>`): a repository
# per model would add a resource (and a policy) per model to the shared-services stack, capped at 500.
MODEL_IMAGE_REPOSITORY = f"{PREFIX}-models"


def model_image_repository_arn(config: OrgConfig) -> str:
    """The shared-services ECR repository registration resolves tags in and endpoints pull from."""
    return f"arn:aws:ecr:{config.region}:{config.accounts.shared_services}:repository/{MODEL_IMAGE_REPOSITORY}"


def model_image_repository_uri(config: OrgConfig) -> str:
    """`<account>.dkr.ecr.<region>.amazonaws.com/modelops-models`: an image is this, `:<tag>` or `@<digest>`."""
    return f"{config.accounts.shared_services}.dkr.ecr.{config.region}.amazonaws.com/{MODEL_IMAGE_REPOSITORY}"


# The deploy target (and GitHub Environment) of the shared-services stack; the chain's environments follow it.
SHARED_SERVICES_TARGET = "shared-services"


def deploy_targets(config: OrgConfig) -> list[str]:
    """Every deploy target, in deployment order: shared services, then the chain."""
    return [SHARED_SERVICES_TARGET, *config.chain]


def github_deploy_role_name(target: str) -> str:
    """The GitHub OIDC role in the deployment account for one deploy target (an environment)."""
    return f"{PREFIX}-github-deploy-{target}"


def github_deploy_role_arn(config: OrgConfig, target: str) -> str:
    return role_arn(config.accounts.deployment, github_deploy_role_name(target))


def cdk_role_name(kind: str, account: str, region: str) -> str:
    """A CDK bootstrap role, kind one of deploy, file-publishing, image-publishing, lookup, cfn-exec."""
    return f"cdk-{CDK_QUALIFIER}-{kind}-role-{account}-{region}"


def cdk_role_arn(kind: str, account: str, region: str) -> str:
    return role_arn(account, cdk_role_name(kind, account, region))


def model_package_group_arn(config: OrgConfig, model: str) -> str:
    return f"arn:aws:sagemaker:{config.region}:{config.accounts.shared_services}:model-package-group/{model}"


def model_package_arn(config: OrgConfig, model: str, version: int) -> str:
    return f"arn:aws:sagemaker:{config.region}:{config.accounts.shared_services}:model-package/{model}/{version}"


ENDPOINT_PREFIX = f"{PREFIX}-"


def endpoint_name(model: str) -> str:
    """The endpoint serving `model` inside a workload account (one per model and account).

    Prefixed so that modelops's endpoints are one IAM pattern (`endpoint/modelops-*`) that reaches no other
    team's endpoint in a shared workload account. `modelops-` (9) + a model name (at most MAX_MODEL_NAME,
    37) stays within SageMaker's 63-character endpoint name."""
    return f"{ENDPOINT_PREFIX}{model}"


def live_arn_parameter(model: str) -> str:
    """SSM parameter in a workload account holding the ModelPackage ARN live there (read by batch inference)."""
    return f"{SSM_ROOT}/models/{model}/live-model-package-arn"


def approved_record_parameter(model: str, env: str) -> str:
    """SSM parameter in shared services holding the ModelPackage ARN approved for `env` (by its quorum).

    Written only by `env`'s decision role, when the quorum is met; consumers read it, the gates read the
    registry."""
    return f"{SSM_ROOT}/models/{model}/approved/{env}"


# The audit ledger (shared_services/ledger.py, promotion/ledger.py): one DynamoDB table, append-only, one
# hash chain per stream. A stream is `<model>/<kind>` or `<model>/deploys/<env>`, one per writer, so IAM
# can scope each writer to its own streams with dynamodb:LeadingKeys.
LEDGER_TABLE = f"{PREFIX}-ledger"


def decisions_stream(model: str) -> str:
    """Decisions and refusals of `model`'s versions, written by the decision service."""
    return f"{model}/decisions"


def promotions_stream(model: str) -> str:
    """Promotions and rollbacks proposed for `model`, written by the promoter."""
    return f"{model}/promotions"


def registrations_stream(model: str) -> str:
    """One record per registered version of `model`, written by the notify function."""
    return f"{model}/registrations"


def deploys_stream(model: str, env: str) -> str:
    """What each deploy of `env` verified live for `model`, written only by `env`'s recorder role."""
    return f"{model}/deploys/{env}"


def releases_stream(model: str) -> str:
    """Releases of `model`'s holds (a hold is a rollback's `held` record in the promotions stream), written
    only by the releaser role, which only a signed-in platform engineer reaches: no automation releases."""
    return f"{model}/releases"


def ledger_streams(config: OrgConfig, model: str) -> list[str]:
    """Every stream of `model`: registrations, decisions, promotions, releases, and each environment's deploys."""
    return [
        registrations_stream(model),
        decisions_stream(model),
        promotions_stream(model),
        releases_stream(model),
        *(deploys_stream(model, env) for env in config.chain),
    ]


def ledger_table_arn(config: OrgConfig) -> str:
    return f"arn:aws:dynamodb:{config.region}:{config.accounts.shared_services}:table/{LEDGER_TABLE}"


def shared_parameter(name: str) -> str:
    """SSM parameter in shared services that publishes a shared resource (bucket, key-arn, ...)."""
    return f"{SSM_ROOT}/shared/{name}"


# Where the shared-services stack publishes the approval API's stage URL; `modelops approve` and the
# sandbox's gateway read it, and the approver permission set may.
APPROVAL_API_URL_PARAMETER = shared_parameter("approval-api-url")


def stage_id(env: str) -> str:
    """Construct id of an environment's CDK stage."""
    return f"ModelOps-{env}"


# The stacks of each stage (construct ids; CDK's display path is `<stage id>/<stack id>`). Stacks are sized
# for blast radius: a model's resources sit in a stack of their own, so no stack grows with the number of
# models and one model's failed deploy rolls back that model alone.
SHARED_SERVICES_STAGE = "ModelOps-SharedServices"
SHARED_SERVICES_STACK_ID = "SharedServices"  # the account's constant-size pieces
ENVIRONMENT_STACK_ID = "Environment"  # each workload account's operator role, endpoint key and capture bucket
MODEL_STACK_PREFIX = "Model-"  # shared services: one model's package group and its parameter
ENDPOINT_STACK_PREFIX = "Endpoint-"  # each workload account: one model's endpoint
# The data-science account: a stack per model that trains, holding its pipeline (top-level, deployed by hand
# like ModelOps-DataScience, whose constant pieces it needs: the pipeline role and the failure notice).
TRAINING_STACK_PREFIX = "ModelOps-Training-"


def model_stack_id(model: str) -> str:
    """Construct id of the shared-services stack holding `model`'s package group."""
    return f"{MODEL_STACK_PREFIX}{model}"


def endpoint_stack_id(model: str) -> str:
    """Construct id of the workload stack holding `model`'s endpoint in one environment."""
    return f"{ENDPOINT_STACK_PREFIX}{model}"


def training_stack_id(model: str) -> str:
    """Construct id (and CloudFormation name) of the data-science stack holding `model`'s training pipeline."""
    return f"{TRAINING_STACK_PREFIX}{model}"


def stack_path(stage: str, stack_id: str) -> str:
    """A stage stack's display path, as `cdk ls` lists it and `cdk deploy` takes it."""
    return f"{stage}/{stack_id}"


def stack_name(stage: str, stack_id: str) -> str:
    """The CloudFormation name CDK gives a stage stack (`<stage>-<stack>`)."""
    return f"{stage}-{stack_id}"


MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9]\d*)$"
)


@dataclass(frozen=True)
class ModelPackageRef:
    """The parts of a versioned ModelPackage ARN."""

    arn: str
    region: str
    account: str
    group: str
    version: int


def parse_model_package_arn(arn: str) -> ModelPackageRef:
    """Split a versioned ModelPackage ARN; ValueError says what shape was expected."""
    match = MODEL_PACKAGE_ARN.fullmatch(arn)
    if match is None:
        raise ValueError(
            f"malformed ModelPackage ARN {arn!r}; expected "
            "arn:aws:sagemaker:<region>:<12-digit account>:model-package/<group>/<version>"
        )
    return ModelPackageRef(
        arn=arn,
        region=match["region"],
        account=match["account"],
        group=match["group"],
        version=int(match["version"]),
    )


# Roles the modelops CLI and the pipeline assume, one per purpose (see README "Roles").
DECISION_ROLE = f"{PREFIX}-decision"  # shared services, one per environment: the decision service writes with it
PROMOTER_ROLE = f"{PREFIX}-promoter"  # shared services: reads the registry, appends promotions to the ledger
OPERATOR_ROLE = f"{PREFIX}-operator"  # each workload account: reads endpoints, smoke-tests, records the live ARN
RECORDER_ROLE = f"{PREFIX}-recorder"  # shared services, one per environment: its deploy records and live record
RELEASER_ROLE = f"{PREFIX}-releaser"  # shared services: releases holds, only as a signed-in platform engineer
SOAK_READER_ROLE = f"{PREFIX}-soak-reader"  # each workload account: reads the endpoints' alarms and their history


def recorder_role_name(env: str) -> str:
    """The role `env`'s post-deploy step records deploys with; it writes nothing of another environment."""
    return f"{RECORDER_ROLE}-{env}"


def recorder_role_arn(config: OrgConfig, env: str) -> str:
    return role_arn(config.accounts.shared_services, recorder_role_name(env))


def decision_role_name(env: str) -> str:
    """The role the decision service records decisions for `env` with; nothing a person holds reaches it."""
    return f"{DECISION_ROLE}-{env}"


def decision_role_arn(config: OrgConfig, env: str) -> str:
    return role_arn(config.accounts.shared_services, decision_role_name(env))


def promoter_role_arn(config: OrgConfig) -> str:
    return role_arn(config.accounts.shared_services, PROMOTER_ROLE)


def operator_role_arn(config: OrgConfig, env: str) -> str:
    return role_arn(config.environment(env).account, OPERATOR_ROLE)


def releaser_role_arn(config: OrgConfig) -> str:
    return role_arn(config.accounts.shared_services, RELEASER_ROLE)


def soak_reader_role_arn(config: OrgConfig, env: str) -> str:
    return role_arn(config.environment(env).account, SOAK_READER_ROLE)


def account_root_arn(account: str) -> str:
    """The account principal; in a resource policy it delegates to that account's identity policies."""
    return f"arn:aws:iam::{account}:root"


# IAM Identity Center permission sets whose provisioned roles may assume modelops roles. Identity Center
# creates them as `aws-reserved/sso.amazonaws.com/[<region>/]AWSReservedSSO_<set>_<suffix>` with a random
# suffix, so trust policies match them with ArnLike on aws:PrincipalArn.
APPROVER_PERMISSION_SET = "ModelOpsApprover"  # shared services: may assume modelops-approver
PLATFORM_PERMISSION_SET = "ModelOpsPlatform"  # shared services: may assume modelops-promoter
DATA_SCIENTIST_PERMISSION_SET = "DataScientist"  # data science: may assume modelops-data-science


# The session tag Identity Center sets to the user's email address ("attributes for access control",
# key `email`, value `${path:emails[primary].value}`); trust policies compare source identities with it.
PERSON_TAG = "email"
# Identity Center's role suffix is 16 hexadecimal characters (AWSReservedSSO_<set>_0123456789abcdef).
SSO_ROLE_SUFFIX_LENGTH = 16


def sso_role_arn_patterns(account: str, permission_set: str) -> list[str]:
    """ArnLike patterns matching the role Identity Center provisions for `permission_set` in `account`,
    and no other: one `?` per suffix character, so `ModelOpsApprover_X` (whose role is
    `AWSReservedSSO_ModelOpsApprover_X_<suffix>`) does not match `ModelOpsApprover`. The role's path is
    `aws-reserved/sso.amazonaws.com/` or, for accounts whose Identity Center was set up before 2022,
    `aws-reserved/sso.amazonaws.com/<region>/`."""
    role = f"AWSReservedSSO_{permission_set}_{'?' * SSO_ROLE_SUFFIX_LENGTH}"
    prefix = f"arn:aws:iam::{account}:role/aws-reserved/sso.amazonaws.com/"
    return [f"{prefix}{role}", f"{prefix}*/{role}"]


def artifact_bucket_arn(config: OrgConfig) -> str:
    return f"arn:aws:s3:::{artifact_bucket(config)}"


def model_packages_arn_pattern(config: OrgConfig, model: str) -> str:
    """Every version in the model's group: model package actions are authorized on these ARNs."""
    return f"arn:aws:sagemaker:{config.region}:{config.accounts.shared_services}:model-package/{model}/*"


def shared_parameter_arn(config: OrgConfig, name: str) -> str:
    """ARN of an SSM parameter (absolute name) in the shared-services account."""
    return f"arn:aws:ssm:{config.region}:{config.accounts.shared_services}:parameter{name}"


def shared_kms_keys_arn_pattern(config: OrgConfig) -> str:
    """Any key in shared services; callers narrow it to the artifact key with kms:ResourceAliases."""
    return f"arn:aws:kms:{config.region}:{config.accounts.shared_services}:key/*"


def s3_via_service(config: OrgConfig) -> str:
    """The kms:ViaService value of KMS calls S3 makes on a caller's behalf in the configured region."""
    return f"s3.{config.region}.amazonaws.com"


# -- workload accounts: endpoint resources (one endpoint per model and account) -----------------------

VARIANT_NAME = "AllTraffic"  # the single production variant of every endpoint; blue/green keeps the name
ENDPOINT_METRICS_NAMESPACE = "AWS/SageMaker"  # invocation metrics SageMaker publishes for endpoints
# Instance metrics (CPU, memory, disk), published with the execution role.
ENDPOINT_INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"


# The managed policy every role in a workload account's Endpoints stack carries as its permissions boundary:
# the CloudFormation execution policy creates and changes `modelops-*` roles only with it set.
WORKLOAD_BOUNDARY_POLICY = f"{PREFIX}-workload-boundary"
# The tag that marks a workload account's KMS keys and SageMaker models, endpoint configs and endpoints as
# modelops' own: the CloudFormation execution policy changes or deletes only resources that carry it.
MANAGED_TAG_KEY = f"{PREFIX}:managed"
MANAGED_TAG_VALUE = "true"


def workload_boundary_arn(account: str) -> str:
    """ARN of the `modelops-workload-boundary` managed policy in a workload account."""
    return f"arn:aws:iam::{account}:policy/{WORKLOAD_BOUNDARY_POLICY}"


def endpoint_arn(region: str, account: str, model: str) -> str:
    """ARN of the model's endpoint; SageMaker lower-cases resource names in its ARNs."""
    return f"arn:aws:sagemaker:{region}:{account}:endpoint/{endpoint_name(model).lower()}"


def endpoint_arn_pattern(region: str, account: str) -> str:
    """Every modelops endpoint of the account: the prefix keeps other teams' endpoints out."""
    return endpoint_arn(region, account, ANY_MODEL)


def endpoint_log_group(model: str) -> str:
    """The CloudWatch log group SageMaker writes the endpoint's container logs to."""
    return f"{ENDPOINT_INSTANCE_NAMESPACE}/{endpoint_name(model)}"


# The signals whose alarms roll a model's endpoint deployment back, each named by rollback_alarm_name.
ROLLBACK_SIGNALS = ("5xx-errors", "model-latency")


def rollback_alarm_name(model: str, signal: str) -> str:
    """An alarm that rolls the model's endpoint deployment back; `signal` is 5xx-errors or model-latency."""
    return f"{endpoint_name(model)}-{signal}"


def rollback_alarm_arns(region: str, account: str, model: str) -> list[str]:
    """The ARNs of the alarms that roll `model`'s endpoint deployment back, one per ROLLBACK_SIGNALS."""
    return [
        f"arn:aws:cloudwatch:{region}:{account}:alarm:{rollback_alarm_name(model, signal)}"
        for signal in ROLLBACK_SIGNALS
    ]


def endpoint_key_alias(env: str) -> str:
    """The alias of an environment's endpoint key: endpoint stacks reach the key by it, not by a cross-stack
    export (which would pin the environment stack to every endpoint stack)."""
    return f"alias/{PREFIX}-endpoints-{env}"


def endpoint_key_alias_arn(region: str, account: str, env: str) -> str:
    """The alias ARN, which SageMaker's EndpointConfig KmsKeyId accepts in place of a key ARN."""
    return f"arn:aws:kms:{region}:{account}:{endpoint_key_alias(env)}"


def kms_keys_arn_pattern(region: str, account: str) -> str:
    """Any key of `account`; callers narrow it to one key with kms:ResourceAliases."""
    return f"arn:aws:kms:{region}:{account}:key/*"


def data_capture_bucket(account: str, region: str) -> str:
    """The workload account's data-capture bucket, named so that endpoint stacks need no export of it."""
    return f"{PREFIX}-data-capture-{account}-{region}"


def data_capture_prefix(model: str) -> str:
    """Key prefix in the workload account's capture bucket under which the endpoint's traffic is captured."""
    return f"datacapture/{model}"


def ssm_parameter_arn(region: str, account: str, name: str) -> str:
    """ARN of an SSM parameter whose name starts with `/`."""
    return f"arn:aws:ssm:{region}:{account}:parameter{name}"


def live_record_parameter(model: str, env: str) -> str:
    """SSM parameter in shared services recording the ModelPackage ARN live in `env` (read by the gates).

    The environment's post-deploy step writes it (with `recorder_role_name(env)`, the only writer) next to
    the workload account's `live_arn_parameter`, so the gates, the board and CI read every environment's
    live version in shared services.
    """
    return f"{SSM_ROOT}/models/{model}/live/{env}"


# The approval workflow in shared services (shared_services/approval_workflow.py).
APPROVAL_PREFIX = f"{PREFIX}-approval"
APPROVAL_KEY_ALIAS = f"alias/{APPROVAL_PREFIX}"
APPROVAL_TABLE = f"{APPROVAL_PREFIX}-state"  # review-token single use, pending sign-ins, Powertools idempotency
APPROVAL_FAILED_EVENTS_QUEUE = f"{APPROVAL_PREFIX}-failed-events"
APPROVAL_API = f"{APPROVAL_PREFIX}-review"
# Named in the account-wide API Gateway setting (shared_services/api_gateway_logging.py).
APIGATEWAY_LOGS_ROLE = f"{PREFIX}-apigateway-cloudwatch-logs"
REVIEW_TOKEN_SECRET = f"{PREFIX}/approval/review-token-key"
GITHUB_DISPATCH_SECRET = f"{PREFIX}/approval/github-dispatch-token"
SESSION_KEY_SECRET = f"{PREFIX}/approval/session-key"  # signs the review page's sign-in sessions
SIGNIN_CLIENT_SECRET = f"{PREFIX}/approval/signin-client-secret"  # the identity provider's client secret
APPROVAL_FUNCTIONS = ("notify", "review", "dispatch")


def approval_function_name(purpose: str) -> str:
    """A Lambda of the approval workflow (`notify`, `review`, `dispatch`); its role has the same name."""
    return f"{APPROVAL_PREFIX}-{purpose}"


def approval_topic_name(env: str) -> str:
    """The SNS topic reaching `env`'s approver group."""
    return f"{PREFIX}-approvers-{env}"


def approval_topic_arn(config: OrgConfig, env: str) -> str:
    return f"arn:aws:sns:{config.region}:{config.accounts.shared_services}:{approval_topic_name(env)}"


GITHUB_PROMOTE_ROLE = f"{PREFIX}-github-promote"  # deployment account: the promotion workflow's OIDC role


def github_promote_role_arn(config: OrgConfig) -> str:
    """The role `.github/workflows/promote.yml` assumes through GitHub OIDC; it may assume only the promoter."""
    return role_arn(config.accounts.deployment, GITHUB_PROMOTE_ROLE)


# The path and name IAM Identity Center gives a permission set's role (random suffix); the sandbox
# provisions its person roles the same way so that `sso_role_arn_patterns` match them.
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"


def sso_role_name(permission_set: str, suffix: str) -> str:
    return f"AWSReservedSSO_{permission_set}_{suffix}"


def cdk_staging_bucket(account: str, region: str) -> str:
    """The file-asset bucket `cdk bootstrap` creates in every target account."""
    return f"cdk-{CDK_QUALIFIER}-assets-{account}-{region}"


CDK_BOOTSTRAP_VERSION_PARAMETER = f"/cdk-bootstrap/{CDK_QUALIFIER}/version"


# The read-only path of `modelops verify` (the CI gate on pull requests and before each deploy).
VERIFIER_ROLE = f"{PREFIX}-verifier"  # shared services: reads the registry, live records and ledger; writes nothing
GITHUB_VERIFY_ROLE = f"{PREFIX}-github-verify"  # deployment account: the PR checks' OIDC role


def verifier_role_arn(config: OrgConfig) -> str:
    """The shared-services role `modelops verify` reads through; it can change nothing."""
    return role_arn(config.accounts.shared_services, VERIFIER_ROLE)


def github_verify_role_arn(config: OrgConfig) -> str:
    """The role pull-request jobs of `.github/workflows/checks.yml` assume through GitHub OIDC; it may assume
    only the verifier."""
    return role_arn(config.accounts.deployment, GITHUB_VERIFY_ROLE)


# -- GitHub OIDC subjects -------------------------------------------------------------------------------
# The repository's subject template, which `modelops github configure` applies (PUT
# /repos/{owner}/{repo}/actions/oidc/customization/sub, `include_claim_keys`). With these keys GitHub writes
# `sub` as `repo:<owner>/<repo>:<context>:job_workflow_ref:<owner>/<repo>/<workflow file>@<ref>`, where the
# context is what the default subject carries after the repository (`environment:<name>` for a job in an
# environment, `pull_request` for a pull-request job without one, else `ref:<ref>`), and job_workflow_ref is
# the file and ref of the workflow the job is defined in; GitHub replaces a `:` inside a value by `%3A`.
# (GitHub's OpenID Connect reference, "Customizing the subject claims for an organization or repository",
# example "Requiring a reusable workflow and other claims":
# https://docs.github.com/en/actions/reference/security/oidc)
# So a trust that names the whole subject pins the repository, the environment, the workflow file and the
# branch it ran from: a workflow file pushed to another branch, or another file naming the environment, gets
# another subject.
GITHUB_SUBJECT_CLAIM_KEYS = ("repo", "context", "job_workflow_ref")
GITHUB_DEPLOY_WORKFLOW = ".github/workflows/deploy.yml"  # generated; the environments' deploy jobs
GITHUB_PROMOTE_WORKFLOW = ".github/workflows/promote.yml"  # the promotion PR, in environment `promotion`
GITHUB_CHECKS_WORKFLOW = ".github/workflows/checks.yml"  # pull-request checks; its `gates` job reads as verifier
GITHUB_PROMOTION_ENVIRONMENT = "promotion"  # the GitHub Environment promote.yml's job runs in
# A pull-request job runs at `refs/pull/<number>/merge`: the one part of a subject a trust cannot fix.
GITHUB_PULL_REQUEST_REF = "refs/pull/*/merge"


def _subject_value(value: str) -> str:
    """A claim value as GitHub writes it into `sub`: a colon inside it becomes `%3A`."""
    return value.replace(":", "%3A")


def github_subject(repository: str, context: str, workflow: str, ref: str) -> str:
    """The `sub` GitHub issues under GITHUB_SUBJECT_CLAIM_KEYS to a job of `repository` with `context`
    (e.g. `environment:prod`, already escaped), defined in `workflow` of that repository, run at `ref`."""
    job_workflow_ref = _subject_value(f"{repository}/{workflow}@{ref}")
    return f"repo:{_subject_value(repository)}:{context}:job_workflow_ref:{job_workflow_ref}"


def github_environment_context(environment: str) -> str:
    """The subject's context of a job that runs in GitHub Environment `environment`."""
    return f"environment:{_subject_value(environment)}"


def github_branch_ref(branch: str) -> str:
    return f"refs/heads/{branch}"


def github_deploy_subject(config: OrgConfig, target: str) -> str:
    """The only subject `modelops-github-deploy-<target>` trusts: deploy.yml, run from the pipeline's branch,
    in the GitHub Environment named after the target."""
    return github_subject(
        config.pipeline.repository,
        github_environment_context(target),
        GITHUB_DEPLOY_WORKFLOW,
        github_branch_ref(config.pipeline.branch),
    )


def github_promote_subject(config: OrgConfig) -> str:
    """The only subject `modelops-github-promote` trusts: promote.yml, run from the default branch (the
    pipeline's branch; repository_dispatch always runs there), in environment `promotion`."""
    return github_subject(
        config.pipeline.repository,
        github_environment_context(GITHUB_PROMOTION_ENVIRONMENT),
        GITHUB_PROMOTE_WORKFLOW,
        github_branch_ref(config.pipeline.branch),
    )


def github_pull_request_subject_pattern(config: OrgConfig) -> str:
    """The StringLike pattern `modelops-github-verify` trusts: checks.yml of this repository, in a
    pull-request job, at any pull request's merge ref. The `*` is the pull request's number, the only part
    that varies. A PR's author controls checks.yml on their branch (and could name any file so), which is
    why this role reaches only the read-only verifier; GitHub gives fork pull requests no token at all."""
    return github_subject(config.pipeline.repository, "pull_request", GITHUB_CHECKS_WORKFLOW, GITHUB_PULL_REQUEST_REF)


# Batch inference (workloads/batch.py, promotion/batch_inference.py): the example consumer of a workload
# account. It reads the live record, runs a transform of the endpoint's model, then asks the next approvers.
BATCH_ROLE = f"{PREFIX}-batch"  # each workload account, one per environment: runs the batch-inference job


def batch_role_name(env: str) -> str:
    """The batch-inference role of `env`'s workload account (`modelops-batch-<env>`)."""
    return f"{BATCH_ROLE}-{env}"


def batch_role_arn(config: OrgConfig, env: str) -> str:
    return role_arn(config.environment(env).account, batch_role_name(env))


def batch_bucket(account: str, region: str) -> str:
    """The workload account's batch-inference bucket: `<model>/input/...` in, `<model>/output/<job>/...` out."""
    return f"{PREFIX}-batch-{account}-{region}"


def batch_input_prefix(model: str) -> str:
    """Where `model`'s batch input lives in the batch bucket: the only keys its execution role may read there."""
    return f"{model}/input/"


def batch_output_prefix(model: str) -> str:
    """Where `model`'s transform jobs write: the only keys its execution role may write in the batch bucket."""
    return f"{model}/output/"


def transform_job_name(model: str, stamp: str) -> str:
    """A transform job of `model`, `stamp` being its start as YYYYmmddHHMMSS: `modelops-` (9) + a model name
    (at most 37) + `-` + 14 digits stays within SageMaker's 63 characters, and one IAM pattern
    (`transform-job/modelops-*`) reaches modelops's jobs and no other team's."""
    return f"{PREFIX}-{model}-{stamp}"


def transform_job_arn_pattern(region: str, account: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:transform-job/{PREFIX}-*"
