"""SageMaker: the registry, models, endpoint configs and endpoints, and the runtime's InvokeEndpoint.

ARNs as SageMaker forms them ("Resource types defined by Amazon SageMaker AI", Service Authorization
Reference): `model-package-group/<group>`, `model-package/<group>/<version>`, `model/<name>`,
`endpoint-config/<name>`, `endpoint/<name>`; an endpoint's ARN is lower-cased ("Amazon SageMaker AI
endpoints", aws-facts.md). A package named by ARN is authorized in the ARN's account (the registry's, for
a cross-account call); a group's resource policy governs its packages. Create and UpdateModelPackage carry
the keys the registry's policies test: sagemaker:ModelApprovalStatus, sagemaker:CustomerMetadataProperties/<key>,
sagemaker:CustomerMetadataPropertiesToRemove, sagemaker:ModelLifeCycle:stage and :stageStatus, and the
request's tags. CreateModel passes its execution role (iam:PassRole to sagemaker.amazonaws.com); a transform
job (`transform-job/<name>`) carries sagemaker:ModelArn and sagemaker:OutputKmsKey.
"""

from __future__ import annotations

from typing import Any

from moto.sagemaker.models import sagemaker_backends

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog.common import Check, Mapper, Scope, arn_account, everywhere, param, request_tags
from sandbox.authorization.catalog.identity import pass_role


def _named(scope: Scope, kind: str, name_or_arn: str) -> tuple[str, str]:
    if name_or_arn.startswith("arn:"):
        return name_or_arn, arn_account(name_or_arn)
    return scope.arn("sagemaker", f"{kind}/{name_or_arn}"), scope.account


def _group(scope: Scope, name_or_arn: str) -> tuple[str, str]:
    return _named(scope, "model-package-group", name_or_arn)


def _package_context(call: Call) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if call.params.get("ModelApprovalStatus"):
        context["sagemaker:ModelApprovalStatus"] = call.params["ModelApprovalStatus"]
    for key, value in (call.params.get("CustomerMetadataProperties") or {}).items():
        context[f"sagemaker:CustomerMetadataProperties/{key}"] = value
    if call.params.get("CustomerMetadataPropertiesToRemove"):
        context["sagemaker:CustomerMetadataPropertiesToRemove"] = list(
            call.params["CustomerMetadataPropertiesToRemove"]
        )
    life_cycle = call.params.get("ModelLifeCycle") or {}
    if life_cycle.get("Stage"):
        context["sagemaker:ModelLifeCycle:stage"] = life_cycle["Stage"]
    if life_cycle.get("StageStatus"):
        context["sagemaker:ModelLifeCycle:stageStatus"] = life_cycle["StageStatus"]
    context.update(request_tags(call.params.get("Tags") or []))
    return context


def create_model_package(call: Call, scope: Scope) -> list[Check]:
    """CreateModelPackage on the version it creates in the group's account, with the registry's keys."""
    group_arn, account = _group(scope, param(call, "ModelPackageGroupName"))
    group = group_arn.split(":", 5)[5].removeprefix("model-package-group/")
    version = _next_version(account, arn_region(group_arn, scope), group)
    package = scope.arn(
        "sagemaker", f"model-package/{group}/{version}", account=account, region=arn_region(group_arn, scope)
    )
    return [Check("sagemaker:CreateModelPackage", package, account, _package_context(call))]


def arn_region(arn: str, scope: Scope) -> str:
    """The region field of an ARN, or the scope's when it has none."""
    parts = arn.split(":", 5)
    return parts[3] if len(parts) == 6 and parts[3] else scope.region


def _next_version(account: str, region: str, group: str) -> int:
    backend = sagemaker_backends[account][region]
    versions = [
        package
        for package in backend.model_packages.values()
        if getattr(package, "model_package_group_name", None) == group
    ]
    return len(versions) + 1


def package_call(action: str) -> Mapper:
    """Model package operations on the package's ARN (in its owner's account)."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        name = param(call, "ModelPackageArn" if "ModelPackageArn" in call.params else "ModelPackageName")
        arn, account = _named(scope, "model-package", name)
        context = _package_context(call) if action == "sagemaker:UpdateModelPackage" else {}
        return [Check(action, arn, account, context)]

    return mapper


def group_call(action: str) -> Mapper:
    """Operations on the named group's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        arn, account = _group(scope, param(call, "ModelPackageGroupName"))
        return [Check(action, arn, account, request_tags(call.params.get("Tags") or []))]

    return mapper


