"""sandbox/moto_compat: where moto 5.2.5 is kinder than AWS, the sandbox says no where AWS says no.

Each test cites the AWS page whose rule or limit it holds the sandbox to, and goes through boto3 to the
in-process server, as every other caller does.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from botocore.exceptions import ClientError

from sandbox.moto_compat.sns import EmailDelivery, email_deliveries
from tests.sandbox_fixtures import EmptyAws

SHARED = "111111111111"
QA = "444444444444"
REGION: Literal["eu-west-1"] = "eu-west-1"
GROUP = "churn-model"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package-group/{GROUP}"
INFERENCE = {
    "Containers": [
        {
            "Image": f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/churn-model:1.0",
            "ModelDataUrl": "s3://bucket/artifacts/churn-model/v1/model.tar.gz",
        }
    ],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
EXECUTION_ROLE = f"arn:aws:iam::{QA}:role/modelops-exec-qa-churn-model"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# -- CreateModel only from an Approved package ------------------------------------------------------------


def _version(aws: EmptyAws, status: str | None) -> str:
    """A new version of the churn-model group in the registry account, with `status` if one is given."""
    sagemaker: Any = aws.session(SHARED).client("sagemaker")
    if not sagemaker.list_model_package_groups()["ModelPackageGroupSummaryList"]:
        sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    extra = {} if status is None else {"ModelApprovalStatus": status}
    arn = sagemaker.create_model_package(ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE, **extra)
    return str(arn["ModelPackageArn"])


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_create_model_from_a_package_that_is_not_approved_is_refused(empty_aws: EmptyAws, status: str) -> None:
    """ "For versioned models, the value of this parameter must be set to Approved to deploy the model"
    (CreateModelPackage, ModelApprovalStatus,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html): CreateModel naming a
    version that is not Approved fails with ValidationException (Common Errors), and no model is created. AWS
    documents the rule but not this wording: the message is the sandbox's."""
    arn = _version(empty_aws, status)
    qa = empty_aws.session(QA).client("sagemaker")

    with pytest.raises(ClientError) as refused:
        qa.create_model(ModelName="churn", ExecutionRoleArn=EXECUTION_ROLE, PrimaryContainer={"ModelPackageName": arn})

    assert _error(refused) == (
        "ValidationException",
        f"ModelPackage {arn} has ModelApprovalStatus {status}: "
        "a versioned model package must be Approved to deploy the model.",
    )
    assert qa.list_models()["Models"] == []


def test_create_model_checks_every_container_of_a_multi_container_model(empty_aws: EmptyAws) -> None:
    """Each container's package must be Approved: one pending version among approved ones refuses the model."""
    approved, pending = _version(empty_aws, "Approved"), _version(empty_aws, None)
    qa = empty_aws.session(QA).client("sagemaker")

    with pytest.raises(ClientError) as refused:
        qa.create_model(
            ModelName="churn",
            ExecutionRoleArn=EXECUTION_ROLE,
            Containers=[{"ModelPackageName": approved}, {"ModelPackageName": pending}],
        )

    assert _error(refused)[1].startswith(f"ModelPackage {pending} has ModelApprovalStatus PendingManualApproval:")


def test_create_model_from_an_approved_package_succeeds(empty_aws: EmptyAws) -> None:
    arn = _version(empty_aws, "Approved")
    qa = empty_aws.session(QA).client("sagemaker")

    qa.create_model(ModelName="churn", ExecutionRoleArn=EXECUTION_ROLE, PrimaryContainer={"ModelPackageName": arn})

    assert qa.describe_model(ModelName="churn")["PrimaryContainer"] == {"ModelPackageName": arn}


def test_a_stack_whose_model_names_a_pending_package_fails_and_rolls_back(empty_aws: EmptyAws) -> None:
    """AWS::SageMaker::Model calls CreateModel: a pending version fails the resource, and the stack rolls back
    (CreateStack, OnFailure ROLLBACK by default)."""
    arn = _version(empty_aws, None)
    cfn = empty_aws.session(QA).client("cloudformation")
    template = {
        "Resources": {
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {"ExecutionRoleArn": EXECUTION_ROLE, "PrimaryContainer": {"ModelPackageName": arn}},
            }
        }
    }

    cfn.create_stack(StackName="endpoint", TemplateBody=json.dumps(template))

    assert cfn.describe_stacks(StackName="endpoint")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert empty_aws.session(QA).client("sagemaker").list_models()["Models"] == []


# -- SNS subscription filter policies ---------------------------------------------------------------------

