"""Whether a REST API's resource policy lets a request through, as API Gateway decides it.

"How API Gateway resource policies affect authorization workflow" (API Gateway developer guide,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html):
- AWS_IAM method, caller from another account: the caller's identity policies AND the resource policy must
  allow `execute-api:Invoke` on the method, and no explicit deny applies (the evaluator's cross-account rule);
- NONE method on an API with a resource policy: the policy must allow the anonymous caller explicitly
  (Principal "*"), and no explicit deny applies;
- an API without a resource policy leaves NONE methods open.
Requests are judged by the repository's IAM evaluator (policies/iam), the caller as the sandbox's
authorization builds it (sandbox/authorization/callers.py: the role's identity policies, its session tags).

Not judged here: a same-account caller of an AWS_IAM method (API Gateway allows it when the identity policy OR
the resource policy allows); the gateway lets it through, as it did before the API had a policy.
"""

from __future__ import annotations

from policies.iam import Context, Policy, Principal, Request, Resource, UnsupportedPolicyError, evaluate
from sandbox.authorization.callers import UnknownKey, caller

INVOKE = "execute-api:Invoke"


def method_arn(region: str, account: str, api_id: str, stage: str, http_method: str, resource: str) -> str:
    """The ARN execute-api:Invoke names: `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{http_method}{resource}"


def denial(who: str, arn: str) -> str:
    """API Gateway's 403 message when the policies do not allow the request."""
    return f"User: {who} is not authorized to perform: {INVOKE} on resource: {arn}"


def refusal(
    policy: Policy | None,
    *,
    arn: str,
    account: str,
    region: str,
    authorization: str,
    access_key: str | None,
    caller_account: str | None,
    caller_arn: str | None,
) -> str | None:
    """The 403 message when API Gateway would refuse this request for its resource policy, else None.

    `access_key`, `caller_account` and `caller_arn` are the authenticated signer's for an AWS_IAM method,
    None for a NONE method."""
    if authorization == "AWS_IAM":
        if caller_account == account or access_key is None or caller_arn is None:
            return None  # same account: not judged (module docstring)
        try:
            principal = caller(access_key).principal
        except UnknownKey:
            return denial(caller_arn, arn)
        who = caller_arn
    else:
        if policy is None:
            return None
        principal, who = Principal.anonymous(), "anonymous"
    context = Context({"aws:SecureTransport": "true", "aws:RequestedRegion": region, "aws:ResourceAccount": account})
    try:
        decision = evaluate(Request(principal, INVOKE, Resource(arn, account, policy), context))
    except (UnsupportedPolicyError, ValueError):
        return denial(who, arn)  # what the evaluator cannot model is refused: no silent allow
    return None if decision.allowed else denial(who, arn)
