"""The shared-services roles people and CI assume: the promoter (proposes promotions), the verifier (reads
what the gates need, for pull-request checks), the releaser (a platform engineer releases a hold) and each
environment's recorder (its post-deploy step's deploy records and live record). No person assumes a role
that decides: see decision_roles.py.

Their policies have a constant size whatever the number of models (a role's inline policies are capped at
10,240 characters): they name modelops's own namespaces with a wildcard for the model (`ANY_MODEL`), not
one ARN per model. That is still exactly the configured models: the shared-services account's registry
holds only modelops's groups, and only CloudFormation, deploying this stack, creates, deletes or
re-policies a group (the `only-the-deploy-path-shapes-the-registry` invariant of policies/proof proves
it); `/modelops/models/` and the ledger's streams are written only by modelops's roles."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from shared_services import ledger
from shared_services.approval_statements import deploy_verified_statement
from shared_services.bucket_policy import model_artifact_arns
from shared_services.key_policy import ENDPOINT_KEY_ACTIONS, evaluation_report_conditions
from shared_services.principals import github_deploy_role_arns, pascal
from shared_services.registry import REGISTRY_READ_ACTIONS
from shared_services.trust import HUMAN_ASSUME_ACTIONS, define_role, permission_set_trust

# The recorder's writes of its environment's live records (the gates read them in one batch).
LIVE_RECORD_ACTIONS = ["ssm:GetParameter", "ssm:PutParameter"]
READ_LIVE_RECORD_ACTIONS = ["ssm:GetParameter", "ssm:GetParameters"]


def registry_arns(config: OrgConfig) -> list[str]:
    """Every model package group of the shared-services registry, and every version in them."""
    return [
        naming.model_package_group_arn(config, naming.ANY_MODEL),
        naming.model_packages_arn_pattern(config, naming.ANY_MODEL),
    ]


def registry_read_statement(config: OrgConfig) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid="ReadRegistry", actions=REGISTRY_READ_ACTIONS, resources=registry_arns(config))


def artifact_versions_statement(config: OrgConfig) -> iam.PolicyStatement:
    """HeadObject on the models' artifacts: the content gate compares the current S3 version with the
    registered one. (No KMS grant: HeadObject without ChecksumMode needs none, and the bytes stay unreadable.)"""
    return iam.PolicyStatement(
        sid="ReadArtifactVersions", actions=["s3:GetObject"], resources=model_artifact_arns(config)
    )


def evaluation_reports_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Read the registered version of evaluation reports and decrypt them through S3 (the metric gates read
    them), and decrypt no other object of the bucket (shared_services/key_policy.py says how)."""
    read = iam.PolicyStatement(
        sid="ReadEvaluationReportVersions",
        actions=["s3:GetObjectVersion"],
        resources=[f"{naming.artifact_bucket_arn(config)}/{naming.ARTIFACT_ROOT}/*/*/evaluation.json"],
    )
    return [read, decrypt_evaluation_reports(config)]


def decrypt_evaluation_reports(config: OrgConfig) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid="DecryptEvaluationReports",
        actions=ENDPOINT_KEY_ACTIONS,
        resources=[naming.shared_kms_keys_arn_pattern(config)],
        conditions={
            **evaluation_report_conditions(config),
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": naming.ARTIFACT_KEY_ALIAS},
        },
    )


