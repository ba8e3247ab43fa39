"""sandbox/moto_compat: where moto 5.2.5 departs from AWS, the sandbox follows AWS.

Each test names the AWS API or CloudFormation behaviour it holds the sandbox to. The calls go through
boto3 to the in-process server, as every other caller's do.

Error messages: AWS documents error codes and request constraints, rarely a message. Where a test asserts a
message, its docstring says whose wording it is. Two forms recur. A failed request constraint reads "1
validation error detected: Value ... at ... failed to satisfy constraint: ..." as AWS services return it;
no AWS page documents that form, the sandbox copies it. A failed stack resource's reason reads
'Resource handler returned message: "..." (HandlerErrorCode: ...)', CloudFormation's form in public reports
less its RequestToken; after HandlerErrorCode the sandbox puts the documented handler error code the
service's error maps to (a ValidationException is InvalidRequest: Resource type handler error codes,
https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract-errors.html); the
mapping is the sandbox's reading of that page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import boto3
import pytest
from botocore.exceptions import ClientError

from promotion.sessions import assume_role
from sandbox.moto_compat.events import lambda_deliveries
from tests.sandbox_fixtures import EmptyAws

SHARED = "111111111111"
DATA_SCIENCE = "222222222222"
QA = "444444444444"
REGION: Literal["eu-west-1"] = "eu-west-1"
GROUP = "churn-model"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package-group/{GROUP}"
IMAGE = f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/churn-model:1.0"
INFERENCE = {
    "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/artifacts/churn-model/v1/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DataScienceRegisters",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DATA_SCIENCE}:role/modelops-data-science"},
            "Action": "sagemaker:CreateModelPackage",
            "Resource": f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/*",
        }
    ],
}


def _sagemaker(aws: EmptyAws, account: str) -> Any:
    return aws.session(account).client("sagemaker")


# The group shares its versions with the organisation's other accounts, as a registry's group policy does
# (delegated: each account's identity policies decide which of its principals may).
SHARED_WITH = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OrganisationRegistersAndReads",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{DATA_SCIENCE}:root", f"arn:aws:iam::{QA}:root"]},
            "Action": [
                "sagemaker:CreateModelPackage",
                "sagemaker:DescribeModelPackage",
                "sagemaker:DescribeModelPackageGroup",
                "sagemaker:ListModelPackages",
                "sagemaker:UpdateModelPackage",
            ],
            "Resource": [GROUP_ARN, f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/*"],
        }
    ],
}


def _registry(aws: EmptyAws) -> Any:
    sagemaker = _sagemaker(aws, SHARED)
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=json.dumps(SHARED_WITH))
    return sagemaker


def _register(sagemaker: Any, **extra: Any) -> str:
    return str(
        sagemaker.create_model_package(ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE, **extra)[
            "ModelPackageArn"
        ]
    )


def _approved(sagemaker: Any) -> str:
    """A new Approved version: CreateModel deploys only Approved versions (tests/test_moto_compat_limits.py)."""
    return _register(sagemaker, ModelApprovalStatus="Approved")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# -- model registry -----------------------------------------------------------------------------------


def test_group_policy_is_put_read_back_and_deleted(empty_aws: EmptyAws) -> None:
    """PutModelPackageGroupPolicy attaches a resource policy and returns the group ARN;
    GetModelPackageGroupPolicy returns that policy; DeleteModelPackageGroupPolicy removes it. AWS documents no
    message for reading a policy that is gone: the wording is the sandbox's."""
    sagemaker = _registry(empty_aws)

    put = sagemaker.put_model_package_group_policy(ModelPackageGroupName=GROUP, ResourcePolicy=json.dumps(POLICY))
    read = sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP)
    sagemaker.delete_model_package_group_policy(ModelPackageGroupName=GROUP)
    with pytest.raises(ClientError) as gone:
        sagemaker.get_model_package_group_policy(ModelPackageGroupName=GROUP)

    assert put["ModelPackageGroupArn"] == GROUP_ARN
    assert json.loads(read["ResourcePolicy"]) == POLICY
    assert _error(gone) == (
        "ValidationException",
        f"Cannot find resource policy for model package group {GROUP_ARN}.",
    )


def test_versioned_package_is_pending_manual_approval_unless_told_otherwise(empty_aws: EmptyAws) -> None:
    """CreateModelPackage: a model version registered without ModelApprovalStatus is PendingManualApproval
    (SageMaker Developer Guide, "Update the approval status of a model",
    https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html). Not checked against that page
    (no stored copy reached); CreateModelPackage itself says the parameter is optional for versioned models and
    names no default, and PendingManualApproval is the default the SageMaker Python SDK's register() sends."""
    sagemaker = _registry(empty_aws)

    arn = _register(sagemaker)

    assert arn == f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/1"
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "PendingManualApproval"


def test_model_card_is_returned_by_describe(empty_aws: EmptyAws) -> None:
    """DescribeModelPackage returns the ModelCard (ModelCardContent, ModelCardStatus) given at creation."""
    sagemaker = _registry(empty_aws)
    card = {"ModelCardContent": '{"intended_uses": {"purpose_of_model": "churn"}}', "ModelCardStatus": "Draft"}

    arn = _register(sagemaker, ModelCard=card)

    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"] == card


def test_status_update_keeps_customer_metadata_and_records_approval_description(empty_aws: EmptyAws) -> None:
    """UpdateModelPackage changes only what the request carries: a ModelApprovalStatus update keeps
    CustomerMetadataProperties, and ApprovalDescription describes the new status."""
    sagemaker = _registry(empty_aws)
    arn = _register(sagemaker, CustomerMetadataProperties={"source_commit": "abc123"})

    sagemaker.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="qa.approver@example.com: ok"
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)

    assert described["ModelApprovalStatus"] == "Approved"
    assert described["ApprovalDescription"] == "qa.approver@example.com: ok"
    assert described["CustomerMetadataProperties"] == {"source_commit": "abc123"}


def test_metadata_update_keeps_status_merges_keys_and_removes_listed_keys(empty_aws: EmptyAws) -> None:
    """UpdateModelPackage with CustomerMetadataProperties adds or replaces those keys, with
    CustomerMetadataPropertiesToRemove deletes those keys, and leaves ModelApprovalStatus as it was."""
    sagemaker = _registry(empty_aws)
    arn = _register(
        sagemaker, ModelApprovalStatus="Approved", CustomerMetadataProperties={"a": "1", "b": "2", "c": "3"}
    )

    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties={"b": "20", "d": "4"}, CustomerMetadataPropertiesToRemove=["c"]
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)

    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"] == {"a": "1", "b": "20", "d": "4"}


def test_another_account_registers_describes_and_lists_by_arn(empty_aws: EmptyAws) -> None:
    """Cross-account registry access names resources by ARN: CreateModelPackage with the group's ARN
    creates the version in the group's account, and DescribeModelPackage, ListModelPackages and
    DescribeModelPackageGroup by ARN are served by the owning account. (The group's resource policy
    decides who may; moto evaluates no policy, so that is proven by the policy tests.)"""
    _registry(empty_aws)
    data_science, qa = _sagemaker(empty_aws, DATA_SCIENCE), _sagemaker(empty_aws, QA)

    arn = _register(data_science)
    described = qa.describe_model_package(ModelPackageName=arn)
    listed = qa.list_model_packages(ModelPackageGroupName=GROUP_ARN)["ModelPackageSummaryList"]
    group = qa.describe_model_package_group(ModelPackageGroupName=GROUP_ARN)

    assert arn == f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/1"
    assert described["ModelPackageArn"] == arn
    assert [summary["ModelPackageArn"] for summary in listed] == [arn]
    assert group["ModelPackageGroupArn"] == GROUP_ARN


