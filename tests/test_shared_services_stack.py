"""The shared-services stacks: artifact key and bucket, the approver/promoter roles, each model's registry
group (in its own `Model-<model>` stack), and
what the approval workflow adds to them (its own key, its function roles, its statements in the approver
and promoter roles). The workflow's own resources are specified in tests/test_approval_workflow_stack.py;
the invariants at the end read every policy of the whole stack, the workflow's included.

Expected policies are written out in full for the sandbox organisation (shared 111111111111, data science
222222222222, deployment 333333333333, qa 444444444444, prod 555555555555, eu-west-1, churn-model).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from accounts.config import ModelSpec, OrgConfig
from policies.policy_sources import table_policy_document
from promotion.metadata import CONTENT_KEYS, LINEAGE_KEYS
from shared_services.model_stack import ModelStack
from shared_services.principals import unique_sids
from shared_services.stack import SharedServicesStack
from tests.conftest import Synth, codepipeline_config
from tests.orgs import workloads_root
from tests.test_data_science_stack import REGISTRATION_CONDITIONS
from workloads.manifest import load_environment

SHARED = "ModelOps-SharedServices/SharedServices"
CHURN = "ModelOps-SharedServices/Model-churn-model"
DATA_SCIENCE = "ModelOps-DataScience"

BUCKET = "modelops-artifacts-111111111111-eu-west-1"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
DS_ROLE = "arn:aws:iam::222222222222:role/modelops-data-science"
# Each environment's execution roles, by the name bound to their `modelops:model` tag (bucket_policy.py).
QA_EXEC = "arn:aws:iam::444444444444:role/modelops-exec-qa-${aws:PrincipalTag/modelops:model}"
PROD_EXEC = "arn:aws:iam::555555555555:role/modelops-exec-prod-${aws:PrincipalTag/modelops:model}"
OWN_MODEL_ARTIFACTS = (
    "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/${aws:PrincipalTag/modelops:model}/*"
)
GROUP_ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-model"
PACKAGES_ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/*"
LEDGER_ARN = "arn:aws:dynamodb:eu-west-1:111111111111:table/modelops-ledger"
# What the shared-services roles name: every model of modelops's own namespaces (roles.py says why).
ANY_GROUP_ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/*"
ANY_PACKAGES_ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/*/*"
LIVE_ARN = "arn:aws:ssm:eu-west-1:111111111111:parameter/modelops/models/*/live/"
DYNAMODB_VIA = "dynamodb.eu-west-1.amazonaws.com"


def ledger_statement(sid: str, streams: list[str], actions: list[str] | None = None) -> dict[str, Any]:
    """A ledger grant as shared_services/ledger.py writes it: only these streams, and never without leading keys."""
    return {
        "Sid": sid,
        "Action": "dynamodb:Query" if actions == ["dynamodb:Query"] else ["dynamodb:PartiQLInsert", "dynamodb:Query"],
        "Condition": {
            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": streams},
            "Null": {"dynamodb:LeadingKeys": "false"},
        },
        "Effect": "Allow",
        "Resource": LEDGER_ARN,
    }


def ledger_key_statement(actions: list[str]) -> dict[str, Any]:
    return {
        "Sid": "UseLedgerKeyThroughDynamoDB",
        "Action": actions,
        "Condition": {
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-approval"},
            "StringEquals": {"kms:ViaService": DYNAMODB_VIA},
        },
        "Effect": "Allow",
        "Resource": "arn:aws:kms:eu-west-1:111111111111:key/*",
    }


KEY_WRITE = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
S3_VIA = "s3.eu-west-1.amazonaws.com"
READ_REGISTRY = [
    "sagemaker:DescribeModelPackage",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:ListModelPackages",
]
ASSUME = ["sts:AssumeRole", "sts:SetSourceIdentity"]
SHARED_ROOT = "arn:aws:iam::111111111111:root"
REVIEW_ROLE = "arn:aws:iam::111111111111:role/modelops-approval-review"
GITHUB_PROMOTE_ROLE = "arn:aws:iam::333333333333:role/modelops-github-promote"
KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]
ACCOUNT = re.compile(r"\d{12}")
WILDCARD_ACTION = re.compile(r"\*|[a-z0-9-]+:\*")  # `*` or a whole service such as `kms:*`


@pytest.fixture(scope="module")
def template(synth: Synth) -> Template:
    return synth.template(SHARED)


@pytest.fixture(scope="module")
def churn(synth: Synth) -> Template:
    """churn-model's stack: its package group and parameter."""
    return synth.template(CHURN)


@pytest.fixture(scope="module")
def resources(template: Template) -> dict[str, Any]:
    res: dict[str, Any] = template.to_json()["Resources"]
    return res


def only(template: Template, resource_type: str) -> tuple[str, Mapping[str, Any]]:
    """The logical id and body of the one resource of `resource_type`."""
    found = template.find_resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.items()))


def key_under(template: Template, prefix: str) -> tuple[str, Mapping[str, Any]]:
    """The logical id and body of the one KMS key of the construct `prefix` (`Artifacts`, `ApprovalWorkflow`)."""
    found = {
        logical_id: key
        for logical_id, key in template.find_resources("AWS::KMS::Key").items()
        if logical_id.startswith(f"{prefix}Key")
    }
    assert len(found) == 1, f"expected one key under {prefix}, found {sorted(found)}"
    return next(iter(found.items()))


def artifact_key(template: Template) -> tuple[str, Mapping[str, Any]]:
    """The artifact key (the approval workflow has a key of its own)."""
    return key_under(template, "Artifacts")


def bucket_named(template: Template, name: str) -> tuple[str, Mapping[str, Any]]:
    found = template.find_resources("AWS::S3::Bucket", {"Properties": {"BucketName": name}})
    assert len(found) == 1, f"expected one bucket named {name}, found {sorted(found)}"
    return next(iter(found.items()))


def policy_of_bucket(template: Template, logical_id: str) -> list[dict[str, Any]]:
    found = template.find_resources("AWS::S3::BucketPolicy", {"Properties": {"Bucket": {"Ref": logical_id}}})
    assert len(found) == 1
    statements: list[dict[str, Any]] = next(iter(found.values()))["Properties"]["PolicyDocument"]["Statement"]
    return statements


def role_named(template: Template, name: str) -> dict[str, Any]:
    found = template.find_resources("AWS::IAM::Role", {"Properties": {"RoleName": name}})
    assert len(found) == 1, f"expected one role named {name}, found {sorted(found)}"
    properties: dict[str, Any] = next(iter(found.values()))["Properties"]
    return properties


