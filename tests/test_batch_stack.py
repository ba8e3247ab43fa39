"""Batch inference in each environment's stack (workloads/batch.py): `modelops-batch-<env>`, trusted by that
environment's deploy role only, reads the live record, runs transform jobs of the account's models whose
output the endpoint key encrypts, and passes no role; the batch bucket is encrypted with that key."""

from __future__ import annotations

from typing import Any

from tests.conftest import Synth
from tests.test_endpoint_stack import ACCOUNTS, ENV_STACKS, env, role_named

__all__ = ["env"]  # the qa and prod parameters of test_endpoint_stack.py

BUCKET = "arn:aws:s3:::modelops-batch-{account}-eu-west-1"


def test_the_batch_role_reads_live_records_and_runs_transforms_under_the_endpoint_key_only(
    synth: Synth, env: str
) -> None:
    account = ACCOUNTS[env]
    bucket = BUCKET.format(account=account)
    _, role = role_named(synth.template(ENV_STACKS[env]), f"modelops-batch-{env}")
    [policy] = role["Properties"]["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    transform_jobs = f"arn:aws:sagemaker:eu-west-1:{account}:transform-job/modelops-*"

    assert statements == [
        {
            "Sid": "ReadLiveRecords",
            "Effect": "Allow",
            "Action": "ssm:GetParameter",
            "Resource": f"arn:aws:ssm:eu-west-1:{account}:parameter/modelops/models/*/live-model-package-arn",
        },
        {
            "Sid": "FindTheEndpointsModel",
            "Effect": "Allow",
            "Action": "sagemaker:DescribeEndpoint",
            "Resource": f"arn:aws:sagemaker:eu-west-1:{account}:endpoint/modelops-*",
        },
        {
            "Sid": "ReadEndpointConfigsAndModels",
            "Effect": "Allow",
            "Action": ["sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel"],
            "Resource": [
                f"arn:aws:sagemaker:eu-west-1:{account}:endpoint-config/*",
                f"arn:aws:sagemaker:eu-west-1:{account}:model/*",
            ],
        },
        {
            "Sid": "RunTransformJobs",
            "Effect": "Allow",
            "Action": "sagemaker:CreateTransformJob",
            "Resource": transform_jobs,
            "Condition": {
                "ArnLike": {
                    "sagemaker:ModelArn": f"arn:aws:sagemaker:eu-west-1:{account}:model/*",
                    "sagemaker:OutputKmsKey": [
                        f"arn:aws:kms:eu-west-1:{account}:alias/modelops-endpoints-{env}",
                        f"arn:aws:kms:eu-west-1:{account}:key/*",
                    ],
                }
            },
        },
        {
            "Sid": "FollowTransformJobs",
            "Effect": "Allow",
            "Action": "sagemaker:DescribeTransformJob",
            "Resource": transform_jobs,
        },
        {"Sid": "ListBatchBucket", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket},
        {"Sid": "StageInput", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{bucket}/*/input/*"},
        {"Sid": "ReadInputAndOutput", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{bucket}/*"},
        {
            "Sid": "UseEndpointKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": f"arn:aws:kms:eu-west-1:{account}:key/*",
            "Condition": {
                "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/modelops-endpoints-{env}"},
            },
        },
    ]
    assert not any(action.startswith("iam:") for s in statements for action in _actions(s))


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def test_only_the_environments_deploy_role_assumes_the_batch_role(synth: Synth, env: str) -> None:
    _, role = role_named(synth.template(ENV_STACKS[env]), f"modelops-batch-{env}")
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "GitHubDeployRole",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::333333333333:role/modelops-github-deploy-{env}"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        }
    ]


def test_the_batch_bucket_is_named_and_encrypted_with_the_endpoint_key(synth: Synth, env: str) -> None:
    template = synth.template(ENV_STACKS[env]).to_json()["Resources"]
    [key_id] = [name for name, body in template.items() if body["Type"] == "AWS::KMS::Key"]
    bucket = template["BatchBucket7637E275"]["Properties"]
    assert bucket["BucketName"] == f"modelops-batch-{ACCOUNTS[env]}-eu-west-1"
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms",
                "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
            },
        }
    ]
