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

# The model images' repository (shared_services/images.py): what `docker push` calls, plus DescribeImages, with
# which registration resolves a tag to its digest (data science, both sides)...
IMAGE_PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
# ...and what SageMaker calls with an endpoint's execution role to pull one (the workload roles and the
# repository policy). Both follow the user guide's examples:
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html
IMAGE_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
