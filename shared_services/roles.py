"""The shared-services roles people and CI assume: the promoter (records) and the verifier (reads what the
gates need, for pull-request checks). No person assumes a role that decides: see decision_roles.py."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from shared_services.approval_statements import deploy_verified_statement
from shared_services.bucket_policy import model_artifact_arns
from shared_services.principals import github_deploy_role_arns
from shared_services.registry import REGISTRY_READ_ACTIONS
from shared_services.trust import HUMAN_ASSUME_ACTIONS, define_role, permission_set_trust

HISTORY_ACTIONS = ["ssm:GetParameter", "ssm:GetParameterHistory", "ssm:PutParameter"]
LIVE_RECORD_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter"]
# The verifier's reads: the no-skipping gate reads live records in one batch, the rollback gate the history.
READ_HISTORY_ACTIONS = ["ssm:GetParameter", "ssm:GetParameterHistory"]
READ_LIVE_RECORD_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters"]


def _models(config: OrgConfig) -> list[str]:
    return [model.name for model in config.models]


def registry_read_statement(config: OrgConfig) -> iam.PolicyStatement:
    resources = [naming.model_package_group_arn(config, m) for m in _models(config)]
    resources += [naming.model_packages_arn_pattern(config, m) for m in _models(config)]
    return iam.PolicyStatement(sid="ReadRegistry", actions=REGISTRY_READ_ACTIONS, resources=resources)


def artifact_versions_statement(config: OrgConfig) -> iam.PolicyStatement:
    """HeadObject on the models' artifacts: the content gate compares the current S3 version with the
    registered one. (No KMS grant: HeadObject without ChecksumMode needs none, and the bytes stay unreadable.)"""
    return iam.PolicyStatement(
        sid="ReadArtifactVersions", actions=["s3:GetObject"], resources=model_artifact_arns(config)
    )


def history_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Read and append the decision and promotion history; each entry is a new parameter version."""
    return iam.PolicyStatement(
        sid="AppendHistory",
        actions=HISTORY_ACTIONS,
        resources=[naming.history_parameter_arn(config, m) for m in _models(config)],
    )


def live_records_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Read and record which version is live in each environment (the no-skipping gate reads it)."""
    return iam.PolicyStatement(
        sid="RecordLiveVersions",
        actions=LIVE_RECORD_ACTIONS,
        resources=[
            naming.shared_parameter_arn(config, naming.live_record_parameter(m, env))
            for m in _models(config)
            for env in config.chain
        ],
    )


def promoter_permissions(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Read the registry and record promotions and deploys; never change a version."""
    if not config.models:
        return []
    return [
        registry_read_statement(config),
        history_statement(config),
        live_records_statement(config),
        deploy_verified_statement(config),
        artifact_versions_statement(config),
    ]


def pipeline_and_people_trust(
    config: OrgConfig, *, workflow: tuple[str, str], permission_sets: list[tuple[str, str]]
) -> list[iam.PolicyStatement]:
    """Trust for a role the pipeline and people share: the GitHub deploy roles, one other GitHub workflow's
    role (`(sid, role ARN)`, github-actions engine only) and IAM Identity Center permission sets."""
    trust = []
    deploy_roles = github_deploy_role_arns(config)
    if deploy_roles:
        trust.append(
            iam.PolicyStatement(
                sid="GitHubDeployRoles",
                principals=[iam.ArnPrincipal(arn) for arn in deploy_roles],
                actions=HUMAN_ASSUME_ACTIONS,
            )
        )
    if config.pipeline.engine == "github-actions":
        sid, role = workflow
        trust.append(iam.PolicyStatement(sid=sid, principals=[iam.ArnPrincipal(role)], actions=HUMAN_ASSUME_ACTIONS))
    account = config.accounts.shared_services
    trust += [permission_set_trust(account, name, sid=sid) for name, sid in permission_sets]
    return trust


def promoter_trust(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The per-environment GitHub deploy roles (to record deploys), the promotion workflow and the platform team."""
    return pipeline_and_people_trust(
        config,
        workflow=("GitHubPromotionWorkflow", naming.github_promote_role_arn(config)),
        permission_sets=[(naming.PLATFORM_PERMISSION_SET, "PlatformPermissionSet")],
    )


def verifier_permissions(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Read the registry, the live records and the history: what the gates read, and nothing that writes."""
    if not config.models:
        return []
    models = _models(config)
    return [
        registry_read_statement(config),
        artifact_versions_statement(config),
        iam.PolicyStatement(
            sid="ReadLiveVersions",
            actions=READ_LIVE_RECORD_ACTIONS,
            resources=[
                naming.shared_parameter_arn(config, naming.live_record_parameter(m, env))
                for m in models
                for env in config.chain
            ],
        ),
        iam.PolicyStatement(
            sid="ReadHistory",
            actions=READ_HISTORY_ACTIONS,
            resources=[naming.history_parameter_arn(config, m) for m in models],
        ),
    ]


def verifier_trust(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The deploy roles (pre-deploy gate check), the pull-request checks' role, platform team and approvers.

    A pull request's author controls the workflow file on their branch, so the role a PR job reaches may
    read and nothing else; that is why PR checks get this role rather than the promoter.
    """
    return pipeline_and_people_trust(
        config,
        workflow=("GitHubPullRequestChecks", naming.github_verify_role_arn(config)),
        permission_sets=[
            (naming.PLATFORM_PERMISSION_SET, "PlatformPermissionSet"),
            (naming.APPROVER_PERMISSION_SET, "ApproversPermissionSet"),
        ],
    )


class RegistryRoles(Construct):
    """The promoter and verifier roles."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig) -> None:
        super().__init__(scope, construct_id)
        self.promoter = define_role(
            self,
            "Promoter",
            role_name=naming.PROMOTER_ROLE,
            description="Reads the model registry and appends promotions and deploys to the model history.",
            trust=promoter_trust(config),
            permissions=promoter_permissions(config),
        )
        self.verifier = define_role(
            self,
            "Verifier",
            role_name=naming.VERIFIER_ROLE,
            description="Reads the model registry, live records and history for the promotion gates; writes nothing.",
            trust=verifier_trust(config),
            permissions=verifier_permissions(config),
        )
