"""The sandbox's IAM weighs a role's permissions boundary on the KMS calls S3 makes for it as IAM does: the key
policy (here, delegating to the account) decides with the identity side, which the role's policy and its
boundary must both allow ("Permissions boundaries for IAM entities", IAM User Guide,
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). A bounded batch role uploads
to its SSE-KMS bucket only once its boundary allows kms:GenerateDataKey."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from botocore.exceptions import ClientError

from promotion.sessions import assume_role
from tests.sandbox_fixtures import REGION, EmptyAws

QA = "333333333333"
BUCKET = "modelops-batch-boundary"


def _document(*statements: Mapping[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_bounded_roles_sse_kms_upload_needs_its_boundary_to_allow_the_key_through_s3(empty_aws: EmptyAws) -> None:
    admin = empty_aws.session(QA)
    iam, kms, s3 = admin.client("iam"), admin.client("kms"), admin.client("s3")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    put = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    through_s3 = {
        "Effect": "Allow",
        "Action": "kms:GenerateDataKey",
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
    }
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=_document(put))["Policy"]["Arn"]
    trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{QA}:root"}, "Action": "sts:AssumeRole"}
    iam.create_role(RoleName="batch", AssumeRolePolicyDocument=_document(trust), PermissionsBoundary=boundary)
    iam.put_role_policy(RoleName="batch", PolicyName="batch", PolicyDocument=_document(put, through_s3))
    batch = assume_role(f"arn:aws:iam::{QA}:role/batch", session_name="job", base=admin, region=REGION)

    with pytest.raises(ClientError) as refused:
        batch.client("s3").put_object(Bucket=BUCKET, Key="in.csv", Body=b"1\n")
    iam.create_policy_version(PolicyArn=boundary, PolicyDocument=_document(put, through_s3), SetAsDefault=True)
    batch.client("s3").put_object(Bucket=BUCKET, Key="in.csv", Body=b"1\n")

    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "AccessDenied",
        f"User: arn:aws:sts::{QA}:assumed-role/batch/job is not authorized to perform: kms:GenerateDataKey on "
        f"resource: {key} because no permissions boundary allows the kms:GenerateDataKey action",
    )
    assert s3.head_object(Bucket=BUCKET, Key="in.csv")["ServerSideEncryption"] == "aws:kms"
