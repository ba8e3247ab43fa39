"""Intrinsics of one stack resolved to literals: the names and ARNs the deployed policies refer to.

Every `Ref`, `Fn::GetAtt`, `Fn::Join` and `Fn::Sub` must resolve to a known resource of the same stack
or a pseudo parameter; anything else is a TemplateError, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from policies.cloud_assembly import StackTemplate

_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
URL_SUFFIX = "amazonaws.com"


class TemplateError(ValueError):
    """A template the proof cannot read faithfully; the message names stack, resource and expression."""


def symbol(logical_id: str) -> str:
    """A readable, stable name for a resource CloudFormation names itself: `DataCaptureBucketA9343715` ->
    `data-capture-bucket`."""
    base = _HASH_SUFFIX.sub("", logical_id) or logical_id
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", base).lower()


class StackResolver:
    """Resolves the intrinsics of one stack to strings."""

    def __init__(self, stack: StackTemplate) -> None:
        if stack.account is None or stack.region is None:
            raise TemplateError(f"{stack.path}: the stack has no account and region; the proof needs both")
        self.stack = stack
        self.account: str = stack.account
        self.region: str = stack.region

    def resolve(self, value: Any, where: str) -> Any:
        """`value` with every intrinsic replaced by its string."""
        if isinstance(value, list):
            return [self.resolve(item, where) for item in value]
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key == "Ref":
                    return self._ref(argument, where)
                if key == "Fn::GetAtt":
                    return self._get_att(argument, where)
                if key == "Fn::Join":
                    return self._join(argument, where)
                if key == "Fn::Sub":
                    return self._sub(argument, where)
                if key.startswith("Fn::") or key == "Condition":
                    raise TemplateError(f"{where}: intrinsic {key} cannot be resolved to a literal")
            return {key: self.resolve(item, where) for key, item in value.items()}
        return value

    def _resource(self, logical_id: str, where: str) -> dict[str, Any]:
        resource = self.stack.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{where}: reference to {logical_id!r}, which is not a resource of the stack")
        return resource

    def _ref(self, target: Any, where: str) -> str:
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::URLSuffix": URL_SUFFIX,
        }
        if target in pseudo:
            return pseudo[target]
        if not isinstance(target, str):
            raise TemplateError(f"{where}: Ref {target!r} is not a logical id")
        resource = self._resource(target, where)
        kind = resource.get("Type", "")
        ref = REF_VALUES.get(kind)
        if ref is None:
            raise TemplateError(f"{where}: Ref to {kind} {target} cannot be resolved to a literal")
        return ref(self, target, resource)

    def _get_att(self, argument: Any, where: str) -> str:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise TemplateError(f"{where}: Fn::GetAtt {argument!r} is not [logical id, attribute]")
        logical_id, attribute = argument
        resource = self._resource(logical_id, where)
        kind = resource.get("Type", "")
        attributes = ATTRIBUTE_VALUES.get(kind, {})
        if attribute not in attributes:
            raise TemplateError(f"{where}: Fn::GetAtt {logical_id}.{attribute} ({kind}) cannot be resolved")
        return attributes[attribute](self, logical_id, resource)

    def _join(self, argument: Any, where: str) -> str:
        if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[1], list):
            raise TemplateError(f"{where}: Fn::Join expects [separator, [values]]")
        parts = [self.resolve(part, where) for part in argument[1]]
        if not all(isinstance(part, str) for part in parts):
            raise TemplateError(f"{where}: Fn::Join has a part that is not a string")
        return str(argument[0]).join(parts)

    def _sub(self, argument: Any, where: str) -> str:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        resolved = {name: self.resolve(value, where) for name, value in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            if name in resolved:
                return str(resolved[name])
            if "." in name:
                return self._get_att(name.split(".", 1), where)
            return self._ref(name, where)

        return _SUB_VARIABLE.sub(substitute, template)

    # --- physical names and ARNs ---

    def name(self, logical_id: str, resource: dict[str, Any], prop: str) -> str:
        """The resource's explicit name, or its symbolic stand-in when CloudFormation names it."""
        explicit = resource.get("Properties", {}).get(prop)
        if explicit is None:
            return symbol(logical_id)
        resolved = self.resolve(explicit, f"{self.stack.path}/{logical_id}.{prop}")
        if not isinstance(resolved, str):
            raise TemplateError(f"{self.stack.path}/{logical_id}.{prop}: expected a string")
        return resolved

    def bucket_name(self, logical_id: str, resource: dict[str, Any]) -> str:
        """The bucket's explicit name, or its symbolic stand-in."""
        explicit = resource.get("Properties", {}).get("BucketName")
        if explicit is None:
            # Generated bucket names are global: qualify the stand-in with the stack.
            return f"cfn-{symbol(self.stack.path.replace('/', '-'))}-{symbol(logical_id)}"
        return self.name(logical_id, resource, "BucketName")

    def arn(self, service: str, resource_part: str, *, regional: bool = True) -> str:
        """An ARN of `service` in this stack's account (and region, unless the service is global)."""
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account}:{resource_part}"


def _oidc_arn(r: StackResolver, logical_id: str, resource: dict[str, Any]) -> str:
    url = r.resolve(resource.get("Properties", {}).get("Url", ""), f"{r.stack.path}/{logical_id}.Url")
    return r.arn("iam", f"oidc-provider/{str(url).removeprefix('https://')}", regional=False)


def _lower(name: str) -> str:
    return name.lower()  # SageMaker ARNs carry names in lower case


# (resolver, logical id, resource) -> the literal a reference to the resource resolves to.
Getter = Callable[[StackResolver, str, dict[str, Any]], str]

