"""Credentials for one account and purpose, always through sts:AssumeRole, as in real AWS.

The same calls reach the sandbox when `AWS_ENDPOINT_URL` points at it; there is no sandbox flag.

A role session assumed from another role's session is a chained session, and AWS caps it at one hour
("Role chaining", IAM user guide), while a prod deploy may wait more than two (promotion/deploy_wait.py).
So every session here renews itself: botocore's refreshable credentials assume the role again from the
base session before the old credentials expire (within botocore's 15-minute advisory window).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials

SESSION_NAME_ALLOWED = re.compile(r"[^\w+=,.@-]")


def session_name_for(identity: str) -> str:
    """A valid RoleSessionName (2-64 chars of [\\w+=,.@-]) derived from a person's or job's identity."""
    cleaned = SESSION_NAME_ALLOWED.sub("-", identity)[:64]
    return cleaned if len(cleaned) >= 2 else f"modelops-{cleaned}"


def assume_role(
    role_arn: str,
    *,
    session_name: str,
    base: boto3.Session | None = None,
    region: str | None = None,
    duration_seconds: int = 3600,
    source_identity: str | None = None,
) -> boto3.Session:
    """A boto3 session holding temporary credentials of `role_arn`, assumed from `base` (default chain).

    `source_identity` (a person's identity) is set as the session's SourceIdentity, which CloudTrail
    records and every role chained from this session carries.
    """
    base = base or boto3.Session(region_name=region)
    sts = base.client("sts", region_name=region or base.region_name)
    arguments: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name_for(session_name),
        "DurationSeconds": duration_seconds,
    }
    if source_identity is not None:
        arguments["SourceIdentity"] = session_name_for(source_identity)

    def fetch() -> dict[str, str]:
        credentials = sts.assume_role(**arguments)["Credentials"]
        expiry = credentials["Expiration"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": expiry.isoformat() if isinstance(expiry, datetime) else str(expiry),
        }

    refreshable = RefreshableCredentials.create_from_metadata(
        metadata=fetch(), refresh_using=fetch, method="sts-assume-role"
    )
    core = botocore.session.get_session()
    core.register_component("credential_provider", CredentialResolver(providers=[_Fixed(refreshable)]))
    return boto3.Session(botocore_session=core, region_name=region or base.region_name)


class _Fixed(CredentialProvider):
    """A credential provider that hands out one (refreshable) credentials object."""

    METHOD = "sts-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials
