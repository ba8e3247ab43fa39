"""GitHub Actions' OIDC tokens, played locally: the credentials a workflow job gets from its role.

A job that may deploy asks GitHub for an ID token (`aud` sts.amazonaws.com) and exchanges it with
sts:AssumeRoleWithWebIdentity for the role its subject is trusted by ("Configuring OpenID Connect in
Amazon Web Services", GitHub docs). The token's `sub` follows the repository's subject template
(accounts/naming.py). The sandbox issues the token a job of the configured repository would get
(unsigned: moto verifies no signature), and the sandbox's IAM judges the exchange by the role's trust
policy and the account's OIDC provider, as AWS does.
"""

from __future__ import annotations

import base64
import json
import time

import boto3

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import new_session

ISSUER_HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"


def _part(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def id_token(subject: str, *, audience: str = AUDIENCE) -> str:
    """A GitHub Actions ID token for a job whose `sub` is `subject` (header.payload.signature)."""
    now = int(time.time())
    claims = {"iss": f"https://{ISSUER_HOST}", "sub": subject, "aud": audience, "iat": now, "exp": now + 300}
    return f"{_part({'alg': 'RS256', 'typ': 'JWT'})}.{_part(claims)}.sandbox-unsigned"


def token_claims(token: str) -> dict[str, str]:
    """The claims of an ID token (not verified: the sandbox issued it)."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def job_session(role_arn: str, subject: str, *, region: str, session_name: str = "GitHubActions") -> boto3.Session:
    """The credentials `aws-actions/configure-aws-credentials` gives a job whose token has `subject`."""
    response = (
        boto3.Session(region_name=region)
        .client("sts")
        .assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName=session_name, WebIdentityToken=id_token(subject)
        )
    )
    credentials = response["Credentials"]
    return new_session(
        region=region,
        access_key=credentials["AccessKeyId"],
        secret_key=credentials["SecretAccessKey"],
        token=credentials["SessionToken"],
    )


def deploy_job_session(config: OrgConfig, env: str) -> boto3.Session:
    """The deploy job of deploy.yml for environment `env`, on the pipeline's branch."""
    return job_session(
        naming.github_deploy_role_arn(config, env), naming.github_deploy_subject(config, env), region=config.region
    )
