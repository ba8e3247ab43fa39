"""What `cdk bootstrap` deploys into a target account: the CDKToolkit stack.

The template follows the CDK CLI's bootstrap template (`bootstrap-template.yaml`, qualifier hnb659fds)
for the resources modelops relies on: the staging bucket (TLS only, versioned, encrypted, private), the
container-assets repository, the deploy, file-publishing, image-publishing, lookup and cfn-exec roles
with the template's policies, and the version parameter that synthesized templates check. Options the
CLI takes (`--trust`, `--trust-for-lookup`, `--cloudformation-execution-policies`) are parameters here;
everything else is the template's default. It is deployed through CloudFormation, as the CLI does.
"""

from __future__ import annotations

from typing import Any

from accounts import naming

# The bootstrap version the template writes; synthesized stacks require at least 6 (lookups 8).
BOOTSTRAP_VERSION = "26"
TOOLKIT_STACK = "CDKToolkit"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def _trust(account: str, trusted: list[str]) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {"Action": "sts:TagSession", "Effect": "Allow", "Principal": {"AWS": account}},
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": account}},
    ]
    if trusted:
        statements.append({"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"AWS": trusted}})
    return {"Version": "2012-10-17", "Statement": statements}


def _role(kind: str, account: str, region: str, trust: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": naming.cdk_role_name(kind, account, region),
            "AssumeRolePolicyDocument": trust,
            "Tags": [{"Key": "aws-cdk:bootstrap-role", "Value": kind}],
            **properties,
        },
    }


def bootstrap_template(
    account: str,
    region: str,
    *,
    trusted: list[str],
    trusted_for_lookup: list[str],
    execution_policies: list[str],
) -> dict[str, Any]:
    """The CDKToolkit template for `account`, as `cdk bootstrap` with these options would deploy it."""
    bucket = naming.cdk_staging_bucket(account, region)
    bucket_arn = f"arn:aws:s3:::{bucket}"
    repository = f"cdk-{naming.CDK_QUALIFIER}-container-assets-{account}-{region}"
    repository_arn = f"arn:aws:ecr:{region}:{account}:repository/{repository}"
    cfn_exec_arn = naming.cdk_role_arn("cfn-exec", account, region)
    version_arn = f"arn:aws:ssm:{region}:{account}:parameter{naming.CDK_BOOTSTRAP_VERSION_PARAMETER}"
    trust = _trust(account, trusted)
    return {
        "Description": "This stack includes resources needed to deploy AWS CDK apps into this environment",
        "Resources": {
            "StagingBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketName": bucket,
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                },
            },
            "StagingBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "StagingBucket"},
                    "PolicyDocument": {
                        "Id": "AccessControl",
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "AllowSSLRequestsOnly",
                                "Action": "s3:*",
                                "Effect": "Deny",
                                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Principal": "*",
                            }
                        ],
                    },
                },
            },
            "ContainerAssetsRepository": {
                "Type": "AWS::ECR::Repository",
                "Properties": {"RepositoryName": repository, "ImageTagMutability": "IMMUTABLE"},
            },
            "FilePublishingRole": _role(
                "file-publishing",
                account,
                region,
                trust,
                Policies=[
                    {
                        "PolicyName": f"cdk-{naming.CDK_QUALIFIER}-file-publishing-role-default-policy",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "s3:GetObject*",
                                        "s3:GetBucket*",
                                        "s3:GetEncryptionConfiguration",
                                        "s3:List*",
                                        "s3:DeleteObject*",
                                        "s3:PutObject*",
                                        "s3:Abort*",
                                    ],
                                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                                    "Condition": {"StringEquals": {"aws:ResourceAccount": [account]}},
                                }
                            ],
                        },
                    }
                ],
            ),
            "ImagePublishingRole": _role(
                "image-publishing",
                account,
                region,
                trust,
                Policies=[
                    {
                        "PolicyName": f"cdk-{naming.CDK_QUALIFIER}-image-publishing-role-default-policy",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Action": [
                                        "ecr:PutImage",
                                        "ecr:InitiateLayerUpload",
                                        "ecr:UploadLayerPart",
                                        "ecr:CompleteLayerUpload",
                                        "ecr:BatchCheckLayerAvailability",
                                        "ecr:DescribeRepositories",
                                        "ecr:DescribeImages",
                                        "ecr:BatchGetImage",
                                        "ecr:GetDownloadUrlForLayer",
                                    ],
                                    "Resource": repository_arn,
                                },
                                {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                            ],
                        },
                    }
                ],
            ),
            "LookupRole": _role(
                "lookup",
                account,
                region,
                _trust(account, sorted({*trusted_for_lookup, *trusted})),
                ManagedPolicyArns=[READ_ONLY_ACCESS],
                Policies=[
                    {
                        "PolicyName": "LookupRolePolicy",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Sid": "DontReadSecrets",
                                    "Effect": "Deny",
                                    "Action": "kms:Decrypt",
                                    "Resource": "*",
                                }
                            ],
                        },
                    }
                ],
            ),
            "DeploymentActionRole": _role(
                "deploy",
                account,
                region,
                trust,
                Policies=[
                    {
                        "PolicyName": "default",
                        "PolicyDocument": _deploy_policy(bucket_arn, cfn_exec_arn, version_arn, region),
                    }
                ],
            ),
            "CloudFormationExecutionRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": naming.cdk_role_name("cfn-exec", account, region),
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Action": "sts:AssumeRole",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudformation.amazonaws.com"},
                            }
                        ],
                    },
                    "ManagedPolicyArns": execution_policies,
                },
            },
            "CdkBootstrapVersion": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Type": "String",
                    "Name": naming.CDK_BOOTSTRAP_VERSION_PARAMETER,
                    "Value": BOOTSTRAP_VERSION,
                },
            },
        },
        "Outputs": {
            "BucketName": {"Value": {"Ref": "StagingBucket"}},
            "ImageRepositoryName": {"Value": {"Ref": "ContainerAssetsRepository"}},
            "BootstrapVersion": {"Value": BOOTSTRAP_VERSION},
        },
    }