# What `Ref` returns, per resource type (CloudFormation documents it per type: a name, an id or an ARN).
REF_VALUES: dict[str, Getter] = {
    "AWS::S3::Bucket": lambda r, i, res: r.bucket_name(i, res),
    "AWS::IAM::Role": lambda r, i, res: r.name(i, res, "RoleName"),
    "AWS::KMS::Key": lambda r, i, res: symbol(i),
    "AWS::IAM::OIDCProvider": _oidc_arn,
    "AWS::SSM::Parameter": lambda r, i, res: r.name(i, res, "Name"),
    "AWS::SNS::Topic": lambda r, i, res: r.arn("sns", r.name(i, res, "TopicName")),
    "AWS::SQS::Queue": lambda r, i, res: (
        f"https://sqs.{r.region}.{URL_SUFFIX}/{r.account}/{r.name(i, res, 'QueueName')}"
    ),
    "AWS::Lambda::Function": lambda r, i, res: r.name(i, res, "FunctionName"),
    "AWS::SageMaker::ModelPackageGroup": lambda r, i, res: r.arn(
        "sagemaker", f"model-package-group/{_lower(r.name(i, res, 'ModelPackageGroupName'))}"
    ),
    "AWS::SageMaker::Endpoint": lambda r, i, res: r.arn(
        "sagemaker", f"endpoint/{_lower(r.name(i, res, 'EndpointName'))}"
    ),
    "AWS::ApiGateway::RestApi": lambda r, i, res: symbol(i),
    "AWS::ApiGateway::Stage": lambda r, i, res: r.name(i, res, "StageName"),
    "AWS::DynamoDB::Table": lambda r, i, res: r.name(i, res, "TableName"),
    "AWS::Logs::LogGroup": lambda r, i, res: r.name(i, res, "LogGroupName"),
    "AWS::Events::Rule": lambda r, i, res: r.name(i, res, "Name"),
    "AWS::SecretsManager::Secret": lambda r, i, res: r.arn("secretsmanager", f"secret:{r.name(i, res, 'Name')}"),
}

# What `Fn::GetAtt` returns, per resource type and attribute.
ATTRIBUTE_VALUES: dict[str, dict[str, Getter]] = {
    "AWS::S3::Bucket": {"Arn": lambda r, i, res: f"arn:aws:s3:::{r.bucket_name(i, res)}"},
    "AWS::IAM::Role": {"Arn": lambda r, i, res: r.arn("iam", f"role/{r.name(i, res, 'RoleName')}", regional=False)},
    "AWS::KMS::Key": {
        "Arn": lambda r, i, res: r.arn("kms", f"key/{symbol(i)}"),
        "KeyId": lambda r, i, res: symbol(i),
    },
    "AWS::IAM::OIDCProvider": {"Arn": _oidc_arn},
    "AWS::SNS::Topic": {"TopicArn": lambda r, i, res: r.arn("sns", r.name(i, res, "TopicName"))},
    "AWS::SQS::Queue": {"Arn": lambda r, i, res: r.arn("sqs", r.name(i, res, "QueueName"))},
    "AWS::Lambda::Function": {"Arn": lambda r, i, res: r.arn("lambda", f"function:{r.name(i, res, 'FunctionName')}")},
    "AWS::SageMaker::ModelPackageGroup": {
        "ModelPackageGroupArn": lambda r, i, res: REF_VALUES["AWS::SageMaker::ModelPackageGroup"](r, i, res)
    },
    "AWS::Events::Rule": {"Arn": lambda r, i, res: r.arn("events", f"rule/{r.name(i, res, 'Name')}")},
    "AWS::DynamoDB::Table": {"Arn": lambda r, i, res: r.arn("dynamodb", f"table/{r.name(i, res, 'TableName')}")},
    "AWS::Logs::LogGroup": {"Arn": lambda r, i, res: r.arn("logs", f"log-group:{r.name(i, res, 'LogGroupName')}:*")},
    "AWS::ApiGateway::RestApi": {"RootResourceId": lambda r, i, res: f"{symbol(i)}-root"},
}

# Resources the proof sweeps even without a policy: (ARN getter) per type.
PLAIN_RESOURCE_ARNS: dict[str, Getter] = {
    "AWS::SSM::Parameter": lambda r, i, res: r.arn("ssm", f"parameter{_slash(r.name(i, res, 'Name'))}"),
    "AWS::SNS::Topic": REF_VALUES["AWS::SNS::Topic"],
    "AWS::SQS::Queue": ATTRIBUTE_VALUES["AWS::SQS::Queue"]["Arn"],
    "AWS::Lambda::Function": ATTRIBUTE_VALUES["AWS::Lambda::Function"]["Arn"],
    "AWS::SageMaker::Endpoint": REF_VALUES["AWS::SageMaker::Endpoint"],
    "AWS::SageMaker::EndpointConfig": lambda r, i, res: r.arn(
        "sagemaker", f"endpoint-config/{_lower(r.name(i, res, 'EndpointConfigName'))}"
    ),
    "AWS::SageMaker::Model": lambda r, i, res: r.arn("sagemaker", f"model/{_lower(r.name(i, res, 'ModelName'))}"),
    "AWS::Events::Rule": ATTRIBUTE_VALUES["AWS::Events::Rule"]["Arn"],
    "AWS::DynamoDB::Table": ATTRIBUTE_VALUES["AWS::DynamoDB::Table"]["Arn"],
    "AWS::SecretsManager::Secret": REF_VALUES["AWS::SecretsManager::Secret"],
}


def _slash(name: str) -> str:
    return name if name.startswith("/") else f"/{name}"
