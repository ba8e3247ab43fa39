"""Request-parameter variants: how many grow additively with the condition keys a statement tests.

A request parameter is a condition key the caller chooses (`sagemaker:ModelLifeCycle:stage`,
`sagemaker:CustomerMetadataProperties/<key>`, `sts:SourceIdentity`, `s3:prefix`, ...). The sweep
decides each request for a set of assignments of these keys, and the matrix's `when` conditions are
read off the assignments that are allowed. Sweeping every combination of every key's samples grows
multiplicatively (a `Null` block over N keys alone gives 2^N assignments); this module picks
assignments that grow additively, and still find every grant.

Samples (per key, `samples`): `absent`; every literal value a String, Arn or Bool condition names on
the key (a pattern by a name it matches, `sample_of`); for a value with a policy variable
`${aws:PrincipalTag/<t>}`, `own-<t>`, the caller's own tag (only for a caller whose session carries
tag t: the variable is substituted from the principal's session, never sampled as text) and
`another-<t>`, someone else's (for `email`, another person's address); otherwise `zz-other`, a
present value no policy names. Every condition test on one key gives the same answer for every value
of one class, and every class has a sample (a String or Arn test matches a value iff the value
equals, or is like, a value it names; a `Null` test asks only whether the key is present; a variable
is equal to the caller's own tag or not); so a key's samples stand for every value it can take.

Assignments (`ParameterPlan.assignments`), per action and per set of session tags the caller has:
1. Bases. For each set R of Allow statements that can decide a request together - none, one Allow
   statement that tests a parameter, or an identity-policy Allow and a resource-, key- or
   trust-policy Allow (cross-account, and a key or trust policy that delegates to the account) - a
   base assigns every key a sample that satisfies every test of R on that key, chosen among those
   that leave the fewest Deny tests on that key holding: one per class of Deny outcomes that no
   other satisfying sample betters (usually one; with no Deny on the key, `absent` when it
   satisfies). R with a key that no sample satisfies for all of R has no base: R never holds.
2. The star of each base: the base itself, and the base with one key changed to each of its other
   samples. So each statement's conditions are satisfied (at its base) and violated one key at a
   time (in its star); the matrix's `when` lists, per key, the samples that keep the request allowed.
Size: (bases) x (1 + the sum over keys of their samples - 1), against the product of every key's
samples before. Bases: 1 + A + I x R for A Allow statements testing parameters of the action, I of
them in identity policies and R in resource policies; one or two for most actions.

Why no grant is lost. The evaluation logic is monotone: an Allow statement that holds never turns an
Allow into a denial, a Deny that holds never turns a denial into an Allow. A request with parameter
assignment `a` (and any other context) is allowed only when some set R as in 1 holds at `a` (one
statement, or an identity-policy Allow and a resource-policy Allow) and no applicable Deny holds.
Conditions are conjunctions of tests on one key each (policy variables read only the principal's
session tags, which do not change with the request), so per key: `a(k)` satisfies R's tests on k,
hence some sample of the same class does, and among those the chosen base value `b(k)` leaves no
more Deny tests on k holding than `a(k)` does (a maximal class exists above any element of a finite
preorder, and its representative was taken). A Deny false at `a` has a test false at `a`: on a
non-parameter dimension, unchanged in the variant with the same other dimensions; on a parameter key
k, false at `b(k)` too. So every Allow of R holds and every applicable Deny fails at the base `b`,
and the request is allowed for that variant: every grant shows up, for some principal, action and
resource, whenever any request allows it. The other variants only describe it (its `when`).

Multivalued keys (tested with ForAnyValue / ForAllValues) are sampled as one-value lists. That is
sound for ForAllValues (a list satisfies it only if each of its values does) and for one ForAnyValue
statement (a list satisfies it only if one of its values does, and that value alone does too). A
Deny with a set operator on a parameter, or two statements testing one key with ForAnyValue, may
need a list of several values: refused (`ProofError`), as is a policy variable other than a session
tag in a parameter's condition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import product

from policies.iam import Policy, PolicyKind
from policies.iam.conditions import ConditionTest, SetOperator
from policies.iam.model import PRINCIPAL_TAG_PREFIX, ContextValue
from policies.iam.policy import Statement
from policies.iam.variables import Lookup, Variable
from policies.proof.errors import ProofError
from policies.proof.samples import ANOTHER_PERSON, OTHER, SAMPLE_PERSON, sample_of

ABSENT = "absent"  # the label of a request parameter the request does not carry
OWN = "own-"  # own-<tag>: the caller's own session tag
ANOTHER = "another-"  # another-<tag>: someone else's value of that tag
# Values standing for "the caller's own tag" while the plan is computed, and for someone else's.
CANONICAL_TAG = {"email": SAMPLE_PERSON}
ANOTHER_TAG = {"email": ANOTHER_PERSON}

Labels = tuple[str, ...]  # one sample label per parameter key of an action, in the order of its keys


@dataclass(frozen=True)
class KeySamples:
    """The samples of one request parameter: literal values, and the session tags its variables name."""

    key: str  # lower-cased
    literals: tuple[str, ...]
    tags: tuple[str, ...]  # session tags named by variables in the key's condition values

    def labels(self, tags: frozenset[str]) -> Labels:
        """The sample labels for a caller whose session carries `tags`, `absent` first."""
        own = tuple(f"{OWN}{tag}" for tag in self.tags if tag in tags)
        other = (f"{ANOTHER}{self.tags[0]}",) if self.tags else (OTHER,)
        return (ABSENT, *self.literals, *own, *other)


def label_value(label: str, tags: Mapping[str, str]) -> str | None:
    """The request value a label stands for, given the caller's session tags; None for `absent`."""
    if label == ABSENT:
        return None
    if label.startswith(OWN):
        return tags.get(label[len(OWN) :])
    if label.startswith(ANOTHER):
        return ANOTHER_TAG.get(label[len(ANOTHER) :], OTHER)
    return label


