"""The GitHub repository settings the pipeline's trust depends on, applied and read back through GitHub's REST API.

`modelops github configure` applies them; `modelops github configure --check` reads them back and lists each
one that is missing or different. They are:

- the repository's OIDC subject template (`PUT /repos/{owner}/{repo}/actions/oidc/customization/sub`):
  `use_default: false` with the claim keys of accounts/naming.py, GITHUB_SUBJECT_CLAIM_KEYS, so that every
  token's `sub` names the job's workflow file and ref, which the deployment account's roles pin;
- one GitHub Environment per deploy target (`shared-services` and each environment of the chain) and the
  promotion workflow's `promotion` (`PUT /repos/{owner}/{repo}/environments/{name}`): required reviewers, as
  team ids (the environment's approver group's team where it `requires_review`; the platform team for
  `shared-services`, whose deploy reaches an administrator CloudFormation role), `prevent_self_review: true`
  wherever there are reviewers, and deployments from `pipeline.branch` only: custom branch policies, with
  exactly one policy naming that branch (`.../deployment-branch-policies`; others are deleted).

GitHub's API (https://docs.github.com/en/rest/actions/oidc, .../rest/deployments/environments,
.../rest/deployments/branch-policies, .../rest/teams/teams#get-a-team-by-name) takes reviewers as ids, so team
slugs are resolved first (`GET /orgs/{org}/teams/{slug}`); an environment takes at most 6 reviewers. Every
lookup happens before the first write, so a missing team changes nothing.

The token (GITHUB_TOKEN) needs administration rights on the repository and read access to the teams to apply;
reading back needs none of the teams (the environment names its reviewers' slugs). It is sent only in the
Authorization header and never printed.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.errors import ModelOpsError

DEFAULT_API_URL = "https://api.github.com"
GITHUB_API_VERSION = "2022-11-28"
TIMEOUT_SECONDS = 10
USER_AGENT = "modelops-github-configure"
# "You can list up to six users or teams as reviewers" (REST, "Create or update an environment").
MAX_REVIEWERS = 6
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class GitHubRefused(ModelOpsError):
    """GitHub answered a request with an error, or could not be reached; the message names the request."""


@dataclass(frozen=True)
class EnvironmentSettings:
    """One GitHub Environment as the pipeline needs it."""

    name: str
    # GitHub teams as accounts.yaml spells them (`@org/slug`), each with the accounts.yaml field naming it.
    reviewers: tuple[tuple[str, str], ...]
    branch: str

    @property
    def prevent_self_review(self) -> bool:
        """Whoever started the deploy may not approve it; meaningful only with reviewers."""
        return bool(self.reviewers)

    @property
    def reviewer_teams(self) -> tuple[str, ...]:
        return tuple(team for team, _ in self.reviewers)


@dataclass(frozen=True)
class RepositorySettings:
    """Every setting `configure` applies to one repository."""

    owner: str
    repo: str
    claim_keys: tuple[str, ...]
    environments: tuple[EnvironmentSettings, ...]


def desired_settings(config: OrgConfig) -> RepositorySettings:
    """The settings accounts.yaml asks for; InputError when an environment would exceed GitHub's reviewer limit."""
    branch = config.pipeline.branch
    environments = [
        EnvironmentSettings(naming.SHARED_SERVICES_TARGET, ((config.teams.platform, "teams.platform"),), branch)
    ]
    for env in config.environments:
        field = f"approver_groups.{env.approver_group}.github_team"
        team = config.approver_groups[env.approver_group].github_team
        environments.append(EnvironmentSettings(env.name, ((team, field),) if env.requires_review else (), branch))
    # The promotion PR is itself reviewed; the environment limits promote.yml's role to the default branch.
    environments.append(EnvironmentSettings(naming.GITHUB_PROMOTION_ENVIRONMENT, (), branch))
    for environment in environments:
        check_reviewer_limit(environment)
    return RepositorySettings(
        owner=config.pipeline.owner,
        repo=config.pipeline.repo,
        claim_keys=naming.GITHUB_SUBJECT_CLAIM_KEYS,
        environments=tuple(environments),
    )


