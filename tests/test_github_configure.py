"""`modelops github configure [--check]` against the GitHub stand-in: the exact requests it sends, the exact
subject template and environments it leaves, and `--check`'s exact lines while a setting is missing or altered.

The organisation is two_env: repository example-org/modelops on branch main, chain qa (no review) -> prod
(ml-risk-prod reviews), platform team @example-org/platform.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import cli.main
from accounts.config import OrgConfig
from accounts.validation import InputError
from deployment.github_settings import EnvironmentSettings, desired_settings, environment_body
from sandbox.github_stand_in import GitHubStandIn
from tests.orgs import config_path

TOKEN = "ghs_test-token-never-printed"
TEAMS = {"example-org/platform": 11, "example-org/ml-risk-qa": 12, "example-org/ml-risk-prod": 13}
REPO = "/repos/example-org/modelops"
TEMPLATE = {"use_default": False, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}
BRANCHES = {"protected_branches": False, "custom_branch_policies": True}
WORKFLOWS = "job_workflow_ref:example-org/modelops/.github/workflows"
HINT = "error: example-org/modelops: run `modelops github configure` with an administrator's token"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubStandIn]:
    with GitHubStandIn(teams=dict(TEAMS), token=TOKEN) as stand_in:
        monkeypatch.setenv("GITHUB_API_URL", stand_in.url)
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        yield stand_in


def modelops(*args: str) -> Result:
    return CliRunner().invoke(cli.main.app, ["--config", str(config_path("two_env")), "github", "configure", *args])


def sent(github: GitHubStandIn) -> list[tuple[str, str, dict[str, Any]]]:
    return [(request.method, request.path, request.body) for request in github.requests]


def as_admin(github: GitHubStandIn, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    """A change someone makes by hand (through the API, as the settings page does)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (the loopback stand-in)
        f"{github.url}{path}", data=data, method=method, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request):  # noqa: S310 (the loopback stand-in)
        pass


