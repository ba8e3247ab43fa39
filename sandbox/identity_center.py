"""IAM Identity Center's sign-in to AWS accounts, played locally: a person becomes a permission set's role.

Identity Center signs a person in to an account with a SAML assertion for the permission set's role
(`AWSReservedSSO_<set>_<suffix>`, trusting the account's `AWSSSO_<suffix>_DO_NOT_DELETE` provider for
`SAML:aud` https://signin.aws.amazon.com/saml), naming the session after the person's email and passing
the person's attributes for access control as session tags (`PrincipalTag:email`): "Attributes for
access control" and "Configuring SAML assertions for the authentication response" (IAM Identity Center
and IAM user guides). The sandbox builds that assertion (unsigned: moto checks no signature) and calls
sts:AssumeRoleWithSAML, which the sandbox's IAM judges by the role's trust policy, as AWS does.
"""

from __future__ import annotations

import base64
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

import boto3

from promotion.aws import new_session

SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
ISSUER = "https://portal.sso.sandbox.modelops.invalid/saml/assertion"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
ATTRIBUTES = "https://aws.amazon.com/SAML/Attributes/"
TAG_PREFIX = ATTRIBUTES + "PrincipalTag:"
SESSION_SECONDS = 3600


def provider_name(suffix: str) -> str:
    """The SAML provider Identity Center creates in each account it provisions."""
    return f"AWSSSO_{suffix}_DO_NOT_DELETE"


def provider_metadata() -> str:
    """The identity provider's SAML metadata document, as Identity Center publishes it (IAM requires at
    least 1,000 characters: CreateSAMLProvider reference). The sandbox signs nothing, so its key is a
    placeholder."""
    key = "MIIC" + "SANDBOX0" * 120  # not a certificate: moto checks no signature
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID={quoteattr(ISSUER)}>'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{key}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f"Location={quoteattr(ISSUER)}/></md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def assertion(*, role_arn: str, provider_arn: str, email: str, tags: dict[str, str]) -> str:
    """The base64 SAML response Identity Center posts to AWS for `email` signing in as `role_arn`."""
    attributes = [
        (ATTRIBUTES + "Role", f"{role_arn},{provider_arn}"),
        (ATTRIBUTES + "RoleSessionName", email),
        (ATTRIBUTES + "SessionDuration", str(SESSION_SECONDS)),
        *((TAG_PREFIX + key, value) for key, value in tags.items()),
    ]
    statements = "".join(
        f"<saml:Attribute Name={quoteattr(name)}>"
        f"<saml:AttributeValue>{escape(value)}</saml:AttributeValue></saml:Attribute>"
        for name, value in attributes
    )
    xml = (
        '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
        f"<saml:Issuer>{escape(ISSUER)}</saml:Issuer>"
        "<saml:Assertion>"
        f"<saml:Issuer>{escape(ISSUER)}</saml:Issuer>"
        f"<saml:Subject><saml:NameID>{escape(email)}</saml:NameID>"
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f"<saml:SubjectConfirmationData Recipient={quoteattr(SAML_AUDIENCE)}/></saml:SubjectConfirmation>"
        "</saml:Subject>"
        f"<saml:AttributeStatement>{statements}</saml:AttributeStatement>"
        "</saml:Assertion></samlp:Response>"
    )
    return base64.b64encode(xml.encode()).decode()


def saml_attributes(encoded: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(attribute name -> values, the condition keys SAML:aud, SAML:sub, SAML:iss) of a base64 assertion."""
    # An unsigned call's caller wrote the assertion; ElementTree resolves no external entities, and only
    # attributes are read from it.
    root = ElementTree.fromstring(base64.b64decode(encoded))  # noqa: S314
    attributes: dict[str, list[str]] = {}
    for attribute in root.iter(f"{SAML}Attribute"):
        attributes[attribute.get("Name", "")] = [value.text or "" for value in attribute.iter(f"{SAML}AttributeValue")]
    keys: dict[str, str] = {}
    confirmation = next(root.iter(f"{SAML}SubjectConfirmationData"), None)
    if confirmation is not None and confirmation.get("Recipient"):
        keys["SAML:aud"] = confirmation.get("Recipient", "")
    name_id = next(root.iter(f"{SAML}NameID"), None)
    if name_id is not None and name_id.text:
        keys["SAML:sub"] = name_id.text
    issuer = next(root.iter(f"{SAML}Issuer"), None)
    if issuer is not None and issuer.text:
        keys["SAML:iss"] = issuer.text
    return attributes, keys


def saml_tags(attributes: dict[str, list[str]]) -> dict[str, str]:
    """The session tags an assertion passes (its PrincipalTag attributes)."""
    return {
        name.removeprefix(TAG_PREFIX): values[0]
        for name, values in attributes.items()
        if name.startswith(TAG_PREFIX) and values
    }


def sign_in_credentials(
    *, role_arn: str, provider_arn: str, email: str, tags: dict[str, str], region: str
) -> dict[str, Any]:
    """STS's Credentials (AccessKeyId, SecretAccessKey, SessionToken, Expiration) of `email` signed in to
    `role_arn` through Identity Center."""
    sts = boto3.Session(region_name=region).client("sts")
    response = sts.assume_role_with_saml(
        RoleArn=role_arn,
        PrincipalArn=provider_arn,
        SAMLAssertion=assertion(role_arn=role_arn, provider_arn=provider_arn, email=email, tags=tags),
        DurationSeconds=SESSION_SECONDS,
    )
    return dict(response["Credentials"])


def sign_in(*, role_arn: str, provider_arn: str, email: str, tags: dict[str, str], region: str) -> boto3.Session:
    """The credentials Identity Center's sign-in gives `email` in `role_arn`'s account."""
    credentials = sign_in_credentials(
        role_arn=role_arn, provider_arn=provider_arn, email=email, tags=tags, region=region
    )
    return new_session(
        region=region,
        access_key=credentials["AccessKeyId"],
        secret_key=credentials["SecretAccessKey"],
        token=credentials["SessionToken"],
    )
