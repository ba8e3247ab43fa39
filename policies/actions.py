"""Named sets of IAM actions that more than one account's stacks grant, so each is reviewed once, here."""

from __future__ import annotations

# AWS's key-administrator set. It replaces CDK's default `kms:*` for a key's own account: that account's IAM
# policies can manage the key (CloudFormation needs that) but cannot grant themselves encrypt or decrypt.
KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]
