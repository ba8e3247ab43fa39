"""What CloudFormation asks IAM for, as a stack's execution role, to create and update the resource types
the workload stacks (each environment's `Environment` and `Endpoint-<model>` stacks) deploy: the actions of
each type's resource handler ("Resource type schema", `handlers.*.permissions`), narrowed to the properties
those stacks set, on the resource's ARN, with the condition keys its properties give.

The static proof (tests/test_cfn_execution_policy.py) evaluates these against the workload execution
policies; the sandbox's CloudFormation asks them of the stack's execution role for every resource it
creates or updates (sandbox/authorization/stack_operations.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accounts import naming

CfnRequest = tuple[str, str, dict[str, Any]]  # action, resource ARN, request context
PLACEHOLDER_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # a key's id is known only once it exists

# The workload accounts' execution policies, by managed-policy name (`cdk bootstrap
# --cloudformation-execution-policies` takes both). Two documents, because one reached IAM's 6,144 characters
# for a managed policy: the KMS grants (the endpoint key and its alias) are the second.
POLICIES_DIR = Path(__file__).resolve().parent
CFN_EXECUTION_POLICIES = {
    "ModelOpsCfnExec": POLICIES_DIR / "cfn-execution-policy.json",
    "ModelOpsCfnExecKeys": POLICIES_DIR / "cfn-execution-keys-policy.json",
}


def tags(properties: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """A resource's tags as IAM's aws:RequestTag/ or aws:ResourceTag/ context keys (KMS writes TagKey/TagValue)."""
    return {
        f"{prefix}/{t.get('Key', t.get('TagKey'))}": t.get("Value", t.get("TagValue"))
        for t in properties.get("Tags", [])
    }


def role_requests(account: str, properties: Mapping[str, Any]) -> list[CfnRequest]:
    """AWS::IAM::Role: create (with its boundary and inline policies), update, delete."""
    arn = naming.role_arn(account, properties["RoleName"])
    bounded = (
        {"iam:PermissionsBoundary": properties["PermissionsBoundary"]} if "PermissionsBoundary" in properties else {}
    )
    actions = [
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
    ]
    requests = [(action, arn, bounded) for action in actions]
    if properties.get("Tags"):
        # CreateRole with Tags also needs iam:TagRole (the execution roles carry `modelops:model`).
        keys = [tag["Key"] for tag in properties["Tags"]]
        requests.append(("iam:TagRole", arn, {**tags(properties, "aws:RequestTag"), "aws:TagKeys": keys}))
    return requests


def key_requests(
    account: str, region: str, properties: Mapping[str, Any], key_id: str = PLACEHOLDER_KEY_ID
) -> list[CfnRequest]:
    """AWS::KMS::Key: CreateKey (its spec and tags), then the calls on the new key."""
    arn = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    symmetric = {"kms:KeySpec": "SYMMETRIC_DEFAULT", "kms:KeyUsage": "ENCRYPT_DECRYPT"}
    tagged = tags(properties, "aws:ResourceTag")
    return [
        ("kms:CreateKey", "*", {**symmetric, **tags(properties, "aws:RequestTag")}),
        ("kms:TagResource", arn, tags(properties, "aws:RequestTag")),
    ] + [
        (a, arn, tagged)
        for a in ("kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DescribeKey", "kms:ScheduleKeyDeletion")
    ]


def alias_requests(
    account: str, region: str, properties: Mapping[str, Any], key_tags: Mapping[str, str]
) -> list[CfnRequest]:
    """AWS::KMS::Alias: KMS authorizes Create/Update/DeleteAlias on the alias and on its target key ("Controlling
    access to aliases", AWS KMS developer guide); `key_tags` are the target key's aws:ResourceTag/ keys."""
    alias = f"arn:aws:kms:{region}:{account}:{properties['AliasName']}"
    target = properties.get("TargetKeyId")
    key_id = target.rpartition("/")[2] if isinstance(target, str) else PLACEHOLDER_KEY_ID
    key = f"arn:aws:kms:{region}:{account}:key/{key_id}"
    requests: list[CfnRequest] = [("kms:ListAliases", "*", {})]
    for action in ("kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"):
        requests += [(action, alias, {}), (action, key, dict(key_tags))]
    return requests


def alias_target_tags(resources: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, str]:
    """The aws:ResourceTag/ keys of the key an alias targets, when the template names it (Ref or GetAtt)."""
    target = properties.get("TargetKeyId")
    logical_id = None
    if isinstance(target, dict) and "Ref" in target:
        logical_id = target["Ref"]
    elif isinstance(target, dict) and "Fn::GetAtt" in target:
        logical_id = target["Fn::GetAtt"][0]
    key = resources.get(logical_id, {}) if isinstance(logical_id, str) else {}
    return tags(key.get("Properties", {}), "aws:ResourceTag") if key.get("Type") == "AWS::KMS::Key" else {}


def sagemaker_requests(account: str, region: str, kind: str, properties: Mapping[str, Any]) -> list[CfnRequest]:
    """AWS::SageMaker::Model, EndpointConfig and Endpoint: create (and tag), update an endpoint, delete."""
    api = kind.rpartition(":")[2]
    noun = {"Model": "model", "EndpointConfig": "endpoint-config", "Endpoint": "endpoint"}[api]
    name_property = {"Model": "ModelName", "EndpointConfig": "EndpointConfigName", "Endpoint": "EndpointName"}[api]
    # CloudFormation generates a name where none is given; SageMaker lower-cases names in ARNs.
    arn = f"arn:aws:sagemaker:{region}:{account}:{noun}/{str(properties.get(name_property, 'generated')).lower()}"
    create = tags(properties, "aws:RequestTag")
    if api == "Model" and "EnableNetworkIsolation" in properties:
        create["sagemaker:NetworkIsolation"] = str(properties["EnableNetworkIsolation"]).lower()
    tagged = tags(properties, "aws:ResourceTag")
    requests: list[CfnRequest] = [
        (f"sagemaker:Create{api}", arn, create),
        ("sagemaker:AddTags", arn, {**tags(properties, "aws:RequestTag"), "sagemaker:TaggingAction": f"Create{api}"}),
        (f"sagemaker:Delete{api}", arn, tagged),
    ]
    return requests + ([("sagemaker:UpdateEndpoint", arn, tagged)] if api == "Endpoint" else [])


def resource_requests(
    account: str,
    region: str,
    kind: str,
    properties: Mapping[str, Any],
    key_tags: Mapping[str, str] | None = None,
) -> list[CfnRequest] | None:
    """The requests for one resource of type `kind`, or None for a type not modelled here (`key_tags`: an
    alias's target key's tags, see `alias_target_tags`)."""
    if kind == "AWS::IAM::Role":
        return role_requests(account, properties)
    if kind == "AWS::KMS::Key":
        return key_requests(account, region, properties)
    if kind == "AWS::KMS::Alias":
        return alias_requests(account, region, properties, key_tags or {})
    if kind in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"):
        return sagemaker_requests(account, region, kind, properties)
    return None


def stack_requests(account: str, region: str, template: Mapping[str, Any]) -> list[CfnRequest]:
    """What CloudFormation asks IAM for to create, update and delete the stack's roles, key, alias and
    SageMaker resources, with the condition keys their properties give."""
    requests: list[CfnRequest] = []
    resources = template["Resources"]
    for resource in resources.values():
        properties = resource["Properties"]
        key_tags = alias_target_tags(resources, properties)
        found = resource_requests(account, region, resource["Type"], properties, key_tags)
        requests += found or []
    return requests
