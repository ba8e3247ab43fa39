"""The sandbox's IAM: every request is authorized before moto acts on it, as AWS authorizes it
(sandbox/authorization). Each refusal is AWS's error with IAM's message form ("Troubleshoot access
denied error messages", IAM user guide:
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from accounts import naming
from promotion.sessions import assume_role
from sandbox.accounts import MANAGEMENT_ACCOUNT
from sandbox.authorization.callers import service_access_key
from sandbox.authorization.gate import TALLY
from sandbox.github_oidc import deploy_job_session, job_session
from sandbox.organization import Sandbox, aws_endpoint, person_role_name, person_session
from tests.sandbox_fixtures import REGION, EmptyAws

QA = "333333333333"
OTHER = "444444444444"
SCIENTIST = "data.scientist@example.com"


def error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return str(raised.value.response["Error"]["Code"]), str(raised.value.response["Error"]["Message"])


def test_a_key_the_sandbox_never_issued_is_refused_as_aws_refuses_it(empty_aws: EmptyAws) -> None:
    """InvalidClientTokenId is AWS's code for an access key it never issued: "The X.509 certificate or AWS access
    key ID provided does not exist in our records" (Common Errors, AWS STS API reference,
    https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html). That page gives the code's meaning,
    not this message: "The security token included in the request is invalid." is the wording the service
    returns in practice (any SDK's output for a wrong key), which AWS documents on no page; the sandbox copies it."""
    client = boto3.client(
        "sts", aws_access_key_id="AKIANEVERISSUED00000", aws_secret_access_key="x", region_name=REGION
    )
    with pytest.raises(ClientError) as raised:
        client.get_caller_identity()
    assert error(raised) == ("InvalidClientTokenId", "The security token included in the request is invalid.")


def test_the_management_root_reaches_a_member_account_through_its_access_role(empty_aws: EmptyAws) -> None:
    """AWS Organizations' OrganizationAccountAccessRole trusts the management account ("Accessing member
    accounts in your organization", AWS Organizations user guide)."""
    session = empty_aws.session(QA)
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{QA}:assumed-role/OrganizationAccountAccessRole/pytest"


def test_a_role_whose_trust_names_another_account_cannot_be_assumed(empty_aws: EmptyAws) -> None:
    iam = empty_aws.session(QA).client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="trusts-another-account", AssumeRolePolicyDocument=json.dumps(trust))
    with pytest.raises(ClientError) as raised:
        assume_role(f"arn:aws:iam::{QA}:role/trusts-another-account", session_name="pytest", region=REGION)
    assert error(raised) == (
        "AccessDenied",
        f"User: arn:aws:iam::{MANAGEMENT_ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: "
        f"arn:aws:iam::{QA}:role/trusts-another-account",
    )


def test_an_identity_policy_that_does_not_allow_the_action_is_refused_with_iams_message(empty_aws: EmptyAws) -> None:
    admin = empty_aws.session(QA)
    iam = admin.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{QA}:root"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="reads-parameters", AssumeRolePolicyDocument=json.dumps(trust))
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="reads-parameters", PolicyName="read", PolicyDocument=json.dumps(policy))
    reader = assume_role(f"arn:aws:iam::{QA}:role/reads-parameters", session_name="reader", base=admin, region=REGION)
    with pytest.raises(ClientError) as raised:
        reader.client("ssm").put_parameter(Name="/x", Value="v", Type="String")
    assert error(raised) == (
        "AccessDeniedException",
        f"User: arn:aws:sts::{QA}:assumed-role/reads-parameters/reader is not authorized to perform: ssm:PutParameter "
        f"on resource: arn:aws:ssm:{REGION}:{QA}:parameter/x because no identity-based policy allows the "
        "ssm:PutParameter action",
    )


