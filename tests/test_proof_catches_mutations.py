"""Proof that the proof can fail: every widening of every deployed Allow statement is caught.

Each Allow statement of each policy document in the synthesized templates is widened in turn (one
extra action, a wildcard resource, a dropped condition); the sweep reruns on what the widening can
change and must disagree with policies/access.yaml. A widening the proof does not see must be
equivalent: the widened policy, evaluated on its own, allows no request of the universe that the
original did not (e.g. an extra action that never carries the key the statement's condition tests,
or a statement already covered by another). That is checked independently, policy by policy.
"""

from __future__ import annotations

from collections import Counter

import pytest

from accounts.config import OrgConfig
from policies.access_matrix import expand, load_matrix
from policies.iam.cloudformation import load_deployment
from policies.proof import Mutation, Universe, build_universe, mutate, mutations, policy_reach, run_proof
from tests.conftest import Synth

Key = tuple[str, str, str, str, str]


@pytest.fixture(scope="module")
def universe(config: OrgConfig, synth: Synth) -> Universe:
    return build_universe(config, load_deployment(synth.outdir))


def _caught(universe: Universe, mutation: Mutation, matrix: set[Key]) -> bool:
    mutated, principals, actions = mutate(universe, mutation)
    ids, wanted = {p.id for p in principals}, set(actions)
    result = run_proof(mutated, principals=principals, actions=actions)
    computed = {(g.principal, g.view, g.action, g.resource, g.when) for g in result.grants}
    return computed != {grant for grant in matrix if grant[0] in ids and grant[2] in wanted}


def _equivalent(universe: Universe, mutation: Mutation) -> bool:
    mutated, principals, actions = mutate(universe, mutation)
    before = policy_reach(universe, universe.policies[mutation.document], universe.principals, actions)
    after = policy_reach(mutated, mutated.policies[mutation.document], principals, actions)
    return before == after


def test_every_widening_of_every_deployed_policy_is_caught_or_provably_equivalent(universe: Universe) -> None:
    matrix = {(g.principal, g.view, g.action, g.resource, g.when) for g in expand(load_matrix())}
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
    assert (len(generated), not_equivalent) == (len(generated), [])


def test_the_mutations_cover_all_three_widenings(universe: Universe) -> None:
    assert {m.kind for m in mutations(universe)} == {"extra-action", "wildcard-resource", "dropped-condition"}
