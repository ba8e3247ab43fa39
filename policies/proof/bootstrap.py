"""The CDK bootstrap roles of the accounts we deploy into: not in our templates, so modelled from what
`cdk bootstrap --trust <deployment account>` creates."""

from __future__ import annotations

from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import PolicyKind
from policies.iam.cloudformation.deployment import Document

CDK_ROLE_KINDS = ("deploy", "file-publishing", "image-publishing", "lookup", "cfn-exec")


def bootstrap_trust(config: OrgConfig, kind: str, account: str) -> Document:
    """The trust policy `cdk bootstrap --trust <deployment account>` gives a bootstrap role (not in our
    templates): the file/image publishing, deploy and lookup roles trust the account itself and the
    trusted account; the CloudFormation execution role trusts CloudFormation."""
    name = naming.cdk_role_name(kind, account, config.region)
    if kind == "cfn-exec":
        principal: dict[str, Any] = {"Service": "cloudformation.amazonaws.com"}
        actions: list[str] = ["sts:AssumeRole"]
    else:
        principal = {"AWS": sorted({account, config.accounts.deployment})}
        actions = ["sts:AssumeRole", "sts:TagSession"]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "CdkBootstrapTrust", "Effect": "Allow", "Principal": principal, "Action": actions}],
    }
    return Document(f"{name} trust (cdk bootstrap)", PolicyKind.TRUST, document)


def target_accounts(config: OrgConfig) -> list[str]:
    """The accounts our pipeline deploys into, each bootstrapped with `cdk bootstrap --trust`."""
    return [config.accounts.shared_services, *(config.environment(env).account for env in config.chain)]