def test_an_explicit_deny_in_a_bucket_policy_refuses_even_an_administrator(empty_aws: EmptyAws) -> None:
    s3 = empty_aws.session(QA).client("s3")
    s3.create_bucket(Bucket="modelops-deny-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoDeletes",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:DeleteObject",
                "Resource": "arn:aws:s3:::modelops-deny-test/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="modelops-deny-test", Policy=json.dumps(deny))
    with pytest.raises(ClientError) as raised:
        s3.delete_object(Bucket="modelops-deny-test", Key="k")
    assert error(raised) == (
        "AccessDenied",
        f"User: arn:aws:sts::{QA}:assumed-role/OrganizationAccountAccessRole/pytest is not authorized to perform: "
        "s3:DeleteObject on resource: arn:aws:s3:::modelops-deny-test/k "
        "with an explicit deny in a resource-based policy",
    )


def test_an_operation_the_sandbox_does_not_model_is_refused_not_allowed(empty_aws: EmptyAws) -> None:
    """Undocumented by AWS, the sandbox's choice: an operation its IAM does not model is refused rather than
    allowed, so that nothing passes unjudged. The message keeps IAM's form ("User: ... is not authorized to
    perform: ... on resource: ... because ...", Troubleshoot access denied error messages) but the reason
    after "because" is the sandbox's own wording."""
    with pytest.raises(ClientError) as raised:
        empty_aws.session(QA).client("sagemaker").list_training_jobs()
    code, message = error(raised)
    assert code == "AccessDeniedException"
    assert message == (
        f"User: arn:aws:sts::{QA}:assumed-role/OrganizationAccountAccessRole/pytest is not authorized to perform: "
        "sagemaker:ListTrainingJobs on resource: * because the sandbox does not model this operation "
        "(sagemaker:ListTrainingJobs)"
    )


def test_only_the_lambda_service_assumes_a_function_role_that_trusts_lambda(empty_aws: EmptyAws) -> None:
    iam = empty_aws.session(QA).client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="function-role", AssumeRolePolicyDocument=json.dumps(trust))
    role = f"arn:aws:iam::{QA}:role/function-role"
    lambda_service = boto3.Session(
        aws_access_key_id=service_access_key("lambda.amazonaws.com"), aws_secret_access_key="x", region_name=REGION
    )
    assumed = assume_role(role, session_name="fn", base=lambda_service, region=REGION)
    assert assumed.client("sts").get_caller_identity()["Arn"] == f"arn:aws:sts::{QA}:assumed-role/function-role/fn"
    with pytest.raises(ClientError) as raised:
        assume_role(role, session_name="fn", base=empty_aws.session(QA), region=REGION)
    assert error(raised)[0] == "AccessDenied"


def test_a_person_signed_in_through_identity_center_carries_the_email_session_tag(sandbox: Sandbox) -> None:
    """Identity Center passes the person's attributes for access control as session tags; the data-science
    role's trust requires the source identity to equal `${aws:PrincipalTag/email}` ("Passing session tags
    in AWS STS", IAM user guide)."""
    config = sandbox.config
    person = person_session(
        config,
        sandbox.endpoint_url,
        account=config.accounts.data_science,
        role_name=person_role_name(naming.DATA_SCIENTIST_PERMISSION_SET),
        email=SCIENTIST,
    )
    role = naming.data_science_role_arn(config)
    with aws_endpoint(sandbox.endpoint_url):
        stamped = assume_role(role, session_name=SCIENTIST, source_identity=SCIENTIST, base=person, region=REGION)
        assert stamped.client("sts").get_caller_identity()["Arn"].endswith(f"/modelops-data-science/{SCIENTIST}")
        with pytest.raises(ClientError) as raised:
            assume_role(
                role, session_name=SCIENTIST, source_identity="someone.else@example.com", base=person, region=REGION
            )
    assert error(raised)[0] == "AccessDenied"


def test_the_deploy_role_admits_only_its_own_deploy_jobs_subject(sandbox: Sandbox) -> None:
    """GitHub's token for deploy.yml in the environment is exchanged for that environment's deploy role; any
    other subject is refused by the role's trust (AssumeRoleWithWebIdentity: "AccessDenied")."""
    config = sandbox.config
    qa, prod = config.chain[0], config.chain[-1]
    with aws_endpoint(sandbox.endpoint_url):
        job = deploy_job_session(config, qa)
        assert job.client("sts").get_caller_identity()["Arn"].endswith(f"/modelops-github-deploy-{qa}/GitHubActions")
        with pytest.raises(ClientError) as raised:
            job_session(
                naming.github_deploy_role_arn(config, prod), naming.github_deploy_subject(config, qa), region=REGION
            )
    assert error(raised)[0] == "AccessDenied"


def test_the_demos_requests_are_counted(sandbox: Sandbox) -> None:
    before = TALLY.authorized
    boto3.client("sts", region_name=REGION).get_caller_identity()
    assert TALLY.authorized == before + 1


def test_a_role_session_renews_itself_before_it_expires(empty_aws: EmptyAws) -> None:
    """A chained session lasts at most an hour ("Role chaining", IAM user guide), while a prod deploy may wait
    more than two (promotion/deploy_wait.py): a session renews itself from its base before it expires. One
    assumed for 900 s is inside botocore's 15-minute renewal window at once, so each use renews it."""
    admin = empty_aws.session(QA)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{QA}:root"}, "Action": "sts:AssumeRole"}],
    }
    admin.client("iam").create_role(RoleName="long-waiter", AssumeRolePolicyDocument=json.dumps(trust))
    role = f"arn:aws:iam::{QA}:role/long-waiter"
    session = assume_role(role, session_name="waiter", base=admin, region=REGION, duration_seconds=900)
    credentials = session.get_credentials()
    assert credentials is not None
    first = credentials.get_frozen_credentials().access_key
    second = credentials.get_frozen_credentials().access_key
    assert first != second
    assert session.client("sts").get_caller_identity()["Arn"] == f"arn:aws:sts::{QA}:assumed-role/long-waiter/waiter"