def test_update_replaces_the_inference_specification_and_keeps_the_rest(empty_aws: EmptyAws) -> None:
    """Since 2024-02 UpdateModelPackage can change InferenceSpecification (UpdateModelPackage reference); the
    rest of the package stays as it was."""
    sagemaker = _registry(empty_aws)
    arn = _register(sagemaker, ModelApprovalStatus="Approved", CustomerMetadataProperties={"a": "1"})
    other = {**INFERENCE, "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/artifacts/other.tar.gz"}]}

    sagemaker.update_model_package(ModelPackageArn=arn, InferenceSpecification=other)
    described = sagemaker.describe_model_package(ModelPackageName=arn)

    assert described["InferenceSpecification"]["Containers"] == [
        {"Image": IMAGE, "ModelDataUrl": "s3://bucket/artifacts/other.tar.gz"}
    ]
    assert described["ModelApprovalStatus"] == "Approved"
    assert described["CustomerMetadataProperties"] == {"a": "1"}


def test_another_account_describes_an_image_by_registry_id(empty_aws: EmptyAws) -> None:
    """DescribeImages with registryId names the account whose registry holds the repository (DescribeImages
    reference); the repository policy decides who may, which moto does not evaluate."""
    ecr = empty_aws.session(SHARED).client("ecr")
    ecr.create_repository(repositoryName="churn-model")
    readers = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{DATA_SCIENCE}:root"},
        "Action": "ecr:DescribeImages",
    }
    ecr.set_repository_policy(
        repositoryName="churn-model", policyText=json.dumps({"Version": "2012-10-17", "Statement": [readers]})
    )
    media = "application/vnd.docker.distribution.manifest.v2+json"
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": media, "config": {"digest": "sha256:" + "1" * 64}, "layers": []}
    )
    pushed = ecr.put_image(repositoryName="churn-model", imageManifest=manifest, imageTag="1.0")["image"]["imageId"]

    details = (
        empty_aws.session(DATA_SCIENCE)
        .client("ecr")
        .describe_images(registryId=SHARED, repositoryName="churn-model", imageIds=[{"imageTag": "1.0"}])[
            "imageDetails"
        ]
    )

    assert [(d["registryId"], d["imageDigest"]) for d in details] == [(SHARED, pushed["imageDigest"])]


def _state_change_queue(aws: EmptyAws) -> tuple[Any, str]:
    """An EventBridge rule on the registry account's default bus, delivering to an SQS queue."""
    session = aws.session(SHARED)
    sqs, events = session.client("sqs"), session.client("events")
    queue_url = sqs.create_queue(QueueName="state-changes")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(
        Name="model-package-state-change",
        EventPattern=json.dumps({"source": ["aws.sagemaker"], "detail-type": ["SageMaker Model Package State Change"]}),
    )
    events.put_targets(Rule="model-package-state-change", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return sqs, queue_url


def _received(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in messages]


def test_registration_and_status_change_emit_the_documented_state_change_event(empty_aws: EmptyAws) -> None:
    """SageMaker sends "SageMaker Model Package State Change" (source aws.sagemaker) to the default bus of
    the registry's account when a version is created and when its approval status changes; the detail is
    the package as described (ModelPackageGroupName, ModelPackageVersion, ModelPackageArn,
    ModelApprovalStatus, ...), the resources list its ARN (the event is listed in "Amazon SageMaker AI events",
    EventBridge events reference, https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-sagemaker.html;
    its example is under "SageMaker model package state change" in "Events that Amazon SageMaker AI sends to
    Amazon EventBridge", https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html).
    That page's note: "SageMaker AI may send multiple events to EventBridge for each state change": the sandbox
    puts each one twice by default (sandbox/moto_compat/registry.py, MODELOPS_SANDBOX_STATE_CHANGE_COPIES), a
    count of its choosing."""
    sagemaker = _registry(empty_aws)
    sqs, queue_url = _state_change_queue(empty_aws)

    arn = _register(_sagemaker(empty_aws, DATA_SCIENCE))
    created = _received(sqs, queue_url)
    sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"note": "no status change"})
    after_metadata = _received(sqs, queue_url)
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="ok")
    approved = _received(sqs, queue_url)

    # moto's SQS delivery drops the envelope's "account"; the event was put on SHARED's default bus.
    assert [(e["source"], e["detail-type"], e["region"], e["resources"]) for e in created] == [
        ("aws.sagemaker", "SageMaker Model Package State Change", REGION, [arn])
    ] * 2
    assert created[0]["detail"] == created[1]["detail"]
    detail = created[0]["detail"]
    assert {k: detail[k] for k in ("ModelPackageGroupName", "ModelPackageVersion", "ModelPackageArn")} == {
        "ModelPackageGroupName": GROUP,
        "ModelPackageVersion": 1,
        "ModelPackageArn": arn,
    }
    assert detail["ModelApprovalStatus"] == "PendingManualApproval"
    assert detail["InferenceSpecification"] == INFERENCE
    assert detail["ModelPackageStatus"] == "Completed"
    assert after_metadata == []
    assert [(e["detail"]["ModelApprovalStatus"], e["detail"]["ApprovalDescription"]) for e in approved] == [
        ("Approved", "ok")
    ] * 2


def test_a_rule_targeting_a_lambda_does_not_fail_the_call_that_emits_the_event(empty_aws: EmptyAws) -> None:
    """EventBridge sends a matching event to each of a rule's targets (up to five; "Event bus targets in Amazon
    EventBridge", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html, which lists "Lambda
    function (asynchronous)"), and a failed delivery is retried and dropped per target ("How EventBridge
    retries delivering events", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html).
    Neither page says in words that one target cannot fail another or the call that emitted the event; that
    reading is the sandbox's. A Lambda target (moto runs none) is recorded with the event it receives, the
    SQS target still gets it, and CreateModelPackage succeeds."""
    sagemaker = _registry(empty_aws)
    sqs, queue_url = _state_change_queue(empty_aws)
    function = f"arn:aws:lambda:{REGION}:{SHARED}:function:modelops-approval-notify"
    empty_aws.session(SHARED).client("events").put_targets(
        Rule="model-package-state-change", Targets=[{"Id": "notify", "Arn": function}]
    )

    arn = _register(sagemaker)

    delivered = lambda_deliveries(SHARED, REGION)
    # twice each: the sandbox puts each state change twice by default, as SageMaker may
    assert [(target, event["detail"]["ModelPackageArn"]) for target, event in delivered] == [(function, arn)] * 2
    assert [event["detail"]["ModelPackageArn"] for event in _received(sqs, queue_url)] == [arn] * 2


# -- model registry: life cycle, callers, metadata limits ----------------------------------------------

LIFE_CYCLE_PROPOSED = {"Stage": "Development", "StageStatus": "PendingApproval", "StageDescription": "retrained"}
LIFE_CYCLE_IN_QA = {"Stage": "QA", "StageStatus": "InProgress", "StageDescription": "qa.approver@example.com: ok"}
STAGE_PATTERN = "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
METADATA_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"


def test_model_life_cycle_is_kept_replaced_by_update_described_and_listed(empty_aws: EmptyAws) -> None:
    """ModelLifeCycle (Stage, StageStatus, StageDescription) given to CreateModelPackage is returned by
    DescribeModelPackage; UpdateModelPackage with a ModelLifeCycle replaces it, an update without one keeps
    it, and each ListModelPackages summary carries it (ModelLifeCycle, ModelPackageSummary references)."""
    sagemaker = _registry(empty_aws)

    arn = _register(sagemaker, ModelLifeCycle=LIFE_CYCLE_PROPOSED)
    created = sagemaker.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"]
    sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle=LIFE_CYCLE_IN_QA)
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    listed = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]

    assert created == LIFE_CYCLE_PROPOSED
    assert (described["ModelLifeCycle"], described["ModelApprovalStatus"]) == (LIFE_CYCLE_IN_QA, "Approved")
    assert [(summary["ModelPackageArn"], summary["ModelLifeCycle"]) for summary in listed] == [(arn, LIFE_CYCLE_IN_QA)]


