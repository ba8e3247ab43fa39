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
from moto.core.responses import ActionResult
from moto.iam import models as _iam_models
from moto.sts import models as _sts_models
from moto.sts import responses as _sts_responses

from sandbox.accounts import ROOT_KEYS
from sandbox.identity_center import ATTRIBUTES, saml_attributes, saml_tags
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
    an IAM user, an account's root user (the sandbox's management keys), or, for a key moto never issued,
    the default user GetCallerIdentity names."""
    if access_key_id in ROOT_KEYS:
        account = ROOT_KEYS[access_key_id]
        return Caller(arn=f"arn:{partition}:iam::{account}:root", principal_id=account)
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


def _caller_identity_of_root(inner: Callable[..., Any], self: Any) -> Any:
    """GetCallerIdentity of an account's root user names the root: UserId and Account are the account id,
    Arn is arn:aws:iam::<account>:root ("GetCallerIdentity", STS API reference, Examples)."""
    account = ROOT_KEYS.get(self.get_access_key())
    if account is None:
        return inner(self)
    return ActionResult({"UserId": account, "Account": account, "Arn": f"arn:{self.partition}:iam::{account}:root"})


def install_root_caller_identity() -> None:
    """GetCallerIdentity and SageMaker's CreatedBy name the root user for the management keys."""
    wrap(TokenResponse, "get_caller_identity", _caller_identity_of_root)


def install_source_identity() -> None:
    """AssumeRole keeps SourceIdentity on the session, returns it, and passes it down a role chain."""
    wrap(TokenResponse, "assume_role", _assume_role_keeping_source_identity)


# -- session tags ---------------------------------------------------------------------------------------


def _transitive(session: Any) -> dict[str, str]:
    """The tags a chained session inherits: the caller session's transitive ones."""
    if session is None:
        return {}
    tags: dict[str, str] = getattr(session, "session_tags", None) or {}
    keys = {key.lower() for key in getattr(session, "transitive_tag_keys", ())}
    return {key: value for key, value in tags.items() if key.lower() in keys}


def _keep(result: Any, tags: dict[str, str], transitive: set[str]) -> None:
    credentials = result.result["Credentials"]
    credentials.session_tags = tags
    credentials.transitive_tag_keys = tuple(sorted(transitive))


def _assume_role_keeping_tags(inner: Callable[..., Any], self: Any) -> Any:
    """AssumeRole's Tags become the session's tags, over the transitive tags of the calling session, which
    stay transitive; TransitiveTagKeys marks which of the new ones pass down the chain."""
    caller_session = role_session(self.get_access_key(), self.partition)
    inherited = _transitive(caller_session)
    requested = {tag["Key"]: tag["Value"] for tag in self._get_param("Tags") or []}
    transitive = set(self._get_param("TransitiveTagKeys") or [])
    transitive |= set(inherited)
    result = inner(self)
    _keep(result, {**requested, **inherited}, transitive)
    return result


def _assume_role_with_saml_keeping_tags(inner: Callable[..., Any], self: Any) -> Any:
    """AssumeRoleWithSAML's PrincipalTag attributes become the session's tags, its TransitiveTagKeys
    attribute their transitive keys ("Passing session tags using SAML", IAM user guide)."""
    attributes, _keys = saml_attributes(self._get_param("SAMLAssertion"))
    result = inner(self)
    session = result.result["Credentials"]
    _keep(result, saml_tags(attributes), set(attributes.get(ATTRIBUTES + "TransitiveTagKeys", [])))
    _file_under_role_account(self, session)
    return result


def _file_under_role_account(response: Any, session: Any) -> None:
    """A federated sign-in is unsigned, so moto files its session under its default account; file it under
    the account that issued its key (the role's), where `role_session` looks for it."""
    owner = _sts_backend(session.access_key_id, response.partition)
    if owner is not response.backend and session in response.backend.assumed_roles:
        response.backend.assumed_roles.remove(session)
    if session not in owner.assumed_roles:
        owner.assumed_roles.append(session)


def _assume_role_with_web_identity_filed(inner: Callable[..., Any], self: Any) -> Any:
    result = inner(self)
    _file_under_role_account(self, result.result["Credentials"])
    return result


def install_session_tags() -> None:
    """Sessions keep the tags AssumeRole and AssumeRoleWithSAML pass, and chained sessions the transitive ones."""
    wrap(TokenResponse, "assume_role", _assume_role_keeping_tags)
    wrap(TokenResponse, "assume_role_with_saml", _assume_role_with_saml_keeping_tags)
    wrap(TokenResponse, "assume_role_with_web_identity", _assume_role_with_web_identity_filed)