def tls_only(logical_id: str) -> dict[str, Any]:
    """The statement CDK's enforce_ssl writes."""
    arn = {"Fn::GetAtt": [logical_id, "Arn"]}
    return {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
    }


# -- KMS key ----------------------------------------------------------------------------------------


def test_key_rotates_has_the_artifact_alias_and_is_retained(template: Template) -> None:
    key_id, key = artifact_key(template)
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"
    template.has_resource_properties(
        "AWS::KMS::Alias",
        {"AliasName": "alias/modelops-artifacts", "TargetKeyId": {"Fn::GetAtt": [key_id, "Arn"]}},
    )


def test_key_policy_lets_shared_services_administer_and_others_use_the_key_only_through_s3(
    template: Template,
) -> None:
    _, key = artifact_key(template)
    assert key["Properties"]["KeyPolicy"]["Statement"] == [
        {
            "Sid": "SharedServicesAdministersKey",
            "Action": KEY_ADMIN_ACTIONS,
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
            "Resource": "*",
        },
        {
            "Sid": "DataScienceUsesKeyThroughS3",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Condition": {"StringEquals": {"kms:CallerAccount": "222222222222", "kms:ViaService": S3_VIA}},
            "Effect": "Allow",
            "Principal": {"AWS": DS_ROLE},
            "Resource": "*",
        },
        # The training pipeline's ConditionStep reads the evaluation report its Evaluate step wrote.
        {
            "Sid": "TrainingPipelinesDecryptThroughS3",
            "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"kms:CallerAccount": "222222222222", "kms:ViaService": S3_VIA}},
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:role/modelops-training-pipeline"},
            "Resource": "*",
        },
        # The promoter and verifier decrypt evaluation reports (each under its own object's context) and
        # nothing else: a model artifact's context is the bucket's.
        {
            "Sid": "GateReadersDecryptEvaluationReports",
            "Action": "kms:Decrypt",
            "Condition": {
                "StringEquals": {"kms:ViaService": S3_VIA},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"{BUCKET_ARN}/artifacts/*/evaluation.json"},
                "ArnEquals": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::111111111111:role/modelops-promoter",
                        "arn:aws:iam::111111111111:role/modelops-verifier",
                    ]
                },
            },
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
            "Resource": "*",
        },
        {
            "Sid": "EndpointsDecryptThroughS3Qa",
            "Action": "kms:Decrypt",
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": QA_EXEC},
                "StringEquals": {"kms:ViaService": S3_VIA},
            },
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
            "Resource": "*",
        },
        {
            "Sid": "EndpointsDecryptThroughS3Prod",
            "Action": "kms:Decrypt",
            "Condition": {
                "ArnEquals": {"aws:PrincipalArn": PROD_EXEC},
                "StringEquals": {"kms:ViaService": S3_VIA},
            },
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "Resource": "*",
        },
    ]


def test_the_stack_has_exactly_the_artifact_key_and_the_approval_workflow_key(template: Template) -> None:
    aliases = {
        alias["Properties"]["AliasName"]: alias["Properties"]["TargetKeyId"]
        for alias in template.find_resources("AWS::KMS::Alias").values()
    }
    assert aliases == {
        "alias/modelops-artifacts": {"Fn::GetAtt": [artifact_key(template)[0], "Arn"]},
        "alias/modelops-approval": {"Fn::GetAtt": [key_under(template, "ApprovalWorkflow")[0], "Arn"]},
    }
    assert len(template.find_resources("AWS::KMS::Key")) == 2


def test_approval_key_is_administered_by_shared_services_and_used_only_through_its_services(
    template: Template,
) -> None:
    """No `kms:*` for the account: only the function roles use it directly, through DynamoDB and SNS."""
    _, key = key_under(template, "ApprovalWorkflow")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    secrets_manager = {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    assert key["Properties"]["KeyPolicy"]["Statement"] == [
        {
            "Sid": "SharedServicesAdministersKey",
            "Action": KEY_ADMIN_ACTIONS,
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
            "Resource": "*",
        },
        {
            "Sid": "FunctionsUseKeyThroughServices",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::111111111111:role/modelops-approval-notify",
                        REVIEW_ROLE,
                        "arn:aws:iam::111111111111:role/modelops-approval-dispatch",
                    ]
                },
                "StringEquals": {"kms:ViaService": ["dynamodb.eu-west-1.amazonaws.com", "sns.eu-west-1.amazonaws.com"]},
            },
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncryptsWorkflowLogs",
            "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Condition": {
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": [
                        "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/modelops-approval-*",
                        "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/apigateway/modelops-approval-review",
                    ]
                }
            },
            "Effect": "Allow",
            "Principal": {"Service": "logs.eu-west-1.amazonaws.com"},
            "Resource": "*",
        },
        # Written by CDK for the two secrets encrypted with the key (two statements, merged by the
        # @aws-cdk/aws-iam:minimizePolicies feature flag).
        {
            "Action": [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Condition": secrets_manager,
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
            "Resource": "*",
        },
        # The ledger's readers and writers, through DynamoDB only (shared_services/ledger.py).
        {
            "Sid": "LedgerUsersThroughDynamoDB",
            "Action": KEY_WRITE,
            "Condition": {
                "ArnEquals": {
                    "aws:PrincipalArn": [
                        f"arn:aws:iam::111111111111:role/{name}"
                        for name in (
                            "modelops-promoter",
                            "modelops-verifier",
                            "modelops-releaser",
                            "modelops-decision-qa",
                            "modelops-decision-prod",
                            "modelops-recorder-qa",
                            "modelops-recorder-prod",
                            "modelops-approval-notify",
                            "modelops-approval-review",
                        )
                    ]
                },
                "StringEquals": {"kms:ViaService": DYNAMODB_VIA},
            },
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
            "Resource": "*",
        },
    ]


def test_the_ledger_table_is_append_only_storage_keyed_by_stream_and_seq_encrypted_recoverable_and_retained(
    template: Template,
) -> None:
    tables = template.find_resources("AWS::DynamoDB::Table", {"Properties": {"TableName": "modelops-ledger"}})
    [(_, table)] = tables.items()
    key_id, _ = key_under(template, "ApprovalWorkflow")
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert table["Properties"] == {
        "TableName": "modelops-ledger",
        "KeySchema": [{"AttributeName": "stream", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": "stream", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "DeletionProtectionEnabled": True,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}, "SSEEnabled": True, "SSEType": "KMS"},
        # Denied to every principal, administrators included (an explicit Deny overrides any Allow).
        "ResourcePolicy": {
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "NobodyRewritesTheLedger",
                        "Effect": "Deny",
                        "Principal": {"AWS": "*"},
                        "Action": [
                            "dynamodb:BatchWriteItem",
                            "dynamodb:DeleteItem",
                            "dynamodb:DeleteTable",
                            "dynamodb:PartiQLDelete",
                            "dynamodb:PartiQLUpdate",
                            "dynamodb:PutItem",
                            "dynamodb:UpdateItem",
                        ],
                        "Resource": "*",
                    }
                ],
            }
        },
    }


