"""Reads every stack of a cloud assembly into a Deployment: roles with their trust and identity
policies, and resources with their resource policies, as the proof evaluates them."""

from __future__ import annotations

import json
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
from policies.policy_sources import POLICY_SOURCES

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
        arn = ATTRIBUTE_VALUES["AWS::IAM::Role"]["Arn"](resolver, logical_id, resource)
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
        arn = ATTRIBUTE_VALUES["AWS::KMS::Key"]["Arn"](resolver, logical_id, resource)
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
        arn = REF_VALUES["AWS::SageMaker::ModelPackageGroup"](resolver, logical_id, resource)
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
            arn = ATTRIBUTE_VALUES["AWS::SQS::Queue"]["Arn"](resolver, queue["Ref"], resources[queue["Ref"]])
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

    for kind, getter in PLAIN_RESOURCE_ARNS.items():
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
