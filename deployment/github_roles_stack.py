"""The deployment account's GitHub OIDC provider and one deploy role per target.

A platform engineer deploys this stack once with their own credentials (`cdk deploy
ModelOps-DeploymentRoles`); the pipeline never changes its own trust.

Each deploy role is assumable only by a job of `.github/workflows/deploy.yml`, run from the pipeline's
branch, in the GitHub Environment of the same name: the repository's subject template (`modelops github
configure`) puts the workflow file and ref into `sub`, and the trust names the whole subject, exactly
(accounts/naming.py, `github_deploy_subject`), e.g. for prod of the sample organisation

    repo:example-org/modelops:environment:prod:job_workflow_ref:example-org/modelops/.github/workflows/deploy.yml@refs/heads/main

so another workflow file naming the environment, the same file on another branch, or a token in GitHub's
default subject format gets nothing, and the environment's protection rules (required reviewers, the
branch policy) still stand between the workflow and the account. It may then assume only its target account's CDK
bootstrap roles, plus the operator role there (smoke test, live ARN) and the shared-services promoter
role (to report the verified deploy); an environment's role may also assume the read-only verifier (the
pre-deploy gate check) and its own environment's recorder (the deploy record and live record).

The promotion workflow's role trusts promote.yml on the same branch, in environment `promotion`.
Pull-request checks get their own role, `modelops-github-verify`, which may assume only the verifier; a
pull request's ref varies (`refs/pull/<number>/merge`), so its trust is the one StringLike, whose only
wildcard is the pull request's number.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from deployment.stages import SHARED_SERVICES_TARGET

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
# The bootstrap roles the workflow uses: deploy (CloudFormation), file/image publishing (assets), lookup.
CDK_ROLE_KINDS = ("deploy", "file-publishing", "image-publishing", "lookup")
# What the workflow asks for (github_pipeline.SESSION_SECONDS): long enough for a blue/green update.
MAX_SESSION = cdk.Duration.hours(1)
# The GitHub Environment the promotion workflow's jobs run in.
PROMOTION_ENVIRONMENT = naming.GITHUB_PROMOTION_ENVIRONMENT


deploy_targets = naming.deploy_targets


def target_account(config: OrgConfig, target: str) -> str:
    """The AWS account a deploy target lives in."""
    if target == SHARED_SERVICES_TARGET:
        return config.accounts.shared_services
    return config.environment(target).account


def assumable_roles(config: OrgConfig, target: str) -> list[str]:
    """The role ARNs a target's deploy role may assume, and nothing else."""
    account = target_account(config, target)
    roles = [naming.cdk_role_arn(kind, account, config.region) for kind in CDK_ROLE_KINDS]
    if target != SHARED_SERVICES_TARGET:
        roles.append(naming.operator_role_arn(config, target))
    roles.append(naming.promoter_role_arn(config))
    if target != SHARED_SERVICES_TARGET:
        # The pre-deploy gate check; the verifier trusts environment deploy roles only.
        roles.append(naming.verifier_role_arn(config))
        # The post-deploy step's deploy record and live record: this environment's recorder only.
        roles.append(naming.recorder_role_arn(config, target))
        # The example batch-inference job after the deploy (workloads/batch.py): this environment's only.
        roles.append(naming.batch_role_arn(config, target))
    return roles


class GitHubDeploymentRolesStack(cdk.Stack):
    """`ModelOps-DeploymentRoles`: the OIDC provider and `modelops-github-deploy-<target>` roles."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # The L1 provider: the L2 one deploys a custom-resource Lambda. IAM no longer uses thumbprints
        # for GitHub's provider (it trusts the CA), and CloudFormation does not require them.
        provider = iam.CfnOIDCProvider(
            self,
            "GitHubProvider",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=[GITHUB_OIDC_AUDIENCE],
        )
        self.provider = provider
        self.roles: dict[str, iam.Role] = {}
        for target in deploy_targets(config):
            # The workflow skips session tags (role-skip-session-tagging): no sts:TagSession.
            self.roles[target] = self._github_role(
                f"Deploy-{target}",
                role_name=naming.github_deploy_role_name(target),
                description=f"GitHub Actions jobs of {config.pipeline.repository} in environment {target}",
                subject=naming.github_deploy_subject(config, target),
                policy="AssumeTargetRoles",
                assumable=assumable_roles(config, target),
            )
            cdk.CfnOutput(self, f"RoleArn-{target}", value=self.roles[target].role_arn)

        # `.github/workflows/promote.yml` reads the registry and history to open a promotion PR: its job runs
        # from the default branch in GitHub Environment `promotion`, and it may assume only the promoter.
        self.promote_role = self._github_role(
            "Promote",
            role_name=naming.GITHUB_PROMOTE_ROLE,
            description=f"GitHub Actions promotion jobs of {config.pipeline.repository}",
            subject=naming.github_promote_subject(config),
            policy="AssumePromoter",
            assumable=[naming.promoter_role_arn(config)],
        )
        cdk.CfnOutput(self, "RoleArn-promotion", value=self.promote_role.role_arn)

        # `.github/workflows/checks.yml` runs the gates on every pull request. The PR's author controls the
        # workflow file on their branch, so this role reaches only the read-only verifier; its subject pins the
        # repository, the pull_request context and checks.yml, and lets the pull request's number vary.
        self.verify_role = self._github_role(
            "Verify",
            role_name=naming.GITHUB_VERIFY_ROLE,
            description=f"GitHub Actions pull-request checks of {config.pipeline.repository}",
            subject=naming.github_pull_request_subject_pattern(config),
            subject_operator="StringLike",
            policy="AssumeVerifier",
            assumable=[naming.verifier_role_arn(config)],
        )
        cdk.CfnOutput(self, "RoleArn-verify", value=self.verify_role.role_arn)

    def _github_role(
        self,
        construct_id: str,
        *,
        role_name: str,
        description: str,
        subject: str,
        policy: str,
        assumable: list[str],
        subject_operator: str = "StringEquals",
    ) -> iam.Role:
        """A role only GitHub Actions jobs with exactly `subject` can assume (or, with StringLike, a subject
        matching it), which may assume `assumable`."""
        conditions: dict[str, dict[str, str]] = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE}}
        conditions.setdefault(subject_operator, {})[f"{GITHUB_OIDC_HOST}:sub"] = subject
        return iam.Role(
            self,
            construct_id,
            role_name=role_name,
            description=description,
            max_session_duration=MAX_SESSION,
            assumed_by=iam.WebIdentityPrincipal(
                self.provider.attr_arn,
                conditions=conditions,
            ),
            inline_policies={
                policy: iam.PolicyDocument(
                    statements=[iam.PolicyStatement(sid=policy, actions=["sts:AssumeRole"], resources=assumable)]
                )
            },
        )