def _deploy_policy(bucket_arn: str, cfn_exec_arn: str, version_arn: str, region: str) -> dict[str, Any]:
    """The deploy role's `default` policy from the bootstrap template (CodePipeline cross-account
    artifact statements included, since the codepipeline engine uses them)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CloudFormationPermissions",
                "Effect": "Allow",
                "Action": [
                    "cloudformation:CreateChangeSet",
                    "cloudformation:DeleteChangeSet",
                    "cloudformation:DescribeChangeSet",
                    "cloudformation:DescribeStacks",
                    "cloudformation:ExecuteChangeSet",
                    "cloudformation:CreateStack",
                    "cloudformation:UpdateStack",
                    "cloudformation:RollbackStack",
                    "cloudformation:ContinueUpdateRollback",
                ],
                "Resource": "*",
            },
            {
                "Sid": "PipelineCrossAccountArtifactsBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject*",
                    "s3:GetBucket*",
                    "s3:List*",
                    "s3:Abort*",
                    "s3:DeleteObject*",
                    "s3:PutObject*",
                ],
                "Resource": "*",
                "Condition": {"StringNotEquals": {"s3:ResourceAccount": cfn_exec_arn.split(":")[4]}},
            },
            {
                "Sid": "PipelineCrossAccountArtifactsKey",
                "Effect": "Allow",
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:Encrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": cfn_exec_arn},
            {
                "Sid": "CliPermissions",
                "Effect": "Allow",
                "Action": [
                    "cloudformation:DescribeStackEvents",
                    "cloudformation:GetTemplate",
                    "cloudformation:DeleteStack",
                    "cloudformation:UpdateTerminationProtection",
                    "sts:GetCallerIdentity",
                    "cloudformation:GetTemplateSummary",
                ],
                "Resource": "*",
            },
            {
                "Sid": "CliStagingBucket",
                "Effect": "Allow",
                "Action": ["s3:GetObject*", "s3:GetBucket*", "s3:List*"],
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
            },
            {
                "Sid": "ReadVersion",
                "Effect": "Allow",
                "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                "Resource": [version_arn],
            },
        ],
    }
