"""The federated sign-ins STS takes unsigned: AssumeRoleWithSAML, judged by the role's trust policy alone.

What IAM reads from a SAML assertion ("Configuring SAML assertions for the authentication response",
"Available keys for SAML-based AWS STS federation"): the role and provider it names, the session name
(`https://aws.amazon.com/SAML/Attributes/RoleSessionName`), session tags
(`https://aws.amazon.com/SAML/Attributes/PrincipalTag:<key>`, which need sts:TagSession), and the
condition keys SAML:aud (the Recipient the assertion was issued for), SAML:sub and SAML:iss.
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import iam_backends

from policies.iam import Principal
from sandbox.authorization.callers import Caller
from sandbox.authorization.calls import Call
from sandbox.authorization.catalog import Check, NotModelled
from sandbox.authorization.catalog.common import arn_account
from sandbox.github_oidc import token_claims
from sandbox.identity_center import ATTRIBUTES, saml_attributes, saml_tags


def web_identity_sign_in(call: Call) -> tuple[Caller, list[Check]]:
    """The federated caller of an AssumeRoleWithWebIdentity call (its token's issuer, as the account's OIDC
    provider ARN), and what the role's trust must allow: `<issuer host>:sub`, `:aud` and
    sts:RoleSessionName ("Available keys for AWS web identity federation", IAM user guide)."""
    role, token = call.params.get("RoleArn"), call.params.get("WebIdentityToken")
    if not role or not token:
        raise NotModelled("sts:AssumeRoleWithWebIdentity without RoleArn or WebIdentityToken")
    try:
        claims = token_claims(str(token))
    except (ValueError, IndexError) as error:
        raise NotModelled(f"sts:AssumeRoleWithWebIdentity with a token that is not a JWT ({error})") from None
    host = str(claims.get("iss", "")).removeprefix("https://")
    account = arn_account(str(role))
    provider = f"arn:aws:iam::{account}:oidc-provider/{host}"
    values: dict[str, Any] = {
        f"{host}:sub": str(claims.get("sub", "")),
        f"{host}:aud": str(claims.get("aud", "")),
        "sts:RoleSessionName": str(call.params.get("RoleSessionName", "")),
    }
    return Caller(Principal.federated(provider), provider), [
        Check("sts:AssumeRoleWithWebIdentity", str(role), account, values)
    ]


def saml_sign_in(call: Call) -> tuple[Caller, list[Check]]:
    """The federated caller of an AssumeRoleWithSAML call, and what the role's trust must allow."""
    role, provider = call.params.get("RoleArn"), call.params.get("PrincipalArn")
    assertion = call.params.get("SAMLAssertion")
    if not role or not provider or not assertion:
        raise NotModelled("sts:AssumeRoleWithSAML without RoleArn, PrincipalArn or SAMLAssertion")
    attributes, context = saml_attributes(str(assertion))
    tags = saml_tags(attributes)
    values: dict[str, Any] = dict(context)
    session = attributes.get(ATTRIBUTES + "RoleSessionName", [""])[0]
    values["sts:RoleSessionName"] = session
    if tags:
        values.update({f"aws:RequestTag/{key}": value for key, value in tags.items()})
        values["aws:TagKeys"] = list(tags)
    account = arn_account(str(role))
    checks = [Check("sts:AssumeRoleWithSAML", str(role), account, values)]
    if tags:
        checks.append(Check("sts:TagSession", str(role), account, values))
    return Caller(Principal.federated(str(provider)), str(provider)), checks


def provider_missing(federated: Caller) -> str:
    """AWS's refusal when the identity provider a sign-in names does not exist in the role's account, or ""."""
    provider = federated.principal.name
    account = arn_account(provider)
    backend = iam_backends[account]["aws"]
    kind, _, name = provider.split(":", 5)[5].partition("/")
    if kind == "saml-provider":
        exists = provider in backend.saml_providers or any(p.arn == provider for p in backend.saml_providers.values())
        return "" if exists else f"SAML provider {provider} does not exist"
    exists = provider in backend.open_id_providers or any(p.arn == provider for p in backend.open_id_providers.values())
    return "" if exists else f"No OpenIDConnect provider found in your account for https://{name}"