def test_model_life_cycle_with_an_invalid_stage_is_rejected_naming_the_field(empty_aws: EmptyAws) -> None:
    """Stage is letters and digits, joined by hyphens (ModelLifeCycle reference,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelLifeCycle.html): "Pre_Production" is
    refused with ValidationException naming modelLifeCycle.stage, by CreateModelPackage (which creates
    nothing) and by UpdateModelPackage (which changes nothing). AWS documents the pattern, not the message: the
    wording is the request-validation form (module docstring)."""
    sagemaker = _registry(empty_aws)
    arn = _register(sagemaker, ModelLifeCycle=LIFE_CYCLE_PROPOSED)
    invalid = {"Stage": "Pre_Production", "StageStatus": "InProgress"}

    with pytest.raises(ClientError) as on_create:
        _register(sagemaker, ModelLifeCycle=invalid)
    with pytest.raises(ClientError) as on_update:
        sagemaker.update_model_package(ModelPackageArn=arn, ModelLifeCycle=invalid)

    expected = (
        "ValidationException",
        "1 validation error detected: Value 'Pre_Production' at 'modelLifeCycle.stage' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {STAGE_PATTERN}",
    )
    assert _error(on_create) == expected
    assert _error(on_update) == expected
    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelLifeCycle"] == LIFE_CYCLE_PROPOSED
    listed = sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"]
    assert [summary["ModelPackageArn"] for summary in listed] == [arn]


def test_model_life_cycle_over_its_lengths_is_rejected_listing_each_violation(empty_aws: EmptyAws) -> None:
    """StageStatus is at most 63 characters and StageDescription at most 1,024 (ModelLifeCycle reference): one
    ValidationException lists every violated constraint (each of these breaks both its length and its pattern).
    AWS documents the constraints, not the message: the wording is the request-validation form (module
    docstring)."""
    sagemaker = _registry(empty_aws)
    status, description = "A" * 64, "d" * 1025

    with pytest.raises(ClientError) as rejected:
        _register(sagemaker, ModelLifeCycle={"Stage": "QA", "StageStatus": status, "StageDescription": description})

    assert _error(rejected) == (
        "ValidationException",
        f"4 validation errors detected: Value '{status}' at 'modelLifeCycle.stageStatus' failed to satisfy "
        "constraint: Member must have length less than or equal to 63; "
        f"Value '{status}' at 'modelLifeCycle.stageStatus' failed to satisfy constraint: Member must satisfy "
        f"regular expression pattern: {STAGE_PATTERN}; "
        f"Value '{description}' at 'modelLifeCycle.stageDescription' failed to satisfy constraint: Member must "
        "have length less than or equal to 1024; "
        f"Value '{description}' at 'modelLifeCycle.stageDescription' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: .{0,1024}",
    )


def _role(aws: EmptyAws, account: str, name: str) -> str:
    """Create role `name` in `account`, which the management account and the organisation's other accounts may
    assume (stamping a source identity), and which may use the registry and assume roles; returns its RoleId
    (a session's PrincipalId is `<RoleId>:<session>`)."""
    iam = aws.session(account).client("iam")
    principals = [f"arn:aws:iam::{a}:root" for a in ("123456789012", DATA_SCIENCE, SHARED)]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
        ],
    }
    may = {"Effect": "Allow", "Action": ["sagemaker:*", "sts:AssumeRole", "sts:SetSourceIdentity"], "Resource": "*"}
    role_id = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["RoleId"])
    iam.put_role_policy(
        RoleName=name, PolicyName="test", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [may]})
    )
    return role_id


DATA_SCIENTIST_ROLE = f"arn:aws:iam::{DATA_SCIENCE}:role/modelops-data-science"
APPROVER_ROLE = f"arn:aws:iam::{SHARED}:role/modelops-approver"


def test_created_by_names_the_registering_session_and_its_source_identity(empty_aws: EmptyAws) -> None:
    """DescribeModelPackage's CreatedBy is the UserContext of whoever called CreateModelPackage: its
    IamIdentity has the assumed-role session's ARN, its PrincipalId (role id and session name) and the
    SourceIdentity the session was started with (DescribeModelPackage, UserContext, IamIdentity references)."""
    sagemaker = _registry(empty_aws)
    role_id = _role(empty_aws, DATA_SCIENCE, "modelops-data-science")
    alice = assume_role(DATA_SCIENTIST_ROLE, session_name="alice", source_identity="alice@example.com", region=REGION)

    arn = _register(alice.client("sagemaker"))

    assert sagemaker.describe_model_package(ModelPackageName=arn)["CreatedBy"] == {
        "IamIdentity": {
            "Arn": f"arn:aws:sts::{DATA_SCIENCE}:assumed-role/modelops-data-science/alice",
            "PrincipalId": f"{role_id}:alice",
            "SourceIdentity": "alice@example.com",
        }
    }


def test_last_modified_by_names_the_session_of_the_latest_update(empty_aws: EmptyAws) -> None:
    """UpdateModelPackage records its caller as LastModifiedBy and sets LastModifiedTime; CreatedBy keeps
    naming the creator. A session started without a source identity has no SourceIdentity."""
    sagemaker = _registry(empty_aws)
    data_science_id, approver_id = (
        _role(empty_aws, DATA_SCIENCE, "modelops-data-science"),
        _role(empty_aws, SHARED, "modelops-approver"),
    )
    alice = assume_role(DATA_SCIENTIST_ROLE, session_name="alice", source_identity="alice@example.com", region=REGION)
    bob = assume_role(APPROVER_ROLE, session_name="bob", region=REGION)
    arn = _register(alice.client("sagemaker"))

    bob.client("sagemaker").update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    after_bob = sagemaker.describe_model_package(ModelPackageName=arn)
    alice.client("sagemaker").update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"note": "ok"})
    after_alice = sagemaker.describe_model_package(ModelPackageName=arn)

    by_alice = {
        "IamIdentity": {
            "Arn": f"arn:aws:sts::{DATA_SCIENCE}:assumed-role/modelops-data-science/alice",
            "PrincipalId": f"{data_science_id}:alice",
            "SourceIdentity": "alice@example.com",
        }
    }
    by_bob = {
        "IamIdentity": {
            "Arn": f"arn:aws:sts::{SHARED}:assumed-role/modelops-approver/bob",
            "PrincipalId": f"{approver_id}:bob",
        }
    }
    assert (after_bob["CreatedBy"], after_bob["LastModifiedBy"]) == (by_alice, by_bob)
    assert "LastModifiedTime" in after_bob
    assert (after_alice["CreatedBy"], after_alice["LastModifiedBy"]) == (by_alice, by_alice)


def _signed_by(credentials: Mapping[str, Any]) -> boto3.Session:
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


def test_assume_role_returns_the_source_identity_and_a_chained_session_inherits_it(empty_aws: EmptyAws) -> None:
    """AssumeRole with SourceIdentity returns it; a role assumed from that session carries it without naming
    it ("The value that is set persists when a role is used to assume another role ..., known as role
    chaining": IAM User Guide, "Monitor and control actions taken with assumed roles",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html), and the
    registry names it as the chained session's SourceIdentity."""
    _registry(empty_aws)
    _role(empty_aws, DATA_SCIENCE, "modelops-data-science")
    _role(empty_aws, SHARED, "modelops-approver")

    started = (
        boto3.Session(region_name=REGION)
        .client("sts")
        .assume_role(RoleArn=DATA_SCIENTIST_ROLE, RoleSessionName="alice", SourceIdentity="alice@example.com")
    )
    chained = (
        _signed_by(started["Credentials"])
        .client("sts")
        .assume_role(RoleArn=APPROVER_ROLE, RoleSessionName="alice-in-shared")
    )
    arn = _register(_signed_by(chained["Credentials"]).client("sagemaker"))
    identity = _sagemaker(empty_aws, SHARED).describe_model_package(ModelPackageName=arn)["CreatedBy"]["IamIdentity"]

    assert (started["SourceIdentity"], chained["SourceIdentity"]) == ("alice@example.com", "alice@example.com")
    assert (identity["Arn"], identity["SourceIdentity"]) == (
        f"arn:aws:sts::{SHARED}:assumed-role/modelops-approver/alice-in-shared",
        "alice@example.com",
    )


