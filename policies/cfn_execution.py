"""What CloudFormation asks IAM for, as a stack's execution role, to create and update the resource types
the Endpoints stacks deploy: the actions of each type's resource handler ("Resource type schema",
`handlers.*.permissions`), narrowed to the properties those stacks set, on the resource's ARN, with the
condition keys its properties give.

The static proof (tests/test_cfn_execution_policy.py) evaluates these against the workload execution
policy; the sandbox's CloudFormation asks them of the stack's execution role for every resource it
creates or updates (sandbox/authorization/stack_operations.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accounts import naming

CfnRequest = tuple[str, str, dict[str, Any]]  # action, resource ARN, request context
PLACEHOLDER_KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"  # a key's id is known only once it exists


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


def resource_requests(account: str, region: str, kind: str, properties: Mapping[str, Any]) -> list[CfnRequest] | None:
    """The requests for one resource of type `kind`, or None for a type not modelled here."""
    if kind == "AWS::IAM::Role":
        return role_requests(account, properties)
    if kind == "AWS::KMS::Key":
        return key_requests(account, region, properties)
    if kind in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint"):
        return sagemaker_requests(account, region, kind, properties)
    return None


def stack_requests(account: str, region: str, template: Mapping[str, Any]) -> list[CfnRequest]:
    """What CloudFormation asks IAM for to create, update and delete the stack's roles, key and SageMaker
    resources, with the condition keys their properties give."""
    requests: list[CfnRequest] = []
    for resource in template["Resources"].values():
        found = resource_requests(account, region, resource["Type"], resource["Properties"])
        requests += found or []
    return requests
