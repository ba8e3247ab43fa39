"""The approval API's resource policy: who, beyond the shared-services account's own identity policies, may
invoke which of its methods.

API Gateway's authorization table ("How API Gateway resource policies affect authorization workflow",
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html):
- AWS_IAM method, caller from another account: the caller's identity policy AND the resource policy must
  allow. Data scientists sign in to the data-science account, so `DataScientistsSubmitModelCards` admits
  that account's DataScientist permission-set role to `POST /decisions`, and nothing else of the API.
- AWS_IAM method, caller from this account (approvers, the platform): the identity policy OR the resource
  policy allows, so no statement names them.
- NONE method (no authorization), once the API has a resource policy: denied unless the policy explicitly
  allows it. `ReviewPagesArePublic` admits everyone to exactly the NONE methods the construct deployed.

Resources use API Gateway's abbreviated form `execute-api:/<stage>/<METHOD>/<path>`, which it expands to
`arn:aws:execute-api:<region>:<account>:<api-id>/...` when it saves the policy (API Gateway resource policy
examples, https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-examples.html);
the API's own ARN cannot be written here, since the policy is a property of the API.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_iam as iam

from accounts import naming
from accounts.config import OrgConfig

INVOKE = "execute-api:Invoke"
DATA_SCIENTISTS_SID = "DataScientistsSubmitModelCards"
PUBLIC_SID = "ReviewPagesArePublic"


def method_resource(stage: str, http_method: str, path: str) -> str:
    """A method in API Gateway's abbreviated resource-policy form: `execute-api:/v1/POST/decisions`."""
    return f"execute-api:/{stage}/{http_method}{path}"


def data_scientists_statement(config: OrgConfig, *, stage: str, http_method: str, path: str) -> iam.PolicyStatement:
    """The data-science account's DataScientist role may invoke the one IAM method it submits model cards by."""
    return iam.PolicyStatement(
        sid=DATA_SCIENTISTS_SID,
        principals=[iam.ArnPrincipal(naming.account_root_arn(config.accounts.data_science))],
        actions=[INVOKE],
        resources=[method_resource(stage, http_method, path)],
        conditions={
            "ArnLike": {
                "aws:PrincipalArn": naming.sso_role_arn_patterns(
                    config.accounts.data_science, naming.DATA_SCIENTIST_PERMISSION_SET
                )
            }
        },
    )


def public_pages_statement(stage: str, methods: Iterable[tuple[str, str]]) -> iam.PolicyStatement:
    """Everyone may invoke the methods without authorization ((HTTP method, path) pairs).

    These pages are public by design: each checks a single-use, signed review link, and deciding takes the
    approver's OpenID Connect sign-in (handlers/review.py). With a resource policy on the API, API Gateway
    denies a NONE method that the policy does not explicitly allow (authorization table, above).
    """
    return iam.PolicyStatement(
        sid=PUBLIC_SID,
        principals=[iam.AnyPrincipal()],
        actions=[INVOKE],
        resources=[method_resource(stage, http_method, path) for http_method, path in methods],
    )
