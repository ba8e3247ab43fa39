"""The sessions of one environment's deploy: every role assumed through that environment's deploy role.

In the pipeline's own job, GitHub OIDC already gave the ambient credentials the deploy role; a person
with the pipeline's roles (or the sandbox) starts from their own credentials and chains through it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from accounts import naming
from accounts.config import Environment, OrgConfig
from promotion.aws import AwsContext, calling

Progress = Callable[[str], None]


def is_session_of(caller_arn: str, role_arn: str) -> bool:
    """Whether the STS caller `caller_arn` is a session of the IAM role `role_arn`.

    An assumed-role ARN (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) drops the role's path.
    """
    caller, role = caller_arn.split(":", 5), role_arn.split(":", 5)
    if len(caller) != 6 or len(role) != 6 or caller[2] != "sts" or role[2] != "iam":
        return False
    kind, _, rest = caller[5].partition("/")
    return (
        kind == "assumed-role"
        and (caller[1], caller[4]) == (role[1], role[4])
        and rest.split("/", 1)[0] == role[5].rsplit("/", 1)[-1]
    )


class EnvironmentRoles:
    """The roles one environment's deploy acts as, each chained from that environment's deploy role."""

    def __init__(self, aws: AwsContext, config: OrgConfig, env: str, progress: Progress) -> None:
        self.aws = aws
        self.config = config
        self.env: Environment = config.environment(env)
        self.progress = progress
        self.deploy_role = naming.github_deploy_role_arn(config, env)
        self.account = self.env.account
        self.region = config.region
        self._via: tuple[str | None] | None = None

    @property
    def via(self) -> str | None:
        """The role every session is assumed through: the deploy role, unless the caller already is it.

        In the pipeline's own job, GitHub OIDC gave the ambient credentials that role, and IAM lets a role
        assume itself only where its trust policy names it (the deploy roles trust GitHub alone).
        """
        if self._via is None:
            with calling("AWS STS"):
                caller = self.aws.caller_arn()
            self._via = (None if is_session_of(caller, self.deploy_role) else self.deploy_role,)
        return self._via[0]

    def operator(self) -> boto3.Session:
        """The environment's operator role (its workload account)."""
        return self.aws.operator(self.env.name, via=self.via)

    def promoter(self) -> boto3.Session:
        """The shared-services promoter role."""
        return self.aws.promoter(via=self.via)

    def recorder(self) -> boto3.Session:
        """The shared-services recorder role of this environment (its deploy records and live record)."""
        return self.aws.recorder(self.env.name, via=self.via)

    def batch(self) -> boto3.Session:
        """The environment's batch-inference role (its workload account; workloads/batch.py)."""
        return self.aws.assume(naming.batch_role_arn(self.config, self.env.name), via=self.via)

    def cdk_role(self, purpose: str) -> boto3.Session:
        """One of the environment account's CDK bootstrap roles (`deploy`, `file-publishing`, ...)."""
        return self.aws.assume(naming.cdk_role_arn(purpose, self.account, self.region), via=self.via)


class CallingClient:
    """A boto3 client whose every call fails as one line naming what it reaches, as which role."""

    def __init__(self, client: Any, what: str, role: str) -> None:
        self._client, self._what, self._role = client, what, role

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with calling(self._what, role=self._role):
                return method(*args, **kwargs)

        return call
