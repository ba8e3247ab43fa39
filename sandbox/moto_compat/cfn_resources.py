"""CloudFormation resource types the synthesized stacks use and moto 5.2.5 skips or gets wrong.

moto silently skips types it does not know (the stack still reports complete) and fails a stack on any
GetAtt of a skipped type. Each class below creates the real resource in moto's backend for its service,
with the Ref and GetAtt values the CloudFormation resource reference documents. Types no backend can
hold are recorded by `AcceptedResource`, so references to them resolve and the stack lists them.
"""

from __future__ import annotations

import json
from typing import Any

from moto.applicationautoscaling import models as _aas_models
from moto.cloudwatch import models as _cw_models
from moto.core.common_models import CloudFormationModel
from moto.iam import models as _iam_models
from moto.s3 import models as _s3_models
from moto.sagemaker import models as _sm_models
from moto.secretsmanager import models as _secrets_models
from moto.sns import models as _sns_models
from moto.sqs import models as _sqs_models
from moto.utilities.utils import get_partition

# Backends whose patched or loosely typed methods are called here.
aas_backends: Any = _aas_models.applicationautoscaling_backends
iam_backends: Any = _iam_models.iam_backends
secrets_backends: Any = _secrets_models.secretsmanager_backends
sns_backends: Any = _sns_models.sns_backends
sqs_backends: Any = _sqs_models.sqs_backends
cw_models: Any = _cw_models
s3_backends: Any = _s3_models.s3_backends
sm_models: Any = _sm_models


