"""The signed-off access matrix: `policies/access.yaml`, its expansion, and `policies/ACCESS.md`.

    python -m policies.access_matrix render          # rewrite ACCESS.md from access.yaml
    python -m policies.access_matrix draft CDK_OUT   # propose access.yaml from a synthesized app

`make generate` (deployment/generate.py) runs both. `draft` writes what the deployed policies allow,
keeping the reasons of unchanged entries, and marks new entries `reason: TODO`. The security team
reviews the diff of access.yaml (they own policies/ in CODEOWNERS); tests/test_shipped_organisation.py
fails until the two agree.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from accounts import naming
from accounts.config import load_config
from policies.iam.cloudformation.reader import load_deployment
from policies.proof.invariants import INVARIANTS
from policies.proof.results import Grant, ProofResult, run_proof
from policies.proof.sweep import VIEWS, views_of
from policies.proof.universe import Universe, build_universe

ACCESS_YAML = Path(__file__).resolve().parent / "access.yaml"
ACCESS_MD = Path(__file__).resolve().parent / "ACCESS.md"
TODO = "TODO: say why this access is needed"

VIEW_TITLES = {
    "allowed": "Effective access",
    "identity_alone": "Granted by the role's own policies alone, abroad and on its own account's keys "
    "and roles (as if their resource policies allowed it)",
    "resource_policies_alone": "Granted by resource policies alone, abroad and on its own account's keys "
    "and roles (as if the role's own policies allowed everything)",
}

HEADER = """\
# The access matrix the security team signs off. tests/test_shipped_organisation.py proves that the
# policies synthesized from this repository allow exactly this: no more, no less.
#
# Per principal and view (see policies/proof/__init__.py): entries of actions x resources, allowed when the
# request context has the listed values (a dimension left out does not matter):
#   tls: on|off (aws:SecureTransport); via: s3|direct (kms:ViaService, KMS actions);
#   source: own|foreign (aws:SourceAccount/SourceArn of a service principal);
#   oidc: the OIDC sub claim, labelled (policies/proof/sweep.py github_subjects): the deploy target or promotion
#     whose pinned subject it is, pull-request, or a near miss (fork, other-repo, branch, other-workflow, ...);
#   <condition key>: a request parameter (absent, a value the policies name, or zz-other; for a key
#   compared with ${aws:PrincipalTag/email}: own-email, the caller's own, or another-email).
# Request parameters are not swept in every combination (policies/proof/parameters.py says which, and why
# every grant is still found); `when` lists, per key, the values that keep the request allowed.
# Principals `person:<set>@<account>` are people signed in with that permission set, holding exactly the
# document of policies/rendered/permission-sets/<set>.json.
# Resources: <account name> and <region> stand for the ids in accounts/accounts.yaml; `sample` is any
# name a pattern allows, `zz-other` a neighbour no policy names.
# ACCESS.md is generated from this file by `make policies`.
"""


class MatrixError(ValueError):
    """access.yaml is malformed; the message names the principal, entry and field."""


@dataclass(frozen=True)
class Entry:
    """One entry of access.yaml: these actions on these resources, when the context matches, and why."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    when: str
    reason: str


def _when_text(when: Any, where: str) -> str:
    if when is None:
        return "always"
    if not isinstance(when, dict):
        raise MatrixError(f"{where}: when must be a mapping of dimension to values")
    parts = []
    for dim, values in sorted(when.items()):
        if not isinstance(values, list) or not values:
            raise MatrixError(f"{where}: when.{dim} must be a non-empty list")
        parts.append(f"{dim}={'|'.join(str(v) for v in values)}")
    return "; ".join(parts)


def _when_mapping(text: str) -> dict[str, list[str]] | None:
    if text == "always":
        return None
    mapping: dict[str, list[str]] = {}
    for part in text.split("; "):
        dim, _, values = part.partition("=")
        mapping[dim] = values.split("|")
    return mapping


