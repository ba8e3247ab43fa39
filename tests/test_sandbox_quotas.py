"""The sandbox refuses what AWS refuses for size and count: IAM policies, KMS key policies, model package group
policies and stacks of more than 500 resources; endpoint ARNs are lower case; and a stack update that would
replace a custom-named model package group fails and rolls back.

Each test cites the AWS page whose quota it holds the sandbox to, and goes through boto3 to the in-process
server, as every other caller does. Where AWS documents the quota and its error code but not the message, the
test says whose wording the message is.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from botocore.exceptions import ClientError

from policies.quota_limits import policy_characters
from sandbox.accounts import ORGANIZATION_ACCESS_ROLE
from tests.sandbox_fixtures import EmptyAws

ACCOUNT = "111111111111"
REGION: Literal["eu-west-1"] = "eu-west-1"
ROLE = "modelops-promoter"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def _padded(document: dict[str, Any], size: int) -> dict[str, Any]:
    """`document` whose first statement's Sid pads it to exactly `size` characters, counted as IAM counts."""
    padded: dict[str, Any] = json.loads(json.dumps(document))
    padded["Statement"][0]["Sid"] = ""
    padded["Statement"][0]["Sid"] = "P" * (size - policy_characters(padded))
    assert policy_characters(padded) == size
    return padded