def _policy_text(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


class _DeclaredResource(CloudFormationModel):
    """A resource type this module emulates, declared by its type, name property and GetAtt attributes."""

    resource_type = ""
    name_property = ""  # the property that names the resource, "" when CloudFormation generates no name
    attributes: tuple[str, ...] = ()

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.resource_type

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes


class ModelPackageGroupResource(_DeclaredResource):
    """AWS::SageMaker::ModelPackageGroup, with its ModelPackageGroupPolicy. Ref returns the group ARN."""

    resource_type = "AWS::SageMaker::ModelPackageGroup"
    name_property = "ModelPackageGroupName"
    attributes = ("ModelPackageGroupArn", "CreationTime", "ModelPackageGroupStatus")

    def __init__(self, group: Any, account_id: str, region_name: str) -> None:
        self.group = group
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return str(self.group.arn)

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        values = {
            "ModelPackageGroupArn": self.group.arn,
            "CreationTime": self.group.creation_time.isoformat(),
            "ModelPackageGroupStatus": self.group.model_package_group_status,
        }
        return values[attribute_name]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> ModelPackageGroupResource:
        properties = cloudformation_json["Properties"]
        backend = sm_models.sagemaker_backends[account_id][region_name]
        backend.create_model_package_group(
            model_package_group_name=resource_name,
            model_package_group_description=properties.get("ModelPackageGroupDescription"),
            tags=properties.get("Tags"),
        )
        if properties.get("ModelPackageGroupPolicy") is not None:
            backend.put_model_package_group_policy(resource_name, _policy_text(properties["ModelPackageGroupPolicy"]))
        return cls(backend.model_package_groups[resource_name], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: ModelPackageGroupResource,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> ModelPackageGroupResource:
        if new_resource_name != original_resource.group.model_package_group_name:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        # Description, policy and tags update in place ("Update requires: No interruption").
        properties = cloudformation_json["Properties"]
        group = original_resource.group
        group.model_package_group_description = properties.get("ModelPackageGroupDescription")
        group.tags = properties.get("Tags") or []
        policy = properties.get("ModelPackageGroupPolicy")
        group.resource_policy = None if policy is None else _policy_text(policy)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        backend = sm_models.sagemaker_backends[account_id][region_name]
        backend.model_package_groups.pop(resource_name.rsplit("/", 1)[-1], None)

    def delete(self, account_id: str, region_name: str) -> None:
        sm_models.sagemaker_backends[account_id][region_name].model_package_groups.pop(
            self.group.model_package_group_name, None
        )

    def is_created(self) -> bool:
        return True


class BucketPolicyResource(_DeclaredResource):
    """AWS::S3::BucketPolicy: puts the policy on the bucket (moto skips the type)."""

    resource_type = "AWS::S3::BucketPolicy"
    name_property = ""
    attributes = ()

    def __init__(self, name: str, bucket: str, account_id: str, region_name: str) -> None:
        self.name = name
        self.bucket = bucket
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def _backend(account_id: str, region_name: str) -> Any:
        return s3_backends[account_id][get_partition(region_name)]

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> BucketPolicyResource:
        properties = cloudformation_json["Properties"]
        bucket = properties["Bucket"]
        cls._backend(account_id, region_name).put_bucket_policy(
            bucket, _policy_text(properties["PolicyDocument"]).encode()
        )
        return cls(resource_name, bucket, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> BucketPolicyResource:
        if cloudformation_json["Properties"]["Bucket"] != original_resource.bucket:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(original_resource.name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        cls._backend(account_id, region_name).delete_bucket_policy(cloudformation_json["Properties"]["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        self._backend(account_id, region_name).delete_bucket_policy(self.bucket)

    def is_created(self) -> bool:
        return True


def _metric_queries(metrics: list[dict[str, Any]] | None) -> list[Any] | None:
    """The alarm's `Metrics` (metric math) as the MetricDataQuery objects moto's PutMetricAlarm builds."""
    if not metrics:
        return None
    queries = []
    for metric in metrics:
        stat = metric.get("MetricStat")
        metric_stat = None
        if stat:
            inner = stat["Metric"]
            metric_stat = cw_models.MetricStat(
                metric=cw_models.Metric(
                    metric_name=inner["MetricName"],
                    namespace=inner.get("Namespace"),
                    dimensions=[cw_models.Dimension(d["Name"], d["Value"]) for d in inner.get("Dimensions", [])],
                ),
                period=stat.get("Period"),
                stat=stat.get("Stat"),
                unit=stat.get("Unit"),
            )
        queries.append(
            cw_models.MetricDataQuery(
                query_id=metric["Id"],
                label=metric.get("Label"),
                period=metric.get("Period"),
                return_data=metric.get("ReturnData"),
                expression=metric.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


class AlarmResource(_DeclaredResource):
    """AWS::CloudWatch::Alarm: a real alarm in moto's CloudWatch. Ref returns the alarm name; GetAtt Arn."""

    resource_type = "AWS::CloudWatch::Alarm"
    name_property = "AlarmName"
    attributes = ("Arn",)

    def __init__(self, alarm: Any) -> None:
        self.alarm = alarm

    @property
    def physical_resource_id(self) -> str:
        return str(self.alarm.name)

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.alarm.alarm_arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> AlarmResource:
        p = cloudformation_json["Properties"]
        alarm = cw_models.cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=_metric_queries(p.get("Metrics")),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            period=int(p["Period"]) if "Period" in p else None,
            threshold=float(p["Threshold"]) if "Threshold" in p else None,
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=p.get("Dimensions", []),
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions"),
            insufficient_data_actions=p.get("InsufficientDataActions"),
            unit=p.get("Unit"),
            actions_enabled=p.get("ActionsEnabled", True) in (True, "true"),
            treat_missing_data=p.get("TreatMissingData"),
            threshold_metric_id=p.get("ThresholdMetricId"),
        )
        return cls(alarm)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> AlarmResource:
        # PutMetricAlarm overwrites an alarm of the same name; a new AlarmName is a replacement.
        if new_resource_name != original_resource.alarm.name:
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        cw_models.cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cw_models.cloudwatch_backends[account_id][region_name].delete_alarms([self.alarm.name])

    def is_created(self) -> bool:
        return True


class ScalableTargetResource(_DeclaredResource):
    """AWS::ApplicationAutoScaling::ScalableTarget: registered with Application Auto Scaling. Ref returns
    `<ResourceId>|<ScalableDimension>|<ServiceNamespace>`, the id a ScalingPolicy's ScalingTargetId takes."""

    resource_type = "AWS::ApplicationAutoScaling::ScalableTarget"
    name_property = ""
    attributes = ()

    def __init__(self, namespace: str, resource_id: str, dimension: str) -> None:
        self.namespace = namespace
        self.resource_id = resource_id
        self.dimension = dimension

    @property
    def physical_resource_id(self) -> str:
        return f"{self.resource_id}|{self.dimension}|{self.namespace}"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> ScalableTargetResource:
        p = cloudformation_json["Properties"]
        aas_backends[account_id][region_name].register_scalable_target(
            namespace=p["ServiceNamespace"],
            r_id=p["ResourceId"],
            dimension=p["ScalableDimension"],
            min_capacity=int(p["MinCapacity"]),
            max_capacity=int(p["MaxCapacity"]),
            role_arn=p.get("RoleARN"),
            suspended_state=p.get("SuspendedState"),
        )
        return cls(p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> ScalableTargetResource:
        p = cloudformation_json["Properties"]
        if (p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"]) != (
            original_resource.namespace,
            original_resource.resource_id,
            original_resource.dimension,
        ):
            original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        resource_id, dimension, namespace = resource_name.split("|")
        aas_backends[account_id][region_name].deregister_scalable_target(namespace, resource_id, dimension)

    def delete(self, account_id: str, region_name: str) -> None:
        aas_backends[account_id][region_name].deregister_scalable_target(
            self.namespace, self.resource_id, self.dimension
        )

    def is_created(self) -> bool:
        return True


class ScalingPolicyResource(_DeclaredResource):
    """AWS::ApplicationAutoScaling::ScalingPolicy: put on its scalable target. Ref and GetAtt Arn return
    the policy ARN."""

    resource_type = "AWS::ApplicationAutoScaling::ScalingPolicy"
    name_property = "PolicyName"
    attributes = ("Arn",)

    def __init__(self, policy: Any) -> None:
        self.policy = policy

    @property
    def physical_resource_id(self) -> str:
        return str(self.policy.policy_arn)

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.policy.policy_arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> ScalingPolicyResource:
        p = cloudformation_json["Properties"]
        if "ScalingTargetId" in p:
            resource_id, dimension, namespace = p["ScalingTargetId"].split("|")
        else:
            resource_id, dimension, namespace = p["ResourceId"], p["ScalableDimension"], p["ServiceNamespace"]
        policy_type = p["PolicyType"]
        body_key = (
            "TargetTrackingScalingPolicyConfiguration"
            if policy_type == "TargetTrackingScaling"
            else "StepScalingPolicyConfiguration"
        )
        policy = aas_backends[account_id][region_name].put_scaling_policy(
            policy_name=resource_name,
            service_namespace=namespace,
            resource_id=resource_id,
            scalable_dimension=dimension,
            policy_body=p.get(body_key, {}),
            policy_type=policy_type,
        )
        return cls(policy)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> ScalingPolicyResource:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None  # deleted through the instance (`delete`), which knows its target

    def delete(self, account_id: str, region_name: str) -> None:
        policy = self.policy
        aas_backends[account_id][region_name].delete_scaling_policy(
            policy.policy_name, policy.service_namespace, policy.resource_id, policy.scalable_dimension
        )

    def is_created(self) -> bool:
        return True


class _BackendResource(_DeclaredResource):
    """A resource made by one backend call and removed by another; updates replace it."""

    attributes = ("Arn",)

    def __init__(self, physical_id: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        self.physical_id = physical_id
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.physical_id

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        raise NotImplementedError

    def remove(self) -> None:
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> _BackendResource:
        properties = cloudformation_json["Properties"]
        return cls(cls.make(resource_name, properties, account_id, region_name), properties, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> _BackendResource:
        original_resource.remove()
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None  # removed through the instance (`delete`)

    def delete(self, account_id: str, region_name: str) -> None:
        self.remove()

    def is_created(self) -> bool:
        return True


class OidcProviderResource(_BackendResource):
    """AWS::IAM::OIDCProvider: Ref and GetAtt Arn return `arn:aws:iam::<account>:oidc-provider/<host>`."""

    resource_type = "AWS::IAM::OIDCProvider"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        provider = iam_backends[account_id][get_partition(region_name)].create_open_id_connect_provider(
            properties["Url"], properties.get("ThumbprintList", []), properties.get("ClientIdList", []), []
        )
        return str(provider.arn)

    def remove(self) -> None:
        iam_backends[self.account_id][get_partition(self.region_name)].delete_open_id_connect_provider(self.physical_id)


class SnsSubscriptionResource(_BackendResource):
    """AWS::SNS::Subscription: Ref returns the subscription ARN."""

    resource_type = "AWS::SNS::Subscription"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        subscription = sns_backends[account_id][region_name].subscribe(
            properties["TopicArn"], properties.get("Endpoint"), properties["Protocol"]
        )
        return str(subscription.arn)

    def remove(self) -> None:
        sns_backends[self.account_id][self.region_name].unsubscribe(self.physical_id)


class TopicPolicyResource(_BackendResource):
    """AWS::SNS::TopicPolicy: PolicyDocument becomes the Policy attribute of each of Topics."""

    resource_type = "AWS::SNS::TopicPolicy"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        for topic in properties["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(
                topic, "policy", _policy_text(properties["PolicyDocument"])
            )
        return name

    def remove(self) -> None:
        return None  # the topic keeps its last policy until it is deleted; nothing reads it back


class QueuePolicyResource(_BackendResource):
    """AWS::SQS::QueuePolicy: PolicyDocument becomes the Policy attribute of each queue in Queues (URLs)."""

    resource_type = "AWS::SQS::QueuePolicy"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        for queue_url in properties["Queues"]:
            sqs_backends[account_id][region_name].set_queue_attributes(
                queue_url.rsplit("/", 1)[-1], {"Policy": _policy_text(properties["PolicyDocument"])}
            )
        return name

    def remove(self) -> None:
        return None


class SecretResource(_BackendResource):
    """AWS::SecretsManager::Secret, with SecretString or GenerateSecretString. Ref returns its ARN."""

    resource_type = "AWS::SecretsManager::Secret"
    name_property = "Name"

    @classmethod
    def make(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> str:
        backend = secrets_backends[account_id][region_name]
        value = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if value is None and generate is not None:
            generated = backend.get_random_password(
                password_length=int(generate.get("PasswordLength", 32)),
                exclude_characters=generate.get("ExcludeCharacters", ""),
                exclude_numbers=generate.get("ExcludeNumbers", False),
                exclude_punctuation=generate.get("ExcludePunctuation", False),
                exclude_uppercase=generate.get("ExcludeUppercase", False),
                exclude_lowercase=generate.get("ExcludeLowercase", False),
                include_space=generate.get("IncludeSpace", False),
                require_each_included_type=generate.get("RequireEachIncludedType", True),
            )
            password = json.loads(generated)["RandomPassword"]  # moto returns the API response as JSON
            template = generate.get("SecretStringTemplate")
            value = password
            if template is not None:
                value = json.dumps({**json.loads(template), generate["GenerateStringKey"]: password})
        created = backend.create_secret(
            name=name,
            secret_string=value,
            secret_binary=None,
            description=properties.get("Description"),
            tags=properties.get("Tags"),
            kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        return str(json.loads(created)["ARN"])

    def remove(self) -> None:
        secrets_backends[self.account_id][self.region_name].delete_secret(self.physical_id, None, True)


class AcceptedResource(CloudFormationModel):
    """A type no moto backend can hold (for example AWS::SNS::TopicPolicy or AWS::ApiGateway::Stage).

    It is recorded, not emulated: the stack lists it, Ref returns its physical name, and GetAtt returns
    `arn:<partition>:<service>:<region>:<account>:<name>` for attributes ending in Arn and the name for
    any other, so templates that reference it deploy. These values are not the ones AWS would assign;
    nothing in the sandbox reads them back. The policy tests, not the sandbox, prove what such
    resources allow.
    """

    def __init__(self, resource_type: str, name: str, properties: dict[str, Any], account_id: str, region: str) -> None:
        self.resource_type = resource_type
        self.name = name
        self.properties = properties
        self.account_id = account_id
        self.region_name = region

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Modelops::Accepted"  # never matched: instances are made per type by the compat layer

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name.endswith("Arn"):
            service = self.resource_type.split("::")[1].lower()
            partition = get_partition(self.region_name)
            return f"arn:{partition}:{service}:{self.region_name}:{self.account_id}:{self.name}"
        return self.name

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> AcceptedResource:
        return cls(
            cloudformation_json["Type"],
            resource_name,
            cloudformation_json["Properties"],
            account_id,
            region_name,
        )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: AcceptedResource,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> AcceptedResource:
        original_resource.properties = cloudformation_json["Properties"]
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        return None

    def delete(self, account_id: str, region_name: str) -> None:
        return None

    def is_created(self) -> bool:
        return True


IMPLEMENTED: dict[str, type[CloudFormationModel]] = {
    cls.cloudformation_type(): cls
    for cls in (
        ModelPackageGroupResource,
        BucketPolicyResource,
        AlarmResource,
        ScalableTargetResource,
        ScalingPolicyResource,
        OidcProviderResource,
        SnsSubscriptionResource,
        TopicPolicyResource,
        QueuePolicyResource,
        SecretResource,
    )
}
