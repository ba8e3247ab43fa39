"""`modelops github configure [--check]`: the repository settings the pipeline's OIDC trust depends on.

The token comes from GITHUB_TOKEN and GitHub's address from GITHUB_API_URL (default https://api.github.com;
GitHub Actions sets both names on its runners). The token is never printed.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from accounts import naming
from cli import output
from cli.errors import EXIT_FAILED, fail, handled
from cli.settings import settings
from deployment import github_settings

github_app = typer.Typer(
    name="github", help="The GitHub repository settings the pipeline's trust depends on.", no_args_is_help=True
)


@github_app.command("configure")
@handled
def configure(
    ctx: typer.Context,
    check: Annotated[
        bool, typer.Option("--check", help="Read the settings back; exit 1 listing each one missing or different.")
    ] = False,
) -> None:
    """Apply the OIDC subject template and the Environments (reviewers, branch policy) through GitHub's API."""
    config = settings(ctx).config
    wanted = github_settings.desired_settings(config)
    api = github_settings.GitHubApi(
        os.environ.get("GITHUB_API_URL") or github_settings.DEFAULT_API_URL, os.environ.get("GITHUB_TOKEN", "")
    )
    repository = config.pipeline.repository
    if check:
        differences = github_settings.check(api, wanted)
        if differences:
            differences.append(f"{repository}: run `modelops github configure` with an administrator's token")
            raise fail("\n".join(differences), EXIT_FAILED)
        output.say(f"{repository}: the OIDC subject template and {len(wanted.environments)} environments match")
        return
    for line in github_settings.configure(api, wanted):
        output.say(f"{repository}: {line}")
    for target in naming.deploy_targets(config):
        role = naming.github_deploy_role_name(target)
        output.say(f"{role} trusts sub {naming.github_deploy_subject(config, target)}")
    output.say(f"{naming.GITHUB_PROMOTE_ROLE} trusts sub {naming.github_promote_subject(config)}")
    output.say(f"{naming.GITHUB_VERIFY_ROLE} trusts sub like {naming.github_pull_request_subject_pattern(config)}")