def test_a_chained_session_may_repeat_but_not_change_its_source_identity(empty_aws: EmptyAws) -> None:
    """ "The value that is set cannot be changed during the role session" (Monitor and control actions taken
    with assumed roles, IAM User Guide): a chained AssumeRole may name the same one again, and one that names
    another is denied. The message follows IAM's access-denied form ("Troubleshoot access denied error
    messages") without its "on resource" part; AWS documents no message for this case, so the wording is the
    sandbox's."""
    _role(empty_aws, DATA_SCIENCE, "modelops-data-science")
    _role(empty_aws, SHARED, "modelops-approver")
    alice = assume_role(DATA_SCIENTIST_ROLE, session_name="alice", source_identity="alice@example.com", region=REGION)
    sts = alice.client("sts")

    repeated = sts.assume_role(RoleArn=APPROVER_ROLE, RoleSessionName="again", SourceIdentity="alice@example.com")
    with pytest.raises(ClientError) as denied:
        sts.assume_role(RoleArn=APPROVER_ROLE, RoleSessionName="mallory", SourceIdentity="mallory@example.com")

    assert repeated["SourceIdentity"] == "alice@example.com"
    assert _error(denied) == (
        "AccessDenied",
        f"User: arn:aws:sts::{DATA_SCIENCE}:assumed-role/modelops-data-science/alice is not authorized to "
        "perform: sts:SetSourceIdentity",
    )


def test_update_with_an_empty_customer_metadata_map_is_rejected(empty_aws: EmptyAws) -> None:
    """CustomerMetadataProperties, when sent, has at least one entry (UpdateModelPackage reference, "Minimum
    number of 1 item"): an empty map is refused with ValidationException, and the package keeps its metadata.
    AWS documents the constraint, not the message: the wording is the request-validation form (module
    docstring)."""
    sagemaker = _registry(empty_aws)
    arn = _register(sagemaker, CustomerMetadataProperties={"source_commit": "abc123"})

    with pytest.raises(ClientError) as rejected:
        sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={})

    assert _error(rejected) == (
        "ValidationException",
        "1 validation error detected: Value '{}' at 'customerMetadataProperties' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {"source_commit": "abc123"}


def test_update_that_would_leave_more_than_50_metadata_entries_is_rejected(empty_aws: EmptyAws) -> None:
    """A model package has at most 50 CustomerMetadataProperties (ModelPackage data type, "Maximum number of 50
    items", https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackage.html): an update adding a
    51st key is refused and changes nothing; the same update removing another key
    (CustomerMetadataPropertiesToRemove) leaves 50 and succeeds. How the service counts an update against the
    package's keys, and its message, are undocumented: both are the sandbox's."""
    sagemaker = _registry(empty_aws)
    metrics = {f"metric:m{index:02d}": "0.5" for index in range(49)}
    arn = _register(sagemaker, CustomerMetadataProperties={"source_commit": "abc123", **metrics})
    decision = {"approval:qa:decision": "Approved"}

    with pytest.raises(ClientError) as rejected:
        sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties=decision)
    after_refusal = sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
    sagemaker.update_model_package(
        ModelPackageArn=arn, CustomerMetadataProperties=decision, CustomerMetadataPropertiesToRemove=["source_commit"]
    )
    after_update = sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]

    assert _error(rejected) == (
        "ValidationException",
        "A model package can have at most 50 CustomerMetadataProperties; after this update it would have 51.",
    )
    assert after_refusal == {"source_commit": "abc123", **metrics}
    assert after_update == {**metrics, **decision}


def test_metadata_keys_and_values_outside_the_pattern_or_length_are_rejected(empty_aws: EmptyAws) -> None:
    """Keys and values are letters, separators, numbers and `_.:/=+-@`, in any script; a value is at most 256
    characters (CreateModelPackage, UpdateModelPackage references): a comma in a key and a 257-character
    value are refused naming the map, a name with accents and a space is kept. AWS documents the patterns and
    lengths, not the messages: the wording is the request-validation form (module docstring)."""
    sagemaker = _registry(empty_aws)
    arn = _register(sagemaker, CustomerMetadataProperties={"approval:qa:by": "Zoë Müller"})
    long_value = "x" * 257

    with pytest.raises(ClientError) as bad_key:
        _register(sagemaker, CustomerMetadataProperties={"approval,qa": "ok"})
    with pytest.raises(ClientError) as long:
        sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties={"note": long_value})

    assert _error(bad_key) == (
        "ValidationException",
        "1 validation error detected: Value '{approval,qa=ok}' at 'customerMetadataProperties' failed to satisfy "
        f"constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: "
        f"{METADATA_PATTERN}]",
    )
    assert _error(long) == (
        "ValidationException",
        f"1 validation error detected: Value '{{note={long_value}}}' at 'customerMetadataProperties' failed to "
        "satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256]",
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert described["CustomerMetadataProperties"] == {"approval:qa:by": "Zoë Müller"}


# -- hosting ----------------------------------------------------------------------------------------


def _execution_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/modelops-exec-qa-churn-model"


def test_create_model_fails_when_its_model_package_does_not_exist(empty_aws: EmptyAws) -> None:
    """CreateModel with a container naming a ModelPackageName that does not exist is rejected with
    ValidationException (the request does not satisfy the constraints; SageMaker Common Errors,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html). AWS documents no message for
    this: the wording is the sandbox's."""
    _registry(empty_aws)
    missing = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/7"

    with pytest.raises(ClientError) as rejected:
        _sagemaker(empty_aws, QA).create_model(
            ModelName="churn", ExecutionRoleArn=_execution_role(QA), PrimaryContainer={"ModelPackageName": missing}
        )

    assert _error(rejected) == ("ValidationException", f"ModelPackage {missing} does not exist.")


def test_create_model_accepts_a_model_package_of_the_registry_account(empty_aws: EmptyAws) -> None:
    """CreateModel in a workload account may name an Approved versioned package of another account by its ARN."""
    arn = _approved(_registry(empty_aws))
    qa = _sagemaker(empty_aws, QA)

    qa.create_model(ModelName="churn", ExecutionRoleArn=_execution_role(QA), PrimaryContainer={"ModelPackageName": arn})

    assert qa.describe_model(ModelName="churn")["PrimaryContainer"] == {"ModelPackageName": arn}


def _endpoint_config(sagemaker: Any, name: str, model: str) -> None:
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}
        ],
    )


DEPLOYMENT_CONFIG = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {
            "Type": "LINEAR",
            "WaitIntervalInSeconds": 300,
            "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
        },
        "TerminationWaitInSeconds": 300,
    },
    "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "modelops-churn-model-5xx-errors"}]},
}


