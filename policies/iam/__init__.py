"""A local IAM policy evaluator: AWS's documented evaluation logic, scoped to what this repository uses.

It answers one request at a time (`evaluate`) with an explanation, and refuses anything it does not
model (`UnsupportedPolicyError`) instead of guessing.

What is modelled, module by module (each docstring cites the AWS page it follows):
- evaluate.py: explicit Deny, same account, cross account, key and trust policies that must allow
  (a KMS key without a key policy denies every request to it), service, web-identity and anonymous
  principals. Not SCPs, RCPs, permissions boundaries, session
  policies, ACLs or KMS grants.
- policy.py, matching.py: Action / NotAction, Resource / NotResource globs, Principal (AWS account,
  role, session, Service, Federated, "*"). Not NotPrincipal, wildcard principal ARNs, or a resource
  policy statement without Principal.
- conditions.py: String*, Arn*, Bool and Null, with IfExists, ForAnyValue and ForAllValues. Not
  Numeric*, Date*, IpAddress or Binary*.
- key_types.py: the keys AWS types as multivalued; a plain operator (other than Null) on one is
  refused when the policy is loaded, since AWS documents no result for it.
- variables.py: policy variables in Resource / NotResource (after the fifth colon) and in String* /
  Arn* condition values, Version 2012-10-17 only: `${key}`, `${key, 'default'}`, `${*}`, `${?}`,
  `${$}`; a variable with no value matches nothing. Not in condition keys, Action, Principal, Bool or
  Null values, nor a policy of another Version (AWS would read `${...}` literally: refused).
- model.py: a role principal may be a session with session tags, its aws:PrincipalTag/<key> keys
  (the request context cannot set them). Other keys derived from the principal: aws:PrincipalArn,
  aws:PrincipalAccount, aws:PrincipalServiceName, aws:PrincipalIsAWSService, kms:CallerAccount.
"""

from policies.iam.errors import InvalidPolicyError, PolicyError, UnsupportedPolicyError
from policies.iam.evaluate import Prepared, decide, evaluate, prepare
from policies.iam.model import (
    AccessDecision,
    Context,
    Effect,
    Principal,
    PrincipalKind,
    Request,
    Resource,
    StatementRef,
)
from policies.iam.policy import Policy, PolicyKind

__all__ = [
    "AccessDecision",
    "Context",
    "Effect",
    "InvalidPolicyError",
    "Policy",
    "PolicyError",
    "PolicyKind",
    "Prepared",
    "Principal",
    "PrincipalKind",
    "Request",
    "Resource",
    "StatementRef",
    "UnsupportedPolicyError",
    "decide",
    "evaluate",
    "prepare",
]
