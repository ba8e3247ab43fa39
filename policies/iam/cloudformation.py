"""The deployed policies, read from the synthesized templates (cdk.out), with intrinsics resolved.

Every `Ref`, `Fn::GetAtt`, `Fn::Join` and `Fn::Sub` must resolve to a known resource of the same
stack or a pseudo parameter; anything else fails with an error naming the stack, the resource and the
expression. Resources without an explicit physical name get a stable symbolic one derived from the
logical id (its 8-hex-digit CDK hash removed), e.g. `arn:aws:kms:eu-west-1:111111111111:key/artifacts-key`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from policies.cloud_assembly import StackTemplate, load_assembly
from policies.iam.policy import PolicyKind
from policies.policy_sources import POLICY_SOURCES

_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
URL_SUFFIX = "amazonaws.com"

# Policy-bearing resource types the proof reads; any other type in POLICY_SOURCES is refused.
MODELLED_POLICY_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::S3::BucketPolicy",
        "AWS::KMS::Key",
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::SNS::TopicPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::Lambda::Permission",
    }
)


class TemplateError(ValueError):
    """A template the proof cannot read faithfully; the message names stack, resource and expression."""


@dataclass
class Document:
    """One policy document as deployed: a name for explanations, its kind, the resolved JSON."""

    name: str
    kind: PolicyKind
    document: dict[str, Any]


@dataclass
class DeployedRole:
    arn: str
    account: str
    trust: Document
    policies: list[Document] = field(default_factory=list)


@dataclass
class DeployedResource:
    """A resource with an ARN, its owning account, and its resource policy if it has one."""

    arn: str
    account: str
    type: str
    policy: Document | None = None
    aliases: tuple[str, ...] = ()  # KMS aliases (the kms:ResourceAliases context key)
    logging_sources: tuple[str, ...] = ()  # buckets whose access logs this bucket receives


@dataclass
class Deployment:
    """Everything the proof needs from the templates."""

    roles: dict[str, DeployedRole] = field(default_factory=dict)
    resources: dict[str, DeployedResource] = field(default_factory=dict)

    def documents(self) -> Iterator[Document]:
        """Every policy document once: identity policies of roles, then resource and trust policies."""
        for role in self.roles.values():
            yield from role.policies
        for resource in self.resources.values():
            if resource.policy is not None:
                yield resource.policy  # for a role, its trust policy


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
        ref = _REF.get(kind)
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
        attributes = _ATTRIBUTES.get(kind, {})
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
        explicit = resource.get("Properties", {}).get("BucketName")
        if explicit is None:
            # Generated bucket names are global: qualify the stand-in with the stack.
            return f"cfn-{symbol(self.stack.path.replace('/', '-'))}-{symbol(logical_id)}"
        return self.name(logical_id, resource, "BucketName")

    def arn(self, service: str, resource_part: str, *, regional: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if regional else ''}:{self.account}:{resource_part}"


def _oidc_arn(r: StackResolver, logical_id: str, resource: dict[str, Any]) -> str:
    url = r.resolve(resource.get("Properties", {}).get("Url", ""), f"{r.stack.path}/{logical_id}.Url")
    return r.arn("iam", f"oidc-provider/{str(url).removeprefix('https://')}", regional=False)


def _lower(name: str) -> str:
    return name.lower()  # SageMaker ARNs carry names in lower case


Getter = Callable[[StackResolver, str, dict[str, Any]], str]

_REF: dict[str, Getter] = {
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

_ATTRIBUTES: dict[str, dict[str, Getter]] = {
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
        "ModelPackageGroupArn": lambda r, i, res: _REF["AWS::SageMaker::ModelPackageGroup"](r, i, res)
    },
    "AWS::Events::Rule": {"Arn": lambda r, i, res: r.arn("events", f"rule/{r.name(i, res, 'Name')}")},
    "AWS::DynamoDB::Table": {"Arn": lambda r, i, res: r.arn("dynamodb", f"table/{r.name(i, res, 'TableName')}")},
    "AWS::Logs::LogGroup": {"Arn": lambda r, i, res: r.arn("logs", f"log-group:{r.name(i, res, 'LogGroupName')}:*")},
    "AWS::ApiGateway::RestApi": {"RootResourceId": lambda r, i, res: f"{symbol(i)}-root"},
}

# Resources the proof sweeps even without a policy: (ARN getter) per type.
_PLAIN_RESOURCES: dict[str, Getter] = {
    "AWS::SSM::Parameter": lambda r, i, res: r.arn("ssm", f"parameter{_slash(r.name(i, res, 'Name'))}"),
    "AWS::SNS::Topic": _REF["AWS::SNS::Topic"],
    "AWS::SQS::Queue": _ATTRIBUTES["AWS::SQS::Queue"]["Arn"],
    "AWS::Lambda::Function": _ATTRIBUTES["AWS::Lambda::Function"]["Arn"],
    "AWS::SageMaker::Endpoint": _REF["AWS::SageMaker::Endpoint"],
    "AWS::SageMaker::EndpointConfig": lambda r, i, res: r.arn(
        "sagemaker", f"endpoint-config/{_lower(r.name(i, res, 'EndpointConfigName'))}"
    ),
    "AWS::SageMaker::Model": lambda r, i, res: r.arn("sagemaker", f"model/{_lower(r.name(i, res, 'ModelName'))}"),
    "AWS::Events::Rule": _ATTRIBUTES["AWS::Events::Rule"]["Arn"],
    "AWS::DynamoDB::Table": _ATTRIBUTES["AWS::DynamoDB::Table"]["Arn"],
    "AWS::SecretsManager::Secret": _REF["AWS::SecretsManager::Secret"],
}


def _slash(name: str) -> str:
    return name if name.startswith("/") else f"/{name}"


def load_deployment(cdk_out: Path) -> Deployment:
    """Read every stack of the cloud assembly at `cdk_out` into roles and resources with policies."""
    deployment = Deployment()
    for stack in load_assembly(cdk_out):
        _read_stack(stack, deployment)
    return deployment


def _read_stack(stack: StackTemplate, deployment: Deployment) -> None:
    resolver = StackResolver(stack)
    resources = stack.resources
    for logical_id, resource in sorted(resources.items()):
        kind = resource.get("Type", "")
        source = POLICY_SOURCES.get(kind)
        carries_policy = source is not None and (
            not source.document or source.document in resource.get("Properties", {})
        )
        if carries_policy and kind not in MODELLED_POLICY_TYPES:
            raise TemplateError(f"{stack.path}/{logical_id}: policy-bearing type {kind} is not modelled by the proof")
    by_type: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for logical_id, resource in sorted(resources.items()):
        by_type.setdefault(resource.get("Type", ""), []).append((logical_id, resource))

    def where(logical_id: str, prop: str) -> str:
        return f"{stack.path}/{logical_id}.{prop}"

    def document(logical_id: str, prop: str, raw: Any, kind: PolicyKind, name: str) -> Document:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise TemplateError(f"{where(logical_id, prop)}: not a JSON policy document") from None
        resolved = resolver.resolve(raw, where(logical_id, prop))
        if not isinstance(resolved, dict):
            raise TemplateError(f"{where(logical_id, prop)}: expected a policy document object")
        return Document(name, kind, resolved)

    role_by_logical_id: dict[str, DeployedRole] = {}
    for logical_id, resource in by_type.get("AWS::IAM::Role", []):
        props = resource.get("Properties", {})
        arn = _ATTRIBUTES["AWS::IAM::Role"]["Arn"](resolver, logical_id, resource)
        name = f"{arn.rsplit('/', 1)[1]}@{resolver.account}"
        role = DeployedRole(
            arn=arn,
            account=resolver.account,
            trust=document(
                logical_id,
                "AssumeRolePolicyDocument",
                props["AssumeRolePolicyDocument"],
                PolicyKind.TRUST,
                f"{name} trust",
            ),
        )
        for inline in props.get("Policies", []):
            role.policies.append(
                document(
                    logical_id,
                    "Policies",
                    inline["PolicyDocument"],
                    PolicyKind.IDENTITY,
                    f"{name}/{inline['PolicyName']}",
                )
            )
        if props.get("ManagedPolicyArns"):
            raise TemplateError(
                f"{where(logical_id, 'ManagedPolicyArns')}: managed policies are not in the template; the proof "
                "cannot read them"
            )
        if arn in deployment.roles:
            raise TemplateError(f"{stack.path}/{logical_id}: role {arn} is defined twice")
        deployment.roles[arn] = role_by_logical_id[logical_id] = role
        deployment.resources[arn] = DeployedResource(arn, resolver.account, "AWS::IAM::Role", role.trust)

    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for logical_id, resource in by_type.get(policy_type, []):
            props = resource.get("Properties", {})
            if props.get("Users") or props.get("Groups"):
                raise TemplateError(f"{stack.path}/{logical_id}: policies on IAM users or groups are not modelled")
            name = props.get("PolicyName") or props.get("ManagedPolicyName") or symbol(logical_id)
            for ref in props.get("Roles", []):
                if not (isinstance(ref, dict) and set(ref) == {"Ref"} and ref["Ref"] in role_by_logical_id):
                    raise TemplateError(f"{where(logical_id, 'Roles')}: {ref!r} is not a Ref to a role of the stack")
                role = role_by_logical_id[ref["Ref"]]
                role.policies.append(
                    document(
                        logical_id,
                        "PolicyDocument",
                        props["PolicyDocument"],
                        PolicyKind.IDENTITY,
                        f"{role.arn.rsplit('/', 1)[1]}@{role.account}/{name}",
                    )
                )

    buckets: dict[str, DeployedResource] = {}
    for logical_id, resource in by_type.get("AWS::S3::Bucket", []):
        name = resolver.bucket_name(logical_id, resource)
        buckets[logical_id] = deployment.resources.setdefault(
            f"arn:aws:s3:::{name}",
            DeployedResource(f"arn:aws:s3:::{name}", resolver.account, "AWS::S3::Bucket"),
        )
    for logical_id, resource in by_type.get("AWS::S3::Bucket", []):
        target = resource.get("Properties", {}).get("LoggingConfiguration", {}).get("DestinationBucketName")
        if target is not None:
            destination = f"arn:aws:s3:::{resolver.resolve(target, where(logical_id, 'LoggingConfiguration'))}"
            if destination in deployment.resources:
                log_bucket = deployment.resources[destination]
                log_bucket.logging_sources = (*log_bucket.logging_sources, buckets[logical_id].arn)
    for logical_id, resource in by_type.get("AWS::S3::BucketPolicy", []):
        props = resource["Properties"]
        bucket = f"arn:aws:s3:::{resolver.resolve(props['Bucket'], where(logical_id, 'Bucket'))}"
        if bucket not in deployment.resources:
            raise TemplateError(f"{where(logical_id, 'Bucket')}: bucket {bucket} is not in the stack")
        deployment.resources[bucket].policy = document(
            logical_id,
            "PolicyDocument",
            props["PolicyDocument"],
            PolicyKind.RESOURCE,
            f"{bucket.removeprefix('arn:aws:s3:::')} bucket policy",
        )

    keys: dict[str, DeployedResource] = {}
    for logical_id, resource in by_type.get("AWS::KMS::Key", []):
        arn = _ATTRIBUTES["AWS::KMS::Key"]["Arn"](resolver, logical_id, resource)
        keys[arn] = deployment.resources[arn] = DeployedResource(
            arn,
            resolver.account,
            "AWS::KMS::Key",
            document(
                logical_id,
                "KeyPolicy",
                resource["Properties"]["KeyPolicy"],
                PolicyKind.KMS_KEY,
                f"{symbol(logical_id)}@{resolver.account} key policy",
            ),
        )
    for logical_id, resource in by_type.get("AWS::KMS::Alias", []):
        props = resource["Properties"]
        target = resolver.resolve(props["TargetKeyId"], where(logical_id, "TargetKeyId"))
        matches = [key for arn, key in keys.items() if target in (arn, arn.rsplit("/", 1)[1])]
        if len(matches) != 1:
            raise TemplateError(f"{where(logical_id, 'TargetKeyId')}: {target!r} is not a key of the stack")
        matches[0].aliases = (*matches[0].aliases, str(props["AliasName"]))

    for logical_id, resource in by_type.get("AWS::SageMaker::ModelPackageGroup", []):
        props = resource["Properties"]
        arn = _REF["AWS::SageMaker::ModelPackageGroup"](resolver, logical_id, resource)
        policy = props.get("ModelPackageGroupPolicy")
        name = f"{arn.rsplit('/', 1)[1]}@{resolver.account}"
        deployment.resources[arn] = DeployedResource(
            arn,
            resolver.account,
            "AWS::SageMaker::ModelPackageGroup",
            document(logical_id, "ModelPackageGroupPolicy", policy, PolicyKind.RESOURCE, f"{name} group policy")
            if policy
            else None,
        )

    for logical_id, resource in by_type.get("AWS::SNS::TopicPolicy", []):
        props = resource["Properties"]
        for topic in resolver.resolve(props["Topics"], where(logical_id, "Topics")):
            deployment.resources.setdefault(
                topic, DeployedResource(topic, resolver.account, "AWS::SNS::Topic")
            ).policy = document(
                logical_id,
                "PolicyDocument",
                props["PolicyDocument"],
                PolicyKind.RESOURCE,
                f"{topic.rsplit(':', 1)[1]} topic policy",
            )

    for logical_id, resource in by_type.get("AWS::SQS::QueuePolicy", []):
        props = resource["Properties"]
        for queue in props["Queues"]:
            if not (isinstance(queue, dict) and set(queue) == {"Ref"} and queue["Ref"] in resources):
                raise TemplateError(f"{where(logical_id, 'Queues')}: {queue!r} is not a Ref to a queue of the stack")
            arn = _ATTRIBUTES["AWS::SQS::Queue"]["Arn"](resolver, queue["Ref"], resources[queue["Ref"]])
            queue_policy = document(
                logical_id,
                "PolicyDocument",
                props["PolicyDocument"],
                PolicyKind.RESOURCE,
                f"{arn.rsplit(':', 1)[1]} queue policy",
            )
            deployment.resources.setdefault(
                arn, DeployedResource(arn, resolver.account, "AWS::SQS::Queue")
            ).policy = queue_policy

    permissions: dict[str, list[dict[str, Any]]] = {}
    for logical_id, resource in by_type.get("AWS::Lambda::Permission", []):
        function, statement = _lambda_permission(resolver, logical_id, resource["Properties"])
        permissions.setdefault(function, []).append(statement)
    for function, statements in permissions.items():
        deployment.resources.setdefault(
            function, DeployedResource(function, resolver.account, "AWS::Lambda::Function")
        ).policy = Document(
            f"{function.rsplit(':', 1)[1]} function policy",
            PolicyKind.RESOURCE,
            {"Version": "2012-10-17", "Statement": statements},
        )

    for kind, getter in _PLAIN_RESOURCES.items():
        for logical_id, resource in by_type.get(kind, []):
            arn = getter(resolver, logical_id, resource)
            deployment.resources.setdefault(arn, DeployedResource(arn, resolver.account, kind))


def _lambda_permission(resolver: StackResolver, logical_id: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """AWS::Lambda::Permission as the function-policy statement Lambda writes for it."""
    where = f"{resolver.stack.path}/{logical_id}"
    resolved = resolver.resolve(props, where)
    function = str(resolved["FunctionName"])
    if not function.startswith("arn:"):
        function = resolver.arn("lambda", f"function:{function}")
    principal = str(resolved["Principal"])
    statement: dict[str, Any] = {
        "Sid": symbol(logical_id),
        "Effect": "Allow",
        "Principal": {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal},
        "Action": resolved["Action"],
        "Resource": function,
    }
    conditions: dict[str, dict[str, str]] = {}
    if "SourceArn" in resolved:
        conditions.setdefault("ArnLike", {})["aws:SourceArn"] = resolved["SourceArn"]
    if "SourceAccount" in resolved:
        conditions.setdefault("StringEquals", {})["aws:SourceAccount"] = resolved["SourceAccount"]
    if "PrincipalOrgID" in resolved:
        conditions.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = resolved["PrincipalOrgID"]
    unknown = set(resolved) - {
        "FunctionName",
        "Principal",
        "Action",
        "SourceArn",
        "SourceAccount",
        "PrincipalOrgID",
    }
    if unknown:
        raise TemplateError(f"{where}: Lambda permission field(s) {', '.join(sorted(unknown))} are not modelled")
    if conditions:
        statement["Condition"] = conditions
    return function, statement
