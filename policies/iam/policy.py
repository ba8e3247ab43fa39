"""Policy documents, parsed and compiled once: statements with precompiled globs and conditions.

A `Policy` validates its whole document when it is built, so an unsupported construct fails at load
time, naming the policy and the statement, before any decision is made.

Policy variables (variables.py) are substituted in Resource / NotResource entries, only in the
resource part of the ARN (after the fifth colon), when the Version is 2012-10-17. Entries without
`${` are compiled once into one regex as before; whether a statement's resource matches then does
not depend on the request. A statement with variable entries is `contextual`: `matches_resource`
keeps it as a candidate, and `applies` substitutes its entries per request. An entry whose variable
has no value matches no resource ("Policy variables with no value"), so in NotResource it excludes
nothing. A variable in Action, NotAction or Principal is refused, and so is any `${` in a policy
whose Version is not 2012-10-17 (AWS would read it as literal text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from enum import IntEnum, StrEnum
from typing import Any

from policies.iam.conditions import VARIABLES_VERSION, ConditionTest, compile_condition
from policies.iam.errors import InvalidPolicyError, UnsupportedPolicyError
from policies.iam.matching import (
    action_pattern_source,
    compile_alternatives,
    resource_pattern_source,
    resource_pieces_source,
)
from policies.iam.model import Principal, PrincipalKind, StatementRef
from policies.iam.variables import Lookup, Piece, parse_template

STATEMENT_KEYS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
DOCUMENT_KEYS = frozenset({"Version", "Id", "Statement"})
VERSIONS = frozenset({VARIABLES_VERSION, "2008-10-17"})
ARN_COLONS_BEFORE_RESOURCE = 5
NEVER = re.compile(r"(?!)")  # the static entries of a Resource whose every entry has a policy variable
ACCOUNT_ID = re.compile(r"^\d{12}$")
ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
PRINCIPAL_ARN = re.compile(
    r"^arn:aws[a-z-]*:(?:iam::\d{12}:(?:role|user)/[\w+=,.@/-]+|sts::\d{12}:assumed-role/[\w+=,.@-]+/[\w+=,.@-]+)$"
)
NOT_PRINCIPAL_ADVICE = (
    'NotPrincipal is not supported; AWS recommends Principal "*" with a condition on aws:PrincipalArn '
    "(ArnNotEquals / ArnNotLike) instead"
)


class PolicyKind(StrEnum):
    """Where a policy is attached; it decides which evaluation rules apply."""

    IDENTITY = "identity"  # attached to a role
    RESOURCE = "resource"  # bucket policy, model package group policy, topic policy, ...
    KMS_KEY = "kms-key"  # a key policy: it must allow, and an account-root grant only delegates
    TRUST = "trust"  # a role trust policy: it must allow sts:AssumeRole*


class PrincipalMatch(IntEnum):
    """How a resource policy statement names a principal: not at all, through its account, or directly."""

    NONE = 0
    ACCOUNT = 1  # matched through the account (id or root ARN): delegates to identity policies
    DIRECT = 2  # matched by "*", the role or session ARN, the service or the provider


class PrincipalSpec:
    """The compiled Principal element of a resource-policy statement."""

    __slots__ = ("accounts", "arns", "federated", "services", "wildcard")

    def __init__(self, element: object, where: str) -> None:
        self.wildcard = False
        self.accounts: set[str] = set()
        self.arns: set[str] = set()
        self.services: set[str] = set()
        self.federated: set[str] = set()
        if element == "*":
            self.wildcard = True
            return
        if not isinstance(element, Mapping) or not element:
            raise InvalidPolicyError(f'{where}: Principal must be "*" or an object keyed by AWS, Service or Federated')
        for kind, raw in element.items():
            values = _strings(raw, where, f"Principal {kind}")
            if kind == "AWS":
                for value in values:
                    self._add_aws(value, where)
            elif kind == "Service":
                self.services.update(values)
            elif kind == "Federated":
                for value in values:
                    if "*" in value or "?" in value:
                        raise UnsupportedPolicyError(
                            f"{where}: wildcard Federated principal {value!r} is not supported"
                        )
                self.federated.update(values)
            else:
                raise UnsupportedPolicyError(
                    f"{where}: Principal type {kind} is not supported (AWS, Service, Federated)"
                )

    def _add_aws(self, value: str, where: str) -> None:
        if value == "*":
            self.wildcard = True
        elif ACCOUNT_ID.fullmatch(value):
            self.accounts.add(value)
        elif root := ACCOUNT_ROOT.fullmatch(value):
            self.accounts.add(root[1])
        elif "*" in value or "?" in value:
            raise UnsupportedPolicyError(
                f'{where}: wildcard principal ARN {value!r} is not supported; use Principal "*" with '
                "ArnLike aws:PrincipalArn"
            )
        elif PRINCIPAL_ARN.fullmatch(value):
            self.arns.add(value)
        else:
            raise InvalidPolicyError(
                f"{where}: principal {value!r} is not an account id, account root, role, user or "
                "assumed-role session ARN"
            )

    def match(self, principal: Principal) -> PrincipalMatch:
        """How this Principal element names `principal`, if at all."""
        if self.wildcard:
            return PrincipalMatch.DIRECT
        kind = principal.kind
        if kind is PrincipalKind.ROLE:
            if principal.name in self.arns or (
                principal.session_arn is not None and principal.session_arn in self.arns
            ):
                return PrincipalMatch.DIRECT
            return PrincipalMatch.ACCOUNT if principal.account in self.accounts else PrincipalMatch.NONE
        if kind is PrincipalKind.ROOT:
            return PrincipalMatch.ACCOUNT if principal.account in self.accounts else PrincipalMatch.NONE
        if kind is PrincipalKind.SERVICE:
            return PrincipalMatch.DIRECT if principal.name in self.services else PrincipalMatch.NONE
        if kind is PrincipalKind.FEDERATED:
            return PrincipalMatch.DIRECT if principal.name in self.federated else PrincipalMatch.NONE
        return PrincipalMatch.NONE


class Statement:
    """One compiled statement. Resource and principal matches are cached: the sweep asks them often."""

    __slots__ = (
        "_action",
        "_principal_cache",
        "_resource",
        "_resource_cache",
        "_resource_templates",
        "actions",
        "allow",
        "conditions",
        "contextual",
        "not_action",
        "not_resource",
        "principals",
        "ref",
    )

    def __init__(
        self, raw: object, index: int, policy_name: str, kind: PolicyKind, version: str = VARIABLES_VERSION
    ) -> None:
        if not isinstance(raw, Mapping):
            raise InvalidPolicyError(f"{policy_name}: Statement[{index}] is not an object")
        sid = raw.get("Sid")
        self.ref = StatementRef(policy_name, str(sid) if sid else None, index)
        where = str(self.ref)
        unknown = sorted(set(raw) - STATEMENT_KEYS)
        if unknown:
            raise InvalidPolicyError(f"{where}: unknown element(s) {', '.join(unknown)}")
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise InvalidPolicyError(f"{where}: Effect must be Allow or Deny, got {effect!r}")
        self.allow = effect == "Allow"

        action_key = _exactly_one(raw, "Action", "NotAction", where)
        self.not_action = action_key == "NotAction"
        actions = _strings(raw[action_key], where, action_key)
        self.actions = tuple(actions)  # as written, for tools that ask which services a statement names
        try:
            self._action = compile_alternatives((action_pattern_source(a) for a in actions), ignore_case=True)
        except InvalidPolicyError as error:
            raise InvalidPolicyError(f"{where}: {error}") from None

        self.not_resource = False
        self._resource: re.Pattern[str] | None = None
        self._resource_templates: tuple[_ResourceTemplate, ...] = ()
        if kind is PolicyKind.TRUST and "Resource" not in raw and "NotResource" not in raw:
            pass  # a trust policy's resource is the role it is attached to
        else:
            resource_key = _exactly_one(raw, "Resource", "NotResource", where)
            self.not_resource = resource_key == "NotResource"
            resources = _strings(raw[resource_key], where, resource_key, variables=True)
            static = [r for r in resources if "${" not in r]
            self._resource_templates = tuple(
                _ResourceTemplate(r, version, where, resource_key) for r in resources if "${" in r
            )
            self._resource = (
                compile_alternatives((resource_pattern_source(r) for r in static), ignore_case=False)
                if static
                else NEVER
            )

        self.principals: PrincipalSpec | None = None
        if kind is PolicyKind.IDENTITY:
            if "Principal" in raw or "NotPrincipal" in raw:
                raise InvalidPolicyError(f"{where}: an identity policy statement cannot have Principal or NotPrincipal")
        else:
            if "NotPrincipal" in raw:
                raise UnsupportedPolicyError(f"{where}: {NOT_PRINCIPAL_ADVICE}")
            if "Principal" not in raw:
                raise UnsupportedPolicyError(f"{where}: a {kind} policy statement without Principal is not supported")
            self.principals = PrincipalSpec(raw["Principal"], where)

        self.conditions: tuple[ConditionTest, ...] = (
            compile_condition(raw["Condition"], where, version) if "Condition" in raw else ()
        )
        # Whether applying the statement depends on the request context: conditions or variable resources.
        self.contextual = bool(self.conditions or self._resource_templates)
        self._resource_cache: dict[str, bool] = {}
        self._principal_cache: dict[Principal, PrincipalMatch] = {}

    def matches_action(self, action: str) -> bool:
        """Whether the statement's Action (or NotAction) covers `action` (lower-cased)."""
        return (self._action.fullmatch(action) is not None) != self.not_action

    def matches_resource(self, arn: str) -> bool:
        """Whether the statement's Resource (or NotResource) covers `arn`; no Resource element covers all.

        With policy variables in the element this is whether it may cover `arn` in some request: the
        entries without variables do not decide it. `applies` then decides it for a request."""
        cached = self._resource_cache.get(arn)
        if cached is None:
            if self._resource is None or (self._resource_templates and not self.not_resource):
                cached = True  # no Resource element; or an entry with variables may match: `applies` decides
            else:
                cached = (self._resource.fullmatch(arn) is not None) != self.not_resource
            self._resource_cache[arn] = cached
        return cached

    def applies(self, arn: str, lookup: Lookup) -> bool:
        """Whether the statement applies to `arn` in the request whose context `lookup` reads, given
        that its action, principal and `matches_resource` match: its variable resources and conditions."""
        if self._resource_templates and not self._resource_holds(arn, lookup):
            return False
        return all(test.holds(lookup) for test in self.conditions)

    def _resource_holds(self, arn: str, lookup: Lookup) -> bool:
        matched = self._resource is not None and self._resource.fullmatch(arn) is not None
        matched = matched or any(template.matches(arn, lookup) for template in self._resource_templates)
        return matched != self.not_resource

    def principal_match(self, principal: Principal) -> PrincipalMatch:
        """How the statement's Principal names `principal`: not at all, through its account, or directly."""
        if self.principals is None:
            return PrincipalMatch.DIRECT  # identity policy: it belongs to the principal
        cached = self._principal_cache.get(principal)
        if cached is None:
            cached = self._principal_cache[principal] = self.principals.match(principal)
        return cached

    def conditions_hold(self, lookup: Lookup) -> bool:
        """Whether every condition test holds for the request context `lookup` reads (resources aside:
        `applies` also substitutes variable resources)."""
        return all(test.holds(lookup) for test in self.conditions)


