"""Reads every stack of a cloud assembly into a Deployment: roles with their trust and identity
policies, and resources with their resource policies, as the proof evaluates them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policies.cloud_assembly import StackTemplate, load_assembly
from policies.iam.cloudformation.deployment import DeployedResource, DeployedRole, Deployment, Document
from policies.iam.cloudformation.resolver import (
    ATTRIBUTE_VALUES,
    PLAIN_RESOURCE_ARNS,
    REF_VALUES,
    StackResolver,
    TemplateError,
    symbol,
)
from policies.iam.policy import PolicyKind
from policies.policy_sources import POLICY_SOURCES, table_policy_document

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
        "AWS::DynamoDB::Table",
        "AWS::ECR::Repository",
        "AWS::ApiGateway::RestApi",
    }
)
# API Gateway saves `execute-api:/<stage>/<METHOD>/<path>` as the API's full ARN ("API Gateway resource policy
# examples": "API Gateway converts the abbreviated syntax to the full ARN when you save the policy").
ABBREVIATED_API_RESOURCE = "execute-api:/"


def load_deployment(cdk_out: Path) -> Deployment:
    """Read every stack of the cloud assembly at `cdk_out` into roles and resources with policies."""
    deployment = Deployment()
    for stack in load_assembly(cdk_out):
        _StackReader(stack, deployment).read()
    return deployment


_Entry = tuple[str, dict[str, Any]]  # (logical id, resource) of a template


class _StackReader:
    """Reads one stack into a Deployment, one method per resource type."""

    def __init__(self, stack: StackTemplate, deployment: Deployment) -> None:
        self.stack = stack
        self.deployment = deployment
        self.resolver = StackResolver(stack)
        self.by_type: dict[str, list[_Entry]] = {}
        for logical_id, resource in sorted(stack.resources.items()):
            self.by_type.setdefault(resource.get("Type", ""), []).append((logical_id, resource))
        self.roles: dict[str, DeployedRole] = {}  # by logical id, for the policies that attach to them
        self.buckets: dict[str, DeployedResource] = {}  # by logical id, for their access-log destinations
        self.keys: dict[str, DeployedResource] = {}  # by ARN, for their aliases
        self.permissions: dict[str, list[dict[str, Any]]] = {}  # function ARN -> its policy's statements

    def read(self) -> None:
        """Refuse policy-bearing types the proof does not model, then read the stack type by type."""
        self._refuse_unmodelled_policy_types()
        # In this order: a type's readers need what the readers before them registered (roles before
        # the policies attached to them, buckets before their logging and policies, keys before aliases).
        readers: list[tuple[str, Callable[[str, dict[str, Any]], None]]] = [
            ("AWS::IAM::Role", self._role),
            ("AWS::IAM::Policy", self._identity_policy),
            ("AWS::IAM::ManagedPolicy", self._identity_policy),
            ("AWS::S3::Bucket", self._bucket),
            ("AWS::S3::Bucket", self._bucket_logging),
            ("AWS::S3::BucketPolicy", self._bucket_policy),
            ("AWS::KMS::Key", self._key),
            ("AWS::KMS::Alias", self._alias),
            ("AWS::SageMaker::ModelPackageGroup", self._model_package_group),
            ("AWS::SNS::TopicPolicy", self._topic_policy),
            ("AWS::SQS::QueuePolicy", self._queue_policy),
            ("AWS::Lambda::Permission", self._collect_lambda_permission),
            ("AWS::DynamoDB::Table", self._table),
            ("AWS::ECR::Repository", self._repository),
            ("AWS::ApiGateway::RestApi", self._rest_api),
        ]
        for kind, read in readers:
            for logical_id, resource in self.by_type.get(kind, []):
                read(logical_id, resource)
        self._function_policies()
        self._plain_resources()

    def _refuse_unmodelled_policy_types(self) -> None:
        for logical_id, resource in sorted(self.stack.resources.items()):
            kind = resource.get("Type", "")
            source = POLICY_SOURCES.get(kind)
            carries_policy = source is not None and (
                not source.document or source.document in resource.get("Properties", {})
            )
            if carries_policy and kind not in MODELLED_POLICY_TYPES:
                raise TemplateError(
                    f"{self.stack.path}/{logical_id}: policy-bearing type {kind} is not modelled by the proof"
                )

    def _where(self, logical_id: str, prop: str) -> str:
        return f"{self.stack.path}/{logical_id}.{prop}"

    def _document(self, logical_id: str, prop: str, raw: Any, kind: PolicyKind, name: str) -> Document:
        """The policy document in property `prop`, resolved; a JSON string is parsed first."""
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError:
                raise TemplateError(f"{self._where(logical_id, prop)}: not a JSON policy document") from None
        resolved = self.resolver.resolve(raw, self._where(logical_id, prop))
        if not isinstance(resolved, dict):
            raise TemplateError(f"{self._where(logical_id, prop)}: expected a policy document object")
        return Document(name, kind, resolved)

    def _role(self, logical_id: str, resource: dict[str, Any]) -> None:
        """A role with its trust policy and inline policies; also a resource, governed by its trust policy."""
        props = resource.get("Properties", {})
        account = self.resolver.account
        arn = ATTRIBUTE_VALUES["AWS::IAM::Role"]["Arn"](self.resolver, logical_id, resource)
        name = f"{arn.rsplit('/', 1)[1]}@{account}"
        trust = props["AssumeRolePolicyDocument"]
        role = DeployedRole(
            arn=arn,
            account=account,
            trust=self._document(logical_id, "AssumeRolePolicyDocument", trust, PolicyKind.TRUST, f"{name} trust"),
            tags=self._tags(logical_id, props.get("Tags", [])),
        )
        for inline in props.get("Policies", []):
            role.policies.append(
                self._document(
                    logical_id,
                    "Policies",
                    inline["PolicyDocument"],
                    PolicyKind.IDENTITY,
                    f"{name}/{inline['PolicyName']}",
                )
            )
        if props.get("ManagedPolicyArns"):
            raise TemplateError(
                f"{self._where(logical_id, 'ManagedPolicyArns')}: managed policies are not in the template; the "
                "proof cannot read them"
            )
        if arn in self.deployment.roles:
            raise TemplateError(f"{self.stack.path}/{logical_id}: role {arn} is defined twice")
        self.deployment.roles[arn] = self.roles[logical_id] = role
        self.deployment.resources[arn] = DeployedResource(arn, account, "AWS::IAM::Role", role.trust)

    def _tags(self, logical_id: str, raw: Any) -> dict[str, str]:
        """A resource's `Tags` ([{Key, Value}]), resolved; each key and value must resolve to a string."""
        resolved = self.resolver.resolve(raw, self._where(logical_id, "Tags"))
        tags: dict[str, str] = {}
        for tag in resolved if isinstance(resolved, list) else [None]:
            if (
                not isinstance(tag, dict)
                or not isinstance(tag.get("Key"), str)
                or not isinstance(tag.get("Value"), str)
            ):
                raise TemplateError(f"{self._where(logical_id, 'Tags')}: expected a list of {{Key, Value}} strings")
            tags[tag["Key"]] = tag["Value"]
        return tags

    def _identity_policy(self, logical_id: str, resource: dict[str, Any]) -> None:
        """An AWS::IAM::Policy or ManagedPolicy, added to each role of the stack it attaches to."""
        props = resource.get("Properties", {})
        if props.get("Users") or props.get("Groups"):
            raise TemplateError(f"{self.stack.path}/{logical_id}: policies on IAM users or groups are not modelled")
        name = props.get("PolicyName") or props.get("ManagedPolicyName") or symbol(logical_id)
        for ref in props.get("Roles", []):
            if not (isinstance(ref, dict) and set(ref) == {"Ref"} and ref["Ref"] in self.roles):
                raise TemplateError(f"{self._where(logical_id, 'Roles')}: {ref!r} is not a Ref to a role of the stack")
            role = self.roles[ref["Ref"]]
            role.policies.append(
                self._document(
                    logical_id,
                    "PolicyDocument",
                    props["PolicyDocument"],
                    PolicyKind.IDENTITY,
                    f"{role.arn.rsplit('/', 1)[1]}@{role.account}/{name}",
                )
            )

    def _bucket(self, logical_id: str, resource: dict[str, Any]) -> None:
        name = self.resolver.bucket_name(logical_id, resource)
        self.buckets[logical_id] = self.deployment.resources.setdefault(
            f"arn:aws:s3:::{name}",
            DeployedResource(f"arn:aws:s3:::{name}", self.resolver.account, "AWS::S3::Bucket"),
        )

    def _bucket_logging(self, logical_id: str, resource: dict[str, Any]) -> None:
        """Record the bucket as a source of its access-log bucket (their aws:SourceArn), if that is ours."""
        target = resource.get("Properties", {}).get("LoggingConfiguration", {}).get("DestinationBucketName")
        if target is None:
            return
        destination = f"arn:aws:s3:::{self.resolver.resolve(target, self._where(logical_id, 'LoggingConfiguration'))}"
        if destination in self.deployment.resources:
            log_bucket = self.deployment.resources[destination]
            log_bucket.logging_sources = (*log_bucket.logging_sources, self.buckets[logical_id].arn)

    def _bucket_policy(self, logical_id: str, resource: dict[str, Any]) -> None:
        props = resource["Properties"]
        bucket = f"arn:aws:s3:::{self.resolver.resolve(props['Bucket'], self._where(logical_id, 'Bucket'))}"
        if bucket not in self.deployment.resources:
            raise TemplateError(f"{self._where(logical_id, 'Bucket')}: bucket {bucket} is not in the stack")
        self.deployment.resources[bucket].policy = self._document(
            logical_id,
            "PolicyDocument",
            props["PolicyDocument"],
            PolicyKind.RESOURCE,
            f"{bucket.removeprefix('arn:aws:s3:::')} bucket policy",
        )

    def _key(self, logical_id: str, resource: dict[str, Any]) -> None:
        account = self.resolver.account
        arn = ATTRIBUTE_VALUES["AWS::KMS::Key"]["Arn"](self.resolver, logical_id, resource)
        self.keys[arn] = self.deployment.resources[arn] = DeployedResource(
            arn,
            account,
            "AWS::KMS::Key",
            self._document(
                logical_id,
                "KeyPolicy",
                resource["Properties"]["KeyPolicy"],
                PolicyKind.KMS_KEY,
                f"{symbol(logical_id)}@{account} key policy",
            ),
        )

    def _alias(self, logical_id: str, resource: dict[str, Any]) -> None:
        """The alias names its key (the kms:ResourceAliases context key), by ARN or key id."""
        props = resource["Properties"]
        target = self.resolver.resolve(props["TargetKeyId"], self._where(logical_id, "TargetKeyId"))
        matches = [key for arn, key in self.keys.items() if target in (arn, arn.rsplit("/", 1)[1])]
        if len(matches) != 1:
            raise TemplateError(f"{self._where(logical_id, 'TargetKeyId')}: {target!r} is not a key of the stack")
        matches[0].aliases = (*matches[0].aliases, str(props["AliasName"]))

    def _table(self, logical_id: str, resource: dict[str, Any]) -> None:
        """A table with its resource policy (ResourcePolicy.PolicyDocument); one without is a plain resource."""
        document = table_policy_document(resource.get("Properties", {}))
        if document is None:
            return
        arn = ATTRIBUTE_VALUES["AWS::DynamoDB::Table"]["Arn"](self.resolver, logical_id, resource)
        name = f"{arn.rsplit('/', 1)[1]}@{self.resolver.account} table policy"
        self.deployment.resources[arn] = DeployedResource(
            arn,
            self.resolver.account,
            "AWS::DynamoDB::Table",
            self._document(logical_id, "ResourcePolicy.PolicyDocument", document, PolicyKind.RESOURCE, name),
        )

    def _repository(self, logical_id: str, resource: dict[str, Any]) -> None:
        """An ECR repository with its policy (RepositoryPolicyText). A repository policy's statements name no
        Resource, the repository being theirs (as a trust policy's is its role): they are read as naming it."""
        props = resource.get("Properties", {})
        name = props.get("RepositoryName")
        if not isinstance(name, str):
            raise TemplateError(f"{self._where(logical_id, 'RepositoryName')}: the proof needs a literal name")
        arn = self.resolver.arn("ecr", f"repository/{name}")
        document = None
        if "RepositoryPolicyText" in props:
            document = self._document(
                logical_id,
                "RepositoryPolicyText",
                props["RepositoryPolicyText"],
                PolicyKind.RESOURCE,
                f"{name}@{self.resolver.account} repository policy",
            )
            statements = document.document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                if "Resource" not in statement and "NotResource" not in statement:
                    statement["Resource"] = arn
        self.deployment.resources[arn] = DeployedResource(arn, self.resolver.account, "AWS::ECR::Repository", document)

    def _rest_api(self, logical_id: str, resource: dict[str, Any]) -> None:
        """Each method of a REST API on each of its stages (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/
        <METHOD>/<path>`, the resource execute-api:Invoke names), governed by the API's policy (Policy), whose
        abbreviated resources are expanded as API Gateway saves them."""
        api = REF_VALUES["AWS::ApiGateway::RestApi"](self.resolver, logical_id, resource)
        props = resource.get("Properties", {})
        document = None
        if "Policy" in props:
            document = self._document(
                logical_id, "Policy", props["Policy"], PolicyKind.RESOURCE, f"{api}@{self.resolver.account} API policy"
            )
            prefix = self.resolver.arn("execute-api", f"{api}/")
            statements = document.document.get("Statement", [])
            for statement in statements if isinstance(statements, list) else [statements]:
                for field in ("Resource", "NotResource"):
                    if field in statement:
                        statement[field] = [
                            prefix + str(item).removeprefix(ABBREVIATED_API_RESOURCE)
                            if str(item).startswith(ABBREVIATED_API_RESOURCE)
                            else item
                            for item in (statement[field] if isinstance(statement[field], list) else [statement[field]])
                        ]
        for stage in self._of_api(logical_id, "AWS::ApiGateway::Stage"):
            stage_name = self.resolver.resolve(stage["Properties"]["StageName"], self._where(logical_id, "StageName"))
            for method in self._of_api(logical_id, "AWS::ApiGateway::Method"):
                path = self._api_path(logical_id, method["Properties"]["ResourceId"])
                arn = self.resolver.arn("execute-api", f"{api}/{stage_name}/{method['Properties']['HttpMethod']}{path}")
                self.deployment.resources[arn] = DeployedResource(
                    arn,
                    self.resolver.account,
                    "AWS::ApiGateway::Method",
                    document,
                    authorization=str(method["Properties"].get("AuthorizationType", "NONE")),
                )

    def _of_api(self, api_logical_id: str, kind: str) -> list[dict[str, Any]]:
        """The stack's resources of `kind` whose RestApiId is the API's Ref."""
        return [
            resource
            for _, resource in self.by_type.get(kind, [])
            if resource.get("Properties", {}).get("RestApiId") == {"Ref": api_logical_id}
        ]

    def _api_path(self, api_logical_id: str, resource_id: Any) -> str:
        """The path of an API resource (`/decisions`), from its PathPart and its parents'; the root's is ``."""
        if resource_id == {"Fn::GetAtt": [api_logical_id, "RootResourceId"]}:
            return ""
        if not isinstance(resource_id, dict) or "Ref" not in resource_id:
            raise TemplateError(f"{self.stack.path}/{api_logical_id}: cannot follow API resource {resource_id}")
        props = self.stack.resources[resource_id["Ref"]]["Properties"]
        return f"{self._api_path(api_logical_id, props['ParentId'])}/{props['PathPart']}"

    def _model_package_group(self, logical_id: str, resource: dict[str, Any]) -> None:
        props = resource["Properties"]
        arn = REF_VALUES["AWS::SageMaker::ModelPackageGroup"](self.resolver, logical_id, resource)
        policy = props.get("ModelPackageGroupPolicy")
        name = f"{arn.rsplit('/', 1)[1]}@{self.resolver.account}"
        self.deployment.resources[arn] = DeployedResource(
            arn,
            self.resolver.account,
            "AWS::SageMaker::ModelPackageGroup",
            self._document(logical_id, "ModelPackageGroupPolicy", policy, PolicyKind.RESOURCE, f"{name} group policy")
            if policy
            else None,
        )

    def _topic_policy(self, logical_id: str, resource: dict[str, Any]) -> None:
        props = resource["Properties"]
        for topic in self.resolver.resolve(props["Topics"], self._where(logical_id, "Topics")):
            self.deployment.resources.setdefault(
                topic, DeployedResource(topic, self.resolver.account, "AWS::SNS::Topic")
            ).policy = self._document(
                logical_id,
                "PolicyDocument",
                props["PolicyDocument"],
                PolicyKind.RESOURCE,
                f"{topic.rsplit(':', 1)[1]} topic policy",
            )

    def _queue_policy(self, logical_id: str, resource: dict[str, Any]) -> None:
        props = resource["Properties"]
        resources = self.stack.resources
        for queue in props["Queues"]:
            if not (isinstance(queue, dict) and set(queue) == {"Ref"} and queue["Ref"] in resources):
                raise TemplateError(
                    f"{self._where(logical_id, 'Queues')}: {queue!r} is not a Ref to a queue of the stack"
                )
            arn = ATTRIBUTE_VALUES["AWS::SQS::Queue"]["Arn"](self.resolver, queue["Ref"], resources[queue["Ref"]])
            queue_policy = self._document(
                logical_id,
                "PolicyDocument",
                props["PolicyDocument"],
                PolicyKind.RESOURCE,
                f"{arn.rsplit(':', 1)[1]} queue policy",
            )
            self.deployment.resources.setdefault(
                arn, DeployedResource(arn, self.resolver.account, "AWS::SQS::Queue")
            ).policy = queue_policy

    def _collect_lambda_permission(self, logical_id: str, resource: dict[str, Any]) -> None:
        """Collected per function: Lambda keeps one function policy of all its permissions' statements."""
        function, statement = _lambda_permission(self.resolver, logical_id, resource["Properties"])
        self.permissions.setdefault(function, []).append(statement)

    def _function_policies(self) -> None:
        for function, statements in self.permissions.items():
            self.deployment.resources.setdefault(
                function, DeployedResource(function, self.resolver.account, "AWS::Lambda::Function")
            ).policy = Document(
                f"{function.rsplit(':', 1)[1]} function policy",
                PolicyKind.RESOURCE,
                {"Version": "2012-10-17", "Statement": statements},
            )

    def _plain_resources(self) -> None:
        """Resources the proof sweeps even without a policy; one a reader above registered keeps its policy."""
        for kind, getter in PLAIN_RESOURCE_ARNS.items():
            for logical_id, resource in self.by_type.get(kind, []):
                arn = getter(self.resolver, logical_id, resource)
                self.deployment.resources.setdefault(arn, DeployedResource(arn, self.resolver.account, kind))


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