def check_reviewer_limit(environment: EnvironmentSettings) -> None:
    """InputError naming the environment when it has more reviewers than GitHub accepts."""
    if len(environment.reviewers) > MAX_REVIEWERS:
        raise InputError(
            f"GitHub environment {environment.name}: {len(environment.reviewers)} required reviewers "
            f"({', '.join(environment.reviewer_teams)}); GitHub accepts at most {MAX_REVIEWERS}"
        )


class GitHubApi:
    """The few REST calls `configure` makes, over urllib (as the dispatch Lambda sends its dispatch)."""

    def __init__(self, api_url: str, token: str) -> None:
        parts = urlsplit(api_url)
        if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS):
            raise InputError(f"GITHUB_API_URL must be an https URL, got {api_url!r}")
        if not token:
            raise InputError("GITHUB_TOKEN is not set: give a token with administration rights on the repository")
        self._base = api_url.rstrip("/")
        self._headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {token}",
            "User-Agent": USER_AGENT,
            "X-GitHub-Api-Version": GITHUB_API_VERSION,
        }

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        """(status, parsed JSON body or None); 404 is returned, other errors raise GitHubRefused."""
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self._base}{path}", data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked)
                return int(response.status), _json(response.read())
        except urllib.error.HTTPError as exc:
            payload = _json(exc.read())
            if exc.code == 404:
                return 404, payload
            message = payload.get("message") if isinstance(payload, dict) else None
            raise GitHubRefused(
                f"GitHub answered {exc.code} to {method} {path}" + (f": {message}" if message else "")
            ) from None
        except urllib.error.URLError as exc:
            raise GitHubRefused(f"cannot reach GitHub at {self._base}: {exc.reason}") from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return None


def _repo_path(settings: RepositorySettings) -> str:
    return f"/repos/{quote(settings.owner)}/{quote(settings.repo)}"


def _environment_path(settings: RepositorySettings, name: str) -> str:
    return f"{_repo_path(settings)}/environments/{quote(name, safe='')}"


def _team_ids(api: GitHubApi, settings: RepositorySettings) -> dict[str, int]:
    """Every reviewer team's id, by `@org/slug`; GitHubRefused naming the accounts.yaml field for an unknown team."""
    ids: dict[str, int] = {}
    for environment in settings.environments:
        for team, field in environment.reviewers:
            if team in ids:
                continue
            org, slug = team.removeprefix("@").split("/", 1)
            path = f"/orgs/{quote(org)}/teams/{quote(slug)}"
            status, body = api.call("GET", path)
            if status == 404 or not isinstance(body, dict) or not isinstance(body.get("id"), int):
                raise GitHubRefused(f"accounts.yaml {field}: GitHub has no team {team} (GET {path} answered {status})")
            ids[team] = body["id"]
    return ids


def subject_template_body(settings: RepositorySettings) -> dict[str, Any]:
    """The request body of the subject template."""
    return {"use_default": False, "include_claim_keys": list(settings.claim_keys)}


def environment_body(environment: EnvironmentSettings, team_ids: Mapping[str, int]) -> dict[str, Any]:
    """The request body of one environment: reviewers as team ids, deployments from custom branch policies."""
    check_reviewer_limit(environment)
    return {
        "prevent_self_review": environment.prevent_self_review,
        "reviewers": [{"type": "Team", "id": team_ids[team]} for team in environment.reviewer_teams],
        "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
    }


def configure(api: GitHubApi, settings: RepositorySettings) -> list[str]:
    """Apply every setting; the lines say what was applied. Teams are resolved before anything is written."""
    team_ids = _team_ids(api, settings)
    repo = _repo_path(settings)
    api.call("PUT", f"{repo}/actions/oidc/customization/sub", subject_template_body(settings))
    applied = [f"OIDC subject template: include_claim_keys {', '.join(settings.claim_keys)}"]
    for environment in settings.environments:
        path = _environment_path(settings, environment.name)
        api.call("PUT", path, environment_body(environment, team_ids))
        policies = _branch_policies(api, path)
        for policy in policies:
            if _describe_branch_rule(policy) != environment.branch:  # a wider rule someone added: removed
                api.call("DELETE", f"{path}/deployment-branch-policies/{policy['id']}")
        if not any(_describe_branch_rule(policy) == environment.branch for policy in policies):
            api.call("POST", f"{path}/deployment-branch-policies", {"name": environment.branch, "type": "branch"})
        applied.append(
            f"environment {environment.name}: {_describe_reviewers(environment, team_ids)}; "
            f"deployments from branch {environment.branch} only"
        )
    return applied