def test_a_recorder_writes_only_its_own_environments_deploy_records_and_live_record(template: Template) -> None:
    role = role_named(template, "modelops-recorder-qa")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "GitHubDeployRole",
            "Action": ASSUME,
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::333333333333:role/modelops-github-deploy-qa"},
        }
    ]
    assert role["Policies"][0]["PolicyDocument"]["Statement"] == [
        ledger_statement("AppendDeployRecords", ["*/deploys/qa"]),
        {
            "Sid": "RecordLiveVersions",
            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
            "Effect": "Allow",
            "Resource": f"{LIVE_ARN}qa",
        },
        ledger_key_statement(KEY_WRITE),
    ]


# -- buckets ----------------------------------------------------------------------------------------

PRIVATE = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def test_artifact_bucket_is_kms_encrypted_versioned_private_owner_enforced_logged_and_retained(
    template: Template,
) -> None:
    key_id, _ = artifact_key(template)
    logs_id, _ = bucket_named(template, "modelops-access-logs-111111111111-eu-west-1")
    _, bucket = bucket_named(template, BUCKET)
    assert bucket["DeletionPolicy"] == "Retain"
    assert bucket["Properties"] == {
        "BucketName": BUCKET,
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "BucketKeyEnabled": True,
                    "ServerSideEncryptionByDefault": {
                        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                        "SSEAlgorithm": "aws:kms",
                    },
                }
            ]
        },
        "LoggingConfiguration": {
            "DestinationBucketName": {"Ref": logs_id},
            "LogFilePrefix": "artifact-bucket/",
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "PublicAccessBlockConfiguration": PRIVATE,
        "VersioningConfiguration": {"Status": "Enabled"},
        # No version of an artifact can be deleted before seven years, by anyone (accounts.yaml's default).
        "ObjectLockEnabled": True,
        "ObjectLockConfiguration": {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Days": 2557, "Mode": "COMPLIANCE"}},
        },
    }


def test_access_log_bucket_is_sse_s3_versioned_private_owner_enforced_and_retained(
    template: Template,
) -> None:
    _, logs = bucket_named(template, "modelops-access-logs-111111111111-eu-west-1")
    assert logs["DeletionPolicy"] == "Retain"
    assert logs["Properties"] == {
        "BucketName": "modelops-access-logs-111111111111-eu-west-1",
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "PublicAccessBlockConfiguration": PRIVATE,
        "VersioningConfiguration": {"Status": "Enabled"},
    }
    assert logs["Metadata"]["checkov"] == {
        "skip": [{"id": "CKV_AWS_18", "comment": "This is the access-log target; logging it to itself would loop."}]
    }


def test_access_log_bucket_is_tls_only_and_accepts_logs_only_from_the_artifact_bucket(
    template: Template,
) -> None:
    logs_id, _ = bucket_named(template, "modelops-access-logs-111111111111-eu-west-1")
    bucket_id, _ = bucket_named(template, BUCKET)
    assert policy_of_bucket(template, logs_id) == [
        tls_only(logs_id),
        {
            "Action": "s3:PutObject",
            "Condition": {
                "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": [bucket_id, "Arn"]}},
                "StringEquals": {"aws:SourceAccount": "111111111111"},
            },
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [logs_id, "Arn"]}, "/artifact-bucket/*"]]},
        },
    ]


def test_artifact_bucket_policy_is_tls_only_kms_only_data_science_under_artifacts_endpoints_own_prefix(
    template: Template,
) -> None:
    key_id, _ = artifact_key(template)
    bucket_id, _ = bucket_named(template, BUCKET)
    assert policy_of_bucket(template, bucket_id) == [
        tls_only(bucket_id),
        {
            "Sid": "DenyUploadsNotEncryptedWithKms",
            "Action": "s3:PutObject",
            # Only when the header is sent: without it the bucket's default (this key) applies.
            "Condition": {
                "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                "Null": {"s3:x-amz-server-side-encryption": "false"},
            },
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": f"{BUCKET_ARN}/*",
        },
        {
            "Sid": "DenyUploadsWithAnotherKey",
            "Action": "s3:PutObject",
            "Condition": {
                "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": {"Fn::GetAtt": [key_id, "Arn"]}},
                "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
            },
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": f"{BUCKET_ARN}/*",
        },
        {
            # Create-only: PutObject or CompleteMultipartUpload without If-None-Match (the parts are exempt).
            "Sid": "DenyOverwritingArtifacts",
            "Action": "s3:PutObject",
            "Condition": {"Null": {"s3:if-none-match": "true"}, "Bool": {"s3:ObjectCreationOperation": "true"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": f"{BUCKET_ARN}/artifacts/*",
        },
        {
            "Sid": "DenyChoosingArtifactRetention",
            "Action": "s3:PutObject",
            "Condition": {"Null": {"s3:object-lock-mode": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": f"{BUCKET_ARN}/*",
        },
        {
            "Sid": "DenyRemovingArtifacts",
            "Action": [
                "s3:BypassGovernanceRetention",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:PutObjectLegalHold",
                "s3:PutObjectRetention",
            ],
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": f"{BUCKET_ARN}/*",
        },
        {
            "Sid": "DataScienceWritesArtifacts",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:GetObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            "Effect": "Allow",
            "Principal": {"AWS": DS_ROLE},
            # The training pipelines' jobs run as the data-science role: their step outputs go to training/.
            "Resource": [f"{BUCKET_ARN}/artifacts/*/*", f"{BUCKET_ARN}/training/*/*"],
        },
        {
            "Sid": "DataScienceListsArtifacts",
            "Action": "s3:ListBucket",
            "Condition": {"StringLike": {"s3:prefix": "artifacts/*"}},
            "Effect": "Allow",
            "Principal": {"AWS": DS_ROLE},
            "Resource": BUCKET_ARN,
        },
        {
            "Sid": "TrainingPipelinesReadStepOutputs",
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222222222222:role/modelops-training-pipeline"},
            "Resource": f"{BUCKET_ARN}/training/*/*",
        },
        {
            "Sid": "EndpointsReadOwnModelQa",
            "Action": "s3:GetObject",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": QA_EXEC}},
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
            "Resource": OWN_MODEL_ARTIFACTS,
        },
        {
            "Sid": "EndpointsReadOwnModelProd",
            "Action": "s3:GetObject",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": PROD_EXEC}},
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "Resource": OWN_MODEL_ARTIFACTS,
        },
    ]