def test_a_resource_the_execution_role_may_not_create_fails_and_the_stack_rolls_back(empty_aws: EmptyAws) -> None:
    """ "CloudFormation uses the role's credentials to make calls on your behalf" (CreateStack, RoleARN,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html; the user guide's
    "CloudFormation service role" says "If you specify a service role, CloudFormation uses that role's
    credentials"): a role the execution role may not create fails as its handler's
    AccessDenied, and nothing of the stack is left. The reason's wording is the sandbox's: it follows the form
    CloudFormation shows in public reports ('Resource handler returned message: "..." (RequestToken: ...,
    HandlerErrorCode: ...)') without the RequestToken; AccessDenied is one of the documented handler error codes
    (Resource type handler error codes,
    https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract-errors.html)."""
    admin = empty_aws.session(QA)
    iam, cfn = admin.client("iam"), admin.client("cloudformation")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="narrow-exec", AssumeRolePolicyDocument=json.dumps(trust))
    allowed = f"arn:aws:iam::{QA}:role/allowed-*"
    grants = [
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateRole",
                "iam:PutRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole",
            ],
            "Resource": allowed,
        }
    ]
    iam.put_role_policy(
        RoleName="narrow-exec",
        PolicyName="roles",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": grants}),
    )
    role_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }

    def template(name: str) -> str:
        role = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": name, "AssumeRolePolicyDocument": role_trust}}
        return json.dumps({"Resources": {"Role": role}})

    execution_role = f"arn:aws:iam::{QA}:role/narrow-exec"
    cfn.create_stack(StackName="allowed", TemplateBody=template("allowed-one"), RoleARN=execution_role)
    cfn.create_stack(StackName="refused", TemplateBody=template("payments-admin"), RoleARN=execution_role)

    assert cfn.describe_stacks(StackName="allowed")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert cfn.describe_stacks(StackName="refused")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in cfn.describe_stack_events(StackName="refused")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert failed == [
        (
            "Role",
            f'Resource handler returned message: "User: arn:aws:sts::{QA}:assumed-role/narrow-exec/AWSCloudFormation '
            f"is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::{QA}:role/payments-admin "
            'because no identity-based policy allows the iam:CreateRole action" (HandlerErrorCode: AccessDenied)',
        )
    ]
    assert [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] == "payments-admin"] == []


