"""Roles whose trust and permissions are exactly the statements given: nothing added, nothing merged."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from constructs import Construct

from accounts import naming

# SetSourceIdentity lets the caller stamp its own identity (the approver's or the CI actor's) on the
# session; it then survives role chaining and shows in CloudTrail for every call the role makes. A caller
# whose session already carries a source identity can only chain into roles that allow it.
HUMAN_ASSUME_ACTIONS = ["sts:AssumeRole", "sts:SetSourceIdentity"]


def permission_set_trust(
    account: str, permission_set: str, *, sid: str, source_identity: bool = False
) -> iam.PolicyStatement:
    """Trust the role that IAM Identity Center provisions in `account` for one permission set.

    Identity Center roles get a random suffix, so the principal is the account and `aws:PrincipalArn`
    pins the permission set's role; no other identity in the account can assume the role. With
    `source_identity`, only sessions whose source identity is the signed-in person, so that what the role
    creates names that person and nobody else.
    """
    conditions: dict[str, dict[str, object]] = {
        "ArnLike": {"aws:PrincipalArn": naming.sso_role_arn_patterns(account, permission_set)}
    }
    if source_identity:
        # Identity Center passes the user's email as the session tag `email` (attributes for access
        # control); the session may name only that person as its source identity.
        conditions["StringEquals"] = {"sts:SourceIdentity": f"${{aws:PrincipalTag/{naming.PERSON_TAG}}}"}
    return iam.PolicyStatement(
        sid=sid,
        principals=[iam.ArnPrincipal(naming.account_root_arn(account))],
        actions=HUMAN_ASSUME_ACTIONS,
        conditions=conditions,
    )


def define_role(
    scope: Construct,
    construct_id: str,
    *,
    role_name: str,
    description: str,
    trust: list[iam.PolicyStatement],
    permissions: list[iam.PolicyStatement],
) -> iam.CfnRole:
    """An IAM role with one inline policy named after the role (none when there is nothing to grant).

    L1 on purpose: the L2 Role writes its own trust statement (AssumeRole only) and may add statements
    for grants; here the reviewed documents are the deployed documents.
    """
    policies = (
        [iam.CfnRole.PolicyProperty(policy_name=role_name, policy_document=iam.PolicyDocument(statements=permissions))]
        if permissions
        else None
    )
    return iam.CfnRole(
        scope,
        construct_id,
        role_name=role_name,
        description=description,
        assume_role_policy_document=iam.PolicyDocument(statements=trust),
        policies=policies,
    )