class _ResourceTemplate:
    """A Resource or NotResource entry with policy variables, substituted per request."""

    __slots__ = ("_regexes", "template", "where")

    def __init__(self, text: str, version: str, where: str, element: str) -> None:
        if version != VARIABLES_VERSION:
            raise UnsupportedPolicyError(
                f"{where}: {element} {text!r} uses a policy variable, but the policy's Version is {version}, "
                "under which AWS reads it as literal text; refused (use Version 2012-10-17)"
            )
        self.template = parse_template(text, where, element)
        self.where = where
        if self.template.text_before_first_substitution().count(":") < ARN_COLONS_BEFORE_RESOURCE:
            raise InvalidPolicyError(
                f"{where}: {element} {text!r} uses a policy variable before the resource part of the ARN; "
                "AWS allows them only after the fifth colon"
            )
        self._regexes: dict[tuple[Piece, ...], re.Pattern[str]] = {}

    def matches(self, arn: str, lookup: Lookup) -> bool:
        """Whether the entry, substituted from the request, matches `arn`; with a variable that has no
        value it matches no resource."""
        pieces = self.template.resolve(lookup, self.where, wildcards=True)
        if pieces is None:
            return False
        regex = self._regexes.get(pieces)
        if regex is None:
            regex = self._regexes[pieces] = re.compile(resource_pieces_source(pieces), re.DOTALL)
        return regex.fullmatch(arn) is not None


