"""The model images' ECR repository, `modelops-models`: one for every model, in shared services.

Registration resolves an image's tag to its digest here (ecr:DescribeImages) and the package pins the
digest; each endpoint's execution role pulls the pinned digest from here. One repository, not one per
model: a repository per model would add a resource and a policy per model to this stack (CloudFormation
stops at 500 resources), and its policy names principals by account and role-name pattern, so it stays
the same size however many models there are. Images are tagged `<model>-<version>`.

- Tags are immutable (ImageTagMutability IMMUTABLE): a pushed tag never points at other bytes, so the
  digest registration resolves is the one the tag named; the package pins the digest in any case.
- Images are scanned on push, and encrypted at rest with KMS. The key is the AWS managed `aws/ecr`: ECR
  decrypts through the grant it holds on the key for the repository (Amazon ECR user guide, "Encryption at
  rest"), so pullers need no key permission; the artifact key's policy allows use through S3 only.
- No principal may delete an image (ecr:BatchDeleteImage is denied to everyone): a rollback pulls an older
  approved digest, which must still be there. Only a deploy of this stack could change that rule.

The policy: https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
"""

from __future__ import annotations

from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming
from accounts.config import OrgConfig
from policies.actions import IMAGE_PULL_ACTIONS, IMAGE_PUSH_ACTIONS

IMAGE_REMOVAL_ACTIONS = ["ecr:BatchDeleteImage"]


def data_science_statement(config: OrgConfig) -> iam.PolicyStatement:
    """The data-science role (deployed before this stack, so named exactly) resolves tags and pushes."""
    return iam.PolicyStatement(
        sid="DataScienceResolvesAndPushesImages",
        principals=[iam.ArnPrincipal(naming.data_science_role_arn(config))],
        actions=IMAGE_PUSH_ACTIONS,
    )


def endpoints_pull_statement(config: OrgConfig) -> iam.PolicyStatement:
    """Every environment's endpoint execution roles pull, whatever the model: the workload accounts by root
    (the roles are created after this stack, and IAM refuses a principal that does not exist yet) and each
    account's `modelops-exec-<env>-*` roles by `aws:PrincipalArn`, one pattern per environment."""
    accounts = dict.fromkeys(config.environment(env).account for env in config.chain)
    return iam.PolicyStatement(
        sid="EndpointExecutionRolesPullImages",
        principals=[iam.ArnPrincipal(naming.account_root_arn(account)) for account in accounts],
        actions=IMAGE_PULL_ACTIONS,
        conditions={
            "ArnLike": {"aws:PrincipalArn": [naming.execution_role_arn_pattern(config, env) for env in config.chain]}
        },
    )


def removal_statement() -> iam.PolicyStatement:
    """Nobody deletes an image (see the module docstring)."""
    return iam.PolicyStatement(
        sid="DenyDeletingImages",
        effect=iam.Effect.DENY,
        principals=[iam.AnyPrincipal()],
        actions=IMAGE_REMOVAL_ACTIONS,
    )


def repository_statements(config: OrgConfig) -> list[iam.PolicyStatement]:
    """The whole repository policy, the deny first. A repository policy names no Resource: it is the
    repository's own."""
    return [removal_statement(), data_science_statement(config), endpoints_pull_statement(config)]


class ImageRepository(Construct):
    """`modelops-models`, kept when the stack goes (approved versions pin its digests)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: OrgConfig) -> None:
        super().__init__(scope, construct_id)
        self.repository = ecr.Repository(
            self,
            "Repository",
            repository_name=naming.MODEL_IMAGE_REPOSITORY,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            image_scan_on_push=True,
            encryption=ecr.RepositoryEncryption.KMS,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for statement in repository_statements(config):
            self.repository.add_to_resource_policy(statement)
        cast(ecr.CfnRepository, self.repository.node.default_child).add_metadata(
            "checkov",
            {
                "skip": [
                    {
                        "id": "CKV_AWS_32",
                        "comment": "The only `*` principal is in DenyDeletingImages, a Deny; every Allow names "
                        "the data-science role or workload accounts pinned to their execution roles.",
                    },
                ]
            },
        )