def named_call(action: str, kind: str, key: str, *, lower: bool = False) -> Mapper:
    """An operation on a SageMaker resource named by name or ARN (endpoint names lower-cased)."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        name = str(param(call, key))
        arn, account = _named(scope, kind, name.lower() if lower else name)
        return [Check(action, arn, account, request_tags(call.params.get("Tags") or []))]

    return mapper


def create_model(call: Call, scope: Scope) -> list[Check]:
    """CreateModel on the model, and iam:PassRole of its execution role to SageMaker."""
    checks = named_call("sagemaker:CreateModel", "model", "ModelName")(call, scope)
    role = call.params.get("ExecutionRoleArn")
    return checks + ([pass_role(role, "sagemaker.amazonaws.com")] if role else [])


def list_model_packages(call: Call, scope: Scope) -> list[Check]:
    """ListModelPackages: on the group when one is named, else on *."""
    group = call.params.get("ModelPackageGroupName")
    if group is None:
        return [Check("sagemaker:ListModelPackages", "*", scope.account)]
    # A listing of one group is authorized on the group, as AWS's cross-account registry policies grant it
    # ("Resource": the group and its packages, "Cross-account access to a model group", SageMaker guide).
    arn, account = _group(scope, group)
    return [Check("sagemaker:ListModelPackages", arn, account)]


def create_transform_job(call: Call, scope: Scope) -> list[Check]:
    """CreateTransformJob on the job, with sagemaker:ModelArn (the named model, in the caller's account) and
    sagemaker:OutputKmsKey (TransformOutput's KmsKeyId as sent) when there is one ("Actions, resources, and
    condition keys for Amazon SageMaker AI"). It passes no role: the model names its execution role."""
    [check] = named_call("sagemaker:CreateTransformJob", "transform-job", "TransformJobName")(call, scope)
    context = {**check.context, "sagemaker:ModelArn": scope.arn("sagemaker", f"model/{param(call, 'ModelName')}")}
    key = (call.params.get("TransformOutput") or {}).get("KmsKeyId")
    if key:
        context["sagemaker:OutputKmsKey"] = key
    return [Check(check.action, check.resource, check.account, context)]


SAGEMAKER: dict[str, Mapper] = {
    "CreateModelPackage": create_model_package,
    "DescribeModelPackage": package_call("sagemaker:DescribeModelPackage"),
    "UpdateModelPackage": package_call("sagemaker:UpdateModelPackage"),
    "DeleteModelPackage": package_call("sagemaker:DeleteModelPackage"),
    "ListModelPackages": list_model_packages,
    "CreateModelPackageGroup": group_call("sagemaker:CreateModelPackageGroup"),
    "DescribeModelPackageGroup": group_call("sagemaker:DescribeModelPackageGroup"),
    "DeleteModelPackageGroup": group_call("sagemaker:DeleteModelPackageGroup"),
    "GetModelPackageGroupPolicy": group_call("sagemaker:GetModelPackageGroupPolicy"),
    "PutModelPackageGroupPolicy": group_call("sagemaker:PutModelPackageGroupPolicy"),
    "DeleteModelPackageGroupPolicy": group_call("sagemaker:DeleteModelPackageGroupPolicy"),
    "ListModelPackageGroups": everywhere("sagemaker:ListModelPackageGroups"),
    "CreateModel": create_model,
    "DescribeModel": named_call("sagemaker:DescribeModel", "model", "ModelName"),
    "DeleteModel": named_call("sagemaker:DeleteModel", "model", "ModelName"),
    "ListModels": everywhere("sagemaker:ListModels"),
    "CreateEndpointConfig": named_call("sagemaker:CreateEndpointConfig", "endpoint-config", "EndpointConfigName"),
    "DescribeEndpointConfig": named_call("sagemaker:DescribeEndpointConfig", "endpoint-config", "EndpointConfigName"),
    "DeleteEndpointConfig": named_call("sagemaker:DeleteEndpointConfig", "endpoint-config", "EndpointConfigName"),
    "ListEndpointConfigs": everywhere("sagemaker:ListEndpointConfigs"),
    "CreateEndpoint": named_call("sagemaker:CreateEndpoint", "endpoint", "EndpointName", lower=True),
    "UpdateEndpoint": named_call("sagemaker:UpdateEndpoint", "endpoint", "EndpointName", lower=True),
    "DescribeEndpoint": named_call("sagemaker:DescribeEndpoint", "endpoint", "EndpointName", lower=True),
    "DeleteEndpoint": named_call("sagemaker:DeleteEndpoint", "endpoint", "EndpointName", lower=True),
    "ListEndpoints": everywhere("sagemaker:ListEndpoints"),
    "CreateTransformJob": create_transform_job,
    "DescribeTransformJob": named_call("sagemaker:DescribeTransformJob", "transform-job", "TransformJobName"),
    "StopTransformJob": named_call("sagemaker:StopTransformJob", "transform-job", "TransformJobName"),
    "ListTransformJobs": everywhere("sagemaker:ListTransformJobs"),
    "ListTags": lambda call, scope: [
        Check("sagemaker:ListTags", param(call, "ResourceArn"), arn_account(param(call, "ResourceArn")))
    ],
}

SAGEMAKER_RUNTIME: dict[str, Mapper] = {
    "InvokeEndpoint": named_call("sagemaker:InvokeEndpoint", "endpoint", "EndpointName", lower=True),
}
