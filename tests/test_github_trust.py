"""Only the reviewed workflow drives the pipeline: the deployment account's GitHub roles, as synthesized for the
two_env organisation, judged by the project's IAM evaluator (policies/iam/) on the web-identity tokens an
attacker can obtain. Each deploy role takes exactly deploy.yml on main in its own environment, in the subject
template `modelops github configure` applies (accounts/naming.py); the promotion role takes promote.yml on main;
the PR-checks role takes checks.yml at any pull request's merge ref and reaches only the read-only verifier.

AWS's trust conditions can test only the token's `aud`, `sub` (and `amr`) (../shared/notes/aws-facts.md,
"GitHub OIDC"; IAM User Guide, "Available keys for AWS web identity federation").
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Context, Policy, PolicyKind, Principal, Resource, decide, prepare
from policies.iam.cloudformation.deployment import Deployment
from policies.iam.cloudformation.reader import load_deployment
from tests.conftest import Synth

PROVIDER = "arn:aws:iam::333333333333:oidc-provider/token.actions.githubusercontent.com"
REPO = "example-org/modelops"
WORKFLOWS = f"{REPO}/.github/workflows"
TARGETS = ["shared-services", "qa", "prod"]
GITHUB_ROLES = [*(f"modelops-github-deploy-{target}" for target in TARGETS), "modelops-github-promote"]


@pytest.fixture(scope="module")
def deployment(synth: Synth) -> Deployment:
    return load_deployment(synth.outdir)


def trusted_by(deployment: Deployment, subject: str, *, audience: str = "sts.amazonaws.com") -> list[str]:
    """The deployment account's roles whose trust lets a GitHub token with `subject` assume them."""
    trusting = []
    for arn, role in deployment.roles.items():
        if role.account != "333333333333":
            continue
        resource = Resource(arn, role.account, Policy(role.trust.name, role.trust.document, PolicyKind.TRUST))
        prepared = prepare(Principal.federated(PROVIDER), "sts:AssumeRoleWithWebIdentity", resource)
        context = Context(
            {"token.actions.githubusercontent.com:aud": audience, "token.actions.githubusercontent.com:sub": subject}
        )
        if decide(prepared, context).allowed:
            trusting.append(arn.rsplit("/", 1)[-1])
    return sorted(trusting)


def subject(context: str, workflow: str, ref: str, repository: str = REPO) -> str:
    """A subject in the configured template, spelled out (not through naming.py) so the test can fail."""
    return f"repo:{repository}:{context}:job_workflow_ref:{repository}/.github/workflows/{workflow}@{ref}"


@pytest.mark.parametrize("target", TARGETS)
def test_the_pinned_subject_of_a_target_is_trusted_by_its_own_deploy_role_only(
    deployment: Deployment, target: str
) -> None:
    pinned = subject(f"environment:{target}", "deploy.yml", "refs/heads/main")

    assert trusted_by(deployment, pinned) == [f"modelops-github-deploy-{target}"]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("attack", "token_subject"),
    [
        ("another workflow file", lambda env: subject(f"environment:{env}", "release.yml", "refs/heads/main")),
        ("deploy.yml on another branch", lambda env: subject(f"environment:{env}", "deploy.yml", "refs/heads/evil")),
        (
            "deploy.yml at a pull request's ref",
            lambda env: subject(f"environment:{env}", "deploy.yml", "refs/pull/7/merge"),
        ),
        ("GitHub's default subject format", lambda env: f"repo:{REPO}:environment:{env}"),
        (
            "a fork's deploy.yml",
            lambda env: subject(f"environment:{env}", "deploy.yml", "refs/heads/main", "evil/modelops"),
        ),
        (
            "deploy.yml without an environment",
            lambda env: subject("ref:refs/heads/main", "deploy.yml", "refs/heads/main"),
        ),
        ("a pull-request job of deploy.yml", lambda env: subject("pull_request", "deploy.yml", "refs/pull/7/merge")),
    ],
)
def test_a_near_miss_of_a_deploy_subject_is_trusted_by_no_pipeline_role(
    deployment: Deployment, target: str, attack: str, token_subject: Callable[[str], str]
) -> None:
    trusting = trusted_by(deployment, token_subject(target))

    assert [role for role in trusting if role in GITHUB_ROLES] == [], attack


def test_the_promotion_role_trusts_only_promote_yml_on_main_in_environment_promotion(deployment: Deployment) -> None:
    assert trusted_by(deployment, subject("environment:promotion", "promote.yml", "refs/heads/main")) == [
        "modelops-github-promote"
    ]
    assert trusted_by(deployment, subject("environment:promotion", "promote.yml", "refs/heads/evil")) == []
    assert trusted_by(deployment, subject("environment:promotion", "deploy.yml", "refs/heads/main")) == []
    assert trusted_by(deployment, f"repo:{REPO}:environment:promotion") == []


def test_a_pull_requests_checks_yml_reaches_only_the_verify_role_whatever_its_number(deployment: Deployment) -> None:
    for number in ("1", "4242"):
        assert trusted_by(deployment, subject("pull_request", "checks.yml", f"refs/pull/{number}/merge")) == [
            "modelops-github-verify"
        ]
    assert trusted_by(deployment, subject("pull_request", "other.yml", "refs/pull/1/merge")) == []
    assert trusted_by(deployment, subject("pull_request", "checks.yml", "refs/heads/main")) == []
    assert trusted_by(deployment, f"repo:{REPO}:pull_request") == []


def test_a_pinned_subject_for_another_audience_is_trusted_by_nothing(deployment: Deployment) -> None:
    pinned = subject("environment:prod", "deploy.yml", "refs/heads/main")

    assert trusted_by(deployment, pinned, audience="https://github.com/example-org") == []


def test_the_subjects_naming_builds_are_the_ones_the_roles_trust(config: OrgConfig, deployment: Deployment) -> None:
    built = {
        **{naming.github_deploy_subject(config, target): f"modelops-github-deploy-{target}" for target in TARGETS},
        naming.github_promote_subject(config): "modelops-github-promote",
        naming.github_pull_request_subject_pattern(config).replace("*", "12"): "modelops-github-verify",
    }

    assert {sub: trusted_by(deployment, sub) for sub in built} == {sub: [role] for sub, role in built.items()}
