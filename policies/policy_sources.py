"""Where each CloudFormation resource type keeps a policy document.

Shared by the renderer, which must render every document a template deploys, and by the proof's
template reader, which must refuse the policy-bearing types it does not model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PolicySource:
    """Where a resource type keeps a policy document, and what the document is attached to."""

    kind: str
    document: str  # property holding the document; "" for documents built from several properties
    attached_to: tuple[str, ...]  # properties naming what the policy applies to; () = the resource itself


# Every resource type whose properties carry a policy. A type not listed here that holds a
# document with a "Statement" makes the render fail, so no policy reaches AWS unreviewed.
POLICY_SOURCES: dict[str, PolicySource] = {
    "AWS::IAM::Policy": PolicySource("identity-policy", "PolicyDocument", ("Roles", "Users", "Groups")),
    "AWS::IAM::ManagedPolicy": PolicySource("identity-policy", "PolicyDocument", ("Roles", "Users", "Groups")),
    "AWS::IAM::RolePolicy": PolicySource("identity-policy", "PolicyDocument", ("RoleName",)),
    "AWS::IAM::UserPolicy": PolicySource("identity-policy", "PolicyDocument", ("UserName",)),
    "AWS::IAM::GroupPolicy": PolicySource("identity-policy", "PolicyDocument", ("GroupName",)),
    "AWS::IAM::Role": PolicySource("trust-policy", "AssumeRolePolicyDocument", ()),
    "AWS::IAM::User": PolicySource("identity-policy", "", ()),
    "AWS::IAM::Group": PolicySource("identity-policy", "", ()),
    "AWS::S3::BucketPolicy": PolicySource("bucket-policy", "PolicyDocument", ("Bucket",)),
    "AWS::S3::AccessPoint": PolicySource("access-point-policy", "Policy", ()),
    "AWS::KMS::Key": PolicySource("key-policy", "KeyPolicy", ()),
    "AWS::KMS::ReplicaKey": PolicySource("key-policy", "KeyPolicy", ()),
    "AWS::SageMaker::ModelPackageGroup": PolicySource(
        "model-package-group-policy", "ModelPackageGroupPolicy", ("ModelPackageGroupName",)
    ),
    "AWS::SNS::TopicPolicy": PolicySource("topic-policy", "PolicyDocument", ("Topics",)),
    "AWS::SNS::TopicInlinePolicy": PolicySource("topic-policy", "PolicyDocument", ("TopicArn",)),
    "AWS::SQS::QueuePolicy": PolicySource("queue-policy", "PolicyDocument", ("Queues",)),
    "AWS::SQS::QueueInlinePolicy": PolicySource("queue-policy", "PolicyDocument", ("Queue",)),
    "AWS::Lambda::Permission": PolicySource("lambda-permission", "", ("FunctionName",)),
    "AWS::Events::EventBusPolicy": PolicySource("event-bus-policy", "", ("EventBusName",)),
    "AWS::ApiGateway::RestApi": PolicySource("api-policy", "Policy", ()),
    "AWS::ECR::Repository": PolicySource("repository-policy", "RepositoryPolicyText", ()),
    "AWS::Logs::ResourcePolicy": PolicySource("log-resource-policy", "PolicyDocument", ("PolicyName",)),
    "AWS::SecretsManager::ResourcePolicy": PolicySource("secret-policy", "ResourcePolicy", ("SecretId",)),
    # The document is ResourcePolicy.PolicyDocument (nested); table_policy_document reads it.
    "AWS::DynamoDB::Table": PolicySource("table-policy", "ResourcePolicy", ()),
}


def table_policy_document(properties: dict[str, Any]) -> Any:
    """An AWS::DynamoDB::Table's resource policy document (`ResourcePolicy.PolicyDocument`), or None."""
    policy = properties.get("ResourcePolicy")
    return policy.get("PolicyDocument") if isinstance(policy, dict) else None