def environment_requests(name: str, body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    path = f"{REPO}/environments/{name}"
    return [
        ("PUT", path, body),
        ("GET", f"{path}/deployment-branch-policies?per_page=100", {}),
        ("POST", f"{path}/deployment-branch-policies", {"name": "main", "type": "branch"}),
    ]


# -- configure ---------------------------------------------------------------------------------------------


def test_configure_resolves_the_teams_then_applies_the_subject_template_and_every_environment(
    github: GitHubStandIn,
) -> None:
    result = modelops()

    assert (result.exit_code, result.stderr) == (0, "")
    no_review = {"prevent_self_review": False, "reviewers": [], "deployment_branch_policy": BRANCHES}
    assert sent(github) == [
        ("GET", "/orgs/example-org/teams/platform", {}),
        ("GET", "/orgs/example-org/teams/ml-risk-prod", {}),
        ("PUT", f"{REPO}/actions/oidc/customization/sub", TEMPLATE),
        *environment_requests(
            "shared-services",
            {
                "prevent_self_review": True,
                "reviewers": [{"type": "Team", "id": 11}],
                "deployment_branch_policy": BRANCHES,
            },
        ),
        *environment_requests("qa", no_review),
        *environment_requests(
            "prod",
            {
                "prevent_self_review": True,
                "reviewers": [{"type": "Team", "id": 13}],
                "deployment_branch_policy": BRANCHES,
            },
        ),
        *environment_requests("promotion", no_review),
    ]
    assert {name: value for name, value in github.requests[0].headers.items() if name != "host"} == {
        "accept": "application/vnd.github+json",
        "accept-encoding": "identity",
        "authorization": f"Bearer {TOKEN}",
        "connection": "close",
        "user-agent": "modelops-github-configure",
        "x-github-api-version": "2022-11-28",
    }


def test_configure_prints_what_it_applied_and_the_subject_each_role_trusts_but_never_the_token(
    github: GitHubStandIn,
) -> None:
    result = modelops()

    assert result.stdout.splitlines() == [
        "example-org/modelops: OIDC subject template: include_claim_keys repo, context, job_workflow_ref",
        "example-org/modelops: environment shared-services: required reviewers @example-org/platform (team id 11), "
        "prevent_self_review; deployments from branch main only",
        "example-org/modelops: environment qa: no reviewers; deployments from branch main only",
        "example-org/modelops: environment prod: required reviewers @example-org/ml-risk-prod (team id 13), "
        "prevent_self_review; deployments from branch main only",
        "example-org/modelops: environment promotion: no reviewers; deployments from branch main only",
        "modelops-github-deploy-shared-services trusts sub "
        f"repo:example-org/modelops:environment:shared-services:{WORKFLOWS}/deploy.yml@refs/heads/main",
        "modelops-github-deploy-qa trusts sub "
        f"repo:example-org/modelops:environment:qa:{WORKFLOWS}/deploy.yml@refs/heads/main",
        "modelops-github-deploy-prod trusts sub "
        f"repo:example-org/modelops:environment:prod:{WORKFLOWS}/deploy.yml@refs/heads/main",
        "modelops-github-promote trusts sub "
        f"repo:example-org/modelops:environment:promotion:{WORKFLOWS}/promote.yml@refs/heads/main",
        "modelops-github-verify trusts sub like "
        f"repo:example-org/modelops:pull_request:{WORKFLOWS}/checks.yml@refs/pull/*/merge",
    ]
    assert TOKEN not in result.stdout + result.stderr


def test_configure_leaves_the_repository_with_the_subject_template_and_one_branch_policy_per_environment(
    github: GitHubStandIn,
) -> None:
    modelops()

    stored = github.settings
    assert stored.subject_templates == {"example-org/modelops": TEMPLATE}
    assert {
        name: (
            env.reviewer_ids,
            env.prevent_self_review,
            env.deployment_branch_policy,
            [p["name"] for p in env.branch_policies],
        )
        for (_, name), env in stored.environments.items()
    } == {
        "shared-services": ([11], True, BRANCHES, ["main"]),
        "qa": ([], False, BRANCHES, ["main"]),
        "prod": ([13], True, BRANCHES, ["main"]),
        "promotion": ([], False, BRANCHES, ["main"]),
    }


def test_configure_again_removes_a_wider_branch_policy_someone_added_and_keeps_main(github: GitHubStandIn) -> None:
    modelops()
    as_admin(github, "POST", f"{REPO}/environments/prod/deployment-branch-policies", {"name": "*", "type": "branch"})
    added = github.settings.environments[("example-org/modelops", "prod")].branch_policies[-1]["id"]
    github.requests.clear()

    assert modelops().exit_code == 0

    prod = f"{REPO}/environments/prod"
    assert [(m, p) for m, p, _ in sent(github) if p.startswith(f"{prod}/") or m == "DELETE"] == [
        ("GET", f"{prod}/deployment-branch-policies?per_page=100"),
        ("DELETE", f"{prod}/deployment-branch-policies/{added}"),
    ]
    assert modelops("--check").exit_code == 0


def test_an_unknown_team_is_named_with_its_accounts_yaml_field_and_nothing_is_written(
    github: GitHubStandIn,
) -> None:
    del github.teams["example-org/ml-risk-prod"]

    result = modelops()

    assert (result.exit_code, result.stderr, result.stdout) == (
        1,
        "error: accounts.yaml approver_groups.ml-risk-prod.github_team: GitHub has no team @example-org/ml-risk-prod "
        "(GET /orgs/example-org/teams/ml-risk-prod answered 404)\n",
        "",
    )
    assert [method for method, _, _ in sent(github)] == ["GET", "GET"]


def test_a_token_github_refuses_is_one_line_naming_the_request(github: GitHubStandIn) -> None:
    github.token = "another-token"

    result = modelops()

    assert (result.exit_code, result.stderr) == (
        1,
        "error: GitHub answered 401 to GET /orgs/example-org/teams/platform: Bad credentials\n",
    )


def test_without_a_token_nothing_is_sent(github: GitHubStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")

    result = modelops("--check")

    assert (result.exit_code, result.stderr) == (
        2,
        "error: GITHUB_TOKEN is not set: give a token with administration rights on the repository\n",
    )
    assert github.requests == []


def test_a_plain_http_api_url_off_this_machine_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", "http://github.example.com")

    result = modelops()

    assert (result.exit_code, result.stderr) == (
        2,
        "error: GITHUB_API_URL must be an https URL, got 'http://github.example.com'\n",
    )


def test_more_reviewers_than_github_accepts_is_refused_naming_the_environment() -> None:
    teams = tuple((f"@example-org/team-{n}", f"teams.t{n}") for n in range(7))
    environment = EnvironmentSettings("prod", teams, "main")

    with pytest.raises(InputError) as refused:
        environment_body(environment, {team: n for n, (team, _) in enumerate(teams)})

    assert str(refused.value) == (
        "GitHub environment prod: 7 required reviewers (@example-org/team-0, @example-org/team-1, "
        "@example-org/team-2, @example-org/team-3, @example-org/team-4, @example-org/team-5, "
        "@example-org/team-6); GitHub accepts at most 6"
    )


def test_shared_services_always_requires_the_platform_team_even_when_no_environment_requires_review(
    config: OrgConfig,
) -> None:
    relaxed = config.model_copy(
        update={"environments": [env.model_copy(update={"requires_review": False}) for env in config.environments]}
    )

    assert [(env.name, env.reviewer_teams) for env in desired_settings(relaxed).environments] == [
        ("shared-services", ("@example-org/platform",)),
        ("qa", ()),
        ("prod", ()),
        ("promotion", ()),
    ]


# -- --check -----------------------------------------------------------------------------------------------


def test_check_after_configure_passes_reading_only(github: GitHubStandIn) -> None:
    modelops()
    github.requests.clear()

    result = modelops("--check")

    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "example-org/modelops: the OIDC subject template and 4 environments match\n",
        "",
    )
    assert {method for method, _, _ in sent(github)} == {"GET"}
    assert not any("/teams/" in path for _, path, _ in sent(github))


def test_check_on_a_repository_never_configured_lists_every_missing_setting(github: GitHubStandIn) -> None:
    result = modelops("--check")

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.splitlines() == [
        "error: OIDC subject template: expected include_claim_keys repo, context, job_workflow_ref, "
        "found GitHub's default",
        "error: environment shared-services: missing",
        "error: environment qa: missing",
        "error: environment prod: missing",
        "error: environment promotion: missing",
        HINT,
    ]


def test_check_names_each_setting_changed_by_hand(github: GitHubStandIn) -> None:
    modelops()
    prod, qa = f"{REPO}/environments/prod", f"{REPO}/environments/qa"
    as_admin(github, "PUT", f"{REPO}/actions/oidc/customization/sub", {"use_default": True})
    as_admin(github, "PUT", prod, {"reviewers": []})
    as_admin(github, "POST", f"{prod}/deployment-branch-policies", {"name": "release/*", "type": "branch"})
    as_admin(
        github, "PUT", qa, {"deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False}}
    )
    as_admin(github, "PUT", f"{REPO}/environments/shared-services", {"prevent_self_review": False})

    result = modelops("--check")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: OIDC subject template: expected include_claim_keys repo, context, job_workflow_ref, "
        "found GitHub's default",
        "error: environment shared-services prevent_self_review: expected true, found false",
        "error: environment qa deployment branches: expected custom branch policies, found protected branches",
        "error: environment prod required reviewers: expected @example-org/ml-risk-prod, found none",
        "error: environment prod prevent_self_review: expected true, found false",
        "error: environment prod branch policies: expected only main, found main, release/*",
        HINT,
    ]


def test_check_names_a_template_with_other_claim_keys(github: GitHubStandIn) -> None:
    modelops()
    as_admin(
        github, "PUT", f"{REPO}/actions/oidc/customization/sub", {"use_default": False, "include_claim_keys": ["repo"]}
    )

    result = modelops("--check")

    assert result.stderr.splitlines() == [
        "error: OIDC subject template: expected include_claim_keys repo, context, job_workflow_ref, found repo",
        HINT,
    ]