ALICE, BOB = "alice@example.com", "bob@example.com"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{SHARED}:modelops-approvals-qa"


def _approvers_topic(aws: EmptyAws, scope: str | None = None) -> Any:
    """The approvers' topic and one email subscription per approver, each filtered to messages for them, as
    the approval workflow stack declares them; returns the registry account's SNS client."""
    subscriptions = {}
    for name, approver in (("Alice", ALICE), ("Bob", BOB)):
        properties: dict[str, Any] = {
            "TopicArn": {"Ref": "Topic"},
            "Protocol": "email",
            "Endpoint": approver,
            "FilterPolicy": {"approver": [approver]},
        }
        if scope is not None:
            properties["FilterPolicyScope"] = scope
        subscriptions[name] = {"Type": "AWS::SNS::Subscription", "Properties": properties}
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "modelops-approvals-qa"}},
            **subscriptions,
        }
    }
    aws.session(SHARED).client("cloudformation").create_stack(StackName="approvers", TemplateBody=json.dumps(template))
    return aws.session(SHARED).client("sns")


def test_a_message_for_one_approver_reaches_only_that_approvers_email_subscription(empty_aws: EmptyAws) -> None:
    """ "If all of the message attributes or message body properties satisfy the conditions specified in the
    filter policy, Amazon SNS sends the message to the subscriber. Otherwise, Amazon SNS doesn't send the message
    to that subscriber" (Amazon SNS message filtering,
    https://docs.aws.amazon.com/sns/latest/dg/message-filtering.html), and the scope is "MessageAttributes ...
    (default setting)" (Amazon SNS subscription filter policy scope,
    https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html).
    Two approvers' subscriptions from a stack, one message for Alice: exactly one delivery, to Alice."""
    sns = _approvers_topic(empty_aws)
    attributes = {"approver": {"DataType": "String", "StringValue": ALICE}}

    sns.publish(TopicArn=TOPIC_ARN, Subject="Review churn-model 3", Message="link", MessageAttributes=attributes)

    assert email_deliveries(SHARED, REGION) == [
        EmailDelivery(
            TOPIC_ARN, ALICE, "Review churn-model 3", "link", {"approver": {"Type": "String", "Value": ALICE}}
        )
    ]


def test_a_stack_subscription_keeps_its_filter_policy_and_default_scope(empty_aws: EmptyAws) -> None:
    """AWS::SNS::Subscription's FilterPolicy is the subscription's; with no FilterPolicyScope it is
    MessageAttributes: "If no filter policy scope is defined for an existing filter policy, the scope defaults to
    MessageAttributes" (Amazon SNS subscription filter policy scope,
    https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html)."""
    sns = _approvers_topic(empty_aws)

    subscriptions = sns.list_subscriptions_by_topic(TopicArn=TOPIC_ARN)["Subscriptions"]
    alice = next(s["SubscriptionArn"] for s in subscriptions if s["Endpoint"] == ALICE)
    attributes = sns.get_subscription_attributes(SubscriptionArn=alice)["Attributes"]

    assert (json.loads(attributes["FilterPolicy"]), attributes["FilterPolicyScope"]) == (
        {"approver": [ALICE]},
        "MessageAttributes",
    )


def test_a_message_body_scoped_filter_matches_the_body_not_the_attributes(empty_aws: EmptyAws) -> None:
    """With FilterPolicyScope MessageBody the policy applies to the (JSON) message body: a message whose
    attributes name Alice but whose body names Bob reaches Bob only."""
    sns = _approvers_topic(empty_aws, scope="MessageBody")
    attributes = {"approver": {"DataType": "String", "StringValue": ALICE}}
    body = json.dumps({"approver": BOB})

    sns.publish(TopicArn=TOPIC_ARN, Message=body, MessageAttributes=attributes)

    assert [delivery.endpoint for delivery in email_deliveries(SHARED, REGION)] == [BOB]


def test_a_message_without_the_approver_attribute_reaches_no_filtered_subscription(empty_aws: EmptyAws) -> None:
    sns = _approvers_topic(empty_aws)

    sns.publish(TopicArn=TOPIC_ARN, Message="link")

    assert email_deliveries(SHARED, REGION) == []


# -- SSM Parameter Store: Standard values are at most 4 KB ------------------------------------------------

PARAMETER = "/modelops/history/churn-model/qa"


def test_a_standard_parameter_value_over_4_kb_is_refused_and_nothing_is_stored(empty_aws: EmptyAws) -> None:
    """ "Standard parameters have a content size limit of 4 KB" (PutParameter, Tier,
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html; the tiers themselves:
    Managing parameter tiers,
    https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html):
    PutParameter with 4,097 bytes fails with ValidationException and stores nothing. AWS documents the limit but
    not this wording on any page: the message is the one the service returns in public error reports (e.g.
    Terraform's "error creating SSM parameter: ValidationException: Standard tier parameters support a maximum
    parameter value of 4096 characters. ..."), copied by the sandbox."""
    ssm = empty_aws.session(SHARED).client("ssm")

    with pytest.raises(ClientError) as refused:
        ssm.put_parameter(Name=PARAMETER, Value="x" * 4097, Type="String")

    assert _error(refused) == (
        "ValidationException",
        "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger "
        "parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see "
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html",
    )
    assert ssm.describe_parameters()["Parameters"] == []


def test_a_standard_value_is_measured_in_bytes_so_800_non_ascii_characters_can_exceed_it(
    empty_aws: EmptyAws,
) -> None:
    """4 KB counted in UTF-8 bytes: 1,500 two-byte characters are 3,000 bytes and fit; 2,049 are 4,098 bytes
    and do not, whether the parameter is created or overwritten. Undocumented by AWS: the pages say "4 KB" and
    the service's message "4096 characters"; counting bytes is the sandbox's choice because it is the stricter
    reading, so that what the sandbox accepts AWS accepts too."""
    ssm = empty_aws.session(SHARED).client("ssm")
    ssm.put_parameter(Name=PARAMETER, Value="é" * 1500, Type="String")

    with pytest.raises(ClientError) as refused:
        ssm.put_parameter(Name=PARAMETER, Value="é" * 2049, Type="String", Overwrite=True)

    assert _error(refused)[0] == "ValidationException"
    assert ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"] == "é" * 1500


def test_a_value_of_exactly_4_kb_and_an_advanced_value_over_it_are_stored(empty_aws: EmptyAws) -> None:
    ssm = empty_aws.session(SHARED).client("ssm")

    ssm.put_parameter(Name=PARAMETER, Value="x" * 4096, Type="String")
    ssm.put_parameter(Name=f"{PARAMETER}-large", Value="x" * 6000, Type="String", Tier="Advanced")

    sizes = {
        p["Name"]: len(ssm.get_parameter(Name=p["Name"])["Parameter"]["Value"])
        for p in ssm.describe_parameters()["Parameters"]
    }
    assert sizes == {PARAMETER: 4096, f"{PARAMETER}-large": 6000}


def test_overwriting_an_advanced_parameter_without_a_tier_keeps_its_8_kb_limit(empty_aws: EmptyAws) -> None:
    """A PutParameter without Tier keeps the parameter's tier: an Advanced parameter stays Advanced. PutParameter
    (Tier): "You can change a standard parameter to an advanced parameter any time. But you can't revert an
    advanced parameter to a standard parameter"
    (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html)."""
    ssm = empty_aws.session(SHARED).client("ssm")
    ssm.put_parameter(Name=PARAMETER, Value="small", Type="String", Tier="Advanced")

    ssm.put_parameter(Name=PARAMETER, Value="x" * 6000, Type="String", Overwrite=True)

    assert len(ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"]) == 6000


# -- S3: bucket policies are at most 20 KB ----------------------------------------------------------------

BUCKET = "modelops-artifacts-test"


def _bucket_policy(size: int) -> str:
    """A bucket policy of exactly `size` bytes: one Deny whose Sid pads it."""
    statement = {
        "Sid": "",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    empty = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    statement["Sid"] = "P" * (size - len(empty))
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_bucket_policy_over_20_kb_is_refused_and_the_previous_policy_stays(empty_aws: EmptyAws) -> None:
    """ "Bucket policies are limited to 20 KB in size" (Bucket policies and user policies,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html): a 21 KB policy is refused
    and the bucket keeps its policy. AWS does not document the error for this limit: the code and message are
    the sandbox's, taken from what S3-compatible stores return (sandbox/moto_compat/s3.py), a divergence to
    confirm on AWS."""
    s3 = empty_aws.session(SHARED).client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    before = _bucket_policy(20 * 1024)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=before)

    with pytest.raises(ClientError) as refused:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=_bucket_policy(21 * 1024))

    assert _error(refused) == ("PolicyTooLarge", "Policy exceeds the maximum allowed document size.")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert s3.get_bucket_policy(Bucket=BUCKET)["Policy"] == before