def test_update_endpoint_switches_configuration_under_the_same_name(empty_aws: EmptyAws) -> None:
    """UpdateEndpoint deploys another endpoint configuration to a live endpoint, keeping its name and ARN,
    following DeploymentConfig; DescribeEndpoint then shows the new configuration and LastDeploymentConfig."""
    arn = _approved(_registry(empty_aws))
    qa = _sagemaker(empty_aws, QA)
    for name in ("v1", "v2"):
        qa.create_model(
            ModelName=name, ExecutionRoleArn=_execution_role(QA), PrimaryContainer={"ModelPackageName": arn}
        )
        _endpoint_config(qa, f"config-{name}", name)
    created = qa.create_endpoint(EndpointName="churn-model", EndpointConfigName="config-v1")

    updated = qa.update_endpoint(
        EndpointName="churn-model", EndpointConfigName="config-v2", DeploymentConfig=DEPLOYMENT_CONFIG
    )
    described = qa.describe_endpoint(EndpointName="churn-model")

    assert updated["EndpointArn"] == created["EndpointArn"]
    assert (described["EndpointConfigName"], described["EndpointStatus"]) == ("config-v2", "InService")
    assert described["LastDeploymentConfig"] == DEPLOYMENT_CONFIG


def test_update_endpoint_of_unknown_endpoint_is_a_validation_error(empty_aws: EmptyAws) -> None:
    """UpdateEndpoint on an endpoint that does not exist fails with ValidationException. AWS documents no
    message for this: the wording is the sandbox's."""
    with pytest.raises(ClientError) as rejected:
        _sagemaker(empty_aws, QA).update_endpoint(EndpointName="churn-model", EndpointConfigName="config-v2")

    assert _error(rejected) == (
        "ValidationException",
        f"Could not find endpoint 'arn:aws:sagemaker:{REGION}:{QA}:endpoint/churn-model'.",
    )


# -- IAM and S3 policies ----------------------------------------------------------------------------


def test_aws_managed_policies_exist_in_every_account(empty_aws: EmptyAws) -> None:
    """AWS managed policies (arn:aws:iam::aws:policy/...) are available in every account
    (IAM User Guide, "AWS managed policies"): `cdk bootstrap` attaches AdministratorAccess and
    ReadOnlyAccess."""
    iam = empty_aws.session(QA).client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))

    for name in ("AdministratorAccess", "ReadOnlyAccess"):
        iam.attach_role_policy(RoleName="r", PolicyArn=f"arn:aws:iam::aws:policy/{name}")

    attached = iam.list_attached_role_policies(RoleName="r")["AttachedPolicies"]
    assert sorted(p["PolicyArn"] for p in attached) == [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]


def _role_template(service: str, action: str, managed: list[str]) -> str:
    return json.dumps(
        {
            "Resources": {
                "Operator": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": "modelops-operator",
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
                            ],
                        },
                        "ManagedPolicyArns": managed,
                        "Policies": [
                            {
                                "PolicyName": "modelops-operator",
                                "PolicyDocument": {
                                    "Version": "2012-10-17",
                                    "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
                                },
                            }
                        ],
                    },
                }
            }
        }
    )


def test_stack_role_gets_managed_policies_and_updates_trust_and_policies_in_place(empty_aws: EmptyAws) -> None:
    """AWS::IAM::Role attaches ManagedPolicyArns; an update of AssumeRolePolicyDocument, Policies or
    ManagedPolicyArns changes the role in place ("Update requires: No interruption")."""
    cfn, iam = _cfn(empty_aws, QA), empty_aws.session(QA).client("iam")
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    cfn.create_stack(
        StackName="roles", TemplateBody=_role_template("sagemaker.amazonaws.com", "sagemaker:Describe*", [read_only])
    )
    attached_before = iam.list_attached_role_policies(RoleName="modelops-operator")["AttachedPolicies"]

    cfn.update_stack(StackName="roles", TemplateBody=_role_template("lambda.amazonaws.com", "ssm:GetParameter", []))

    role = iam.get_role(RoleName="modelops-operator")["Role"]
    inline = iam.get_role_policy(RoleName="modelops-operator", PolicyName="modelops-operator")["PolicyDocument"]
    assert [p["PolicyArn"] for p in attached_before] == [read_only]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert inline["Statement"][0]["Action"] == "ssm:GetParameter"
    assert iam.list_attached_role_policies(RoleName="modelops-operator")["AttachedPolicies"] == []


def test_tls_only_bucket_policy_does_not_deny_every_request(empty_aws: EmptyAws) -> None:
    """A Deny statement applies only when its Condition matches (IAM User Guide, "Condition"): the
    TLS-only statement (aws:SecureTransport false) must not deny all access, as moto's condition-blind
    check does. The sandbox evaluates no resource policy; the policy tests prove them."""
    s3 = empty_aws.session(SHARED).client("s3")
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    deny_plain_http = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::artifacts", "arn:aws:s3:::artifacts/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="artifacts", Policy=json.dumps(deny_plain_http))

    s3.put_object(Bucket="artifacts", Key="artifacts/churn-model/v1/model.tar.gz", Body=b"model")

    assert s3.get_object(Bucket="artifacts", Key="artifacts/churn-model/v1/model.tar.gz")["Body"].read() == b"model"


# -- CloudFormation ----------------------------------------------------------------------------------


def _cfn(aws: EmptyAws, account: str) -> Any:
    return aws.session(account).client("cloudformation")


def _stack(cfn: Any, name: str) -> dict[str, Any]:
    return dict(cfn.describe_stacks(StackName=name)["Stacks"][0])


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _events(cfn: Any, name: str) -> list[tuple[str, str, str | None]]:
    """(logical id, status, reason), oldest first."""
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason")) for e in reversed(events)]


def test_stack_creates_model_package_group_with_its_policy(empty_aws: EmptyAws) -> None:
    """AWS::SageMaker::ModelPackageGroup creates the group with ModelPackageGroupPolicy; Ref and
    GetAtt ModelPackageGroupArn return the group's ARN (CloudFormation resource reference)."""
    cfn = _cfn(empty_aws, SHARED)
    template = {
        "Resources": {
            "Group": {
                "Type": "AWS::SageMaker::ModelPackageGroup",
                "Properties": {"ModelPackageGroupName": GROUP, "ModelPackageGroupPolicy": POLICY},
            }
        },
        "Outputs": {
            "Ref": {"Value": {"Ref": "Group"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Group", "ModelPackageGroupArn"]}},
        },
    }

    cfn.create_stack(StackName="registry", TemplateBody=json.dumps(template))
    policy = _sagemaker(empty_aws, SHARED).get_model_package_group_policy(ModelPackageGroupName=GROUP)

    stack = _stack(cfn, "registry")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert _outputs(stack) == {"Ref": GROUP_ARN, "Arn": GROUP_ARN}
    assert json.loads(policy["ResourcePolicy"]) == POLICY


def test_stack_puts_its_bucket_policy_on_the_bucket(empty_aws: EmptyAws) -> None:
    """AWS::S3::BucketPolicy applies PolicyDocument to Bucket."""
    cfn = _cfn(empty_aws, SHARED)
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::modelops-policy-test/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "modelops-policy-test"}},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": document},
            },
        }
    }

    cfn.create_stack(StackName="bucket", TemplateBody=json.dumps(template))

    policy = empty_aws.session(SHARED).client("s3").get_bucket_policy(Bucket="modelops-policy-test")["Policy"]
    assert json.loads(policy) == document


def test_stack_creates_a_kms_key_with_its_tags(empty_aws: EmptyAws) -> None:
    """AWS::KMS::Key's Tags, written {Key, Value} as CloudFormation takes them, are the key's tags."""
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "KeyPolicy": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"AWS": f"arn:aws:iam::{QA}:root"},
                                "Action": "kms:*",
                                "Resource": "*",
                            }
                        ],
                    },
                    "Tags": [{"Key": "modelops:managed", "Value": "true"}],
                },
            }
        }
    }

    _cfn(empty_aws, QA).create_stack(StackName="key", TemplateBody=json.dumps(template))

    kms = empty_aws.session(QA).client("kms")
    (key,) = kms.list_keys()["Keys"]
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "modelops:managed", "TagValue": "true"}]