class Policy:
    """A named, compiled policy document of one kind."""

    __slots__ = ("_by_action", "document", "kind", "name", "statements")

    def __init__(self, name: str, document: Mapping[str, Any], kind: PolicyKind) -> None:
        if not isinstance(document, Mapping):
            raise InvalidPolicyError(f"{name}: a policy document must be a JSON object")
        unknown = sorted(set(document) - DOCUMENT_KEYS)
        if unknown:
            raise InvalidPolicyError(f"{name}: unknown top-level element(s) {', '.join(unknown)}")
        version = document.get("Version", "2008-10-17")
        if version not in VERSIONS:
            raise InvalidPolicyError(f"{name}: Version must be 2012-10-17, got {version!r}")
        if "Version" not in document:
            version = "absent (so 2008-10-17)"
        raw_statements = document.get("Statement")
        if isinstance(raw_statements, Mapping):
            raw_statements = [raw_statements]
        if not isinstance(raw_statements, list) or not raw_statements:
            raise InvalidPolicyError(f"{name}: Statement must be a non-empty list of statements")
        self.name = name
        self.kind = kind
        self.document = document
        self.statements = tuple(Statement(raw, i, name, kind, version) for i, raw in enumerate(raw_statements))
        self._by_action: dict[str, tuple[Statement, ...]] = {}

    @classmethod
    def from_json(cls, name: str, text: str, kind: PolicyKind) -> Policy:
        """The policy of a JSON document text; invalid JSON is an InvalidPolicyError naming the policy."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise InvalidPolicyError(f"{name}: not valid JSON ({error.msg} at line {error.lineno})") from None
        return cls(name, document, kind)

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers `action` (lower-cased), in document order."""
        found = self._by_action.get(action)
        if found is None:
            found = self._by_action[action] = tuple(s for s in self.statements if s.matches_action(action))
        return found

    def __repr__(self) -> str:
        return f"Policy({self.name!r}, {self.kind})"


def _exactly_one(raw: Mapping[str, Any], positive: str, negative: str, where: str) -> str:
    present = [key for key in (positive, negative) if key in raw]
    if len(present) != 1:
        raise InvalidPolicyError(f"{where}: needs exactly one of {positive} or {negative}")
    return present[0]


def _strings(raw: object, where: str, element: str, *, variables: bool = False) -> Sequence[str]:
    """The element's strings; with `variables` False, a policy variable in one is refused."""
    items: list[object] = list(raw) if isinstance(raw, list) else [raw]
    strings = [item for item in items if isinstance(item, str)]
    if not items or len(strings) != len(items):
        raise InvalidPolicyError(f"{where}: {element} must be a string or a non-empty list of strings")
    for item in strings:
        if "${" in item and not variables:
            raise UnsupportedPolicyError(f"{where}: {element} {item!r} uses a policy variable, which is not supported")
    return strings
