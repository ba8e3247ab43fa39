"""`.github/CODEOWNERS`, generated from accounts.yaml so that reviews follow the organisation.

A promotion PR changes `workloads/<env>/`, so that environment's approvers must review it; policy
changes go to security, account changes to platform, and the workflows to both.
"""

from __future__ import annotations

from pathlib import Path

from accounts.config import OrgConfig

HEADER = """\
# GENERATED from accounts/accounts.yaml by deployment/codeowners.py: do not edit by hand.
# To change an owner, edit accounts/accounts.yaml and run `make generate`; a test fails while
# this file differs from what the configuration generates.
#
# The last matching pattern wins, so the catch-all comes first.
"""


def render_codeowners(config: OrgConfig) -> str:
    """The CODEOWNERS file for `config`."""
    platform, security = config.teams.platform, config.teams.security
    rules = [
        ("*", [platform]),
        ("/accounts/", [platform]),
        ("/policies/", [security]),
        ("/.github/", [platform, security]),
        *[(f"/workloads/{env.name}/", [config.approvers(env.name).github_team]) for env in config.environments],
    ]
    width = max(len(pattern) for pattern, _ in rules)
    lines = [f"{pattern.ljust(width)} {' '.join(owners)}" for pattern, owners in rules]
    return HEADER + "\n" + "\n".join(lines) + "\n"


def write_codeowners(config: OrgConfig, path: Path) -> None:
    """Write the generated CODEOWNERS to `path` (normally `.github/CODEOWNERS`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_codeowners(config))