def key_samples(policies: Iterable[Policy], ignored: frozenset[str]) -> dict[str, KeySamples]:
    """The samples of every request parameter the policies test (keys in `ignored` are dimensions the
    sweep varies itself, or keys AWS derives from the principal)."""
    literals: dict[str, set[str]] = {}
    tags: dict[str, set[str]] = {}
    for policy in policies:
        for statement in policy.statements:
            for test in statement.conditions:
                if test.key in ignored or test.key.startswith(PRINCIPAL_TAG_PREFIX):
                    continue
                literals.setdefault(test.key, set())
                tags.setdefault(test.key, set())
                if test.is_null:
                    continue
                literals[test.key].update(sample_of(value) for value in test.values if "${" not in value)
                tags[test.key].update(_template_tags(test))
    return {key: KeySamples(key, tuple(sorted(literals[key] - {ABSENT})), tuple(sorted(tags[key]))) for key in literals}


def _template_tags(test: ConditionTest) -> set[str]:
    """The session tags the variables of a test's values name; any other variable is refused."""
    found: set[str] = set()
    for template in test.templates:
        for part in template.parts:
            if not isinstance(part, Variable):
                continue
            if not part.key.startswith(PRINCIPAL_TAG_PREFIX):
                raise ProofError(
                    f"{test.where}: {test.operator} {test.key} uses the policy variable {part.text}; the proof "
                    "substitutes only session tags (aws:PrincipalTag/<key>) into request parameters"
                )
            found.add(part.key[len(PRINCIPAL_TAG_PREFIX) :])
    return found


@dataclass(frozen=True)
class _Tested:
    """An Allow or Deny statement, whether it sits in an identity policy, and its tests per parameter key."""

    statement: Statement
    identity: bool
    tests: dict[str, tuple[ConditionTest, ...]]


