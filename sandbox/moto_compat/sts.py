"""Who signed a request, as STS knows it: role sessions keep their source identity, as AWS's do.

moto 5.2.5's AssumeRole drops SourceIdentity: the session does not keep it, the response does not carry
it, and a session chained from one that had it has none. AWS keeps it for the whole session and every
session chained from it, and it cannot be changed. `caller` answers who holds an access key (a role
session, an IAM user), for the services that record their caller (SageMaker's CreatedBy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import AccessDeniedError
from moto.iam import models as _iam_models
from moto.sts import models as _sts_models
from moto.sts import responses as _sts_responses

from sandbox.moto_compat.wrapping import wrap

# moto's classes are patched at run time; typed as Any so the new attributes type-check.
iam_models: Any = _iam_models
sts_models: Any = _sts_models
TokenResponse: Any = _sts_responses.TokenResponse


@dataclass(frozen=True)
class Caller:
    """The principal holding an access key: AWS's IamIdentity (SageMaker's UserContext.IamIdentity)."""

    arn: str
    principal_id: str
    source_identity: str | None = None

    def iam_identity(self) -> dict[str, str]:
        """The IamIdentity structure; SourceIdentity only when the session was started with one."""
        identity = {"Arn": self.arn, "PrincipalId": self.principal_id}
        if self.source_identity is not None:
            identity["SourceIdentity"] = self.source_identity
        return identity


def _sts_backend(access_key_id: str, partition: str) -> Any:
    # moto files a role session under the account of the role assumed, the account that issued its key.
    return sts_models.sts_backends[iam_models.get_account_id_from(access_key_id)][partition]


def role_session(access_key_id: str, partition: str = "aws") -> Any | None:
    """The assumed-role session whose credentials carry `access_key_id`, if STS issued it."""
    return _sts_backend(access_key_id, partition).get_assumed_role_from_access_key(access_key_id)


def caller(access_key_id: str, partition: str = "aws") -> Caller:
    """Who holds `access_key_id`: a role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`),
    an IAM user, or, for a key moto never issued, the default user GetCallerIdentity names."""
    backend = _sts_backend(access_key_id, partition)
    principal_id, arn, _account = backend.get_caller_identity(access_key_id, backend.region_name)
    session = backend.get_assumed_role_from_access_key(access_key_id)
    return Caller(arn=arn, principal_id=principal_id, source_identity=getattr(session, "source_identity", None))


def _assume_role_keeping_source_identity(inner: Callable[..., Any], self: Any) -> Any:
    """AssumeRole sets the session's SourceIdentity and returns it; a session chained from one that has a
    source identity inherits it, and a request to change it is denied."""
    requested: str | None = self._get_param("SourceIdentity")
    session = role_session(self.get_access_key(), self.partition)
    inherited: str | None = getattr(session, "source_identity", None)
    if session is not None and inherited is not None and requested not in (None, inherited):
        # Setting a source identity is the sts:SetSourceIdentity action; no policy lets a session change its own.
        raise AccessDeniedError(user_arn=session.arn, action="sts:SetSourceIdentity")
    result = inner(self)
    source_identity = inherited or requested
    if source_identity is not None:
        result.result["Credentials"].source_identity = source_identity
        result.result["SourceIdentity"] = source_identity
    return result


def install_source_identity() -> None:
    """AssumeRole keeps SourceIdentity on the session, returns it, and passes it down a role chain."""
    wrap(TokenResponse, "assume_role", _assume_role_keeping_source_identity)