def read_live_records_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Read which version is live in each environment (the no-skipping gate and the board read it)."""
    return iam.PolicyStatement(
        sid="ReadLiveVersions",
        actions=READ_LIVE_RECORD_ACTIONS,
        resources=[
            naming.shared_parameter_arn(config, naming.live_record_parameter(naming.ANY_MODEL, env))
            for env in config.chain
        ],
    )


def soak_readers_statement(config: OrgConfig) -> iam.PolicyStatement | None:
    """Assume the soak reader of each environment that has a next one: the soak gate reads its alarms there."""
    readers = [
        naming.soak_reader_role_arn(config, env) for env in config.chain if config.next_environment(env) is not None
    ]
    if not readers:
        return None
    return iam.PolicyStatement(sid="ReadSoakAlarms", actions=["sts:AssumeRole"], resources=readers)


def promoter_permissions(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Read the registry, the live records and the ledger; append promotions; never change a version, and
    write no live record and no deploy record (those are each environment's recorder's)."""
    if not config.models:
        return []
    return [
        registry_read_statement(config),
        read_live_records_statement(config),
        ledger.append_statement(config, "AppendPromotions", ledger.promotions_streams(config)),
        ledger.read_statement(config),
        ledger.key_statement(config, write=True),
        deploy_verified_statement(config),
        artifact_versions_statement(config),
        *evaluation_reports_statements(config),
        *filter(None, [soak_readers_statement(config)]),
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
    """Read the registry, the live records and the ledger: what the gates read, and nothing that writes."""
    if not config.models:
        return []
    return [
        registry_read_statement(config),
        artifact_versions_statement(config),
        *evaluation_reports_statements(config),
        read_live_records_statement(config),
        ledger.read_statement(config),
        ledger.key_statement(config, write=False),
        *filter(None, [soak_readers_statement(config)]),
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


def releaser_trust(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Platform engineers only, each naming themselves (source identity = their `email` session tag): no
    workflow, Lambda or pipeline role reaches the releaser, so no automation releases a hold."""
    return [
        permission_set_trust(
            config.accounts.shared_services,
            naming.PLATFORM_PERMISSION_SET,
            sid="PlatformEngineersAsThemselves",
            source_identity=True,
        )
    ]


def releaser_permissions(config: OrgConfig) -> list[iam.PolicyStatement]:
    """Append releases of holds, read the ledger (the hold it releases), and nothing else."""
    if not config.models:
        return []
    return [
        ledger.append_statement(config, "AppendReleases", ledger.releases_streams(config)),
        ledger.read_statement(config),
        ledger.key_statement(config, write=True),
    ]


def recorder_trust(config: OrgConfig, env: str) -> list[iam.PolicyStatement]:
    """Only `env`'s GitHub deploy role, the identity its post-deploy step (`modelops record-deploy`) runs as."""
    return [
        iam.PolicyStatement(
            sid="GitHubDeployRole",
            principals=[iam.ArnPrincipal(naming.github_deploy_role_arn(config, env))],
            actions=HUMAN_ASSUME_ACTIONS,
        )
    ]


def recorder_permissions(config: OrgConfig, env: str) -> list[iam.PolicyStatement]:
    """Append `env`'s deploy records and write `env`'s live records: nothing of another environment."""
    if not config.models:
        return []
    return [
        ledger.append_statement(config, "AppendDeployRecords", ledger.deploys_streams(config, env)),
        iam.PolicyStatement(
            sid="RecordLiveVersions",
            actions=LIVE_RECORD_ACTIONS,
            resources=[naming.shared_parameter_arn(config, naming.live_record_parameter(naming.ANY_MODEL, env))],
        ),
        ledger.key_statement(config, write=True),
    ]


class RegistryRoles(Construct):
    """The promoter, verifier and releaser roles, and a recorder per environment.

    Recorders exist under the github-actions engine, whose per-environment deploy roles run the post-deploy
    step; the codepipeline engine runs no post-deploy step yet (README, "Not yet built"), so nothing there
    would assume one.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig) -> None:
        super().__init__(scope, construct_id)
        self.promoter = define_role(
            self,
            "Promoter",
            role_name=naming.PROMOTER_ROLE,
            description="Reads the model registry, live records and ledger, and appends promotions to the ledger.",
            trust=promoter_trust(config),
            permissions=promoter_permissions(config),
        )
        self.verifier = define_role(
            self,
            "Verifier",
            role_name=naming.VERIFIER_ROLE,
            description="Reads the model registry, live records and ledger for the promotion gates; writes nothing.",
            trust=verifier_trust(config),
            permissions=verifier_permissions(config),
        )
        self.releaser = define_role(
            self,
            "Releaser",
            role_name=naming.RELEASER_ROLE,
            description="Releases the hold a rollback placed on an environment; assumed only by platform engineers.",
            trust=releaser_trust(config),
            permissions=releaser_permissions(config),
        )
        deploy_roles = github_deploy_role_arns(config)
        self.recorders = {
            env: define_role(
                self,
                f"Recorder{pascal(env)}",
                role_name=naming.recorder_role_name(env),
                description=f"Records deploys of {env} and what is live there; assumed only by {env}'s deploy role.",
                trust=recorder_trust(config, env),
                permissions=recorder_permissions(config, env),
            )
            for env in config.chain
            if deploy_roles
        }