def test_an_upload_to_an_sse_kms_bucket_needs_the_callers_kms_permission_through_s3(empty_aws: EmptyAws) -> None:
    """S3 calls KMS with the caller's permissions: "To upload an object encrypted with an AWS KMS key ... you
    need kms:GenerateDataKey permission on the key" ("Using server-side encryption with AWS KMS keys", S3 user
    guide); a key policy or identity policy scopes it with kms:ViaService."""
    admin = empty_aws.session(QA)
    iam, kms, s3 = admin.client("iam"), admin.client("kms"), admin.client("s3")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="modelops-sse-kms", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_encryption(
        Bucket="modelops-sse-kms",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{QA}:root"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="uploader", AssumeRolePolicyDocument=json.dumps(trust))
    put = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::modelops-sse-kms/*"}
    iam.put_role_policy(
        RoleName="uploader", PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [put]})
    )
    uploader = assume_role(f"arn:aws:iam::{QA}:role/uploader", session_name="up", base=admin, region=REGION)
    with pytest.raises(ClientError) as raised:
        uploader.client("s3").put_object(Bucket="modelops-sse-kms", Key="a", Body=b"x")
    assert error(raised) == (
        "AccessDenied",
        f"User: arn:aws:sts::{QA}:assumed-role/uploader/up is not authorized to perform: kms:GenerateDataKey on "
        f"resource: {key} because no identity-based policy allows the kms:GenerateDataKey action",
    )
    through_s3 = {
        "Effect": "Allow",
        "Action": "kms:GenerateDataKey",
        "Resource": key,
        "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}},
    }
    iam.put_role_policy(
        RoleName="uploader",
        PolicyName="kms",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [through_s3]}),
    )
    again = assume_role(f"arn:aws:iam::{QA}:role/uploader", session_name="up2", base=admin, region=REGION)
    assert again.client("s3").put_object(Bucket="modelops-sse-kms", Key="a", Body=b"x")["ETag"]


def test_reading_a_secret_under_a_customer_key_needs_kms_decrypt_through_secrets_manager(empty_aws: EmptyAws) -> None:
    """Secrets Manager decrypts with the caller's permissions: GetSecretValue of a secret under a customer
    managed key needs kms:Decrypt on it ("Secret encryption and decryption in AWS Secrets Manager")."""
    admin = empty_aws.session(QA)
    iam, kms, secrets = admin.client("iam"), admin.client("kms"), admin.client("secretsmanager")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    secret = secrets.create_secret(Name="modelops/test", SecretString="s", KmsKeyId=key)["ARN"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{QA}:root"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(trust))
    read = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret}
    iam.put_role_policy(
        RoleName="reader", PolicyName="read", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [read]})
    )
    reader = assume_role(f"arn:aws:iam::{QA}:role/reader", session_name="reader", base=admin, region=REGION)
    with pytest.raises(ClientError) as raised:
        reader.client("secretsmanager").get_secret_value(SecretId="modelops/test")
    assert error(raised) == (
        "AccessDeniedException",
        f"User: arn:aws:sts::{QA}:assumed-role/reader/reader is not authorized to perform: kms:Decrypt on resource: "
        f"{key} because no identity-based policy allows the kms:Decrypt action",
    )


def test_the_management_keys_are_the_management_accounts_root_user(empty_aws: EmptyAws) -> None:
    """GetCallerIdentity of a root user: "Arn": "arn:aws:iam::<account>:root", UserId and Account the account
    id (GetCallerIdentity, STS API reference)."""
    identity = boto3.client("sts", region_name=REGION).get_caller_identity()
    assert (identity["Arn"], identity["UserId"], identity["Account"]) == (
        f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root",
        MANAGEMENT_ACCOUNT,
        MANAGEMENT_ACCOUNT,
    )


def test_an_execution_roles_own_tag_names_the_only_artifacts_its_name_lets_it_read(empty_aws: EmptyAws) -> None:
    """The artifact bucket's pattern (shared_services/bucket_policy.py), judged on real S3 calls: a role's own
    tags are its sessions' aws:PrincipalTag, as IAM holds them at the request (retagging takes effect at once),
    and the tag is bound to the role's name. SageMaker, the role's only trusted principal, passes no tags."""
    bucket = "modelops-artifacts-tag-test"
    bound_to_tag = f"arn:aws:iam::{QA}:role/modelops-exec-qa-${{aws:PrincipalTag/modelops:model}}"
    s3 = empty_aws.session(OTHER).client("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EndpointsReadOwnModelQa",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{QA}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/artifacts/${{aws:PrincipalTag/modelops:model}}/*",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": bound_to_tag}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    for model in ("alpha", "beta"):
        s3.put_object(Bucket=bucket, Key=f"artifacts/{model}/model.tar.gz", Body=model.encode())
    iam = empty_aws.session(QA).client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    reads = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    for name, tags in (("alpha", [{"Key": "modelops:model", "Value": "alpha"}]), ("gamma", [])):
        iam.create_role(RoleName=f"modelops-exec-qa-{name}", AssumeRolePolicyDocument=json.dumps(trust), Tags=tags)
        iam.put_role_policy(
            RoleName=f"modelops-exec-qa-{name}",
            PolicyName="read",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [reads]}),
        )
    sagemaker = boto3.Session(
        aws_access_key_id=service_access_key("sagemaker.amazonaws.com"), aws_secret_access_key="x", region_name=REGION
    )

    def outcome(role: str, model: str) -> str:
        """The object's body, or the error code S3 answers."""
        session = assume_role(f"arn:aws:iam::{QA}:role/{role}", session_name="SageMaker", base=sagemaker, region=REGION)
        try:
            found = session.client("s3").get_object(Bucket=bucket, Key=f"artifacts/{model}/model.tar.gz")
        except ClientError as refused:
            return str(refused.response["Error"]["Code"])
        return found["Body"].read().decode()

    tagged = [outcome("modelops-exec-qa-alpha", model) for model in ("alpha", "beta")]
    iam.tag_role(RoleName="modelops-exec-qa-alpha", Tags=[{"Key": "modelops:model", "Value": "beta"}])
    retagged = [outcome("modelops-exec-qa-alpha", model) for model in ("alpha", "beta")]
    untagged = [outcome("modelops-exec-qa-gamma", model) for model in ("alpha", "beta")]

    assert (tagged, retagged, untagged) == (
        ["alpha", "AccessDenied"],
        ["AccessDenied", "AccessDenied"],
        ["AccessDenied", "AccessDenied"],
    )
