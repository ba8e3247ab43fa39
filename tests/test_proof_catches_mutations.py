"""Proof that the proof can fail: every widening of every deployed Allow statement is caught.

Each Allow statement of each policy document in the synthesized templates of the two_env test organisation is
widened in turn (one extra action, a wildcard resource, a dropped condition); the sweep reruns on what the
widening can change (`recheck`: the requests the widened statement takes part in) and must disagree there with
its access matrix, tests/orgs/two_env/access.yaml (elsewhere the grants are the unmutated ones, which
tests/test_least_privilege_proof.py holds equal to that matrix). A widening the proof does not see must be
equivalent: the widened policy, evaluated on its own, allows no request of the universe that the
original did not (e.g. an extra action that never carries the key the statement's condition tests,
or a statement already covered by another). That is checked independently, policy by policy.
"""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.config import OrgConfig
from policies.access_matrix import expand, load_matrix
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.mutations import Mutation, baseline, mutate, mutations, policy_reach, reach, recheck
from policies.proof.results import ProofResult, run_proof
from policies.proof.sweep import SERVICE_RESOURCES, VIEWS
from policies.proof.universe import Universe, build_universe
from tests.conftest import Synth
from tests.orgs import access_matrix_path

Key = tuple[str, str, str, str, str]


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    return build_universe(config, load_deployment(synth.outdir))


def _keys(result: ProofResult) -> set[Key]:
    return {(g.principal, g.view, g.action, g.resource, g.when) for g in result.grants}


def _caught(universe: Universe, mutation: Mutation, matrix: set[Key]) -> bool:
    result, within, unmutated = recheck(universe, mutation)
    before = _keys(unmutated) if unmutated is not None else {grant for grant in matrix if within.covers(*grant[:4])}
    return _keys(result) != before


def _equivalent(universe: Universe, mutation: Mutation) -> bool:
    """Judged over the same request-parameter variants: the widened universe's (a superset of the original's)."""
    mutated, principals, actions = mutate(universe, mutation)
    before = policy_reach(
        baseline(universe, mutation), universe.policies[mutation.document], universe.principals, actions
    )
    after = policy_reach(mutated, mutated.policies[mutation.document], principals, actions)
    return before == after


# Known and listed in README "Not yet built": the universe has no other KMS key in a workload account (a key of
# another team, whose default key policy lets IAM decide), so the execution role's data-capture grant on the
# account's `key/*` is widened unseen when its alias condition goes (Statement[12], after the four batch grants
# of issue 14, whose own key statement keeps kms:ViaService and is caught). Any other miss, or this one caught, fails.
KNOWN_MISSES = [
    f"modelops-exec-{env}-churn-model@{account}/modelops-exec-{env}-churn-model Statement[12] dropped-condition "
    "(ForAnyValue:StringEquals)"
    for env, account in (("prod", "555555555555"),)
]


def test_every_widening_of_every_deployed_policy_is_caught_or_provably_equivalent(universe: Universe) -> None:
    matrix = {
        (g.principal, g.view, g.action, g.resource, g.when) for g in expand(load_matrix(access_matrix_path("two_env")))
    }
    generated = mutations(universe)
    missed = [m for m in generated if not _caught(universe, m, matrix)]
    not_equivalent = [str(m) for m in missed if not _equivalent(universe, m)]
    kinds = Counter(m.kind for m in generated)
    print(
        f"\nmutations: {len(generated)} {dict(sorted(kinds.items()))}; caught: {len(generated) - len(missed)}; "
        f"equivalent (match no further request): {len(missed)}"
    )
    for mutation in missed:
        print(f"  equivalent: {mutation}")
    assert (len(generated), not_equivalent) == (len(generated), KNOWN_MISSES)


def test_the_mutations_cover_all_three_widenings(universe: Universe) -> None:
    assert {m.kind for m in mutations(universe)} == {"extra-action", "wildcard-resource", "dropped-condition"}


def test_rechecking_what_a_widening_reaches_gives_the_full_resweeps_grants(universe: Universe) -> None:
    """For the widening of each kind on each kind of policy that reaches the fewest resources, the recheck
    plus the unmutated grants outside its reach equal a full re-sweep of every principal and action the
    widening names. (A widening that changes the context dimensions has everything in reach: nothing to
    compare.)"""
    samples: dict[tuple[str, str], tuple[int, Mutation]] = {}
    for mutation in mutations(universe):
        within = reach(universe, mutation)[2]
        if within.views == set(VIEWS):
            continue
        kind = (universe.policies[mutation.document].kind.value, mutation.kind)
        services = [SERVICE_RESOURCES.get(s, s) for s in (a.split(":", 1)[0] for a in within.actions)]
        size = sum(len(universe.resources_by_service.get(s, [])) for s in services)
        if kind not in samples or size < samples[kind][0]:
            samples[kind] = (size, mutation)
    mismatched = []
    for _, mutation in samples.values():
        mutated, principals, actions = mutate(universe, mutation)
        full = _keys(run_proof(mutated, principals=principals, actions=actions))
        result, within, _ = recheck(universe, mutation)
        named = {p.id for p in principals}
        unmutated = _keys(
            run_proof(universe, principals=[p for p in universe.principals if p.id in named], actions=actions)
        )
        if _keys(result) | {g for g in unmutated if not within.covers(*g[:4])} != full:
            mismatched.append(str(mutation))
    assert (sorted(samples), mismatched) == (
        [
            ("identity", "dropped-condition"),
            ("identity", "extra-action"),
            ("identity", "wildcard-resource"),
            ("kms-key", "dropped-condition"),
            ("kms-key", "extra-action"),
            ("resource", "dropped-condition"),
            ("resource", "extra-action"),
            ("resource", "wildcard-resource"),
            ("trust", "dropped-condition"),
            ("trust", "extra-action"),
        ],
        [],
    )