# -- registry ---------------------------------------------------------------------------------------


def test_one_retained_model_package_group_per_model_whose_policy_grants_no_approval_change(
    churn: Template,
) -> None:
    _, group = only(churn, "AWS::SageMaker::ModelPackageGroup")
    assert group["DeletionPolicy"] == "Retain"
    assert group["Properties"]["ModelPackageGroupName"] == "churn-model"
    # No description: changing one would replace the named group, which fails (tests/test_config_first_run.py).
    assert "ModelPackageGroupDescription" not in group["Properties"]
    # The DataZone project of accounts.yaml, as the tag SageMaker Unified Studio gives a project's resources.
    assert group["Properties"]["Tags"] == [{"Key": "AmazonDataZoneProject", "Value": "churn_dz_project01"}]
    assert group["Properties"]["ModelPackageGroupPolicy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DataScienceRegistersPendingVersions",
                "Action": "sagemaker:CreateModelPackage",
                "Condition": REGISTRATION_CONDITIONS,
                "Effect": "Allow",
                "Principal": {"AWS": DS_ROLE},
                "Resource": [GROUP_ARN, PACKAGES_ARN],
            },
            {
                "Sid": "DataScienceReadsRegistry",
                "Action": READ_REGISTRY,
                "Effect": "Allow",
                "Principal": {"AWS": DS_ROLE},
                "Resource": [GROUP_ARN, PACKAGES_ARN],
            },
            {
                "Sid": "DeployRolesReadRegistry",
                "Action": READ_REGISTRY,
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        "arn:aws:iam::333333333333:role/modelops-github-deploy-prod",
                        "arn:aws:iam::333333333333:role/modelops-github-deploy-qa",
                    ]
                },
                "Resource": [GROUP_ARN, PACKAGES_ARN],
            },
            {
                "Sid": "CloudFormationCreatesModels",
                "Action": ["sagemaker:CreateModel", *READ_REGISTRY],
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        "arn:aws:iam::444444444444:role/cdk-hnb659fds-cfn-exec-role-444444444444-eu-west-1",
                        "arn:aws:iam::555555555555:role/cdk-hnb659fds-cfn-exec-role-555555555555-eu-west-1",
                    ]
                },
                "Resource": [GROUP_ARN, PACKAGES_ARN],
            },
            {
                "Sid": "OperatorsReadRegistry",
                "Action": READ_REGISTRY,
                "Condition": {
                    "ArnEquals": {
                        "aws:PrincipalArn": [
                            "arn:aws:iam::444444444444:role/modelops-operator",
                            "arn:aws:iam::555555555555:role/modelops-operator",
                        ]
                    }
                },
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::444444444444:root", "arn:aws:iam::555555555555:root"]},
                "Resource": [GROUP_ARN, PACKAGES_ARN],
            },
        ],
    }


# -- roles ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["qa", "prod"])
def test_a_decision_role_is_assumable_only_by_the_review_function_naming_a_source_identity(
    template: Template, env: str
) -> None:
    role = role_named(template, f"modelops-decision-{env}")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "DecisionServiceOnly",
            "Action": ASSUME,
            "Condition": {"ArnEquals": {"aws:PrincipalArn": REVIEW_ROLE}, "Null": {"sts:SourceIdentity": "false"}},
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
        }
    ]


def test_the_review_function_the_decision_roles_trust_is_a_role_of_this_stack_only_lambda_can_assume(
    template: Template,
) -> None:
    """The account-root principal of `DecisionServiceOnly` is safe only because its pinned role is this."""
    role = role_named(template, REVIEW_ROLE.rsplit("/", 1)[1])
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]


def test_the_qa_decision_role_writes_only_qa_decisions_stage_and_approved_record_and_appends_to_the_ledger(
    template: Template,
) -> None:
    role = role_named(template, "modelops-decision-qa")
    assert role["Policies"] == [
        {
            "PolicyName": "modelops-decision-qa",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RecordDecisionsForQa",
                        "Action": "sagemaker:UpdateModelPackage",
                        "Condition": {
                            "ForAllValues:StringEquals": {
                                "sagemaker:CustomerMetadataPropertiesToRemove": [
                                    "approval:qa:decision",
                                    "approval:qa:1",
                                ]
                            },
                            # prod's keys, and qa's slots beyond its quorum of one
                            "Null": {
                                **{f"sagemaker:CustomerMetadataProperties/approval:qa:{n}": "true" for n in "2345"},
                                **{
                                    f"sagemaker:CustomerMetadataProperties/approval:prod:{part}": "true"
                                    for part in ("decision", "1", "2", "3", "4", "5")
                                },
                                # what was registered, and the lineage: written once, by registration
                                **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in CONTENT_KEYS},
                                **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in LINEAGE_KEYS},
                                # the model card's approval: only the card approval below writes it
                                "sagemaker:CustomerMetadataProperties/card:approval": "true",
                            },
                            "StringEquals": {
                                "sagemaker:ModelLifeCycle:stage": "qa",
                                "sagemaker:ModelLifeCycle:stageStatus": ["Approved", "Rejected", "PendingApproval"],
                            },
                            "StringEqualsIfExists": {
                                "sagemaker:ModelApprovalStatus": ["Approved", "Rejected", "PendingManualApproval"]
                            },
                        },
                        "Effect": "Allow",
                        "Resource": ANY_PACKAGES_ARN,
                    },
                    # qa approves model cards (two_env requires no Approved card: the chain's first does):
                    # the card approval key present, and nothing a decision writes.
                    {
                        "Sid": "RecordModelCardApprovals",
                        "Action": "sagemaker:UpdateModelPackage",
                        "Condition": {
                            "Null": {
                                "sagemaker:CustomerMetadataProperties/card:approval": "false",
                                "sagemaker:ModelLifeCycle:stage": "true",
                                "sagemaker:ModelLifeCycle:stageStatus": "true",
                                "sagemaker:ModelApprovalStatus": "true",
                                "sagemaker:CustomerMetadataPropertiesToRemove": "true",
                                **{
                                    f"sagemaker:CustomerMetadataProperties/approval:{env}:{part}": "true"
                                    for env in ("qa", "prod")
                                    for part in ("decision", "1", "2", "3", "4", "5")
                                },
                                **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in CONTENT_KEYS},
                                **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in LINEAGE_KEYS},
                            }
                        },
                        "Effect": "Allow",
                        "Resource": ANY_PACKAGES_ARN,
                    },
                    # and records a card's submission by its registrant: every reserved key absent, the card
                    # approval among them, and nothing a decision writes (the ModelCard has no condition key).
                    {
                        "Sid": "RecordModelCardSubmissions",
                        "Action": "sagemaker:UpdateModelPackage",
                        "Condition": {
                            "Null": {
                                "sagemaker:ModelLifeCycle:stage": "true",
                                "sagemaker:ModelLifeCycle:stageStatus": "true",
                                "sagemaker:ModelApprovalStatus": "true",
                                "sagemaker:CustomerMetadataPropertiesToRemove": "true",
                                **{
                                    f"sagemaker:CustomerMetadataProperties/approval:{env}:{part}": "true"
                                    for env in ("qa", "prod")
                                    for part in ("decision", "1", "2", "3", "4", "5")
                                },
                                **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in CONTENT_KEYS},
                                **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in LINEAGE_KEYS},
                                "sagemaker:CustomerMetadataProperties/card:approval": "true",
                            }
                        },
                        "Effect": "Allow",
                        "Resource": ANY_PACKAGES_ARN,
                    },
                    {
                        "Sid": "ReadRegistry",
                        "Action": READ_REGISTRY,
                        "Effect": "Allow",
                        "Resource": [ANY_GROUP_ARN, ANY_PACKAGES_ARN],
                    },
                    ledger_statement("AppendDecisions", ["*/decisions"]),
                    ledger_key_statement(KEY_WRITE),
                    {
                        "Sid": "RecordApprovedForQa",
                        "Action": "ssm:PutParameter",
                        "Effect": "Allow",
                        "Resource": LIVE_ARN.replace("/live/", "/approved/") + "qa",
                    },
                ],
            },
        }
    ]