def test_stack_bucket_is_versioned_and_locked_as_its_template_says(empty_aws: EmptyAws) -> None:
    """AWS::S3::Bucket applies VersioningConfiguration and ObjectLockEnabled with ObjectLockConfiguration's
    default retention: an object version cannot be deleted before its retention ends (S3 Object Lock)."""
    properties = {
        "BucketName": "modelops-lock-test",
        "VersioningConfiguration": {"Status": "Enabled"},
        "ObjectLockEnabled": True,
        "ObjectLockConfiguration": {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 30}},
        },
    }
    template = {"Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": properties}}}
    _cfn(empty_aws, SHARED).create_stack(StackName="locked", TemplateBody=json.dumps(template))
    s3 = empty_aws.session(SHARED).client("s3")

    version = s3.put_object(Bucket="modelops-lock-test", Key="k", Body=b"x")["VersionId"]
    lock = s3.get_object_lock_configuration(Bucket="modelops-lock-test")["ObjectLockConfiguration"]
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket="modelops-lock-test", Key="k", VersionId=version)

    assert s3.get_bucket_versioning(Bucket="modelops-lock-test")["Status"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert (lock["ObjectLockEnabled"], retention["Mode"], retention["Days"]) == ("Enabled", "COMPLIANCE", 30)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_stack_creates_cloudwatch_alarm_whose_ref_is_its_name(empty_aws: EmptyAws) -> None:
    """AWS::CloudWatch::Alarm creates the alarm; Ref returns the alarm name and GetAtt Arn its ARN."""
    cfn = _cfn(empty_aws, QA)
    template = {
        "Resources": {
            "Errors": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "modelops-churn-model-5xx-errors",
                    "Namespace": "AWS/SageMaker",
                    "MetricName": "Invocation5XXErrors",
                    "Dimensions": [{"Name": "EndpointName", "Value": "churn-model"}],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 5,
                    "ComparisonOperator": "GreaterThanThreshold",
                },
            }
        },
        "Outputs": {"Ref": {"Value": {"Ref": "Errors"}}, "Arn": {"Value": {"Fn::GetAtt": ["Errors", "Arn"]}}},
    }

    cfn.create_stack(StackName="alarms", TemplateBody=json.dumps(template))

    alarms = empty_aws.session(QA).client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert [(a["AlarmName"], a["Threshold"], a["Dimensions"]) for a in alarms] == [
        ("modelops-churn-model-5xx-errors", 5.0, [{"Name": "EndpointName", "Value": "churn-model"}])
    ]
    assert _outputs(_stack(cfn, "alarms")) == {
        "Ref": "modelops-churn-model-5xx-errors",
        "Arn": f"arn:aws:cloudwatch:{REGION}:{QA}:alarm:modelops-churn-model-5xx-errors",
    }


def test_stack_registers_scalable_target_and_its_scaling_policy(empty_aws: EmptyAws) -> None:
    """AWS::ApplicationAutoScaling::ScalableTarget registers the target (Ref is
    `<ResourceId>|<ScalableDimension>|<ServiceNamespace>`); AWS::ApplicationAutoScaling::ScalingPolicy
    names it by ScalingTargetId and is put on it."""
    cfn = _cfn(empty_aws, QA)
    resource_id, dimension = "endpoint/churn-model/variant/AllTraffic", "sagemaker:variant:DesiredInstanceCount"
    template = {
        "Resources": {
            "Target": {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "Properties": {
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": resource_id,
                    "ScalableDimension": dimension,
                    "MinCapacity": 2,
                    "MaxCapacity": 6,
                },
            },
            "Policy": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyName": "churn-model-invocations-per-instance",
                    "PolicyType": "TargetTrackingScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "TargetTrackingScalingPolicyConfiguration": {
                        "PredefinedMetricSpecification": {
                            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                        },
                        "TargetValue": 200,
                    },
                },
            },
        },
        "Outputs": {"Target": {"Value": {"Ref": "Target"}}},
    }

    cfn.create_stack(StackName="scaling", TemplateBody=json.dumps(template))

    autoscaling = empty_aws.session(QA).client("application-autoscaling")
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [(resource_id, 2, 6)]
    assert [(p["PolicyName"], p["ResourceId"], p["PolicyType"]) for p in policies] == [
        ("churn-model-invocations-per-instance", resource_id, "TargetTrackingScaling")
    ]
    assert _outputs(_stack(cfn, "scaling")) == {"Target": f"{resource_id}|{dimension}|sagemaker"}


def test_stack_creates_the_github_oidc_provider(empty_aws: EmptyAws) -> None:
    """AWS::IAM::OIDCProvider creates the provider; Ref and GetAtt Arn return
    arn:aws:iam::<account>:oidc-provider/<host>."""
    deployment = "333333333333"
    cfn = _cfn(empty_aws, deployment)
    template = {
        "Resources": {
            "Provider": {
                "Type": "AWS::IAM::OIDCProvider",
                "Properties": {
                    "Url": "https://token.actions.githubusercontent.com",
                    "ClientIdList": ["sts.amazonaws.com"],
                },
            }
        },
        "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Provider", "Arn"]}}},
    }

    cfn.create_stack(StackName="oidc", TemplateBody=json.dumps(template))

    arn = f"arn:aws:iam::{deployment}:oidc-provider/token.actions.githubusercontent.com"
    provider = empty_aws.session(deployment).client("iam").get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert _outputs(_stack(cfn, "oidc")) == {"Arn": arn}
    assert provider["ClientIDList"] == ["sts.amazonaws.com"]


def test_stack_creates_subscription_topic_and_queue_policies_and_a_generated_secret(empty_aws: EmptyAws) -> None:
    """AWS::SNS::Subscription subscribes the endpoint; AWS::SNS::TopicPolicy and AWS::SQS::QueuePolicy set
    the Policy attribute; AWS::SecretsManager::Secret with GenerateSecretString stores a generated value
    (Ref is the secret's ARN)."""
    cfn = _cfn(empty_aws, SHARED)
    # TLS only: a policy that denies something real without locking the test's administrator out.
    tls_only = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"}
    tls_only["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
    document = {"Version": "2012-10-17", "Statement": [tls_only]}
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "modelops-approvers-qa"}},
            "Email": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "email",
                    "Endpoint": "qa.approver@example.com",
                },
            },
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": document},
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "modelops-approval-failed-events"}},
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": document},
            },
            "Secret": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Name": "modelops/approval/review-token-key",
                    "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
                },
            },
        },
        "Outputs": {"Secret": {"Value": {"Ref": "Secret"}}},
    }

    cfn.create_stack(StackName="approval", TemplateBody=json.dumps(template))

    session = empty_aws.session(SHARED)
    topic = f"arn:aws:sns:{REGION}:{SHARED}:modelops-approvers-qa"
    subscriptions = session.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    topic_policy = session.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    queue_url = session.client("sqs").get_queue_url(QueueName="modelops-approval-failed-events")["QueueUrl"]
    queue_policy = session.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])
    secret = session.client("secretsmanager").get_secret_value(SecretId="modelops/approval/review-token-key")
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", "qa.approver@example.com")]
    assert json.loads(topic_policy) == document
    assert json.loads(queue_policy["Attributes"]["Policy"]) == document
    assert len(secret["SecretString"]) == 48
    assert secret["SecretString"].isalnum()
    assert _outputs(_stack(cfn, "approval")) == {"Secret": secret["ARN"]}


