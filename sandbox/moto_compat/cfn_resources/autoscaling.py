"""Application Auto Scaling's ScalableTarget and ScalingPolicy, which moto's CloudFormation skips."""

from __future__ import annotations

from typing import Any

from moto.applicationautoscaling import models as _aas_models

from sandbox.moto_compat.cfn_resources.base import DeclaredResource

aas_backends: Any = _aas_models.applicationautoscaling_backends


class ScalableTargetResource(DeclaredResource):
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


class ScalingPolicyResource(DeclaredResource):
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
