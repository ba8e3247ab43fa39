"""The sandbox's AWS Organizations: the management account's root user, and member accounts as
Organizations creates them.

The management account is moto's default account; its root user holds the keys of the `management` profile
`sandbox up` writes (the sandbox's IAM evaluates them as that root user). A member account comes with
`OrganizationAccountAccessRole`, trusted by the management account and holding AdministratorAccess,
which AWS Organizations creates itself when it creates the account ("Accessing member accounts in your
organization", AWS Organizations user guide): no caller makes that IAM call, so the sandbox writes the
role into the account's IAM directly.
"""

from __future__ import annotations

import json

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam.models import iam_backends

MANAGEMENT_ACCOUNT = DEFAULT_ACCOUNT_ID  # "123456789012"
# 20 characters, as every AWS access key id (moto reads a key from the signature only at that length).
MANAGEMENT_CREDENTIALS = {"aws_access_key_id": "AKIASANDBOXMANAGER00", "aws_secret_access_key": "sandbox"}
ORGANIZATION_ACCESS_ROLE = "OrganizationAccountAccessRole"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"


# Access keys that belong to an account's root user (the management keys), by key: the account.
ROOT_KEYS: dict[str, str] = {}


def management_trust() -> str:
    """The trust Organizations gives OrganizationAccountAccessRole: the management account."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def create_member_account(account: str, role_name: str = ORGANIZATION_ACCESS_ROLE, partition: str = "aws") -> str:
    """Make `account` a member account: its administrator role, trusted by the management account.
    Idempotent; returns the role's ARN."""
    iam = iam_backends[account][partition]
    for role in iam.roles.values():
        if role.name == role_name:
            return str(role.arn)
    role = iam.create_role(
        role_name=role_name,
        assume_role_policy_document=management_trust(),
        path="/",
        permissions_boundary=None,
        description="Created by AWS Organizations for the management account",
        tags=[],
        max_session_duration="3600",
    )
    iam.attach_role_policy(ADMINISTRATOR_ACCESS, role_name)
    return str(role.arn)