def test_a_stacks_rest_api_keeps_its_policy_with_abbreviated_resources_expanded(empty_aws: EmptyAws) -> None:
    """AWS::ApiGateway::RestApi's Policy reaches the API, and `execute-api:/...` is saved as the API's full
    ARN ("API Gateway resource policy examples"); a full ARN and a non-API resource string stay as written."""
    cfn = _cfn(empty_aws, SHARED)
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{DATA_SCIENCE}:root"},
        "Action": "execute-api:Invoke",
        "Resource": ["execute-api:/v1/POST/decisions", "arn:aws:execute-api:eu-west-1:111111111111:other/*"],
    }
    template = {
        "Resources": {
            "Api": {
                "Type": "AWS::ApiGateway::RestApi",
                "Properties": {"Name": "approval", "Policy": {"Version": "2012-10-17", "Statement": [statement]}},
            }
        },
        "Outputs": {"Id": {"Value": {"Ref": "Api"}}},
    }

    cfn.create_stack(StackName="api", TemplateBody=json.dumps(template))

    api_id = _outputs(_stack(cfn, "api"))["Id"]
    saved = empty_aws.session(SHARED).client("apigateway").get_rest_api(restApiId=api_id)["policy"]
    assert json.loads(saved) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                **statement,
                "Resource": [
                    f"arn:aws:execute-api:{REGION}:{SHARED}:{api_id}/v1/POST/decisions",
                    "arn:aws:execute-api:eu-west-1:111111111111:other/*",
                ],
            }
        ],
    }


def test_a_type_no_backend_holds_is_recorded_and_its_references_resolve(empty_aws: EmptyAws) -> None:
    """A stack with a resource moto cannot hold (here AWS::ApiGateway::Stage) completes and lists the
    resource; Ref and GetAtt on it resolve (moto alone skips it and fails any GetAtt on it)."""
    cfn = _cfn(empty_aws, SHARED)
    template = {
        "Resources": {
            "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": "api", "StageName": "v1"}}
        },
        "Outputs": {"Ref": {"Value": {"Ref": "Stage"}}, "Arn": {"Value": {"Fn::GetAtt": ["Stage", "Arn"]}}},
    }

    cfn.create_stack(StackName="api", TemplateBody=json.dumps(template))

    resources = cfn.list_stack_resources(StackName="api")["StackResourceSummaries"]
    physical = resources[0]["PhysicalResourceId"]
    assert [(r["LogicalResourceId"], r["ResourceType"]) for r in resources] == [("Stage", "AWS::ApiGateway::Stage")]
    assert _outputs(_stack(cfn, "api")) == {"Ref": physical, "Arn": f"arn:aws:apigateway:{REGION}:{SHARED}:{physical}"}


def _endpoint_template(package_arn: str, *, model_name: str | None = None, containers: bool = False) -> str:
    container = {"ModelPackageName": package_arn}
    model: dict[str, Any] = {"ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]}}
    model["Containers" if containers else "PrimaryContainer"] = [container] if containers else container
    if model_name is not None:
        model["ModelName"] = model_name
    return json.dumps(
        {
            "Resources": {
                "ExecutionRole": {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": "modelops-exec-qa-churn-model",
                        "AssumeRolePolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                }
                            ],
                        },
                    },
                },
                "Model": {"Type": "AWS::SageMaker::Model", "Properties": model},
                "Config": {
                    "Type": "AWS::SageMaker::EndpointConfig",
                    "Properties": {
                        "ProductionVariants": [
                            {
                                "VariantName": "AllTraffic",
                                "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                                "InitialInstanceCount": 1,
                                "InstanceType": "ml.m5.large",
                            }
                        ]
                    },
                },
                "Endpoint": {
                    "Type": "AWS::SageMaker::Endpoint",
                    "Properties": {
                        "EndpointName": "churn-model",
                        "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                        "DeploymentConfig": DEPLOYMENT_CONFIG,
                    },
                },
            },
            "Outputs": {"EndpointName": {"Value": {"Fn::GetAtt": ["Endpoint", "EndpointName"]}}},
        }
    )


def _served_package(sagemaker: Any, endpoint: str = "churn-model") -> tuple[str, str]:
    """(endpoint config, ModelPackageName) the endpoint serves: endpoint -> config -> model -> container."""
    config = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    model_name = sagemaker.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]["ModelName"]
    model = sagemaker.describe_model(ModelName=model_name)
    container = model.get("PrimaryContainer") or model["Containers"][0]
    return config, container["ModelPackageName"]


def _two_versions(aws: EmptyAws) -> tuple[str, str]:
    sagemaker = _registry(aws)
    return _approved(sagemaker), _approved(sagemaker)


def test_endpoint_honours_endpoint_name_and_deployment_config(empty_aws: EmptyAws) -> None:
    """AWS::SageMaker::Endpoint creates the endpoint named EndpointName with DeploymentConfig, and
    AWS::SageMaker::Model accepts Containers as well as PrimaryContainer."""
    v1, _ = _two_versions(empty_aws)
    cfn, qa = _cfn(empty_aws, QA), _sagemaker(empty_aws, QA)

    cfn.create_stack(StackName="endpoints", TemplateBody=_endpoint_template(v1, containers=True))

    described = qa.describe_endpoint(EndpointName="churn-model")
    assert _outputs(_stack(cfn, "endpoints")) == {"EndpointName": "churn-model"}
    assert described["LastDeploymentConfig"] == DEPLOYMENT_CONFIG
    assert _served_package(qa)[1] == v1


def test_update_replacing_the_model_moves_the_endpoint_to_a_config_of_the_new_model(empty_aws: EmptyAws) -> None:
    """A new ModelPackageName replaces the Model; the EndpointConfig naming it is replaced in turn, and
    the Endpoint is updated in place (UpdateEndpoint, same name); the old Model and EndpointConfig are
    deleted in the cleanup phase (CloudFormation, "Update behaviors of stack resources")."""
    v1, v2 = _two_versions(empty_aws)
    cfn, qa = _cfn(empty_aws, QA), _sagemaker(empty_aws, QA)
    cfn.create_stack(StackName="endpoints", TemplateBody=_endpoint_template(v1))
    arn_before = qa.describe_endpoint(EndpointName="churn-model")["EndpointArn"]
    config_before = _served_package(qa)[0]

    cfn.update_stack(StackName="endpoints", TemplateBody=_endpoint_template(v2))

    config_after, served = _served_package(qa)
    assert _stack(cfn, "endpoints")["StackStatus"] == "UPDATE_COMPLETE"
    assert served == v2
    assert config_after != config_before
    assert qa.describe_endpoint(EndpointName="churn-model")["EndpointArn"] == arn_before
    assert [m["ModelName"] for m in qa.list_models()["Models"]] == [
        qa.describe_endpoint_config(EndpointConfigName=config_after)["ProductionVariants"][0]["ModelName"]
    ]
    assert [c["EndpointConfigName"] for c in qa.list_endpoint_configs()["EndpointConfigs"]] == [config_after]


def test_failed_update_rolls_back_and_the_previous_endpoint_keeps_serving(empty_aws: EmptyAws) -> None:
    """A resource that fails to update ends the update: CloudFormation records UPDATE_FAILED with the
    reason, rolls back, and ends in UPDATE_ROLLBACK_COMPLETE with the previous resources in place
    (UpdateStack, DisableRollback false by default). The reasons' wording is the sandbox's (module docstring)."""
    v1, _ = _two_versions(empty_aws)
    missing = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/9"
    cfn, qa = _cfn(empty_aws, QA), _sagemaker(empty_aws, QA)
    cfn.create_stack(StackName="endpoints", TemplateBody=_endpoint_template(v1))
    before = _served_package(qa)

    cfn.update_stack(StackName="endpoints", TemplateBody=_endpoint_template(missing))

    events = _events(cfn, "endpoints")
    assert _stack(cfn, "endpoints")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert events[-4:] == [
        ("endpoints", "UPDATE_IN_PROGRESS", "User Initiated"),
        (
            "Model",
            "UPDATE_FAILED",
            f'Resource handler returned message: "ModelPackage {missing} does not exist." '
            "(HandlerErrorCode: InvalidRequest)",
        ),
        ("endpoints", "UPDATE_ROLLBACK_IN_PROGRESS", "The following resource(s) failed to update: [Model]."),
        ("endpoints", "UPDATE_ROLLBACK_COMPLETE", None),
    ]
    assert _served_package(qa) == before
    assert len(qa.list_models()["Models"]) == 1


