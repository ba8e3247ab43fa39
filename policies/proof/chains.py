"""Role chains: every identity each starting principal can reach by sts:AssumeRole, hop after hop.

Starts (`Chains.starts`): each person (a session of a permission set's role, policies/permission_sets.py),
each lookalike person (a permission set whose name merely starts with one of ours, holding nothing of
ours), each GitHub Actions OIDC subject the sweep samples, the outsider, the other organisation member,
the anonymous caller, and each AWS service a policy names.

An identity is a start, or a session of a role reached by a chain: the role, its session name, its
source identity and its session tags. Targets: every role whose trust policy the universe holds (our
templates' roles and the CDK bootstrap roles). One hop, from "Monitor and control actions taken with
assumed roles" and "Passing session tags in AWS STS" (IAM User Guide):
- A role session calls sts:AssumeRole; a web identity (GitHub's OIDC token) sts:AssumeRoleWithWebIdentity;
  a service sts:AssumeRole for a role that trusts it; the anonymous caller tries both.
- Source identity: once set it persists in every chained session and cannot be changed. A caller whose
  session has one makes the request with it (sts:SourceIdentity); this search asks only that
  sts:AssumeRole allow it (asking less than AWS can only find more chains). A caller without one
  chooses none (sts:AssumeRole allows with the key absent) or sets one, which takes sts:AssumeRole and
  sts:SetSourceIdentity both allowed with that value: the caller's own email (a person's session tag),
  someone else's, or a value a policy names. Services and GitHub's token set none (the token carries
  no source-identity claim).
- Session tags: Identity Center's are not transitive, so a chained session carries tags only if the
  caller passes them, which takes sts:TagSession allowed; then any value (its own email, if it has
  one, or someone else's).
- Session name: chosen by the caller; the sweep's samples when a policy tests sts:RoleSessionName,
  else `session` (no policy then tells session names apart).
- A hop exists when the evaluation allows it; or, into a role of our templates, when the trust policy
  allows it by itself (as if the caller's own policies allowed it). Callers' policies are not all ours
  to prove (permission sets are assumed, a lookalike's are anyone's), and a trust policy must keep out
  by itself whoever must not come in; such hops are marked "by the trust policy alone".
AWS sets no limit on a chain's length (a chained session lasts at most an hour): the search runs
until no new identity appears, so every identity any chain reaches is found, with one shortest path.
An identity's further reach and its permissions depend only on the identity, so one path each suffices.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from accounts import naming
from policies.iam import Context, Policy, Principal, Resource, decide, prepare
from policies.iam.model import ContextValue
from policies.proof.parameters import label_value
from policies.proof.principals import Person, ProofPrincipal, administrator, lookalikes
from policies.proof.resources import ProofResource
from policies.proof.samples import ANOTHER_PERSON
from policies.proof.sweep import Sweeper
from policies.proof.universe import Universe

SOURCE_IDENTITY = "sts:sourceidentity"
SESSION_NAME = "sts:rolesessionname"
ASSUME = "sts:AssumeRole"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
SET_SOURCE_IDENTITY = "sts:SetSourceIdentity"
TAG_SESSION = "sts:TagSession"
TRUST_ALONE = "by the trust policy alone"


@dataclass(frozen=True, eq=False)
class Identity:
    """Who acts: the principal (a role session with its tags, or a start that is no role session), the
    source identity its session carries, and for a web identity the OIDC subject it presents."""

    who: ProofPrincipal
    source_identity: str | None = None
    oidc: str | None = None

    @property
    def key(self) -> tuple[object, ...]:
        """What tells two identities apart: everything their permissions and further reach depend on."""
        principal = self.who.principal
        tags = tuple(sorted(principal.principal_tags.items()))
        return (principal.kind, principal.name, principal.session_arn, tags, self.source_identity, self.oidc)

    @property
    def role_name(self) -> str:
        """The role's name (last path step of its ARN); the principal's name for what is no role."""
        return self.who.principal.name.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Start:
    """A starting principal: what it is, how failures name it, and its identity."""

    kind: str  # person, lookalike, github, outsider, org-member, anonymous, service
    label: str
    identity: Identity
    person: Person | None = None


@dataclass(frozen=True)
class Hop:
    """One step of a chain: the action and the role it reaches, with what the caller chose."""

    action: str
    target: str
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.action} {self.target}" + (f" ({'; '.join(self.notes)})" if self.notes else "")


@dataclass(frozen=True)
class Path:
    """The hops from a start to an identity; `str` renders `start → action role → ...`."""

    start: Start
    hops: tuple[Hop, ...]
    identity: Identity

    def __str__(self) -> str:
        return " → ".join([self.start.label, *(str(hop) for hop in self.hops)])


@dataclass
class Chains:
    """The role chains of a universe; `reachable` is computed once per start."""

    universe: Universe
    sweeper: Sweeper = field(init=False)
    hops_decided: int = 0  # hops evaluated (one per caller, role and choice of source identity and tags)
    _reachable: dict[str, list[Path]] = field(default_factory=dict)
    _hops: dict[tuple[tuple[object, ...], str], list[tuple[Identity, Hop]]] = field(default_factory=dict)
    _twins: dict[Principal, Principal] = field(default_factory=dict)
    _widened: Policy = field(default_factory=lambda: administrator("the caller's own policies, widened (proof view)"))

    def __post_init__(self) -> None:
        self.sweeper = Sweeper(self.universe)
        self.roles = {p.principal.name: p for p in self.universe.principals if p.principal.kind.value == "role"}
        self.targets = [r for r in self.universe.resources if r.service == "iam" and r.resource.policy is not None]
        names = [t.resource.arn.rsplit("/", 1)[-1] for t in self.targets]
        self._shown = {
            t.resource.arn: (self.roles[t.resource.arn].id if names.count(name) > 1 else name)
            for t, name in zip(self.targets, names, strict=True)
        }
        self.ours = set(self.universe.deployment.roles)
        samples = self.universe.param_samples.get(SOURCE_IDENTITY)
        self._named_source_identities = samples.literals if samples is not None else ()

    # --- starts ---

    def starts(self) -> list[Start]:
        """Every starting principal, in a fixed order."""
        found: list[Start] = []
        for who in self.universe.principals:
            if who.person is not None:
                found.append(Start("person", str(who.person), Identity(who), who.person))
        for person in lookalikes(self.universe.config):
            who = ProofPrincipal(
                f"lookalike:{person.permission_set}@{self.universe.account_names[person.account]}",
                person.principal([]),
                "permission-set",
                f"a person signed in with {person.permission_set}, a permission set we do not name",
                person=person,
            )
            found.append(Start("lookalike", str(person), Identity(who), person))
        for who in self.universe.principals:
            if who.modelled == "federated":
                for subject, value in self.sweeper.oidc_subjects.items():
                    found.append(Start("github", f"GitHub Actions {value}", Identity(who, oidc=subject)))
        by_id = {p.id: p for p in self.universe.principals}
        for kind in ("outsider", "org-member", "anonymous"):
            found.append(Start(kind, kind, Identity(by_id[kind])))
        for who in self.universe.principals:
            if who.modelled == "service":
                found.append(Start("service", f"service {who.principal.name}", Identity(who)))
        return found

    # --- the search ---

    def reachable(self, start: Start) -> list[Path]:
        """Every identity `start` can reach, each with a shortest path; the start itself first (no hop)."""
        cached = self._reachable.get(start.label)
        if cached is not None:
            return cached
        paths: dict[tuple[object, ...], Path] = {start.identity.key: Path(start, (), start.identity)}
        queue = deque([start.identity])
        while queue:
            caller = queue.popleft()
            before = paths[caller.key]
            for target in self.targets:
                for reached, hop in self.hops(caller, target):
                    if reached.key not in paths:
                        paths[reached.key] = Path(start, (*before.hops, hop), reached)
                        queue.append(reached)
        self._reachable[start.label] = found = list(paths.values())
        return found

    def hops(self, caller: Identity, target: ProofResource) -> list[tuple[Identity, Hop]]:
        """The sessions of `target` that `caller` can make, each with the hop that makes it (cached)."""
        key = (caller.key, target.resource.arn)
        cached = self._hops.get(key)
        if cached is None:
            cached = self._hops[key] = self._hops_to(caller, target)
        return cached

    def _hops_to(self, caller: Identity, target: ProofResource) -> list[tuple[Identity, Hop]]:
        principal = caller.who.principal
        kind = principal.kind.value
        actions = (
            (WEB_IDENTITY,) if kind == "federated" else (ASSUME, WEB_IDENTITY) if kind == "anonymous" else (ASSUME,)
        )
        found: dict[tuple[object, ...], tuple[Identity, Hop]] = {}
        for action in actions:
            for labels, context in self._contexts(caller, action, target):
                for chosen in self._source_identities(caller):
                    request = _with(context, {SOURCE_IDENTITY: chosen} if chosen else {})
                    self.hops_decided += 1
                    how = self._allowed(
                        caller, action, target, request, fresh=chosen is not None and chosen != caller.source_identity
                    )
                    if how is None:
                        continue
                    for tags in self._tag_choices(caller, target, request):
                        reached = self._session(target, labels, chosen, tags)
                        notes = self._notes(caller, chosen, tags, how)
                        found.setdefault(reached.key, (reached, Hop(action, self._shown[target.resource.arn], notes)))
        return list(found.values())

    def _contexts(self, caller: Identity, action: str, target: ProofResource) -> list[tuple[dict[str, str], Context]]:
        """The sweep's variants of the request, the source identity left out (the hop chooses it), and for a
        web identity only those presenting its subject. Labels are returned as a mapping."""
        found: dict[tuple[tuple[str, str], ...], tuple[dict[str, str], Context]] = {}
        for labels, _ in self.sweeper.variants(caller.who, action, target):
            kept = tuple((dim, value) for dim, value in labels if dim != SOURCE_IDENTITY)
            mapping = dict(kept)
            if caller.oidc is not None and mapping.get("oidc") != caller.oidc:
                continue
            if kept in found:
                continue
            context = self.sweeper.context(caller.who, action, target, kept)
            extra: dict[str, ContextValue] = {}
            if caller.source_identity is not None:
                extra["aws:sourceidentity"] = caller.source_identity
            found[kept] = (mapping, _with(context, extra))
        return list(found.values())

    def _source_identities(self, caller: Identity) -> list[str | None]:
        """What the request's source identity can be: the session's own, or the caller's choice."""
        if caller.source_identity is not None:
            return [caller.source_identity]
        if caller.who.principal.kind.value != "role":
            return [None]  # services, web identities and the anonymous caller set none
        own = caller.who.principal.principal_tags.get(naming.PERSON_TAG)
        return list(dict.fromkeys([None, *([own] if own else []), ANOTHER_PERSON, *self._named_source_identities]))

    def _allowed(
        self, caller: Identity, action: str, target: ProofResource, request: Context, *, fresh: bool
    ) -> str | None:
        """How the hop is allowed: "" (by the evaluation), TRUST_ALONE, or None (not at all)."""
        needed = [action, SET_SOURCE_IDENTITY] if fresh else [action]
        if all(self._decide(caller.who.principal, a, target.resource, request) for a in needed):
            return ""
        if target.resource.arn in self.ours and caller.who.principal.kind.value == "role":
            twin = self._twin(caller.who.principal)
            if all(self._decide(twin, a, target.resource, request) for a in needed):
                return TRUST_ALONE
        return None

    def _tag_choices(self, caller: Identity, target: ProofResource, request: Context) -> list[dict[str, str]]:
        """The session tags the new session can carry: none, or, when the caller may pass tags, chosen ones."""
        choices: list[dict[str, str]] = [{}]
        if caller.who.principal.kind.value != "role":
            return choices
        principal = caller.who.principal
        allowed = self._decide(principal, TAG_SESSION, target.resource, request)
        if not allowed and target.resource.arn in self.ours:
            allowed = self._decide(self._twin(principal), TAG_SESSION, target.resource, request)
        if allowed:
            own = principal.principal_tags.get(naming.PERSON_TAG)
            choices += [
                {naming.PERSON_TAG: value} for value in dict.fromkeys([*([own] if own else []), ANOTHER_PERSON])
            ]
        return choices

    def _session(
        self, target: ProofResource, labels: dict[str, str], source_identity: str | None, tags: dict[str, str]
    ) -> Identity:
        """The session of `target` a hop makes."""
        role = self.roles[target.resource.arn]
        named = labels.get(SESSION_NAME)
        name = label_value(named, tags) if named is not None else None
        session = name or "session"
        principal = Principal.role(
            role.principal.name,
            session=session,
            session_tags=tags,
            role_tags=role.principal.role_tags,
            identity_policies=role.principal.identity_policies,
        )
        who = ProofPrincipal(role.id, principal, role.modelled, role.description, role.org, role.person)
        return Identity(who, source_identity)

    @staticmethod
    def _notes(caller: Identity, chosen: str | None, tags: dict[str, str], how: str) -> tuple[str, ...]:
        notes = []
        if chosen is not None and chosen != caller.source_identity:
            notes.append(f"source identity {chosen}")
        notes.extend(f"session tag {key}={value}" for key, value in sorted(tags.items()))
        if how:
            notes.append(how)
        return tuple(notes)

    def _decide(self, principal: Principal, action: str, resource: Resource, request: Context) -> bool:
        return decide(prepare(principal, action, resource), request).allowed

    def _twin(self, principal: Principal) -> Principal:
        """The caller as if its identity policies allowed everything: the trust policy alone decides."""
        twin = self._twins.get(principal)
        if twin is None:
            twin = self._twins[principal] = dataclasses.replace(principal, identity_policies=(self._widened,))
        return twin


def _with(context: Context, extra: dict[str, ContextValue]) -> Context:
    """The context with `extra` keys (lower-cased) set."""
    if not extra:
        return context
    values: dict[str, str | bool | list[str] | tuple[str, ...]] = dict(context.items())
    values.update(extra)
    return Context(values)


def paths_of(chains: Chains, starts: Iterable[Start]) -> list[Path]:
    """Every path of every start, in order."""
    return [path for start in starts for path in chains.reachable(start)]