class ParameterPlan:
    """The request-parameter assignments the sweep decides, per action (see the module docstring)."""

    def __init__(
        self,
        samples: Mapping[str, KeySamples],
        action_params: Mapping[str, tuple[str, ...]],
        policies: Iterable[Policy],
    ) -> None:
        self.samples = samples
        self.action_params = action_params
        self.policies = tuple(dict.fromkeys(policies))
        self._plans: dict[tuple[str, frozenset[str]], tuple[Labels, ...]] = {}

    def keys(self, action: str) -> tuple[str, ...]:
        """The parameter keys varied for `action`, in a fixed order."""
        return self.action_params.get(action, ())

    def assignments(self, action: str, tags: frozenset[str] = frozenset()) -> tuple[Labels, ...]:
        """The parameter assignments of `action` for a caller whose session carries `tags` (cached)."""
        keys = self.keys(action)
        if not keys:
            return ((),)
        tags = frozenset(tag for key in keys for tag in self.samples[key].tags if tag in tags)
        found = self._plans.get((action, tags))
        if found is None:
            found = self._plans[(action, tags)] = self._plan(action, keys, tags)
        return found

    def bases(self, action: str, tags: frozenset[str] = frozenset()) -> tuple[Labels, ...]:
        """The bases of `action` alone: what a mutation of a statement can change (see mutations.py)."""
        keys = self.keys(action)
        if not keys:
            return ((),)
        return self._bases(action, keys, frozenset(tags), self._statements(action, keys))

    def _plan(self, action: str, keys: tuple[str, ...], tags: frozenset[str]) -> tuple[Labels, ...]:
        labels = [self.samples[key].labels(tags) for key in keys]
        found: dict[Labels, None] = {}
        for base in self._bases(action, keys, tags, self._statements(action, keys)):
            found[base] = None
            for index, choices in enumerate(labels):
                for label in choices:
                    found[(*base[:index], label, *base[index + 1 :])] = None
        return tuple(found)

    def _statements(self, action: str, keys: tuple[str, ...]) -> list[_Tested]:
        """The statements matching `action` that test one of its parameters, with those tests."""
        lowered = action.lower()
        wanted = set(keys)
        found: list[_Tested] = []
        for policy in self.policies:
            for statement in policy.statements_for(lowered):
                tests: dict[str, list[ConditionTest]] = {}
                for test in statement.conditions:
                    if test.key in wanted:
                        tests.setdefault(test.key, []).append(test)
                if tests:
                    found.append(
                        _Tested(
                            statement,
                            policy.kind is PolicyKind.IDENTITY,
                            {key: tuple(listed) for key, listed in tests.items()},
                        )
                    )
        _refuse_lists(action, found)
        return found

    def _bases(
        self, action: str, keys: tuple[str, ...], tags: frozenset[str], statements: list[_Tested]
    ) -> tuple[Labels, ...]:
        labels = [self.samples[key].labels(tags) for key in keys]
        canonical = {tag: CANONICAL_TAG.get(tag, f"sample-{tag}") for tag in tags}
        allows = [s for s in statements if s.statement.allow]
        denies = [s for s in statements if not s.statement.allow]
        # Per key and label: which Allow statements' tests on the key hold, and which Deny statements' do.
        holds: dict[tuple[int, str], dict[int, bool]] = {}
        for index, key in enumerate(keys):
            for label in labels[index]:
                lookup = _lookup(key, label_value(label, canonical), canonical)
                holds[(index, label)] = {
                    id(s): all(test.holds(lookup) for test in s.tests[key]) for s in statements if key in s.tests
                }
        combinations: list[tuple[_Tested, ...]] = [()]
        combinations += [(s,) for s in allows]
        combinations += [(i, r) for i in allows if i.identity for r in allows if not r.identity]
        bases: dict[Labels, None] = {}
        for combination in combinations:
            choices: list[list[str]] = []
            for index, key in enumerate(keys):
                satisfying = [
                    label
                    for label in labels[index]
                    if all(holds[(index, label)][id(s)] for s in combination if key in s.tests)
                ]
                if not satisfying:
                    break
                vectors = {
                    label: tuple(holds[(index, label)][id(d)] for d in denies if key in d.tests) for label in satisfying
                }
                choices.append(_least_denied(satisfying, vectors))
            else:
                bases.update(dict.fromkeys(product(*choices)))
        if not bases:
            raise ProofError(f"{action}: no assignment of its request parameters satisfies even no statement")
        return tuple(bases)


def _least_denied(satisfying: list[str], vectors: dict[str, tuple[bool, ...]]) -> list[str]:
    """One label per class of Deny outcomes that no other satisfying label betters (fewer Deny tests hold)."""
    chosen: dict[tuple[bool, ...], str] = {}
    for label in satisfying:
        vector = vectors[label]
        bettered = any(
            other != vector and all(o <= v for o, v in zip(other, vector, strict=True)) for other in vectors.values()
        )
        if not bettered:
            chosen.setdefault(vector, label)
    return list(chosen.values())


def _lookup(key: str, value: str | None, tags: Mapping[str, str]) -> Lookup:
    def lookup(asked: str) -> ContextValue | None:
        if asked == key:
            return value
        if asked.startswith(PRINCIPAL_TAG_PREFIX):
            return tags.get(asked[len(PRINCIPAL_TAG_PREFIX) :])
        return None

    return lookup


def _refuse_lists(action: str, statements: list[_Tested]) -> None:
    """Refuse what one-value samples of a multivalued key cannot stand for (see the module docstring)."""
    any_value: dict[str, int] = {}
    for tested in statements:
        for key, tests in tested.tests.items():
            for test in tests:
                if test.set_operator is None:
                    continue
                if not tested.statement.allow:
                    raise ProofError(
                        f"{test.where}: a Deny tests request parameter {key} of {action} with {test.operator}; "
                        "the proof samples one value per request and cannot vouch for lists"
                    )
                if test.set_operator is SetOperator.ANY:
                    any_value[key] = any_value.get(key, 0) + 1
    for key, count in sorted(any_value.items()):
        if count > 1:
            raise ProofError(
                f"{action}: {count} statements test request parameter {key} with ForAnyValue; the proof samples "
                "one value per request and cannot vouch for lists"
            )