def test_failed_creation_deletes_what_was_created_and_ends_in_rollback_complete(empty_aws: EmptyAws) -> None:
    """CreateStack is accepted; a resource that fails to create is recorded as CREATE_FAILED with its
    reason, the resources already created are deleted, and the stack ends in ROLLBACK_COMPLETE (CreateStack,
    OnFailure ROLLBACK by default). The reason's wording is the sandbox's (module docstring)."""
    missing = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package/{GROUP}/9"
    _registry(empty_aws)
    cfn = _cfn(empty_aws, QA)

    cfn.create_stack(StackName="endpoints", TemplateBody=_endpoint_template(missing))

    failed = [e for e in _events(cfn, "endpoints") if e[1].endswith("FAILED")]
    assert _stack(cfn, "endpoints")["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failed == [
        (
            "Model",
            "CREATE_FAILED",
            f'Resource handler returned message: "ModelPackage {missing} does not exist." '
            "(HandlerErrorCode: InvalidRequest)",
        )
    ]
    roles = empty_aws.session(QA).client("iam").list_roles()["Roles"]
    assert [role["RoleName"] for role in roles] == ["OrganizationAccountAccessRole"]  # the member account's own


def test_update_with_the_same_template_reports_no_updates(empty_aws: EmptyAws) -> None:
    """UpdateStack with an unchanged template and parameters fails with ValidationError
    "No updates are to be performed." (moto only checks when parameters are passed). Neither the UpdateStack
    reference nor any other AWS page found documents this message: it is the one the service returns, which
    clients match exactly (e.g. the AWS CDK CLI, aws/aws-cdk#28523); the sandbox copies it."""
    v1, _ = _two_versions(empty_aws)
    cfn = _cfn(empty_aws, QA)
    cfn.create_stack(StackName="endpoints", TemplateBody=_endpoint_template(v1))

    with pytest.raises(ClientError) as unchanged:
        cfn.update_stack(StackName="endpoints", TemplateBody=_endpoint_template(v1))

    assert _error(unchanged) == ("ValidationError", "No updates are to be performed.")


def test_replacing_a_custom_named_model_fails_as_in_cloudformation(empty_aws: EmptyAws) -> None:
    """A resource with a custom name cannot be replaced ("You can't perform an update that causes a
    custom-named resource to be replaced": CloudFormation resource custom naming,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html):
    CloudFormation fails the update with "CloudFormation cannot update a stack when a custom-named resource
    requires replacing. Rename 'MYResourceXXX' and update the stack again." (AWS Knowledge Center,
    https://repost.aws/knowledge-center/cloudformation-custom-name; the sandbox names the resource without the
    quotes) and rolls back."""
    v1, v2 = _two_versions(empty_aws)
    cfn, qa = _cfn(empty_aws, QA), _sagemaker(empty_aws, QA)
    cfn.create_stack(StackName="endpoints", TemplateBody=_endpoint_template(v1, model_name="churn-model"))

    cfn.update_stack(StackName="endpoints", TemplateBody=_endpoint_template(v2, model_name="churn-model"))

    assert [e for e in _events(cfn, "endpoints") if e[1] == "UPDATE_FAILED"] == [
        (
            "Model",
            "UPDATE_FAILED",
            "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
            "Rename churn-model and update the stack again.",
        )
    ]
    assert _served_package(qa)[1] == v1


def test_boto3_reaches_the_sandbox_through_aws_endpoint_url(empty_aws: EmptyAws) -> None:
    """The standard AWS_ENDPOINT_URL is the only switch: a default boto3 session lands in the sandbox."""
    identity = boto3.client("sts").get_caller_identity()

    assert identity["Account"] == "123456789012"


# -- DynamoDB: PartiQL INSERT (sandbox/moto_compat/dynamodb.py) --

INSERT_LEDGER = "INSERT INTO \"ledger\" VALUE {'stream': ?, 'seq': ?, 'note': ?}"


def _ledger_table(aws: EmptyAws) -> Any:
    client = aws.session(SHARED).client("dynamodb")
    client.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "stream", "KeyType": "HASH"}, {"AttributeName": "seq", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "stream", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return client


def test_a_partiql_insert_of_an_existing_key_fails_with_duplicate_item_and_changes_nothing(empty_aws: EmptyAws) -> None:
    """PartiQL insert statements for DynamoDB: "If the DynamoDB table already has an item with the same primary
    key as the primary key of the item being inserted, DuplicateItemException is returned"
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html)."""
    client = _ledger_table(empty_aws)
    client.execute_statement(Statement=INSERT_LEDGER, Parameters=[{"S": "m/decisions"}, {"N": "1"}, {"S": "first"}])
    with pytest.raises(ClientError) as refused:
        client.execute_statement(
            Statement=INSERT_LEDGER, Parameters=[{"S": "m/decisions"}, {"N": "1"}, {"S": "forged"}]
        )
    client.execute_statement(Statement=INSERT_LEDGER, Parameters=[{"S": "m/decisions"}, {"N": "2"}, {"S": "second"}])
    items = client.query(
        TableName="ledger",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "stream"},
        ExpressionAttributeValues={":s": {"S": "m/decisions"}},
    )["Items"]
    assert (refused.value.response["Error"]["Code"], [(i["seq"]["N"], i["note"]["S"]) for i in items]) == (
        "DuplicateItemException",
        [("1", "first"), ("2", "second")],
    )


def test_a_partiql_insert_without_the_sort_key_is_refused_naming_it(empty_aws: EmptyAws) -> None:
    """An item must carry its whole primary key. AWS documents no message for a PartiQL INSERT that lacks one:
    the wording is moto's, kept by the sandbox."""
    client = _ledger_table(empty_aws)
    with pytest.raises(ClientError) as refused:
        client.execute_statement(
            Statement="INSERT INTO \"ledger\" VALUE {'stream': ?, 'note': ?}", Parameters=[{"S": "m"}, {"S": "x"}]
        )
    assert (refused.value.response["Error"]["Code"], refused.value.response["Error"]["Message"]) == (
        "ValidationException",
        "One or more parameter values were invalid: Missing the key seq",
    )


def test_a_query_pages_through_a_partition_larger_than_one_megabyte(empty_aws: EmptyAws) -> None:
    """Query returns at most 1 MB per page, with LastEvaluatedKey to go on (Query - Amazon DynamoDB,
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html): 1,250 items of about 1 KB
    of one stream (1.3 MB, so the page limit, not the item count, splits it; written 25 per BatchWriteItem)
    come back whole, in order, over two pages. The ledger benchmark pages 10,000 records the same way."""
    client = _ledger_table(empty_aws)
    for start in range(1, 1_251, 25):
        client.batch_write_item(
            RequestItems={
                "ledger": [
                    {
                        "PutRequest": {
                            "Item": {"stream": {"S": "m/deploys/qa"}, "seq": {"N": str(seq)}, "note": {"S": "x" * 1000}}
                        }
                    }
                    for seq in range(start, start + 25)
                ]
            }
        )
    pages = list(
        client.get_paginator("query").paginate(
            TableName="ledger",
            KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "stream"},
            ExpressionAttributeValues={":s": {"S": "m/deploys/qa"}},
        )
    )
    seqs = [int(item["seq"]["N"]) for page in pages for item in page["Items"]]
    assert ([len(page["Items"]) for page in pages], seqs == list(range(1, 1_251))) == ([972, 278], True)
