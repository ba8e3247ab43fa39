"""CloudFormation, Lambda, API Gateway, ECR and Application Auto Scaling.

- CloudFormation on `stack/<name>/<id>` (the stack's id once it exists). A stack created or updated
  with RoleARN passes that role to CloudFormation (iam:PassRole to cloudformation.amazonaws.com), and
  CloudFormation then assumes it ("AWS CloudFormation service role"): the role's trust must allow
  cloudformation.amazonaws.com. A TemplateURL is read with the caller's credentials (s3:GetObject).
- Lambda on `function:<name>`; API Gateway's management API as apigateway:<METHOD> on the resource path
  (`arn:aws:apigateway:<region>::/restapis/...`); ECR on `repository/<name>` of the registry account.
"""

from __future__ import annotations

from urllib.parse import urlparse

from moto.cloudformation.models import cloudformation_backends

from sandbox.authorization.calls import Call
from sandbox.authorization.catalog.common import Check, Mapper, Scope, arn_account, everywhere, param, request_tags
from sandbox.authorization.catalog.identity import pass_role
from sandbox.authorization.catalog.storage import bucket_account

CLOUDFORMATION_SERVICE = "cloudformation.amazonaws.com"


def _stack(scope: Scope, name_or_arn: str) -> tuple[str, str]:
    if name_or_arn.startswith("arn:"):
        return name_or_arn, arn_account(name_or_arn)
    backend = cloudformation_backends[scope.account][scope.region]
    for stack in backend.stacks.values():
        if stack.name == name_or_arn and stack.status != "DELETE_COMPLETE":
            return str(stack.stack_id), scope.account
    return scope.arn("cloudformation", f"stack/{name_or_arn}/*"), scope.account


def _template_url_checks(call: Call, scope: Scope) -> list[Check]:
    url = call.params.get("TemplateURL")
    if not url:
        return []
    parsed = urlparse(str(url))
    host_bucket = parsed.netloc.split(".s3", 1)[0] if ".s3" in parsed.netloc else None
    path = parsed.path.lstrip("/")
    bucket, _, key = (host_bucket or "", "/", path) if host_bucket else path.partition("/")
    return [Check("s3:GetObject", f"arn:{scope.partition}:s3:::{bucket}/{key}", bucket_account(str(bucket), scope))]


def stack_call(action: str, *, writes: bool = False) -> Mapper:
    """CloudFormation operations on the stack; writes also pass the execution role and read the template."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        name = call.params.get("StackName")
        if name is None:
            return [Check(action, "*", scope.account)]
        arn, account = _stack(scope, str(name))
        context = request_tags(call.params.get("Tags") or [])
        if call.params.get("RoleARN"):
            context["cloudformation:RoleArn"] = str(call.params["RoleARN"])
        checks = [Check(action, arn, account, context)]
        if writes:
            role = call.params.get("RoleARN")
            if role:
                checks.append(pass_role(str(role), CLOUDFORMATION_SERVICE))
            checks += _template_url_checks(call, scope)
        return checks

    return mapper


CLOUDFORMATION: dict[str, Mapper] = {
    "CreateStack": stack_call("cloudformation:CreateStack", writes=True),
    "UpdateStack": stack_call("cloudformation:UpdateStack", writes=True),
    "CreateChangeSet": stack_call("cloudformation:CreateChangeSet", writes=True),
    "DeleteStack": stack_call("cloudformation:DeleteStack"),
    "DescribeStacks": stack_call("cloudformation:DescribeStacks"),
    "DescribeStackEvents": stack_call("cloudformation:DescribeStackEvents"),
    "DescribeStackResources": stack_call("cloudformation:DescribeStackResources"),
    "ListStackResources": stack_call("cloudformation:ListStackResources"),
    "GetTemplate": stack_call("cloudformation:GetTemplate"),
    "ListStacks": everywhere("cloudformation:ListStacks"),
}


def function_call(action: str) -> Mapper:
    """Lambda operations on the function's ARN."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        name = str(param(call, "FunctionName"))
        if name.startswith("arn:"):
            return [Check(action, name, arn_account(name))]
        return [Check(action, scope.arn("lambda", f"function:{name}"), scope.account)]

    return mapper


LAMBDA: dict[str, Mapper] = {
    operation: function_call(f"lambda:{operation}")
    for operation in ("GetFunction", "GetFunctionConfiguration", "Invoke", "GetPolicy")
} | {"ListFunctions": everywhere("lambda:ListFunctions")}


def apigateway_call(call: Call, scope: Scope) -> list[Check]:
    """API Gateway's management API is authorized by HTTP method on the path ("Control access for managing
    an API": apigateway:GET on arn:aws:apigateway:<region>::/restapis/<id>/...)."""
    return [
        Check(
            f"apigateway:{call.method}", f"arn:{scope.partition}:apigateway:{scope.region}::{call.path}", scope.account
        )
    ]


def repository_call(action: str) -> Mapper:
    """ECR operations on the repository of the registry account named (the caller's by default)."""

    def mapper(call: Call, scope: Scope) -> list[Check]:
        account = str(call.params.get("registryId") or scope.account)
        tags = request_tags(call.params.get("tags") or [])
        if "repositoryName" not in call.params and call.operation == "DescribeRepositories":
            names = call.params.get("repositoryNames")
            if not names:  # every repository of the registry: authorized on `repository/*`
                return [Check(action, scope.arn("ecr", "repository/*", account=account), account)]
            return [Check(action, scope.arn("ecr", f"repository/{name}", account=account), account) for name in names]
        arn = scope.arn("ecr", f"repository/{param(call, 'repositoryName')}", account=account)
        return [Check(action, arn, account, tags)]

    return mapper


ECR: dict[str, Mapper] = {
    **{
        operation: repository_call(f"ecr:{operation}")
        for operation in (
            "CreateRepository",
            "DescribeImages",
            "PutImage",
            "BatchGetImage",
            "GetRepositoryPolicy",
            "SetRepositoryPolicy",
            "DescribeRepositories",
            "ListImages",
            "BatchCheckLayerAvailability",
            "InitiateLayerUpload",
            "UploadLayerPart",
            "CompleteLayerUpload",
            "PutImageScanningConfiguration",
            "GetLifecyclePolicy",
            "PutLifecyclePolicy",
            "DeleteRepository",
            "BatchDeleteImage",
        )
    },
    "GetAuthorizationToken": everywhere("ecr:GetAuthorizationToken"),
}

APPLICATION_AUTOSCALING: dict[str, Mapper] = {
    operation: everywhere(f"application-autoscaling:{operation}")
    for operation in (
        "DescribeScalableTargets",
        "DescribeScalingPolicies",
        "RegisterScalableTarget",
        "PutScalingPolicy",
    )
}
