"""The registry of moto patches: every place the sandbox follows AWS instead of moto 5.2.5, in one tuple.

Each entry says what moto does, the AWS documentation the patch follows, the test that proves it, and what
moto must do before the patch can go; `targets` lists what installing it changes, and
tests/test_moto_compat_patches.py checks that installing changes exactly that and nothing else does.
`sandbox.moto_compat.apply()` installs `PATCHES` in order. Order matters only where patches share a moto
function: a patch that replaces one comes before the patches that wrap it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sandbox.moto_compat import (
    apigateway,
    cloudwatch,
    dynamodb,
    ecr,
    endpoints,
    events,
    iam,
    iam_quotas,
    kms,
    registry,
    s3,
    sns,
    ssm,
    sts,
    transform,
)
from sandbox.moto_compat.cfn_resources import iam as cfn_iam
from sandbox.moto_compat.cfn_resources import lookup, sagemaker
from sandbox.moto_compat.cfn_resources.autoscaling import ScalableTargetResource, ScalingPolicyResource
from sandbox.moto_compat.cfn_resources.base import DeclaredResource
from sandbox.moto_compat.cfn_resources.cloudwatch import AlarmResource
from sandbox.moto_compat.cfn_resources.iam import OidcProviderResource
from sandbox.moto_compat.cfn_resources.messaging import (
    QueuePolicyResource,
    SnsSubscriptionResource,
    TopicPolicyResource,
)
from sandbox.moto_compat.cfn_resources.s3 import BucketPolicyResource, install_bucket_versioning_and_object_lock
from sandbox.moto_compat.cfn_resources.sagemaker import ModelPackageGroupResource
from sandbox.moto_compat.cfn_resources.secretsmanager import SecretResource
from sandbox.moto_compat.cloudformation import retention, stacks, updates


@dataclass(frozen=True)
class Patch:
    """One place where the sandbox follows AWS's documented behaviour instead of moto's."""

    name: str
    replaces: str  # the moto behaviour it replaces
    follows: str  # the AWS documentation it follows: page title and docs.aws.amazon.com URL
    test: str  # the node id of the test that proves it
    removable_when: str  # what moto must do before the patch can be deleted
    install: Callable[[], None] = field(repr=False)
    # What installing changes: moto attributes by dotted path, or the CloudFormation type it emulates.
    targets: tuple[str, ...]


def _install_stack_operations() -> None:
    # Imported here: the sandbox's IAM imports moto_compat's STS patches, so it loads after this module.
    from sandbox.authorization import stack_operations

    stack_operations.install()


SAGEMAKER = "moto.sagemaker.models.SageMakerModelBackend."
SAGEMAKER_HTTP = "moto.sagemaker.responses.SageMakerResponse."
CFN = "moto.cloudformation."
SAGEMAKER_API = "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_"
CFN_API = "https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_"
CFN_TYPES = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
TESTS = "tests/test_moto_compat.py::"
LIMITS_TESTS = "tests/test_moto_compat_limits.py::"
MESSAGING_TEST = "test_stack_creates_subscription_topic_and_queue_policies_and_a_generated_secret"
QUOTA_TESTS = "tests/test_sandbox_quotas.py::"
IAM_QUOTAS = (
    "IAM and AWS STS quotas - AWS Identity and Access Management, "
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
)
IAM_BACKEND = "moto.iam.models.IAMBackend."


def _emulated(resource: type[DeclaredResource], test: str) -> Patch:
    """The entry of a CloudFormation type moto 5.2.5 lacks, emulated by `resource` (its docstring says how)."""
    kind = resource.resource_type
    page = "aws-resource-" + kind.removeprefix("AWS::").replace("::", "-").lower()
    return Patch(
        name=f"cloudformation: {kind}",
        replaces=f"moto has no {kind}: the stack completes without the resource, and a GetAtt of it fails",
        follows=f"{kind} - AWS CloudFormation, {CFN_TYPES}{page}.html",
        test=TESTS + test,
        removable_when=f"moto's CloudFormation implements {kind} (its Ref and GetAtt values included)",
        install=lookup.emulate(resource),
        targets=(kind,),
    )


PATCHES: tuple[Patch, ...] = (
    # -- SageMaker Model Registry (registry.py) --
    Patch(
        name="sagemaker: model package group policies",
        replaces="moto has no PutModelPackageGroupPolicy, GetModelPackageGroupPolicy or "
        "DeleteModelPackageGroupPolicy: the calls fail as not implemented",
        follows=f"PutModelPackageGroupPolicy - Amazon SageMaker, {SAGEMAKER_API}PutModelPackageGroupPolicy.html; "
        f"GetModelPackageGroupPolicy, {SAGEMAKER_API}GetModelPackageGroupPolicy.html; "
        f"DeleteModelPackageGroupPolicy, {SAGEMAKER_API}DeleteModelPackageGroupPolicy.html",
        test=TESTS + "test_group_policy_is_put_read_back_and_deleted",
        removable_when="moto implements the three ModelPackageGroupPolicy operations",
        install=registry.install_group_policies,
        targets=tuple(
            prefix + f"{verb}_model_package_group_policy"
            for prefix in (SAGEMAKER, SAGEMAKER_HTTP)
            for verb in ("put", "get", "delete")
        ),
    ),
    Patch(
        name="sagemaker: UpdateModelPackage changes only what the request carries",
        replaces="moto's UpdateModelPackage sets every field to the request's value, None when absent: a status "
        "update erases CustomerMetadataProperties, a metadata update erases ModelApprovalStatus; and it ignores "
        "an InferenceSpecification",
        follows=f"UpdateModelPackage - Amazon SageMaker, {SAGEMAKER_API}UpdateModelPackage.html",
        test=TESTS + "test_metadata_update_keeps_status_merges_keys_and_removes_listed_keys",
        removable_when="moto's UpdateModelPackage leaves the fields a request omits as they were",
        install=registry.install_partial_update,
        targets=(SAGEMAKER + "update_model_package",),
    ),
    Patch(
        name="sagemaker: the registry by ARN, from another account",
        replaces="moto looks a model package or group ARN up in the caller's own account only: another "
        "account's group ARN in CreateModelPackage or ListModelPackages, and Describe/Update by ARN, find nothing",
        follows=f"CreateModelPackage - Amazon SageMaker (ModelPackageGroupName: name or ARN), "
        f"{SAGEMAKER_API}CreateModelPackage.html; DescribeModelPackageGroup, "
        f"{SAGEMAKER_API}DescribeModelPackageGroup.html",
        test=TESTS + "test_another_account_registers_describes_and_lists_by_arn",
        removable_when="moto serves an ARN from the account and region it names",
        install=registry.install_access_by_arn,
        targets=tuple(
            SAGEMAKER + operation
            for operation in (
                "describe_model_package_group",
                "describe_model_package",
                "list_model_packages",
                "create_model_package",
                "update_model_package",
            )
        ),
    ),
    Patch(
        name="sagemaker: a versioned package is PendingManualApproval by default",
        replaces="moto leaves ModelApprovalStatus unset when CreateModelPackage omits it",
        follows=f"CreateModelPackage - Amazon SageMaker (ModelApprovalStatus: optional for versioned models; the "
        f"page names no default), {SAGEMAKER_API}CreateModelPackage.html; Update the Approval Status of a Model - "
        "Amazon SageMaker, https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html (the "
        "PendingManualApproval default is not checked against it; it is what the SageMaker Python SDK sends)",
        test=TESTS + "test_versioned_package_is_pending_manual_approval_unless_told_otherwise",
        removable_when="moto's CreateModelPackage defaults a versioned package to PendingManualApproval",
        install=registry.install_pending_manual_approval,
        targets=(SAGEMAKER + "create_model_package",),
    ),
    Patch(
        name="sagemaker: ModelCard on model packages",
        replaces="moto drops the ModelCard of CreateModelPackage and UpdateModelPackage; DescribeModelPackage "
        "returns none; any ModelCardContent is accepted (the package card schema is not followed; "
        "tests/test_model_card_schema.py)",
        follows=f"CreateModelPackage - Amazon SageMaker (ModelCard), {SAGEMAKER_API}CreateModelPackage.html; "
        f"DescribeModelPackage, {SAGEMAKER_API}DescribeModelPackage.html; ModelPackageModelCard, "
        f"{SAGEMAKER_API}ModelPackageModelCard.html; Model package model card schema, "
        "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html#model-card-schema",
        test=TESTS + "test_model_card_is_returned_by_describe",
        removable_when="moto stores and returns a model package's ModelCard",
        install=registry.install_model_card,
        targets=(
            SAGEMAKER + "create_model_package",
            SAGEMAKER + "update_model_package",
            "moto.sagemaker.models.ModelPackage.gen_response_object",
            SAGEMAKER_HTTP + "create_model_package",
            SAGEMAKER_HTTP + "update_model_package",
        ),
    ),
    Patch(
        name="sagemaker: the Model Package State Change event",
        replaces="moto emits no event when a versioned package is created or its approval status changes",
        follows="Events that Amazon SageMaker AI sends to Amazon EventBridge (SageMaker model package state change; "
        "'SageMaker AI may send multiple events to EventBridge for each state change'), "
        "https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html"
        "#eventbridge-model-package",
        test=TESTS + "test_registration_and_status_change_emit_the_documented_state_change_event",
        removable_when='moto puts "SageMaker Model Package State Change" on the registry account\'s default bus',
        install=registry.install_state_change_events,
        targets=(SAGEMAKER + "create_model_package", SAGEMAKER + "update_model_package"),
    ),
    Patch(
        name="sagemaker: ModelLifeCycle on model packages",
        replaces="moto drops the ModelLifeCycle of CreateModelPackage and UpdateModelPackage, validates none of "
        "it, and DescribeModelPackage and ListModelPackages return none",
        follows=f"ModelLifeCycle - Amazon SageMaker, {SAGEMAKER_API}ModelLifeCycle.html; CreateModelPackage, "
        f"{SAGEMAKER_API}CreateModelPackage.html; UpdateModelPackage, {SAGEMAKER_API}UpdateModelPackage.html; "
        f"ModelPackageSummary, {SAGEMAKER_API}ModelPackageSummary.html",
        test=TESTS + "test_model_life_cycle_is_kept_replaced_by_update_described_and_listed",
        removable_when="moto stores, validates and returns a model package's ModelLifeCycle",
        install=registry.install_life_cycle,
        targets=(
            SAGEMAKER_HTTP + "create_model_package",
            SAGEMAKER_HTTP + "update_model_package",
            "moto.sagemaker.models.ModelPackage.gen_response_object",
        ),
    ),
    Patch(
        name="sagemaker: CreatedBy and LastModifiedBy name the caller",
        replaces="moto's CreatedBy is a made-up Studio user profile (fake-user-profile-name) and its "
        "LastModifiedBy a copy of it, whoever called",
        follows=f"DescribeModelPackage - Amazon SageMaker (CreatedBy, LastModifiedBy), "
        f"{SAGEMAKER_API}DescribeModelPackage.html; UserContext, {SAGEMAKER_API}UserContext.html; "
        f"IamIdentity, {SAGEMAKER_API}IamIdentity.html",
        test=TESTS + "test_created_by_names_the_registering_session_and_its_source_identity",
        removable_when="moto records the IamIdentity of the caller of CreateModelPackage and UpdateModelPackage",
        install=registry.install_caller_identity,
        targets=(SAGEMAKER_HTTP + "create_model_package", SAGEMAKER_HTTP + "update_model_package"),
    ),
    Patch(
        name="sagemaker: CustomerMetadataProperties limits",
        replaces="moto accepts any CustomerMetadataProperties: an empty map, any characters and lengths, and "
        "more than 50 entries on a package",
        follows=f"UpdateModelPackage - Amazon SageMaker (CustomerMetadataProperties: 1 to 50 entries, key and "
        f"value patterns and lengths), {SAGEMAKER_API}UpdateModelPackage.html; CreateModelPackage, "
        f"{SAGEMAKER_API}CreateModelPackage.html",
        test=TESTS + "test_update_that_would_leave_more_than_50_metadata_entries_is_rejected",
        removable_when="moto validates CustomerMetadataProperties and their number on a package",
        install=registry.install_metadata_limits,
        targets=(SAGEMAKER + "create_model_package", SAGEMAKER + "update_model_package"),
    ),
    Patch(
        name="sagemaker: ApprovalDescription limit",
        replaces="moto accepts an ApprovalDescription of any length (botocore checks no maximum)",
        follows=f"UpdateModelPackage - Amazon SageMaker (ApprovalDescription: at most 1,024 characters, pattern "
        f".*), {SAGEMAKER_API}UpdateModelPackage.html",
        test="tests/test_decision_undo.py::test_the_sandbox_refuses_an_approval_description_over_1024_characters",
        removable_when="moto validates ApprovalDescription's length",
        install=registry.install_approval_description_limit,
        targets=(SAGEMAKER + "update_model_package",),
    ),
    # -- ECR (ecr.py) --
    Patch(
        name="ecr: DescribeImages in another account's registry",
        replaces="moto looks a repository up in the caller's own account only: DescribeImages with another "
        "account's registryId says RepositoryNotFoundException",
        follows="DescribeImages - Amazon ECR (registryId: the account of the registry holding the repository), "
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html; Private repository "
        "policy examples, https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html",
        test=TESTS + "test_another_account_describes_an_image_by_registry_id",
        removable_when="moto serves DescribeImages from the account its registryId names",
        install=ecr.install_cross_account_describe_images,
        targets=("moto.ecr.models.ECRBackend.describe_images",),
    ),
    Patch(
        name="ecr: moving an immutable tag",
        replaces="moto answers a push of an existing tag with other bytes, in an IMMUTABLE repository, with "
        "ImageAlreadyExistsException, the error AWS keeps for pushing the same manifest and tag again",
        follows="PutImage - Amazon ECR (ImageTagAlreadyExistsException), "
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html; Preventing image tags from "
        "being overwritten in Amazon ECR ('the ImageTagAlreadyExistsException error is returned if you push an "
        "image with a tag that is already in the repository'), "
        "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
        test="tests/test_ecr_images.py::test_a_pushed_tag_cannot_be_moved_to_other_bytes",
        removable_when="moto raises ImageTagAlreadyExistsException for a moved immutable tag",
        install=ecr.install_immutable_tags,
        targets=("moto.ecr.models.ECRBackend.put_image",),
    ),
    Patch(
        name="cloudformation: AWS::ECR::Repository policy and configurations",
        replaces="moto's AWS::ECR::Repository drops RepositoryPolicyText and passes ImageScanningConfiguration and "
        "EncryptionConfiguration in CloudFormation's shape ({ScanOnPush}, {EncryptionType, KmsKey}) where the API "
        "reads {scanOnPush}, {encryptionType, kmsKey}: the repository has no policy and describes empty ones",
        follows=f"AWS::ECR::Repository - AWS CloudFormation, {CFN_TYPES}aws-resource-ecr-repository.html; "
        "CreateRepository - Amazon ECR, https://docs.aws.amazon.com/AmazonECR/latest/APIReference/"
        "API_CreateRepository.html",
        test="tests/test_ecr_images.py::test_the_sandbox_deploys_the_repository_as_its_template_says",
        removable_when="moto's AWS::ECR::Repository sets its policy and reads CloudFormation's configuration shapes",
        install=ecr.install_repository_from_template,
        targets=(
            "moto.ecr.models.Repository.create_from_cloudformation_json",
            "moto.ecr.models.Repository.update_from_cloudformation_json",
        ),
    ),
    # -- API Gateway (apigateway.py) --
    Patch(
        name="apigateway: REST API resource policies from templates, saved expanded",
        replaces="moto's AWS::ApiGateway::RestApi drops the Policy property, and CreateRestApi stores a policy's "
        "abbreviated execute-api:/ resources as given: a deployed API has no resource policy",
        follows=f"AWS::ApiGateway::RestApi - AWS CloudFormation (Policy), {CFN_TYPES}"
        "aws-resource-apigateway-restapi.html; API Gateway resource policy examples (the abbreviated syntax is "
        "converted to the full ARN when the policy is saved), https://docs.aws.amazon.com/apigateway/latest/"
        "developerguide/apigateway-resource-policies-examples.html",
        test=TESTS + "test_a_stacks_rest_api_keeps_its_policy_with_abbreviated_resources_expanded",
        removable_when="moto's AWS::ApiGateway::RestApi passes Policy and CreateRestApi expands execute-api:/",
        install=apigateway.install_rest_api_policies,
        targets=(
            "moto.apigateway.models.APIGatewayBackend.create_rest_api",
            "moto.apigateway.models.RestAPI.create_from_cloudformation_json",
        ),
    ),
    # -- STS (sts.py) --
    Patch(
        name="sts: role sessions keep their SourceIdentity",
        replaces="moto's AssumeRole drops SourceIdentity: the session has none, the response carries none, and a "
        "session chained from one that had it has none",
        follows="Monitor and control actions taken with assumed roles (the source identity persists across "
        "role chaining and cannot be changed) - AWS Identity and Access Management, "
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html; "
        "AssumeRole - AWS Security Token Service (SourceIdentity), "
        "https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html",
        test=TESTS + "test_assume_role_returns_the_source_identity_and_a_chained_session_inherits_it",
        removable_when="moto's AssumeRole keeps and returns SourceIdentity and carries it down a role chain",
        install=sts.install_source_identity,
        targets=("moto.sts.responses.TokenResponse.assume_role",),
    ),
    Patch(
        name="sts: the management keys are the management account's root user",
        replaces="moto's GetCallerIdentity names a key it never issued as arn:aws:sts::<account>:user/moto",
        follows="GetCallerIdentity - AWS Security Token Service (a root user's Arn is arn:aws:iam::<account>:root), "
        "https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html",
        test="tests/test_sandbox_iam.py::test_the_management_keys_are_the_management_accounts_root_user",
        removable_when="never: the sandbox's management keys are its own",
        install=sts.install_root_caller_identity,
        targets=("moto.sts.responses.TokenResponse.get_caller_identity",),
    ),
    Patch(
        name="sts: role sessions keep their session tags",
        replaces="moto's AssumeRole and AssumeRoleWithSAML drop session tags: a session has no aws:PrincipalTag keys, "
        "and a chained session inherits no transitive tag",
        follows="Passing session tags in AWS STS (tags passed by AssumeRole and as SAML PrincipalTag attributes, "
        "transitive tags in role chains) - AWS Identity and Access Management, "
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html",
        test="tests/test_sandbox_iam.py::test_a_person_signed_in_through_identity_center_carries_the_email_session_tag",
        removable_when="moto keeps the session tags of AssumeRole and AssumeRoleWithSAML and passes transitive ones on",
        install=sts.install_session_tags,
        targets=(
            "moto.sts.responses.TokenResponse.assume_role",
            "moto.sts.responses.TokenResponse.assume_role_with_saml",
            "moto.sts.responses.TokenResponse.assume_role_with_web_identity",
        ),
    ),
    # -- KMS (kms.py) --
    Patch(
        name="cloudformation: AWS::KMS::Key Tags",
        replaces="moto passes an AWS::KMS::Key's Tags ({Key, Value}) to CreateKey, which reads {TagKey, TagValue}: "
        "a stack with a tagged key fails with the handler error 'TagKey'",
        follows=f"AWS::KMS::Key Tag - AWS CloudFormation, {CFN_TYPES}aws-properties-kms-key-tag.html; "
        "Tag - AWS Key Management Service, https://docs.aws.amazon.com/kms/latest/APIReference/API_Tag.html",
        test=TESTS + "test_stack_creates_a_kms_key_with_its_tags",
        removable_when="moto's AWS::KMS::Key reads Tags as CloudFormation writes them ({Key, Value})",
        install=kms.install_key_tags,
        targets=("moto.kms.models.Key.create_from_cloudformation_json",),
    ),
    # -- EventBridge (events.py) --
    Patch(
        name="events: Lambda targets",
        replaces="moto raises NotImplementedError for a Lambda target, failing the API call that emitted the event",
        follows="Event bus targets in Amazon EventBridge (a rule sends a matching event to each of its targets; "
        "Lambda functions are invoked asynchronously), "
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html; How EventBridge retries "
        "delivering events (retries and drops per target), "
        "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html. That one target "
        "cannot fail another, or the call that emitted the event, is the sandbox's reading: no page says it",
        test=TESTS + "test_a_rule_targeting_a_lambda_does_not_fail_the_call_that_emits_the_event",
        removable_when="moto delivers to Lambda targets without Docker (sandbox.lambda_runner reads the record)",
        install=events.install_lambda_targets,
        targets=("moto.events.models.Rule.send_to_targets",),
    ),
    # -- SNS (sns.py) --
    Patch(
        name="sns: email subscriptions receive what their filter policy matches",
        replaces="moto drops every message to an email subscription, and its AWS::SNS::Subscription (emulated "
        "below) dropped FilterPolicy and FilterPolicyScope, so each approver's subscription would match every "
        "approver's link",
        follows="Amazon SNS message filtering, https://docs.aws.amazon.com/sns/latest/dg/message-filtering.html; "
        "Amazon SNS subscription filter policy scope (MessageAttributes by default), "
        "https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html; AWS::SNS::Subscription, "
        f"{CFN_TYPES}aws-resource-sns-subscription.html",
        test=LIMITS_TESTS + "test_a_message_for_one_approver_reaches_only_that_approvers_email_subscription",
        removable_when="moto records email deliveries after the subscription's filter policy, and its "
        "CloudFormation sets a subscription's FilterPolicy and FilterPolicyScope",
        install=sns.install_email_deliveries,
        targets=("moto.sns.models.Subscription.publish",),
    ),
    # -- SSM Parameter Store (ssm.py) --
    Patch(
        name="ssm: Standard parameter values are at most 4 KB",
        replaces="moto's PutParameter stores a Standard value of any size",
        follows="PutParameter - AWS Systems Manager (Tier: 'Standard parameters have a content size limit of 4 KB', "
        "Advanced 8 KB), https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html; "
        "Managing parameter tiers, "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html. "
        "The ValidationException message is the service's as seen in public error reports, on no AWS page; "
        "counting bytes is the sandbox's stricter reading",
        test=LIMITS_TESTS + "test_a_standard_parameter_value_over_4_kb_is_refused_and_nothing_is_stored",
        removable_when="moto's PutParameter refuses a Standard value over 4 KB",
        install=ssm.install_standard_value_limit,
        targets=("moto.ssm.models.SimpleSystemManagerBackend.put_parameter",),
    ),
    # -- CloudWatch (cloudwatch.py) --
    Patch(
        name="cloudwatch: DescribeAlarmHistory returns each alarm's changes of state",
        replaces="moto has no DescribeAlarmHistory (the call fails as not implemented), and keeps of an alarm's "
        "past only the states its updates replaced, lost with the alarm",
        follows="DescribeAlarmHistory - Amazon CloudWatch (StateUpdate items; 'CloudWatch retains the history of "
        "an alarm even if you delete the alarm'), "
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html; "
        "AlarmHistoryItem (HistoryData, HistorySummary), "
        "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_AlarmHistoryItem.html",
        test=LIMITS_TESTS + "test_alarm_history_lists_each_entry_into_alarm_newest_first_and_outlives_the_alarm",
        removable_when="moto implements DescribeAlarmHistory with StateUpdate items kept per account and region",
        install=cloudwatch.install_alarm_history,
        targets=(
            "moto.cloudwatch.models.CloudWatchBackend.set_alarm_state",
            "moto.cloudwatch.responses.CloudWatchResponse.describe_alarm_history",
        ),
    ),
    # -- S3 (s3.py) --
    Patch(
        name="s3: bucket policies are at most 20 KB",
        replaces="moto's PutBucketPolicy (and so the emulated AWS::S3::BucketPolicy) stores a policy of any size",
        follows="Bucket policies and user policies - Amazon S3 (Bucket policies are limited to 20 KB in size), "
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html",
        test=LIMITS_TESTS + "test_a_bucket_policy_over_20_kb_is_refused_and_the_previous_policy_stays",
        removable_when="moto's PutBucketPolicy refuses a policy over 20 KB",
        install=s3.install_bucket_policy_limit,
        targets=("moto.s3.models.S3Backend.put_bucket_policy",),
    ),
    # -- SageMaker hosting (endpoints.py) --
    Patch(
        name="sagemaker: CreateModel checks its model package",
        replaces="moto's CreateModel accepts a container whose ModelPackageName does not exist",
        follows=f"CreateModel - Amazon SageMaker, {SAGEMAKER_API}CreateModel.html; Common Errors "
        "(ValidationException), https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html",
        test=TESTS + "test_create_model_fails_when_its_model_package_does_not_exist",
        removable_when="moto's CreateModel rejects a ModelPackageName that does not exist",
        install=endpoints.install_create_model_check,
        targets=(SAGEMAKER + "create_model",),
    ),
    Patch(
        name="sagemaker: CreateModel only from an Approved model package",
        replaces="moto's CreateModel accepts a versioned model package whatever its ModelApprovalStatus: a "
        "PendingManualApproval or Rejected version is deployed",
        follows=f"CreateModelPackage - Amazon SageMaker (ModelApprovalStatus: for versioned models, the value "
        f"must be set to Approved to deploy the model), {SAGEMAKER_API}CreateModelPackage.html; Common Errors "
        "(ValidationException), https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html",
        test=LIMITS_TESTS + "test_create_model_from_a_package_that_is_not_approved_is_refused",
        removable_when="moto's CreateModel refuses a versioned model package that is not Approved",
        install=endpoints.install_create_model_approved_only,
        targets=(SAGEMAKER + "create_model",),
    ),
    Patch(
        name="sagemaker: UpdateEndpoint and DeploymentConfig",
        replaces="moto has no UpdateEndpoint, and CreateEndpoint drops DeploymentConfig",
        follows=f"UpdateEndpoint - Amazon SageMaker, {SAGEMAKER_API}UpdateEndpoint.html; "
        f"DescribeEndpoint (LastDeploymentConfig), {SAGEMAKER_API}DescribeEndpoint.html",
        test=TESTS + "test_update_endpoint_switches_configuration_under_the_same_name",
        removable_when="moto implements UpdateEndpoint and keeps DeploymentConfig",
        install=endpoints.install_update_endpoint,
        targets=(
            SAGEMAKER + "create_endpoint",
            SAGEMAKER + "update_endpoint",
            SAGEMAKER_HTTP + "create_endpoint",
            SAGEMAKER_HTTP + "update_endpoint",
        ),
    ),
    Patch(
        name="sagemaker: transform jobs run their model",
        replaces="moto's CreateTransformJob records a job that is Completed at once and reads and writes nothing: "
        "no predictions, and a job of a model whose artifact cannot be loaded completes too",
        follows=f"CreateTransformJob - Amazon SageMaker (TransformInput S3Prefix, SplitType Line; TransformOutput "
        f"S3OutputPath, <input file name>.out, KmsKeyId), {SAGEMAKER_API}CreateTransformJob.html; "
        f"DescribeTransformJob (TransformJobStatus, FailureReason), {SAGEMAKER_API}DescribeTransformJob.html; "
        "Use Batch Transform to Run Inference, https://docs.aws.amazon.com/sagemaker/latest/dg/batch-transform.html; "
        "the scikit-learn container's model.joblib, "
        "https://sagemaker.readthedocs.io/en/stable/frameworks/sklearn/using_sklearn.html",
        test="tests/test_moto_compat_transform.py::test_a_transform_job_writes_one_prediction_per_input_row",
        removable_when="moto runs transform jobs (it never will: the sandbox stands in for the container)",
        install=transform.install_transform_jobs,
        targets=(SAGEMAKER + "create_transform_job",),
    ),
    # -- IAM and S3 policies (iam.py) --
    # -- DynamoDB (dynamodb.py) --
    Patch(
        name="dynamodb: PartiQL INSERT refuses an existing key",
        replaces="moto's ExecuteStatement converts every item of every table on each call, and its INSERT "
        "overwrites an item whose primary key exists",
        follows="PartiQL insert statements for DynamoDB - Amazon DynamoDB (DuplicateItemException), "
        "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ql-reference.insert.html",
        test=TESTS + "test_a_partiql_insert_of_an_existing_key_fails_with_duplicate_item_and_changes_nothing",
        removable_when="moto's INSERT fails with DuplicateItemException on an existing key, without converting "
        "every table per call",
        install=dynamodb.install_partiql_insert,
        targets=("moto.dynamodb.models.DynamoDBBackend.execute_statement",),
    ),
    Patch(
        name="iam: AWS managed policies exist",
        replaces="moto loads no AWS managed policy, or with MOTO_IAM_LOAD_MANAGED_POLICIES all of them "
        "(about two seconds per account)",
        follows="Managed policies and inline policies (AWS managed policies) - AWS Identity and Access "
        "Management, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html",
        test=TESTS + "test_aws_managed_policies_exist_in_every_account",
        removable_when="moto can load a chosen few AWS managed policies, or loads them all cheaply",
        install=iam.install_aws_managed_policies,
        targets=("moto.iam.models.IAMBackend._init_aws_policies",),
    ),
    Patch(
        name="s3: bucket policies are not half-evaluated",
        replaces="moto evaluates a bucket policy on object requests without its Condition, so the TLS-only "
        "Deny (aws:SecureTransport false) denies every request",
        follows="IAM JSON policy elements: Condition - AWS Identity and Access Management, "
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html",
        test=TESTS + "test_tls_only_bucket_policy_does_not_deny_every_request",
        removable_when="moto evaluates bucket policy conditions (aws:SecureTransport at least)",
        install=iam.install_bucket_policy_not_evaluated,
        targets=("moto.s3.models.FakeBucket.get_permission",),
    ),
    # -- CloudFormation (cloudformation/, cfn_resources/) --
    Patch(
        name="cloudformation: resources are made as the stack's execution role",
        replaces="moto's CloudFormation creates and updates every resource, whatever the stack's execution role may do",
        follows="CloudFormation service role - AWS CloudFormation ('If you specify a service role, CloudFormation "
        "uses that role's credentials'), "
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html; "
        "CreateStack (RoleARN: 'CloudFormation uses the role's credentials to make calls on your behalf'), "
        f"{CFN_API}CreateStack.html",
        test="tests/test_sandbox_iam.py::test_a_resource_the_execution_role_may_not_create_fails_and_the_stack_rolls_back",
        removable_when="never: moto evaluates no IAM",
        install=_install_stack_operations,
        targets=(CFN + "parsing.parse_and_create_resource", CFN + "parsing.parse_and_update_resource"),
    ),
    Patch(
        name="cloudformation: a failed creation rolls back",
        replaces="moto raises a failing resource out of CreateStack as an API error, keeps what it created, "
        "and records no resource events",
        follows=f"CreateStack - AWS CloudFormation (OnFailure: ROLLBACK by default), {CFN_API}CreateStack.html",
        test=TESTS + "test_failed_creation_deletes_what_was_created_and_ends_in_rollback_complete",
        removable_when="moto's CreateStack records CREATE_FAILED and rolls back to ROLLBACK_COMPLETE",
        install=stacks.install_create_rollback,
        targets=(
            CFN + "parsing.parse_and_create_resource",
            CFN + "models.Stack.create_resources",
            CFN + "models.CloudFormationBackend.create_stack",
        ),
    ),
    Patch(
        name="cloudformation: updates compare resolved properties and replace before deleting",
        replaces="moto's update diffs the raw template (a resource whose Ref or GetAtt now resolves "
        "differently stays as it was), deletes a resource before creating its replacement, and leaves a "
        "failed update half applied",
        follows="Understand update behaviors of stack resources - AWS CloudFormation, "
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html",
        test=TESTS + "test_update_replacing_the_model_moves_the_endpoint_to_a_config_of_the_new_model",
        removable_when="moto's stack update compares resolved properties and replaces create-before-delete",
        install=updates.install_update_engine,
        targets=(CFN + "parsing.ResourceMap.update",),
    ),
    Patch(
        name="cloudformation: a failed update rolls back",
        replaces="moto raises a failing resource out of UpdateStack as an API error",
        follows=f"UpdateStack - AWS CloudFormation (DisableRollback: false by default), {CFN_API}UpdateStack.html",
        test=TESTS + "test_failed_update_rolls_back_and_the_previous_endpoint_keeps_serving",
        removable_when="moto's UpdateStack records UPDATE_FAILED and ends in UPDATE_ROLLBACK_COMPLETE",
        install=stacks.install_update_rollback,
        targets=(CFN + "models.Stack.update",),
    ),
    Patch(
        name="cloudformation: DeletionPolicy and UpdateReplacePolicy Retain",
        replaces="moto deletes a retained resource when it leaves the template, when it is replaced and when its "
        "stack is deleted",
        follows="DeletionPolicy attribute - AWS CloudFormation, "
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html; "
        "UpdateReplacePolicy attribute, "
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html",
        test="tests/test_sandbox_quotas.py::test_a_retained_resource_outlives_its_removal_and_its_stack",
        removable_when="moto honours DeletionPolicy and UpdateReplacePolicy",
        install=retention.install_retention,
        targets=(CFN + "parsing.ResourceMap._delete_resource",),
    ),
    Patch(
        name="cloudformation: an update that changes nothing is refused",
        replaces="moto runs an UpdateStack with the stack's own template when no parameters are passed",
        follows=f"UpdateStack - AWS CloudFormation, {CFN_API}UpdateStack.html. The page does not document the "
        'refusal: ValidationError "No updates are to be performed." is what the service answers, matched '
        "exactly by clients (aws/aws-cdk#28523), on no AWS page",
        test=TESTS + "test_update_with_the_same_template_reports_no_updates",
        removable_when="moto refuses an unchanged UpdateStack without parameters too",
        install=stacks.install_unchanged_update_refused,
        targets=(CFN + "responses.CloudFormationResponse._validate_different_update",),
    ),
    Patch(
        name="cloudformation: AWS types moto lacks are accepted",
        replaces="moto skips a type it does not implement (the stack completes without it) and fails the stack "
        "on any GetAtt of it; the lookup also finds the emulated types below",
        follows=f"Fn::GetAtt - AWS CloudFormation, {CFN_TYPES}intrinsic-function-reference-getatt.html; "
        f"Ref, {CFN_TYPES}intrinsic-function-reference-ref.html",
        test=TESTS + "test_a_type_no_backend_holds_is_recorded_and_its_references_resolve",
        removable_when="moto implements every type the synthesized stacks use, and no type below is emulated",
        install=lookup.install_type_lookup,
        targets=(CFN + "parsing.resource_class_from_type", CFN + "parsing.resource_name_property_from_type"),
    ),
    Patch(
        name="cloudformation: SageMaker hosting",
        replaces="moto's Model requires PrimaryContainer and ignores ModelName, EndpointConfig ignores "
        "EndpointConfigName, and Endpoint ignores EndpointName, drops DeploymentConfig and is deleted and "
        "recreated by an update",
        follows=f"AWS::SageMaker::Endpoint - AWS CloudFormation, {CFN_TYPES}aws-resource-sagemaker-endpoint.html; "
        f"AWS::SageMaker::Model, {CFN_TYPES}aws-resource-sagemaker-model.html",
        test=TESTS + "test_endpoint_honours_endpoint_name_and_deployment_config",
        removable_when="moto's SageMaker types honour their names, Containers and DeploymentConfig, and an "
        "Endpoint update is an UpdateEndpoint",
        install=sagemaker.install_hosting,
        targets=(
            "moto.sagemaker.models.Model.cloudformation_name_type",
            "moto.sagemaker.models.Model.create_from_cloudformation_json",
            "moto.sagemaker.models.FakeEndpointConfig.cloudformation_name_type",
            "moto.sagemaker.models.FakeEndpoint.cloudformation_name_type",
            "moto.sagemaker.models.FakeEndpoint.create_from_cloudformation_json",
            "moto.sagemaker.models.FakeEndpoint.update_from_cloudformation_json",
        ),
    ),
    Patch(
        name="cloudformation: AWS::IAM::Role policies",
        replaces="moto's AWS::IAM::Role ignores ManagedPolicyArns, and its update changes only the description",
        follows=f"AWS::IAM::Role - AWS CloudFormation, {CFN_TYPES}aws-resource-iam-role.html",
        test=TESTS + "test_stack_role_gets_managed_policies_and_updates_trust_and_policies_in_place",
        removable_when="moto's AWS::IAM::Role attaches ManagedPolicyArns and updates its policies in place",
        install=cfn_iam.install_role_handlers,
        targets=(
            "moto.iam.models.Role.create_from_cloudformation_json",
            "moto.iam.models.Role.update_from_cloudformation_json",
        ),
    ),
    _emulated(ModelPackageGroupResource, "test_stack_creates_model_package_group_with_its_policy"),
    _emulated(BucketPolicyResource, "test_stack_puts_its_bucket_policy_on_the_bucket"),
    Patch(
        name="cloudformation: AWS::S3::Bucket versioning and Object Lock",
        replaces="moto's AWS::S3::Bucket drops VersioningConfiguration, ObjectLockEnabled and "
        "ObjectLockConfiguration: the bucket is unversioned and unlocked",
        follows=f"AWS::S3::Bucket - AWS CloudFormation (VersioningConfiguration, ObjectLockEnabled, "
        f"ObjectLockConfiguration), {CFN_TYPES}aws-resource-s3-bucket.html; Locking objects with Object Lock, "
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html",
        test=TESTS + "test_stack_bucket_is_versioned_and_locked_as_its_template_says",
        removable_when="moto's CloudFormation applies a bucket's versioning and Object Lock properties",
        install=install_bucket_versioning_and_object_lock,
        targets=("moto.s3.models.FakeBucket.create_from_cloudformation_json",),
    ),
    _emulated(AlarmResource, "test_stack_creates_cloudwatch_alarm_whose_ref_is_its_name"),
    _emulated(ScalableTargetResource, "test_stack_registers_scalable_target_and_its_scaling_policy"),
    _emulated(ScalingPolicyResource, "test_stack_registers_scalable_target_and_its_scaling_policy"),
    _emulated(OidcProviderResource, "test_stack_creates_the_github_oidc_provider"),
    _emulated(SnsSubscriptionResource, MESSAGING_TEST),
    _emulated(TopicPolicyResource, MESSAGING_TEST),
    _emulated(QueuePolicyResource, MESSAGING_TEST),
    _emulated(SecretResource, MESSAGING_TEST),
    # -- quotas moto does not enforce (iam_quotas.py, kms.py, registry.py, endpoints.py, cloudformation/) --
    Patch(
        name="iam: policy size and attachment quotas",
        replaces="moto's IAM stores inline, managed and trust policies of any size and attaches any number of "
        "managed policies to a role",
        follows=f"{IAM_QUOTAS} (role inline policies 10,240 characters together, managed policy 6,144, role "
        "trust policy 2,048, whitespace not counted; 10 managed policies per role)",
        test=QUOTA_TESTS + "test_an_11_kb_inline_policy_is_refused_and_the_role_keeps_its_policies",
        removable_when="moto's IAM refuses policies and attachments over IAM's quotas with LimitExceeded",
        install=iam_quotas.install_iam_policy_quotas,
        targets=tuple(
            IAM_BACKEND + name
            for name in (
                "put_role_policy",
                "create_policy",
                "create_policy_version",
                "create_role",
                "update_assume_role_policy",
                "attach_role_policy",
            )
        ),
    ),
    Patch(
        name="cloudformation: IAM types check IAM's quotas before creating",
        replaces="moto's AWS::IAM::Role, AWS::IAM::Policy and AWS::IAM::ManagedPolicy create a role or policy "
        "of any size (and, with the quotas above, would leave half of one behind when a later call fails)",
        follows=f"{IAM_QUOTAS}; AWS::IAM::Role - AWS CloudFormation, {CFN_TYPES}aws-resource-iam-role.html",
        test=QUOTA_TESTS + "test_a_stack_role_with_an_11_kb_inline_policy_fails_and_rolls_back",
        removable_when="moto's IAM types fail over IAM's quotas without leaving anything behind",
        install=iam_quotas.install_iam_cloudformation_quotas,
        targets=(
            "moto.iam.models.Role.create_from_cloudformation_json",
            "moto.iam.models.Role.update_from_cloudformation_json",
            "moto.iam.models.InlinePolicy.create_from_cloudformation_json",
            "moto.iam.models.InlinePolicy.update_from_cloudformation_json",
            "moto.iam.models.ManagedPolicy.create_from_cloudformation_json",
        ),
    ),
    Patch(
        name="kms: key policies are at most 32 KB",
        replaces="moto's CreateKey and PutKeyPolicy (and so AWS::KMS::Key) store a key policy of any size",
        follows="Resource quotas - AWS Key Management Service (Key policy document size: 32 KB (32,768 bytes)), "
        "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html; PutKeyPolicy ('If the key "
        "policy exceeds the length constraint, KMS returns a LimitExceededException'; its Policy constraint is "
        "131,072, not the quota), https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html; "
        "CreateKey, https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html",
        test=QUOTA_TESTS + "test_a_key_policy_over_32_kb_is_refused_and_the_key_keeps_its_policy",
        removable_when="moto's KMS refuses a key policy over 32,768 bytes",
        install=kms.install_key_policy_limit,
        targets=("moto.kms.models.KmsBackend.create_key", "moto.kms.models.KmsBackend.put_key_policy"),
    ),
    Patch(
        name="sagemaker: model package group policies are at most 20,480 characters",
        replaces="the group policies added above (and AWS::SageMaker::ModelPackageGroup's policy) have no limit",
        follows=f"PutModelPackageGroupPolicy - Amazon SageMaker (ResourcePolicy: length 1 to 20480), "
        f"{SAGEMAKER_API}PutModelPackageGroupPolicy.html",
        test=QUOTA_TESTS + "test_a_group_policy_over_20480_characters_is_refused_and_the_previous_one_stays",
        removable_when="moto implements PutModelPackageGroupPolicy with its length constraint",
        install=registry.install_group_policy_limit,
        targets=(SAGEMAKER + "put_model_package_group_policy",),
    ),
    Patch(
        name="sagemaker: endpoint ARNs are lower case",
        replaces="moto's endpoint ARN keeps the case of EndpointName",
        follows=f"CreateEndpoint - Amazon SageMaker (EndpointArn), {SAGEMAKER_API}CreateEndpoint.html; "
        "the lower-casing itself is recorded in shared/notes/aws-facts.md (Hosting), not on that page",
        test=QUOTA_TESTS + "test_an_endpoint_arn_names_the_endpoint_in_lower_case",
        removable_when="moto lower-cases the endpoint name in its ARN",
        install=endpoints.install_lower_case_endpoint_arns,
        targets=(
            "moto.sagemaker.models.FakeEndpoint.arn_formatter",
            SAGEMAKER + "_get_resource_from_arn",
        ),
    ),
    Patch(
        name="cloudformation: at most 500 resources per stack",
        replaces="moto's CreateStack, UpdateStack and CreateChangeSet accept a template of any number of resources",
        follows="AWS CloudFormation quotas (Resources: 500 per stack), "
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
        test=QUOTA_TESTS + "test_a_stack_of_501_resources_fails_validation_and_is_not_created",
        removable_when="moto refuses a template of more than 500 resources",
        install=stacks.install_resource_quota,
        targets=(
            CFN + "models.CloudFormationBackend.create_stack",
            CFN + "models.CloudFormationBackend.update_stack",
            CFN + "models.CloudFormationBackend.create_change_set",
        ),
    ),
)

_installed: set[str] = set()


def install(patches: Iterable[Patch] = PATCHES) -> None:
    """Install each of `patches` not installed yet, in order; a patch is installed once per process."""
    for patch in patches:
        if patch.name not in _installed:
            patch.install()
            _installed.add(patch.name)