def load_matrix(path: Path = ACCESS_YAML) -> dict[str, Any]:
    """The parsed access.yaml."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise MatrixError(f"{path}: not found (run `python -m policies.access_matrix draft cdk.out`)") from None
    except yaml.YAMLError as error:
        raise MatrixError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("principals"), dict):
        raise MatrixError(f"{path}: expected a mapping with 'principals'")
    return data


def entries(data: dict[str, Any]) -> dict[tuple[str, str], list[Entry]]:
    """Entries per (principal, view), validated."""
    found: dict[tuple[str, str], list[Entry]] = {}
    for principal, spec in data["principals"].items():
        if not isinstance(spec, dict):
            raise MatrixError(f"access.yaml: principals.{principal}: expected a mapping")
        unknown = set(spec) - {"arn", "modelled", "description", *VIEWS}
        if unknown:
            raise MatrixError(f"access.yaml: principals.{principal}: unknown field(s) {', '.join(sorted(unknown))}")
        for view in VIEWS:
            for index, raw in enumerate(spec.get(view) or []):
                where = f"access.yaml: principals.{principal}.{view}[{index}]"
                if not isinstance(raw, dict) or set(raw) - {"actions", "resources", "when", "reason"}:
                    raise MatrixError(f"{where}: expected actions, resources, when and reason")
                if not raw.get("actions") or not raw.get("resources") or not raw.get("reason"):
                    raise MatrixError(f"{where}: actions, resources and reason are required")
                found.setdefault((principal, view), []).append(
                    Entry(
                        tuple(raw["actions"]),
                        tuple(raw["resources"]),
                        _when_text(raw.get("when"), where),
                        raw["reason"],
                    )
                )
    return found


def expand(data: dict[str, Any]) -> dict[Grant, str]:
    """Every (principal, view, action, resource, when) the matrix allows, with its reason."""
    grants: dict[Grant, str] = {}
    for (principal, view), listed in entries(data).items():
        for entry in listed:
            for action in entry.actions:
                for resource in entry.resources:
                    grant = Grant(principal, view, action, resource, entry.when)
                    if grant in grants:
                        raise MatrixError(
                            f"access.yaml: principals.{principal}.{view}: {action} on {resource} is listed twice"
                        )
                    grants[grant] = entry.reason
    return grants


def draft(universe: Universe, result: ProofResult, previous: dict[Grant, str]) -> str:
    """access.yaml text for what the deployed policies allow, keeping reasons of unchanged grants."""
    principals: dict[str, Any] = {}
    by_principal: dict[str, dict[str, dict[tuple[str, str], set[str]]]] = defaultdict(lambda: defaultdict(dict))
    for grant in result.grants:
        reason = previous.get(grant) or _reason(universe, result.grants[grant])
        by_principal[grant.principal][grant.view].setdefault((grant.when, reason), set()).add(
            f"{grant.action}\0{grant.resource}"
        )
    for who in universe.principals:
        spec: dict[str, Any] = {
            "arn": universe.symbolize(who.principal.name),
            "modelled": who.modelled,
            "description": who.description,
        }
        for view in views_of(who):
            spec[view] = _group(by_principal[who.id][view])
        principals[who.id] = spec
    body = yaml.safe_dump({"principals": principals}, sort_keys=False, width=130, allow_unicode=True)
    return HEADER + body


def _reason(universe: Universe, statements: tuple[str, ...]) -> str:
    """A drafted reason: the deployed statements that grant it (the proof's own stand-ins left out)."""
    real = [universe.symbolize(ref) for ref in statements if "(proof view)" not in ref]
    return "granted by " + " and ".join(real) if real else TODO


def _group(pairs_by_key: dict[tuple[str, str], set[str]]) -> list[dict[str, Any]]:
    """Compact entries: pairs with the same when and reason, grouped by resource, then merged by actions."""
    grouped: list[dict[str, Any]] = []
    for (when, reason), pairs in sorted(pairs_by_key.items(), key=lambda item: (min(item[1]), item[0])):
        by_resource: dict[str, set[str]] = defaultdict(set)
        for pair in pairs:
            action, resource = pair.split("\0")
            by_resource[resource].add(action)
        by_actions: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for resource, action_set in by_resource.items():
            by_actions[tuple(sorted(action_set))].append(resource)
        for actions, resources in sorted(by_actions.items(), key=lambda item: (sorted(item[1]), item[0])):
            entry: dict[str, Any] = {"actions": list(actions), "resources": sorted(resources)}
            mapping = _when_mapping(when)
            if mapping is not None:
                entry["when"] = mapping
            entry["reason"] = reason
            grouped.append(entry)
    return grouped


def render_markdown(data: dict[str, Any]) -> str:
    """ACCESS.md: for each view, one row per principal and resource with the allowed actions."""
    lines = [
        "# Access matrix",
        "",
        "Generated from `policies/access.yaml` by `make generate` (`python -m policies.access_matrix render`);",
        "do not edit. `tests/test_shipped_organisation.py` proves the deployed policies allow exactly this.",
        "",
    ]
    listed = entries(data)
    for view in VIEWS:
        lines += [
            f"## {VIEW_TITLES[view]}",
            "",
            "| principal | resource | actions | when | reason |",
            "|---|---|---|---|---|",
        ]
        for principal, spec in data["principals"].items():
            if view not in spec:
                continue
            rows = listed.get((principal, view), [])
            if not rows:
                lines.append(f"| `{principal}` | (nothing) | | | |")
            for entry in rows:
                for resource in entry.resources:
                    actions = "<br>".join(f"`{a}`" for a in entry.actions)
                    lines.append(f"| `{principal}` | `{resource}` | {actions} | {entry.when} | {entry.reason} |")
        lines.append("")
    lines += governance_markdown()
    return "\n".join(lines)


def governance_markdown() -> list[str]:
    """The invariants over role chains (policies/proof/invariants.py) and what the proofs assume."""
    sets = ", ".join(
        f"`{name}`"
        for name in (
            naming.APPROVER_PERMISSION_SET,
            naming.PLATFORM_PERMISSION_SET,
            naming.DATA_SCIENTIST_PERMISSION_SET,
        )
    )
    lines = [
        "## Invariants",
        "",
        "Checked over every identity each starting principal (each person, each GitHub Actions OIDC subject,",
        "the outsider, the other organisation member, the anonymous caller, each AWS service) can reach by",
        "chains of sts:AssumeRole (`policies/proof/chains.py`); a failure names the path.",
        "",
    ]
    lines += [f"- **{invariant.name}**: {invariant.statement}" for invariant in INVARIANTS]
    lines += [
        "",
        "## Assumptions",
        "",
        f"- People sign in through IAM Identity Center with the permission sets {sets}, and each carries exactly",
        "  the inline policy rendered in `policies/rendered/permission-sets/<set>.json`: no managed policy, no other",
        "  inline policy. The proofs model each person as a session of the set's role, tagged with their email.",
        "- Account administrators (break-glass) are trusted and out of scope, and so are the identities modelled",
        "  as administrators: the CDK bootstrap roles (the deploy path, behind the GitHub environments' required",
        "  reviewers) and any other role of our accounts.",
        "- A role of our templates must keep out by its trust policy alone whoever must not reach it: the chains",
        "  follow a hop its trust policy allows even when the caller's own policies do not (marked `by the trust",
        "  policy alone`), since those policies are assumed (permission sets) or anyone's (a lookalike set).",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    """`python -m policies.access_matrix render | draft CDK_OUT`; 0 on success, 2 on bad input."""
    args = sys.argv[1:] if argv is None else argv
    try:
        if args == ["render"]:
            ACCESS_MD.write_text(render_markdown(load_matrix()))
            return 0
        if len(args) == 2 and args[0] == "draft":
            universe = build_universe(load_config(), load_deployment(Path(args[1])))
            previous = expand(load_matrix()) if ACCESS_YAML.exists() else {}
            text = draft(universe, run_proof(universe), previous)
            ACCESS_YAML.write_text(text)
            ACCESS_MD.write_text(render_markdown(yaml.safe_load(text)))
            return 0
    except (MatrixError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("usage: python -m policies.access_matrix render | draft CDK_OUT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
