"""SageMaker through CloudFormation: the model registry's group (a type moto skips), and hosting (Model,
EndpointConfig, Endpoint) with the names, containers and deployment configuration AWS honours."""

from __future__ import annotations

from typing import Any

from moto.sagemaker import models as _sm_models

from sandbox.moto_compat.cfn_resources.base import DeclaredResource, policy_text

# moto's classes are patched at run time; typed as Any so the replaced attributes type-check.
sm_models: Any = _sm_models

# Types whose every property change is a replacement, created before the old resource is deleted.
REPLACE_ON_CHANGE = {
    "AWS::SageMaker::Model": "ModelName",
    "AWS::SageMaker::EndpointConfig": "EndpointConfigName",
}
# Types replaced when one of the listed properties changes ("Update requires: Replacement"), with the property
# that names them: AWS::SageMaker::ModelPackageGroup's name and description (AWS CloudFormation Template
# Reference, aws-resource-sagemaker-modelpackagegroup). Its name is required, so it is always custom-named and
# such an update always fails ("CloudFormation cannot update a stack when a custom-named resource requires
# replacing"); its policy and tags update in place.
REPLACE_ON_PROPERTY_CHANGE = {
    "AWS::SageMaker::ModelPackageGroup": (
        "ModelPackageGroupName",
        ("ModelPackageGroupName", "ModelPackageGroupDescription"),
    ),
}
# The property that names each hosting resource (moto's types declare none, so it ignores all three).
_NAME_PROPERTY = {"Model": "ModelName", "FakeEndpointConfig": "EndpointConfigName", "FakeEndpoint": "EndpointName"}


class ModelPackageGroupResource(DeclaredResource):
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
            try:
                backend.put_model_package_group_policy(
                    resource_name, policy_text(properties["ModelPackageGroupPolicy"])
                )
            except Exception:  # a refused policy fails the resource: no group is left behind
                backend.model_package_groups.pop(resource_name, None)
                raise
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
        # Policy and tags update in place ("Update requires: No interruption"); a new description is a
        # replacement, which the update engine handles before this is called (REPLACE_ON_PROPERTY_CHANGE).
        properties = cloudformation_json["Properties"]
        group = original_resource.group
        group.tags = properties.get("Tags") or []
        policy = properties.get("ModelPackageGroupPolicy")
        backend = sm_models.sagemaker_backends[account_id][region_name]
        if policy is None:
            backend.delete_model_package_group_policy(group.model_package_group_name)
        else:  # through the API call, so its limits hold for a template's policy too
            backend.put_model_package_group_policy(group.model_package_group_name, policy_text(policy))
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


# -- hosting: moto's own Model and Endpoint types, with AWS's semantics ------------------------------------


def model_from_cfn(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::SageMaker::Model with PrimaryContainer or Containers (moto requires PrimaryContainer)."""
    properties = cloudformation_json["Properties"]
    return sm_models.sagemaker_backends[account_id][region_name].create_model(
        model_name=resource_name,
        execution_role_arn=properties["ExecutionRoleArn"],
        primary_container=properties.get("PrimaryContainer"),
        vpc_config=properties.get("VpcConfig", {}),
        containers=properties.get("Containers", []),
        tags=properties.get("Tags", []),
    )


def endpoint_from_cfn(
    cls: Any,
    /,
    resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
    **kwargs: Any,
) -> Any:
    """AWS::SageMaker::Endpoint honouring EndpointName (via the name property) and DeploymentConfig."""
    properties = cloudformation_json["Properties"]
    return sm_models.sagemaker_backends[account_id][region_name].create_endpoint(
        endpoint_name=resource_name,
        endpoint_config_name=properties["EndpointConfigName"],
        tags=properties.get("Tags", []),
        deployment_config=properties.get("DeploymentConfig"),
    )


def endpoint_update_from_cfn(
    cls: Any,
    /,
    original_resource: Any,
    new_resource_name: str,
    cloudformation_json: Any,
    account_id: str,
    region_name: str,
) -> Any:
    """A new EndpointConfigName or DeploymentConfig is an UpdateEndpoint under the same name; a new
    EndpointName is a replacement."""
    backend = sm_models.sagemaker_backends[account_id][region_name]
    if new_resource_name != original_resource.endpoint_name:
        created = endpoint_from_cfn(cls, new_resource_name, cloudformation_json, account_id, region_name)
        backend.delete_endpoint(original_resource.endpoint_name)
        return created
    properties = cloudformation_json["Properties"]
    backend.update_endpoint(
        endpoint_name=original_resource.endpoint_name,
        endpoint_config_name=properties["EndpointConfigName"],
        deployment_config=properties.get("DeploymentConfig"),
    )
    return original_resource


def _named_by(name_property: str) -> Any:
    """A `cloudformation_name_type` returning `name_property`, as moto's types declare it (a staticmethod)."""

    def cloudformation_name_type() -> str:
        return name_property

    return staticmethod(cloudformation_name_type)


def install_hosting() -> None:
    """moto's Model, EndpointConfig and Endpoint types with the names, containers and updates AWS has."""
    for class_name, name_property in _NAME_PROPERTY.items():
        getattr(sm_models, class_name).cloudformation_name_type = _named_by(name_property)
    sm_models.Model.create_from_cloudformation_json = classmethod(model_from_cfn)
    sm_models.FakeEndpoint.create_from_cloudformation_json = classmethod(endpoint_from_cfn)
    sm_models.FakeEndpoint.update_from_cloudformation_json = classmethod(endpoint_update_from_cfn)