def _describe_reviewers(environment: EnvironmentSettings, team_ids: Mapping[str, int]) -> str:
    if not environment.reviewers:
        return "no reviewers"
    teams = ", ".join(f"{team} (team id {team_ids[team]})" for team in environment.reviewer_teams)
    return f"required reviewers {teams}, prevent_self_review"


def _branch_policies(api: GitHubApi, environment_path: str) -> list[dict[str, Any]]:
    status, body = api.call("GET", f"{environment_path}/deployment-branch-policies?per_page=100")
    if status == 404 or not isinstance(body, dict):
        return []
    return [policy for policy in body.get("branch_policies", []) if isinstance(policy, dict)]


def check(api: GitHubApi, settings: RepositorySettings) -> list[str]:
    """One line per setting that is missing or differs from `settings`; empty when all match."""
    differences: list[str] = []
    status, template = api.call("GET", f"{_repo_path(settings)}/actions/oidc/customization/sub")
    expected_keys = ", ".join(settings.claim_keys)
    if status == 404 or not isinstance(template, dict) or template.get("use_default", True):
        differences.append(
            f"OIDC subject template: expected include_claim_keys {expected_keys}, found GitHub's default"
        )
    elif list(template.get("include_claim_keys") or []) != list(settings.claim_keys):
        found = ", ".join(template.get("include_claim_keys") or []) or "none"
        differences.append(f"OIDC subject template: expected include_claim_keys {expected_keys}, found {found}")
    for environment in settings.environments:
        differences.extend(_check_environment(api, settings, environment))
    return differences


def _check_environment(api: GitHubApi, settings: RepositorySettings, environment: EnvironmentSettings) -> list[str]:
    name = environment.name
    path = _environment_path(settings, name)
    status, found = api.call("GET", path)
    if status == 404 or not isinstance(found, dict):
        return [f"environment {name}: missing"]
    differences = []
    rules = [rule for rule in found.get("protection_rules") or [] if isinstance(rule, dict)]
    review = next((rule for rule in rules if rule.get("type") == "required_reviewers"), {})
    reviewers = sorted(_reviewer(settings, entry) for entry in review.get("reviewers") or [] if isinstance(entry, dict))
    # Teams are compared by slug: a reviewer team belongs to the repository's organisation.
    if reviewers != sorted(f"@{settings.owner}/{team.split('/', 1)[1]}" for team in environment.reviewer_teams):
        expected = ", ".join(environment.reviewer_teams) or "none"
        differences.append(
            f"environment {name} required reviewers: expected {expected}, found {', '.join(reviewers) or 'none'}"
        )
    if environment.prevent_self_review and review.get("prevent_self_review") is not True:
        differences.append(f"environment {name} prevent_self_review: expected true, found false")
    branch_policy = found.get("deployment_branch_policy")
    if branch_policy != {"protected_branches": False, "custom_branch_policies": True}:
        differences.append(
            f"environment {name} deployment branches: expected custom branch policies, "
            f"found {_describe_branch_policy(branch_policy)}"
        )
    else:
        names = sorted(_describe_branch_rule(policy) for policy in _branch_policies(api, path))
        if names != [environment.branch]:
            differences.append(
                f"environment {name} branch policies: expected only {environment.branch}, "
                f"found {', '.join(names) or 'none'}"
            )
    return differences


def _reviewer(settings: RepositorySettings, entry: Mapping[str, Any]) -> str:
    """A required reviewer as GitHub reports it: `@org/slug` for a team, `user <login>` for a person."""
    found = entry.get("reviewer")
    reviewer: Mapping[str, Any] = found if isinstance(found, dict) else {}
    if entry.get("type") == "Team":
        return f"@{settings.owner}/{reviewer.get('slug')}"
    return f"user {reviewer.get('login')}"


def _describe_branch_policy(policy: Any) -> str:
    if not isinstance(policy, dict):
        return "any branch"
    return "protected branches" if policy.get("protected_branches") else "custom branch policies off"


def _describe_branch_rule(policy: Mapping[str, Any]) -> str:
    kind = policy.get("type", "branch")
    return str(policy.get("name")) if kind == "branch" else f"{policy.get('name')} ({kind})"