def test_a_later_environments_decision_role_keeps_the_version_approved(template: Template) -> None:
    [statement, *_] = role_named(template, "modelops-decision-prod")["Policies"][0]["PolicyDocument"]["Statement"]
    assert statement["Condition"]["StringEqualsIfExists"] == {"sagemaker:ModelApprovalStatus": ["Approved"]}
    assert statement["Condition"]["StringEquals"]["sagemaker:ModelLifeCycle:stage"] == "prod"
    assert statement["Condition"]["Null"] == {
        **{
            f"sagemaker:CustomerMetadataProperties/approval:qa:{part}": "true"
            for part in ("decision", "1", "2", "3", "4", "5")
        },
        **{f"sagemaker:CustomerMetadataProperties/approval:prod:{n}": "true" for n in "345"},
        **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in CONTENT_KEYS},
        **{f"sagemaker:CustomerMetadataProperties/{key}": "true" for key in LINEAGE_KEYS},
        "sagemaker:CustomerMetadataProperties/card:approval": "true",
    }


def test_promoter_role_is_assumable_by_the_github_deploy_and_promotion_roles_and_the_platform_permission_set(
    template: Template,
) -> None:
    role = role_named(template, "modelops-promoter")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "GitHubDeployRoles",
            "Action": ASSUME,
            "Effect": "Allow",
            "Principal": {
                "AWS": [
                    "arn:aws:iam::333333333333:role/modelops-github-deploy-prod",
                    "arn:aws:iam::333333333333:role/modelops-github-deploy-qa",
                ]
            },
        },
        {
            "Sid": "GitHubPromotionWorkflow",
            "Action": ASSUME,
            "Effect": "Allow",
            "Principal": {"AWS": GITHUB_PROMOTE_ROLE},
        },
        {
            "Sid": "PlatformPermissionSet",
            "Action": ASSUME,
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
                        "AWSReservedSSO_ModelOpsPlatform_????????????????",
                        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
                        "*/AWSReservedSSO_ModelOpsPlatform_????????????????",
                    ]
                }
            },
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
        },
    ]


def test_promoter_role_reads_registry_live_records_and_ledger_appends_promotions_and_writes_no_live_record(
    template: Template,
) -> None:
    role = role_named(template, "modelops-promoter")
    assert role["Policies"] == [
        {
            "PolicyName": "modelops-promoter",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ReadRegistry",
                        "Action": READ_REGISTRY,
                        "Effect": "Allow",
                        "Resource": [ANY_GROUP_ARN, ANY_PACKAGES_ARN],
                    },
                    {
                        "Sid": "ReadLiveVersions",
                        "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                        "Effect": "Allow",
                        "Resource": [f"{LIVE_ARN}prod", f"{LIVE_ARN}qa"],
                    },
                    ledger_statement("AppendPromotions", ["*/promotions"]),
                    ledger_statement("ReadLedger", ["*/*"], ["dynamodb:Query"]),
                    ledger_key_statement(KEY_WRITE),
                    {
                        "Sid": "ReportVerifiedDeploys",
                        "Action": "events:PutEvents",
                        "Condition": {
                            "ForAllValues:StringEquals": {
                                "events:source": "modelops.pipeline",
                                "events:detail-type": [
                                    "ModelOps Deploy Verified",
                                    "ModelOps Batch Inference Completed",
                                ],
                            },
                            "Null": {"events:source": "false", "events:detail-type": "false"},
                        },
                        "Effect": "Allow",
                        "Resource": "arn:aws:events:eu-west-1:111111111111:event-bus/default",
                    },
                    {
                        # HeadObject: the content gate's current version id (no KMS key: no bytes).
                        "Sid": "ReadArtifactVersions",
                        "Action": "s3:GetObject",
                        "Effect": "Allow",
                        "Resource": f"{BUCKET_ARN}/artifacts/*/*",
                    },
                    # The metric gates read evaluation reports (the registered S3 version); model artifacts
                    # stay undecryptable.
                    {
                        "Sid": "ReadEvaluationReportVersions",
                        "Action": "s3:GetObjectVersion",
                        "Effect": "Allow",
                        "Resource": (
                            "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/*/*/evaluation.json"
                        ),
                    },
                    {
                        "Sid": "DecryptEvaluationReports",
                        "Action": "kms:Decrypt",
                        "Condition": {
                            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
                            "StringLike": {
                                "kms:EncryptionContext:aws:s3:arn": (
                                    "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/*/evaluation.json"
                                )
                            },
                            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/modelops-artifacts"},
                        },
                        "Effect": "Allow",
                        "Resource": "arn:aws:kms:eu-west-1:111111111111:key/*",
                    },
                    {
                        # The soak gate reads qa's alarms before prod (prod has no next environment).
                        "Sid": "ReadSoakAlarms",
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Resource": "arn:aws:iam::444444444444:role/modelops-soak-reader",
                    },
                ],
            },
        }
    ]