def test_a_stack_bucket_policy_over_20_kb_fails_the_resource_and_rolls_back(empty_aws: EmptyAws) -> None:
    """AWS::S3::BucketPolicy puts its policy with PutBucketPolicy: over 20 KB the resource fails with the
    refusal, and the stack rolls back. The reason's wording is the sandbox's: CloudFormation's handler-reason
    form without its RequestToken; the handler error code is the documented one the sandbox maps S3's
    PolicyTooLarge to, ServiceLimitExceeded (Resource type handler error codes,
    https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-test-contract-errors.html)."""
    cfn = empty_aws.session(SHARED).client("cloudformation")
    template = {
        "Resources": {
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}},
            "Policy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": json.loads(_bucket_policy(21 * 1024))},
            },
        }
    }

    cfn.create_stack(StackName="artifacts", TemplateBody=json.dumps(template))

    events = cfn.describe_stack_events(StackName="artifacts")["StackEvents"]
    failed = [
        (e["LogicalResourceId"], e.get("ResourceStatusReason"))
        for e in events
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert cfn.describe_stacks(StackName="artifacts")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failed == [
        (
            "Policy",
            'Resource handler returned message: "Policy exceeds the maximum allowed document size." '
            "(HandlerErrorCode: ServiceLimitExceeded)",
        )
    ]


# -- CloudWatch: DescribeAlarmHistory ---------------------------------------------------------------------


def _alarm(cloudwatch: Any, name: str) -> None:
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def test_alarm_history_lists_each_entry_into_alarm_newest_first_and_outlives_the_alarm(empty_aws: EmptyAws) -> None:
    """DescribeAlarmHistory (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/
    API_DescribeAlarmHistory.html) returns a StateUpdate item for each change of state, newest first, with
    HistoryData holding the old and new state (AlarmHistoryItem); "CloudWatch retains the history of an alarm even
    if you delete the alarm". Setting the state an alarm already has changes nothing and records nothing."""
    cloudwatch: Any = empty_aws.session(QA).client("cloudwatch")
    _alarm(cloudwatch, "modelops-churn-model-5xx-errors")
    _alarm(cloudwatch, "modelops-churn-model-model-latency")
    for state in ("ALARM", "ALARM", "OK"):
        cloudwatch.set_alarm_state(AlarmName="modelops-churn-model-5xx-errors", StateValue=state, StateReason=state)
    cloudwatch.set_alarm_state(AlarmName="modelops-churn-model-model-latency", StateValue="ALARM", StateReason="slow")
    cloudwatch.delete_alarms(AlarmNames=["modelops-churn-model-5xx-errors"])

    items = cloudwatch.describe_alarm_history(
        AlarmName="modelops-churn-model-5xx-errors", HistoryItemType="StateUpdate"
    )["AlarmHistoryItems"]
    assert [(i["AlarmName"], i["HistoryItemType"], i["HistorySummary"]) for i in items] == [
        ("modelops-churn-model-5xx-errors", "StateUpdate", "Alarm updated from ALARM to OK"),
        ("modelops-churn-model-5xx-errors", "StateUpdate", "Alarm updated from OK to ALARM"),
    ]
    assert json.loads(items[1]["HistoryData"])["newState"] == {"stateValue": "ALARM", "stateReason": "ALARM"}
    assert json.loads(items[1]["HistoryData"])["oldState"]["stateValue"] == "OK"
    assert items[0]["Timestamp"] >= items[1]["Timestamp"]
    later = items[0]["Timestamp"]
    assert cloudwatch.describe_alarm_history(AlarmName="modelops-churn-model-5xx-errors", StartDate=later)[
        "AlarmHistoryItems"
    ] == [items[0]]
    assert cloudwatch.describe_alarm_history(HistoryItemType="ConfigurationUpdate")["AlarmHistoryItems"] == []
    paged = cloudwatch.describe_alarm_history(MaxRecords=2, ScanBy="TimestampAscending")
    assert [i["HistorySummary"] for i in paged["AlarmHistoryItems"]] == [
        "Alarm updated from OK to ALARM",
        "Alarm updated from ALARM to OK",
    ]
    rest = cloudwatch.describe_alarm_history(MaxRecords=2, ScanBy="TimestampAscending", NextToken=paged["NextToken"])
    assert [(i["AlarmName"], i["HistorySummary"]) for i in rest["AlarmHistoryItems"]] == [
        ("modelops-churn-model-model-latency", "Alarm updated from OK to ALARM")
    ]
    assert "NextToken" not in rest