def _permissions(size: int) -> dict[str, Any]:
    """A permissions policy of exactly `size` characters, whitespace not counted."""
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::modelops-artifacts/*"}
    return _padded({"Version": "2012-10-17", "Statement": [statement]}, size)


def _stack_events(cfn: Any, stack: str, status: str) -> list[tuple[str, str | None]]:
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    return [(e["LogicalResourceId"], e.get("ResourceStatusReason")) for e in events if e["ResourceStatus"] == status]


def _stack_status(cfn: Any, stack: str) -> str:
    return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])


# -- IAM policy size quotas ----------------------------------------------------------------------------------
# IAM and AWS STS quotas, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: "Role
# policy size" 10,240 characters (all inline policies together), "Managed policy size" 6,144, "Role trust
# policy length" 2,048, "Managed policies per role" 10; "IAM doesn't count white space". The code LimitExceeded
# is AWS's (and HTTP 409: PutRolePolicy, CreatePolicy and AttachRolePolicy in the IAM API reference list
# LimitExceeded with status code 409). AWS documents the quotas, not these messages: the wording is the one
# AWS's IAM returns in public error reports (e.g. "Cannot exceed quota for PolicySize: 6144" in
# ministryofjustice/cloud-platform-environments#14473, "Cannot exceed quota for ACLSizePerRole: 2048" in
# apache/airflow#27331, "Cannot exceed quota for PoliciesPerRole: 10" in aws/eks-hybrid#741). Only the inline
# form, "Maximum policy size of ... bytes exceeded for ... role", is also quoted by AWS, on its Knowledge Center
# page https://repost.aws/knowledge-center/iam-increase-policy-size.


def test_policy_characters_count_what_iam_counts_whitespace_outside_strings_excluded() -> None:
    assert policy_characters('{ "Sid" : "a b" ,\n\t"Action": [ "s3:*" ] }') == len('{"Sid":"a b","Action":["s3:*"]}')
    assert policy_characters({"Sid": 'quote " and space'}) == len('{"Sid":"quote \\" and space"}')


def test_an_11_kb_inline_policy_is_refused_and_the_role_keeps_its_policies(empty_aws: EmptyAws) -> None:
    """PutRolePolicy of an 11 KB (11,264-character) policy: LimitExceeded (HTTP 409), nothing stored."""
    iam = empty_aws.session(ACCOUNT).client("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName=ROLE, PolicyName="small", PolicyDocument=json.dumps(_permissions(500)))

    with pytest.raises(ClientError) as refused:
        iam.put_role_policy(RoleName=ROLE, PolicyName="large", PolicyDocument=json.dumps(_permissions(11 * 1024)))

    assert _error(refused) == ("LimitExceeded", f"Maximum policy size of 10240 bytes exceeded for role {ROLE}")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == ["small"]


def test_a_roles_inline_policies_count_together_and_a_replaced_one_counts_once(empty_aws: EmptyAws) -> None:
    """Two policies of 5,120 characters fill the role's 10,240; a third is refused, while putting
    the first again under its own name replaces it and still fits."""
    iam = empty_aws.session(ACCOUNT).client("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    half = json.dumps(_permissions(5120))
    iam.put_role_policy(RoleName=ROLE, PolicyName="first", PolicyDocument=half)
    iam.put_role_policy(RoleName=ROLE, PolicyName="second", PolicyDocument=half)

    iam.put_role_policy(RoleName=ROLE, PolicyName="first", PolicyDocument=half)
    with pytest.raises(ClientError) as refused:
        iam.put_role_policy(RoleName=ROLE, PolicyName="third", PolicyDocument=json.dumps(_permissions(200)))

    assert _error(refused)[0] == "LimitExceeded"
    assert sorted(iam.list_role_policies(RoleName=ROLE)["PolicyNames"]) == ["first", "second"]


def test_indentation_is_not_counted_so_a_pretty_printed_policy_of_10240_characters_fits(empty_aws: EmptyAws) -> None:
    iam = empty_aws.session(ACCOUNT).client("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    pretty = json.dumps(_permissions(10_240), indent=8)

    iam.put_role_policy(RoleName=ROLE, PolicyName="pretty", PolicyDocument=pretty)

    assert len(pretty) > 10_240
    assert iam.list_role_policies(RoleName=ROLE)["PolicyNames"] == ["pretty"]


def test_a_6145_character_managed_policy_is_refused_and_6144_is_accepted(empty_aws: EmptyAws) -> None:
    """CreatePolicy and CreatePolicyVersion: 6,145 characters is LimitExceeded; 6,144 is created."""
    iam = empty_aws.session(ACCOUNT).client("iam")

    with pytest.raises(ClientError) as refused:
        iam.create_policy(PolicyName="too-large", PolicyDocument=json.dumps(_permissions(6145)))
    arn = iam.create_policy(PolicyName="fits", PolicyDocument=json.dumps(_permissions(6144)))["Policy"]["Arn"]
    with pytest.raises(ClientError) as version_refused:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(_permissions(6145)), SetAsDefault=True)

    assert _error(refused) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    assert _error(version_refused) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["fits"]
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]


def test_a_2049_character_trust_policy_is_refused_on_create_and_on_update(empty_aws: EmptyAws) -> None:
    """CreateRole and UpdateAssumeRolePolicy: a 2,049-character trust is LimitExceeded; no role is created,
    and an existing role keeps its trust."""
    iam = empty_aws.session(ACCOUNT).client("iam")
    too_long = json.dumps(_padded(TRUST, 2049))

    with pytest.raises(ClientError) as create_refused:
        iam.create_role(RoleName="too-trusting", AssumeRolePolicyDocument=too_long)
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(_padded(TRUST, 2048)))
    with pytest.raises(ClientError) as update_refused:
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=too_long)

    assert _error(create_refused) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")
    assert _error(update_refused) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")
    assert _roles(iam) == [ROLE]
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert policy_characters(trust) == 2048


def test_an_eleventh_managed_policy_on_a_role_is_refused(empty_aws: EmptyAws) -> None:
    iam = empty_aws.session(ACCOUNT).client("iam")
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(TRUST))
    arns = [
        iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(_permissions(200)))["Policy"]["Arn"]
        for i in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)

    iam.attach_role_policy(RoleName=ROLE, PolicyArn=arns[0])  # attached already: not one more
    with pytest.raises(ClientError) as refused:
        iam.attach_role_policy(RoleName=ROLE, PolicyArn=arns[10])

    assert _error(refused) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
    assert len(iam.list_attached_role_policies(RoleName=ROLE)["AttachedPolicies"]) == 10


# -- the same quotas through CloudFormation: the resource fails and the stack rolls back ---------------------


def _role(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"RoleName": ROLE, "AssumeRolePolicyDocument": TRUST, **properties}}


def _handler_error(message: str, code: str) -> str:
    """A failed stack resource's reason as the sandbox writes it: CloudFormation's form in public reports
    ('Resource handler returned message: "..." (RequestToken: ..., HandlerErrorCode: ...)') without the
    RequestToken. The code after HandlerErrorCode is the documented handler error code the service's error
    maps to: for these quotas ServiceLimitExceeded, as in aws/eks-hybrid#741's "Cannot exceed quota for
    PoliciesPerRole: 10 ... HandlerErrorCode: ServiceLimitExceeded" (Resource type handler error codes,
    https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract-errors.html)."""
    return f'Resource handler returned message: "{message}" (HandlerErrorCode: {code})'


def test_a_stack_role_with_an_11_kb_inline_policy_fails_and_rolls_back(empty_aws: EmptyAws) -> None:
    """AWS::IAM::Role Policies: over 10,240 characters the role fails, the stack ends ROLLBACK_COMPLETE, and no
    role is left behind."""
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    role = _role(Policies=[{"PolicyName": "large", "PolicyDocument": _permissions(11 * 1024)}])

    cfn.create_stack(StackName="roles", TemplateBody=json.dumps({"Resources": {"Role": role}}))

    assert _stack_status(cfn, "roles") == "ROLLBACK_COMPLETE"
    assert _stack_events(cfn, "roles", "CREATE_FAILED") == [
        ("Role", _handler_error(f"Maximum policy size of 10240 bytes exceeded for role {ROLE}", "ServiceLimitExceeded"))
    ]
    assert _roles(session.client("iam")) == []


@pytest.mark.parametrize(
    ("resources", "failed", "message"),
    [
        pytest.param(
            {"Role": _role(AssumeRolePolicyDocument=_padded(TRUST, 2049))},
            "Role",
            "Cannot exceed quota for ACLSizePerRole: 2048",
            id="trust policy of 2,049 characters",
        ),
        pytest.param(
            {
                "Role": _role(),
                "Policy": {
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": {"PolicyDocument": _permissions(6145), "Roles": [{"Ref": "Role"}]},
                },
            },
            "Policy",
            "Cannot exceed quota for PolicySize: 6144",
            id="managed policy of 6,145 characters",
        ),
        pytest.param(
            {
                "Role": _role(Policies=[{"PolicyName": "half", "PolicyDocument": _permissions(5120)}]),
                "Policy": {
                    "Type": "AWS::IAM::Policy",
                    "Properties": {
                        "PolicyName": "more",
                        "PolicyDocument": _permissions(5121),
                        "Roles": [{"Ref": "Role"}],
                    },
                },
            },
            "Policy",
            f"Maximum policy size of 10240 bytes exceeded for role {ROLE}",
            id="AWS::IAM::Policy taking the role over 10,240",
        ),
    ],
)
def test_a_stack_iam_resource_over_a_quota_fails_and_rolls_back(
    empty_aws: EmptyAws, resources: dict[str, Any], failed: str, message: str
) -> None:
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")

    cfn.create_stack(StackName="roles", TemplateBody=json.dumps({"Resources": resources}))

    assert _stack_status(cfn, "roles") == "ROLLBACK_COMPLETE"
    assert _stack_events(cfn, "roles", "CREATE_FAILED") == [(failed, _handler_error(message, "ServiceLimitExceeded"))]
    iam = session.client("iam")
    assert (_roles(iam), iam.list_policies(Scope="Local")["Policies"]) == ([], [])


def test_a_stack_role_with_eleven_managed_policy_arns_fails_and_rolls_back(empty_aws: EmptyAws) -> None:
    session = empty_aws.session(ACCOUNT)
    iam = session.client("iam")
    arns = [
        iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(_permissions(200)))["Policy"]["Arn"]
        for i in range(11)
    ]
    cfn = session.client("cloudformation")

    cfn.create_stack(StackName="roles", TemplateBody=json.dumps({"Resources": {"Role": _role(ManagedPolicyArns=arns)}}))

    assert _stack_events(cfn, "roles", "CREATE_FAILED") == [
        ("Role", _handler_error("Cannot exceed quota for PoliciesPerRole: 10", "ServiceLimitExceeded"))
    ]
    assert _roles(iam) == []


def test_a_stack_update_growing_a_role_over_its_quota_rolls_back_to_the_previous_policies(
    empty_aws: EmptyAws,
) -> None:
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    small = {"PolicyName": "access", "PolicyDocument": _permissions(500)}
    cfn.create_stack(StackName="roles", TemplateBody=json.dumps({"Resources": {"Role": _role(Policies=[small])}}))
    large = {"PolicyName": "access", "PolicyDocument": _permissions(10_241)}

    cfn.update_stack(StackName="roles", TemplateBody=json.dumps({"Resources": {"Role": _role(Policies=[large])}}))

    assert _stack_status(cfn, "roles") == "UPDATE_ROLLBACK_COMPLETE"
    assert _stack_events(cfn, "roles", "UPDATE_FAILED") == [
        ("Role", _handler_error(f"Maximum policy size of 10240 bytes exceeded for role {ROLE}", "ServiceLimitExceeded"))
    ]
    document = session.client("iam").get_role_policy(RoleName=ROLE, PolicyName="access")["PolicyDocument"]
    assert policy_characters(document) == 500


# -- KMS key policies: 32 KB ----------------------------------------------------------------------------------
# The 32 KB is the "Key policy document size" resource quota, "32 KB (32,768 bytes)" (Resource quotas - AWS Key
# Management Service, https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html). PutKeyPolicy
# (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html) gives the error: "If the key
# policy exceeds the length constraint, KMS returns a LimitExceededException"; its own Policy length constraint
# is 131,072, not 32,768, so it is not the page for the figure. AWS documents no message: it is the sandbox's.


def _key_policy(size: int) -> dict[str, Any]:
    statement = {
        "Sid": "",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    statement["Sid"] = "K" * (size - len(json.dumps(document)))
    return document


def test_a_key_policy_over_32_kb_is_refused_and_the_key_keeps_its_policy(empty_aws: EmptyAws) -> None:
    kms = empty_aws.session(ACCOUNT).client("kms")
    key_id = kms.create_key(Policy=json.dumps(_key_policy(32_768)))["KeyMetadata"]["KeyId"]

    with pytest.raises(ClientError) as put_refused:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(_key_policy(32_769)))
    with pytest.raises(ClientError) as create_refused:
        kms.create_key(Policy=json.dumps(_key_policy(32_769)))

    expected = (
        "LimitExceededException",
        "The key policy is 32769 bytes; a key policy can be at most 32768 bytes (32 KB).",
    )
    assert (_error(put_refused), _error(create_refused)) == (expected, expected)
    assert len(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == 32_768
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [key_id]


def test_a_stack_key_policy_over_32_kb_fails_the_key_and_rolls_back(empty_aws: EmptyAws) -> None:
    """AWS::KMS::Key's KeyPolicy goes through CreateKey: an oversized one fails the key."""
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    key = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": _key_policy(33_000)}}

    cfn.create_stack(StackName="keys", TemplateBody=json.dumps({"Resources": {"Key": key}}))

    assert _stack_status(cfn, "keys") == "ROLLBACK_COMPLETE"
    [(logical_id, reason)] = _stack_events(cfn, "keys", "CREATE_FAILED")
    assert (logical_id, reason) == (
        "Key",
        _handler_error(
            f"The key policy is {len(json.dumps(_key_policy(33_000), separators=(',', ':')))} bytes; "
            "a key policy can be at most 32768 bytes (32 KB).",
            "ServiceLimitExceeded",
        ),
    )
    assert session.client("kms").list_keys()["Keys"] == []


# -- model package group policies: 20,480 characters ----------------------------------------------------------
# PutModelPackageGroupPolicy, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html:
# ResourcePolicy "Length Constraints: Minimum length of 1. Maximum length of 20480"; a request over it fails
# with ValidationException (Common Errors). AWS documents the constraint but not this wording: the message takes
# the form AWS services give a failed request constraint ("1 validation error detected: Value ... at ... failed
# to satisfy constraint: ..."), which no AWS page documents.

GROUP = "churn-model"


def _group_policy(size: int) -> str:
    statement = {
        "Sid": "",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444444444444:root"},
        "Action": "sagemaker:DescribeModelPackage",
        "Resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/*",
    }
    document = {"Version": "2012-10-17", "Statement": [statement]}
    statement["Sid"] = "G" * (size - len(json.dumps(document)))
    return json.dumps(document)


def test_a_group_policy_over_20480_characters_is_refused_and_the_previous_one_stays(empty_aws: EmptyAws) -> None:
    sagemaker = empty_aws.session(ACCOUNT).client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    fits, too_long = _group_policy(20_480), _group_policy(20_481)
    sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=fits)

    with pytest.raises(ClientError) as refused:
        sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=too_long)

    assert _error(refused) == (
        "ValidationException",
        f"1 validation error detected: Value '{too_long}' at 'resourcePolicy' failed to satisfy constraint: "
        "Member must have length less than or equal to 20480",
    )
    assert sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP)["ResourcePolicy"] == fits


def test_a_stack_group_policy_over_20480_characters_fails_the_group_and_rolls_back(empty_aws: EmptyAws) -> None:
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    group = {
        "Type": "AWS::SageMaker::ModelPackageGroup",
        "Properties": {"ModelPackageGroupName": GROUP, "ModelPackageGroupPolicy": json.loads(_group_policy(20_481))},
    }

    cfn.create_stack(StackName="registry", TemplateBody=json.dumps({"Resources": {"Group": group}}))

    assert _stack_status(cfn, "registry") == "ROLLBACK_COMPLETE"
    assert _stack_events(cfn, "registry", "CREATE_FAILED") == [
        (
            "Group",
            _handler_error(
                f"1 validation error detected: Value '{_group_policy(20_481)}' at 'resourcePolicy' failed to "
                "satisfy constraint: Member must have length less than or equal to 20480",
                "InvalidRequest",
            ),
        )
    ]
    assert session.client("sagemaker").list_model_package_groups()["ModelPackageGroupSummaryList"] == []


# -- endpoint ARNs are lower case -----------------------------------------------------------------------------

EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/modelops-exec"
CONTAINER = {"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn-model:1.0"}
VARIANT = {"VariantName": "AllTraffic", "ModelName": "Churn", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}


def test_an_endpoint_arn_names_the_endpoint_in_lower_case(empty_aws: EmptyAws) -> None:
    """SageMaker lower-cases the endpoint name in its ARN (EndpointName "Churn-Model-QA" ->
    "...:endpoint/churn-model-qa"). Undocumented by AWS: no AWS page says the ARN is lower case; the sandbox
    follows what shared/notes/aws-facts.md, "Hosting", records of the service's behaviour, because policies that
    name an endpoint by ARN must match what SageMaker returns. CreateEndpoint
    (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html) documents only the
    name: "The name is case-insensitive in CreateEndpoint, but the case is preserved and must be matched in
    InvokeEndpoint" - so the name keeps its case, and the endpoint is found by that ARN (ListTags)."""
    sagemaker: Any = empty_aws.session(ACCOUNT).client("sagemaker")
    sagemaker.create_model(ModelName="Churn", ExecutionRoleArn=EXECUTION_ROLE, PrimaryContainer=CONTAINER)
    sagemaker.create_endpoint_config(EndpointConfigName="Churn-Config", ProductionVariants=[VARIANT])

    arn = sagemaker.create_endpoint(
        EndpointName="Churn-Model-QA", EndpointConfigName="Churn-Config", Tags=[{"Key": "model", "Value": "churn"}]
    )["EndpointArn"]

    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/churn-model-qa"
    described = sagemaker.describe_endpoint(EndpointName="Churn-Model-QA")
    assert (described["EndpointName"], described["EndpointArn"]) == ("Churn-Model-QA", arn)
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "model", "Value": "churn"}]


def test_a_stack_endpoint_arn_is_lower_case_too(empty_aws: EmptyAws) -> None:
    """AWS::SageMaker::Endpoint: GetAtt EndpointArn ... is the same lower-case ARN."""
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    template = {
        "Resources": {
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {"ModelName": "Churn", "ExecutionRoleArn": EXECUTION_ROLE, "PrimaryContainer": CONTAINER},
            },
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {
                    "EndpointConfigName": "Churn-Config",
                    "ProductionVariants": [{**VARIANT, "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]}}],
                },
            },
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "Properties": {
                    "EndpointName": "Churn-Model-QA",
                    "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                },
            },
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Endpoint"}}},
    }

    cfn.create_stack(StackName="endpoint", TemplateBody=json.dumps(template))

    stack = cfn.describe_stacks(StackName="endpoint")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"][0]["OutputValue"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/churn-model-qa"


# -- CloudFormation: 500 resources per stack -----------------------------------------------------------------
# AWS CloudFormation quotas, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html:
# "Resources ... 500". AWS documents the quota, not the message: the wording is the ValidationError CloudFormation
# returns in public error reports ("Template format error: Number of resources, 202, is greater than maximum
# allowed, 200", serverless/serverless#2387, from when the quota was 200).


def _topics(count: int) -> str:
    return json.dumps({"Resources": {f"Topic{i}": {"Type": "AWS::SNS::Topic", "Properties": {}} for i in range(count)}})


def test_a_stack_of_501_resources_fails_validation_and_is_not_created(empty_aws: EmptyAws) -> None:
    cfn = empty_aws.session(ACCOUNT).client("cloudformation")

    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName="big", TemplateBody=_topics(501))

    assert _error(refused) == (
        "ValidationError",
        "Template format error: Number of resources, 501, is greater than maximum allowed, 500",
    )
    assert cfn.list_stacks()["StackSummaries"] == []


def test_an_update_to_501_resources_fails_validation_and_changes_nothing(empty_aws: EmptyAws) -> None:
    cfn = empty_aws.session(ACCOUNT).client("cloudformation")
    cfn.create_stack(StackName="small", TemplateBody=_topics(1))

    with pytest.raises(ClientError) as refused:
        cfn.update_stack(StackName="small", TemplateBody=_topics(501))
    with pytest.raises(ClientError) as change_set_refused:
        cfn.create_change_set(StackName="small", ChangeSetName="grow", TemplateBody=_topics(501))

    expected = (
        "ValidationError",
        "Template format error: Number of resources, 501, is greater than maximum allowed, 500",
    )
    assert (_error(refused), _error(change_set_refused)) == (expected, expected)
    stack = cfn.describe_stacks(StackName="small")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert len(cfn.list_stack_resources(StackName="small")["StackResourceSummaries"]) == 1


# -- CloudFormation: a custom-named resource that needs replacing ---------------------------------------------


def _group_stack(description: str) -> str:
    group = {
        "Type": "AWS::SageMaker::ModelPackageGroup",
        "Properties": {"ModelPackageGroupName": GROUP, "ModelPackageGroupDescription": description},
    }
    return json.dumps({"Resources": {"Group": group}})


def test_changing_a_groups_description_fails_the_update_and_rolls_back(empty_aws: EmptyAws) -> None:
    """AWS::SageMaker::ModelPackageGroup's ModelPackageGroupDescription is "Update requires: Replacement"
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelpackagegroup.html),
    and its name is required, so always custom: "You can't perform an update that causes a custom-named resource
    to be replaced" (CloudFormation resource custom naming,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html). The failure
    reason is the one AWS quotes: "CloudFormation cannot update a stack when a custom-named resource requires
    replacing. Rename 'MYResourceXXX' and update the stack again." (AWS Knowledge Center,
    https://repost.aws/knowledge-center/cloudformation-custom-name); the sandbox names the resource without the
    quotes. The update fails, the stack rolls back, and the group keeps its description and its versions."""
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    cfn.create_stack(StackName="registry", TemplateBody=_group_stack("Churn model"))

    cfn.update_stack(StackName="registry", TemplateBody=_group_stack("Churn model, retrained monthly"))

    assert _stack_status(cfn, "registry") == "UPDATE_ROLLBACK_COMPLETE"
    assert _stack_events(cfn, "registry", "UPDATE_FAILED") == [
        (
            "Group",
            "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
            f"Rename {GROUP} and update the stack again.",
        )
    ]
    group = session.client("sagemaker").describe_model_package_group(ModelPackageGroupName=GROUP)
    assert group["ModelPackageGroupDescription"] == "Churn model"


def test_a_groups_policy_still_updates_in_place(empty_aws: EmptyAws) -> None:
    """ModelPackageGroupPolicy is "Update requires: No interruption": the same group gets the new policy."""
    session = empty_aws.session(ACCOUNT)
    cfn = session.client("cloudformation")
    body = json.loads(_group_stack("Churn model"))
    cfn.create_stack(StackName="registry", TemplateBody=json.dumps(body))
    body["Resources"]["Group"]["Properties"]["ModelPackageGroupPolicy"] = json.loads(_group_policy(1000))

    cfn.update_stack(StackName="registry", TemplateBody=json.dumps(body))

    assert _stack_status(cfn, "registry") == "UPDATE_COMPLETE"
    policy = session.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName=GROUP)
    assert json.loads(policy["ResourcePolicy"]) == json.loads(_group_policy(1000))


def _roles(iam: Any) -> list[str]:
    """The account's roles but the administrator role AWS Organizations gave it (the test's own way in)."""
    return [role["RoleName"] for role in iam.list_roles()["Roles"] if role["RoleName"] != ORGANIZATION_ACCESS_ROLE]


def _parameter(name: str, value: str, policy: str | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "Type": "AWS::SSM::Parameter",
        "Properties": {"Name": name, "Type": "String", "Value": value},
    }
    if policy is not None:
        resource["DeletionPolicy"] = policy
    return resource


def test_a_retained_resource_outlives_its_removal_and_its_stack(empty_aws: EmptyAws) -> None:
    """Retain: "CloudFormation keeps the resource without deleting the resource or its contents when its stack
    is deleted", and "This capability also applies to stack update operations that lead to resources being
    deleted from stacks. For example, if you remove the resource from the stack template" (DeletionPolicy
    attribute, CloudFormation template reference,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html).
    DELETE_SKIPPED is one of the documented resource statuses (StackResource, CloudFormation API reference);
    that a retained resource reports it is not said in those words on either page."""
    session = empty_aws.session(ACCOUNT)
    cfn, ssm = session.client("cloudformation"), session.client("ssm")
    both = {
        "Kept": _parameter("/retention/kept", "a", "Retain"),
        "Dropped": _parameter("/retention/dropped", "b", None),
    }
    cfn.create_stack(StackName="retention", TemplateBody=json.dumps({"Resources": both}))
    other = {"Other": _parameter("/retention/other", "c", None)}
    cfn.update_stack(StackName="retention", TemplateBody=json.dumps({"Resources": other}))
    assert ssm.get_parameter(Name="/retention/kept")["Parameter"]["Value"] == "a"  # left the template, kept
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="/retention/dropped")
    assert _stack_events(cfn, "retention", "DELETE_SKIPPED") == [("Kept", None)]


def test_a_retained_resource_outlives_its_stacks_deletion(empty_aws: EmptyAws) -> None:
    session = empty_aws.session(ACCOUNT)
    cfn, ssm = session.client("cloudformation"), session.client("ssm")
    resources = {
        "Kept": _parameter("/retention/on-delete", "a", "Retain"),
        "Gone": _parameter("/retention/gone", "b", "Delete"),
    }
    cfn.create_stack(StackName="retention-delete", TemplateBody=json.dumps({"Resources": resources}))
    cfn.delete_stack(StackName="retention-delete")
    assert ssm.get_parameter(Name="/retention/on-delete")["Parameter"]["Value"] == "a"
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="/retention/gone")
