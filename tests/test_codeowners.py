"""`.github/CODEOWNERS` is generated from accounts.yaml: each environment's approvers own its manifests,
security owns policies, platform owns accounts, and both own the workflows. (That the committed file is what the
shipped accounts.yaml generates is checked in tests/test_shipped_organisation.py.)"""

from __future__ import annotations

from accounts.config import OrgConfig
from deployment.codeowners import render_codeowners
from tests.conftest import config_with


def rules(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line and not line.startswith("#")]


def test_owners_of_the_two_env_organisation(config: OrgConfig) -> None:
    assert rules(render_codeowners(config)) == [
        ["*", "@example-org/platform"],
        ["/accounts/", "@example-org/platform"],
        ["/policies/", "@example-org/security"],
        ["/.github/", "@example-org/platform", "@example-org/security"],
        ["/workloads/qa/", "@example-org/ml-risk-qa"],
        ["/workloads/prod/", "@example-org/ml-risk-prod"],
    ]


def test_file_says_it_is_generated_and_how_to_regenerate_it(config: OrgConfig) -> None:
    header = render_codeowners(config).splitlines()[:3]
    assert header == [
        "# GENERATED from accounts/accounts.yaml by deployment/codeowners.py: do not edit by hand.",
        "# To change an owner, edit accounts/accounts.yaml and run `make generate`; a test fails while",
        "# this file differs from what the configuration generates.",
    ]


def test_an_environment_follows_its_approver_group_to_its_team() -> None:
    config = config_with(
        approver_groups={
            "risk": {"github_team": "@bank/model-risk", "members": ["a@bank.example"]},
            "cab": {"github_team": "@bank/change-board", "members": ["b@bank.example"]},
        },
        environments=[
            {"name": "uat", "account": "666666666666", "approver_group": "risk", "requires_review": False},
            {"name": "live", "account": "777777777777", "approver_group": "cab", "requires_review": True},
        ],
        models=[],
    )
    assert rules(render_codeowners(config))[-2:] == [
        ["/workloads/uat/", "@bank/model-risk"],
        ["/workloads/live/", "@bank/change-board"],
    ]
