"""The data-science stack: the data-science role, trusted by the DataScientist permission set and SageMaker jobs
of the data-science account, reaching only the artifact prefix (and the training pipelines' scratch prefix),
the artifact key via S3, and the registry; beside it the training pipelines (tests/test_training_pipeline.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from tests.conftest import Synth

# Every group of the registry and every version in them: one pattern whatever the number of models.
REGISTRY = [
    "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/*",
    "arn:aws:sagemaker:eu-west-1:111111111111:model-package/*/*",
]
BUCKET_ARN = "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1"

# A version registers pending, at the first environment's PendingApproval stage or none, and carries no
# decision key of any environment (those only the decision service writes).
REGISTRATION_CONDITIONS = {
    "StringEqualsIfExists": {
        "sagemaker:ModelApprovalStatus": "PendingManualApproval",
        "sagemaker:ModelLifeCycle:stage": "qa",
        "sagemaker:ModelLifeCycle:stageStatus": "PendingApproval",
    },
    # Every key a decision could write, in every environment, up to the largest quorum (5), and the card
    # approval are absent; the record of what was registered is present.
    "Null": {
        **{
            f"sagemaker:CustomerMetadataProperties/approval:{env}:{part}": "true"
            for env in ("qa", "prod")
            for part in ("decision", "1", "2", "3", "4", "5")
        },
        "sagemaker:CustomerMetadataProperties/content:artifact-version": "false",
        "sagemaker:CustomerMetadataProperties/content:artifact-sha256": "false",
        "sagemaker:CustomerMetadataProperties/content:image": "false",
        # A registrant may not approve their own card: only the card approval writes this key.
        "sagemaker:CustomerMetadataProperties/card:approval": "true",
    },
}


@pytest.fixture(scope="module")
def template(synth: Synth) -> Template:
    return synth.template("ModelOps-DataScience")


@pytest.fixture(scope="module")
def role(template: Template) -> dict[str, Any]:
    properties: dict[str, Any] = template.to_json()["Resources"]["DataScienceRole"]["Properties"]
    return properties


def test_the_stack_holds_the_data_science_role_and_what_the_training_pipelines_share(
    template: Template, role: dict[str, Any]
) -> None:
    assert sorted(resource["Type"] for resource in template.to_json()["Resources"].values()) == [
        "AWS::Events::Rule",
        "AWS::IAM::Role",
        "AWS::IAM::Role",
        "AWS::KMS::Key",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
    ]  # each pipeline sits in its model's ModelOps-Training-<model> stack (tests/test_training_pipeline.py)
    assert role["RoleName"] == "modelops-data-science"


def test_role_is_assumable_by_the_data_scientist_permission_set_and_sagemaker_jobs_of_the_account(
    role: dict[str, Any],
) -> None:
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DataScientistsPermissionSet",
                "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                "Condition": {
                    "ArnLike": {
                        "aws:PrincipalArn": [
                            "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/"
                            "AWSReservedSSO_DataScientist_????????????????",
                            "arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/"
                            "*/AWSReservedSSO_DataScientist_????????????????",
                        ]
                    },
                    "StringEquals": {"sts:SourceIdentity": "${aws:PrincipalTag/email}"},
                },
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
            },
            {
                "Sid": "SageMakerJobsOfThisAccount",
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": "222222222222"}},
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
            },
        ],
    }


def test_role_writes_artifacts_uses_the_key_through_s3_and_registers_pending_versions_nothing_else(
    role: dict[str, Any],
) -> None:
    assert role["Policies"] == [
        {
            "PolicyName": "modelops-data-science",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "WriteArtifacts",
                        "Action": [
                            "s3:AbortMultipartUpload",
                            "s3:GetObject",
                            "s3:ListMultipartUploadParts",
                            "s3:PutObject",
                        ],
                        "Effect": "Allow",
                        # The training pipelines' step outputs too: churn-model trains in the pipeline.
                        "Resource": [f"{BUCKET_ARN}/artifacts/*/*", f"{BUCKET_ARN}/training/*/*"],
                    },
                    {
                        "Sid": "ListArtifacts",
                        "Action": "s3:ListBucket",
                        "Condition": {"StringLike": {"s3:prefix": "artifacts/*"}},
                        "Effect": "Allow",
                        "Resource": BUCKET_ARN,
                    },
                    {
                        "Sid": "UseArtifactKeyThroughS3",
                        "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
                        "Condition": {
                            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-artifacts"},
                        },
                        "Effect": "Allow",
                        "Resource": "arn:aws:kms:eu-west-1:111111111111:key/*",
                    },
                    {
                        "Sid": "RegisterPendingVersions",
                        "Action": "sagemaker:CreateModelPackage",
                        "Condition": REGISTRATION_CONDITIONS,
                        "Effect": "Allow",
                        "Resource": REGISTRY,
                    },
                    {
                        "Sid": "ReadRegistry",
                        "Action": [
                            "sagemaker:DescribeModelPackage",
                            "sagemaker:DescribeModelPackageGroup",
                            "sagemaker:ListModelPackages",
                        ],
                        "Effect": "Allow",
                        "Resource": REGISTRY,
                    },
                    {
                        "Sid": "ResolveAndPushImages",
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:CompleteLayerUpload",
                            "ecr:DescribeImages",
                            "ecr:InitiateLayerUpload",
                            "ecr:PutImage",
                            "ecr:UploadLayerPart",
                        ],
                        "Effect": "Allow",
                        "Resource": "arn:aws:ecr:eu-west-1:111111111111:repository/modelops-models",
                    },
                    {
                        "Sid": "AuthenticateToEcr",
                        "Action": "ecr:GetAuthorizationToken",
                        "Effect": "Allow",
                        "Resource": "*",
                    },
                ],
            },
        }
    ]


def test_role_arn_is_a_stack_output(template: Template) -> None:
    role_id = "DataScienceRole"
    assert template.to_json()["Outputs"]["DataScienceRoleArn"]["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}
