"""Credentials for one account and purpose, always through sts:AssumeRole, as in real AWS.

The same calls reach the sandbox when `AWS_ENDPOINT_URL` points at it; there is no sandbox flag.
"""

from __future__ import annotations

import re

import boto3

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
    name = session_name_for(session_name)
    response = (
        sts.assume_role(RoleArn=role_arn, RoleSessionName=name, DurationSeconds=duration_seconds)
        if source_identity is None
        else sts.assume_role(
            RoleArn=role_arn,
            RoleSessionName=name,
            DurationSeconds=duration_seconds,
            SourceIdentity=session_name_for(source_identity),
        )
    )
    credentials = response["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region or base.region_name,
    )