def test_the_releaser_is_reached_only_by_platform_engineers_naming_themselves_and_only_appends_releases(
    template: Template,
) -> None:
    role = role_named(template, "modelops-releaser")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "PlatformEngineersAsThemselves",
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ModelOpsPlatform_"
                        "????????????????",
                        "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_ModelOpsPlatform_"
                        "????????????????",
                    ]
                },
                "StringEquals": {"sts:SourceIdentity": "${aws:PrincipalTag/email}"},
            },
            "Effect": "Allow",
            "Principal": {"AWS": SHARED_ROOT},
        }
    ]
    assert role["Policies"][0]["PolicyDocument"]["Statement"] == [
        ledger_statement("AppendReleases", ["*/releases"]),
        ledger_statement("ReadLedger", ["*/*"], ["dynamodb:Query"]),
        ledger_key_statement(KEY_WRITE),
    ]


def test_the_one_event_the_promoter_may_put_is_the_one_a_workflow_rule_on_the_default_bus_listens_for(
    template: Template,
) -> None:
    rules = template.find_resources(
        "AWS::Events::Rule", {"Properties": {"EventPattern": {"source": ["modelops.pipeline"]}}}
    )
    assert [rule["Properties"]["EventPattern"] for rule in rules.values()] == [
        {
            "source": ["modelops.pipeline"],
            "detail-type": ["ModelOps Deploy Verified", "ModelOps Batch Inference Completed"],
        }
    ]
    assert ["EventBusName" in rule["Properties"] for rule in rules.values()] == [False]


def test_the_stack_defines_exactly_the_promoter_verifier_releaser_decision_and_recorder_roles_and_one_per_function(
    template: Template,
) -> None:
    names = sorted(role["Properties"]["RoleName"] for role in template.find_resources("AWS::IAM::Role").values())
    assert names == [
        "modelops-apigateway-cloudwatch-logs",
        "modelops-approval-dispatch",
        "modelops-approval-notify",
        "modelops-approval-review",
        "modelops-decision-prod",
        "modelops-decision-qa",
        "modelops-promoter",
        "modelops-recorder-prod",
        "modelops-recorder-qa",
        "modelops-releaser",
        "modelops-verifier",
    ]


# -- API Gateway's account-level logs role ---------------------------------------------------------


def test_the_account_names_a_logs_role_before_the_logging_stage_is_created(template: Template) -> None:
    """API Gateway rejects a stage with access logs until the account has a CloudWatch Logs role ("CloudWatch
    Logs role ARN must be set in account settings to enable logging"), set with AWS::ApiGateway::Account:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html and
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html
    """
    account_id, account = only(template, "AWS::ApiGateway::Account")
    [role_id] = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"RoleName": "modelops-apigateway-cloudwatch-logs"}}
    )
    assert account["Properties"] == {"CloudWatchRoleArn": {"Fn::GetAtt": [role_id, "Arn"]}}
    _, stage = only(template, "AWS::ApiGateway::Stage")
    assert "AccessLogSetting" in stage["Properties"]
    assert account_id in stage["DependsOn"]


def test_the_logs_role_is_assumable_by_api_gateway_alone_and_writes_only_this_accounts_logs(
    template: Template,
) -> None:
    """The actions of AmazonAPIGatewayPushToCloudWatchLogs, the policy API Gateway documents for this role
    (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonAPIGatewayPushToCloudWatchLogs.html),
    inline and narrowed from `*` to the account's log groups in its Region."""
    role = role_named(template, "modelops-apigateway-cloudwatch-logs")
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "ApiGateway",
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "apigateway.amazonaws.com"},
        }
    ]
    assert "ManagedPolicyArns" not in role
    [policy] = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Sid": "PushApiLogs",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:FilterLogEvents",
                "logs:GetLogEvents",
                "logs:PutLogEvents",
            ],
            "Effect": "Allow",
            "Resource": [
                "arn:aws:logs:eu-west-1:111111111111:log-group:*",
                "arn:aws:logs:eu-west-1:111111111111:log-group:*:log-stream:*",
            ],
        }
    ]


# -- published values -------------------------------------------------------------------------------


def api_url(template: Template, path: str) -> dict[str, Any]:
    """The approval API's URL on its `v1` stage, followed by `path`."""
    api_id, _ = only(template, "AWS::ApiGateway::RestApi")
    host = ["https://", {"Ref": api_id}, ".execute-api.eu-west-1.", {"Ref": "AWS::URLSuffix"}]
    return {"Fn::Join": ["", [*host, f"/v1/{path}"]]}


def test_bucket_key_group_and_approval_api_are_published_as_parameters_and_history_is_left_to_run_time(
    template: Template,
) -> None:
    key_id, _ = artifact_key(template)
    bucket_id, _ = bucket_named(template, BUCKET)
    parameters = {
        p["Properties"]["Name"]: p["Properties"]["Value"]
        for p in template.find_resources("AWS::SSM::Parameter").values()
    }
    assert parameters == {
        "/modelops/shared/approval-api-url": api_url(template, ""),
        "/modelops/shared/artifact-bucket": {"Ref": bucket_id},
        "/modelops/shared/artifact-key-arn": {"Fn::GetAtt": [key_id, "Arn"]},
    }


def test_the_shared_services_stack_holds_no_model_package_group(template: Template) -> None:
    assert template.find_resources("AWS::SageMaker::ModelPackageGroup") == {}


def test_a_models_stack_holds_its_group_and_the_parameter_created_after_it_and_outputs_the_groups_arn(
    churn: Template,
) -> None:
    resources = churn.to_json()["Resources"]
    group_id, _ = only(churn, "AWS::SageMaker::ModelPackageGroup")
    parameter_id, parameter = only(churn, "AWS::SSM::Parameter")
    assert sorted(body["Type"] for body in resources.values()) == [
        "AWS::SSM::Parameter",
        "AWS::SageMaker::ModelPackageGroup",
    ]
    assert parameter["Properties"] == {
        "Type": "String",
        "Value": GROUP_ARN,
        "Description": "The model package group of churn-model.",
        "Name": "/modelops/shared/model-package-group/churn-model",
    }
    assert parameter["DependsOn"] == [group_id]
    assert {name: output["Value"] for name, output in churn.to_json()["Outputs"].items()} == {
        "ModelPackageGroup": GROUP_ARN
    }
    assert parameter_id.startswith("ModelPackageGroupParameter")


def test_a_models_stack_deploys_after_the_shared_services_stack_and_imports_nothing_from_it(synth: Synth) -> None:
    assert [dependency.stack_name for dependency in synth.stacks[CHURN].dependencies] == [
        "ModelOps-SharedServices-SharedServices"
    ]
    text = json.dumps(synth.template_json(CHURN))
    assert ("Fn::ImportValue" in text, "Export" in json.dumps(synth.template_json(SHARED))) == (False, False)


def test_bucket_key_group_review_page_sign_in_callback_and_api_endpoint_are_stack_outputs(template: Template) -> None:
    key_id, _ = artifact_key(template)
    bucket_id, _ = bucket_named(template, BUCKET)
    api_id, _ = only(template, "AWS::ApiGateway::RestApi")
    stage_id, _ = only(template, "AWS::ApiGateway::Stage")
    host = ["https://", {"Ref": api_id}, ".execute-api.eu-west-1.", {"Ref": "AWS::URLSuffix"}]
    outputs = {name: output["Value"] for name, output in template.to_json()["Outputs"].items()}
    assert outputs == {
        # CDK's own output for the REST API: the deployed stage's URL.
        "ApprovalWorkflowApiEndpoint8935BFDC": {"Fn::Join": ["", [*host, "/", {"Ref": stage_id}, "/"]]},
        "ApprovalWorkflowReviewUrlB289367A": api_url(template, "review"),
        "ApprovalWorkflowSignInCallbackUrl7CB63F42": api_url(template, "callback"),
        "ArtifactBucket": {"Ref": bucket_id},
        "ArtifactKeyArn": {"Fn::GetAtt": [key_id, "Arn"]},
    }


# -- invariants over both account stacks, the approval workflow included ----------------------------

# Identity policies that stand alone; every other top-level document is a resource or trust policy.
IDENTITY_POLICY_TYPES = {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}
# How AWS::Lambda::Permission properties read as conditions (operator, key) of the function policy's statement.
PERMISSION_CONDITIONS = {
    "SourceArn": ("ArnLike", "aws:SourceArn"),
    "SourceAccount": ("StringEquals", "aws:SourceAccount"),
    "PrincipalOrgID": ("StringEquals", "aws:PrincipalOrgID"),
}


class Found(NamedTuple):
    """One statement of a synthesized template, with where it came from."""

    stack: str
    logical_id: str
    resource_type: str
    identity_account: str | None  # the identity's account for an identity policy, None for a resource policy
    statement: dict[str, Any]


def lambda_permission_statement(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The function-policy statement an AWS::Lambda::Permission adds."""
    principal = properties["Principal"]
    is_service = isinstance(principal, str) and principal.endswith(".amazonaws.com")
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": properties["Action"],
        "Principal": {"Service": principal} if is_service else {"AWS": principal},
    }
    conditions: dict[str, dict[str, Any]] = {}
    for prop, (operator, key) in PERMISSION_CONDITIONS.items():
        if prop in properties:
            conditions.setdefault(operator, {})[key] = properties[prop]
    if conditions:
        statement["Condition"] = conditions
    return statement


def documents_of(
    resource_type: str, properties: Mapping[str, Any], account: str
) -> list[tuple[dict[str, Any], str | None]]:
    """The policy documents a resource's properties hold, with the identity's account for identity policies."""
    identity = account if resource_type in IDENTITY_POLICY_TYPES else None
    documents = [(value, identity) for value in properties.values() if isinstance(value, dict) and "Statement" in value]
    documents += [(inline["PolicyDocument"], account) for inline in properties.get("Policies", [])]
    table_policy = table_policy_document(dict(properties)) if resource_type == "AWS::DynamoDB::Table" else None
    documents += [(table_policy, None)] if table_policy is not None else []
    return documents


def nested_documents(value: Any) -> int:
    """How many policy documents (objects holding a `Statement`) sit anywhere inside `value`."""
    if isinstance(value, dict):
        return int("Statement" in value) + sum(nested_documents(v) for v in value.values())
    if isinstance(value, list):
        return sum(nested_documents(v) for v in value)
    return 0


def resources_of(synth: Synth) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path in (SHARED, CHURN, DATA_SCIENCE):
        account = synth.stacks[path].account
        for logical_id, resource in synth.template(path).to_json()["Resources"].items():
            yield path, account, logical_id, resource


def policy_statements(synth: Synth) -> Iterator[Found]:
    """Every statement of both account stacks: identity, trust and resource policies and Lambda permissions."""
    for path, account, logical_id, resource in resources_of(synth):
        properties = resource.get("Properties", {})
        documents = documents_of(resource["Type"], properties, account)
        if resource["Type"] == "AWS::Lambda::Permission":
            documents.append(({"Statement": [lambda_permission_statement(properties)]}, None))
        for document, identity_account in documents:
            for statement in document["Statement"]:
                yield Found(path, logical_id, resource["Type"], identity_account, statement)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def principal_accounts(statement: dict[str, Any]) -> list[str]:
    """The account of each AWS principal, `*` for anyone, `service:<name>` for a service principal."""
    principal = statement.get("Principal", {})
    if principal == "*":
        return ["*"]
    accounts = ["*" if arn == "*" else ACCOUNT.findall(json.dumps(arn))[0] for arn in as_list(principal.get("AWS", []))]
    return accounts + [f"service:{name}" for name in as_list(principal.get("Service", []))]


def test_no_statement_grants_update_model_package_outside_shared_services(synth: Synth) -> None:
    offenders = []
    for found in policy_statements(synth):
        statement = found.statement
        if statement["Effect"] != "Allow":
            continue
        actions = [a.lower() for a in as_list(statement.get("Action", []))]
        if not any(fnmatch.fnmatchcase("sagemaker:updatemodelpackage", a) for a in actions):
            continue
        accounts = [found.identity_account] if found.identity_account else principal_accounts(statement)
        if any(account != "111111111111" for account in accounts):
            offenders.append((found.stack, found.logical_id, statement.get("Sid")))
    assert offenders == []
    # and the approval path itself does hold it
    holders = [
        (found.logical_id, found.statement.get("Sid"))
        for found in policy_statements(synth)
        if "sagemaker:UpdateModelPackage" in as_list(found.statement.get("Action", []))
    ]
    assert holders == [
        ("DecisionRolesQa8583FB48", "RecordDecisionsForQa"),
        ("DecisionRolesQa8583FB48", "RecordModelCardApprovals"),  # qa approves cards in two_env
        ("DecisionRolesQa8583FB48", "RecordModelCardSubmissions"),  # and records their registrants' submissions
        ("DecisionRolesProd13F7C19B", "RecordDecisionsForProd"),
    ]


def test_no_allow_has_a_wildcard_or_whole_service_action_or_a_wildcard_principal(synth: Synth) -> None:
    offenders = []
    for found in policy_statements(synth):
        statement = found.statement
        if statement["Effect"] != "Allow":
            continue
        if any(WILDCARD_ACTION.fullmatch(a) for a in as_list(statement.get("Action", []))):
            offenders.append((found.stack, found.logical_id, statement.get("Sid"), "action"))
        if "NotAction" in statement:
            offenders.append((found.stack, found.logical_id, statement.get("Sid"), "action"))
        if "*" in principal_accounts(statement) or "NotPrincipal" in statement:
            offenders.append((found.stack, found.logical_id, statement.get("Sid"), "principal"))
    # The one exception, public by design (shared_services/approval_api_policy.py): the approval API's methods
    # without authorization, which API Gateway denies once the API has a policy unless the policy allows them.
    public_pages = (SHARED, "ApprovalWorkflowApiA075C1D6", "ReviewPagesArePublic", "principal")
    assert offenders == [public_pages]
    [api] = [f.statement for f in policy_statements(synth) if f.statement.get("Sid") == "ReviewPagesArePublic"]
    assert (api["Principal"], api["Action"], "Condition" in api) == ({"AWS": "*"}, "execute-api:Invoke", False)


def test_the_invariants_read_every_policy_of_both_stacks_the_approval_workflow_included(synth: Synth) -> None:
    kinds = {(found.stack, found.resource_type) for found in policy_statements(synth)}
    assert kinds == {
        (DATA_SCIENCE, "AWS::IAM::Role"),
        (DATA_SCIENCE, "AWS::KMS::Key"),  # the training failures topic's key
        (DATA_SCIENCE, "AWS::SNS::TopicPolicy"),
        (SHARED, "AWS::ApiGateway::RestApi"),
        (SHARED, "AWS::DynamoDB::Table"),
        (SHARED, "AWS::ECR::Repository"),
        (SHARED, "AWS::IAM::Role"),
        (SHARED, "AWS::KMS::Key"),
        (SHARED, "AWS::Lambda::Permission"),
        (SHARED, "AWS::S3::BucketPolicy"),
        (SHARED, "AWS::SNS::TopicPolicy"),
        (SHARED, "AWS::SQS::QueuePolicy"),
        (CHURN, "AWS::SageMaker::ModelPackageGroup"),
    }
    workflow = {
        found.resource_type for found in policy_statements(synth) if found.logical_id.startswith("ApprovalWorkflow")
    }
    assert workflow == {
        "AWS::ApiGateway::RestApi",
        "AWS::IAM::Role",
        "AWS::KMS::Key",
        "AWS::Lambda::Permission",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
    }


def test_no_policy_document_hides_where_the_invariants_do_not_look(synth: Synth) -> None:
    unread = [
        (path, logical_id)
        for path, account, logical_id, resource in resources_of(synth)
        if nested_documents(resource.get("Properties", {}))
        != len(documents_of(resource["Type"], resource.get("Properties", {}), account))
    ]
    assert unread == []


# -- another organisation: codepipeline engine, manifests in prod only ------------------------------


@pytest.fixture(scope="module")
def variant(config: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """Shared services alone for a codepipeline organisation where only prod runs an endpoint."""
    assert config.pipeline.codestar_connection_arn is not None
    variant_config = codepipeline_config(config.pipeline.codestar_connection_arn)
    manifests = {"qa": [], "prod": load_environment(variant_config, "prod", workloads_root("two_env"))}
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("shared-variant")))
    stack = SharedServicesStack(
        app,
        "SharedServices",
        config=variant_config,
        manifests=manifests,
        env=cdk.Environment(account="111111111111", region="eu-west-1"),
    )
    return Template.from_stack(stack)


def test_an_environment_without_manifests_gets_no_key_or_bucket_grant(variant: Template) -> None:
    _, key = artifact_key(variant)
    assert [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]] == [
        "SharedServicesAdministersKey",
        "DataScienceUsesKeyThroughS3",
        "TrainingPipelinesDecryptThroughS3",
        "GateReadersDecryptEvaluationReports",
        "EndpointsDecryptThroughS3Prod",
    ]
    bucket_id, _ = bucket_named(variant, BUCKET)
    endpoints = [s for s in policy_of_bucket(variant, bucket_id) if s.get("Sid", "").startswith("EndpointsRead")]
    assert endpoints == [
        {
            "Sid": "EndpointsReadOwnModelProd",
            "Action": "s3:GetObject",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": PROD_EXEC}},
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::555555555555:root"},
            "Resource": OWN_MODEL_ARTIFACTS,
        }
    ]


def test_without_the_github_engine_no_github_deploy_role_is_named(
    config: OrgConfig, variant: Template, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert config.pipeline.codestar_connection_arn is not None
    variant_config = codepipeline_config(config.pipeline.codestar_connection_arn)
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("model-variant")))
    model: ModelSpec = variant_config.models[0]
    stack = ModelStack(app, "Model-churn-model", config=variant_config, model=model)
    _, group = only(Template.from_stack(stack), "AWS::SageMaker::ModelPackageGroup")
    assert [s["Sid"] for s in group["Properties"]["ModelPackageGroupPolicy"]["Statement"]] == [
        "DataScienceRegistersPendingVersions",
        "DataScienceReadsRegistry",
        "CloudFormationCreatesModels",
        "OperatorsReadRegistry",
    ]
    promoter = role_named(variant, "modelops-promoter")
    assert [s["Sid"] for s in promoter["AssumeRolePolicyDocument"]["Statement"]] == ["PlatformPermissionSet"]


def test_models_whose_names_collapse_to_the_same_sid_are_refused() -> None:
    with pytest.raises(
        ValueError,
        match=r"^models 'churn-model' and 'churn--model' both map to policy Sid "
        r"'ChurnModel'; rename one$",
    ):
        unique_sids(["churn-model", "churn--model"], "models")
