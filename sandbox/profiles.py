"""An AWS shared config file with one profile per person of accounts.yaml, signed in to the sandbox.

Each person's profile gives what `aws sso login` gives them in AWS: their permission set's role in its
account, with their email as the session name. botocore runs the profile's `credential_process` (the hidden
`modelops sandbox credentials` command), which signs the person in through the sandbox's Identity Center
(SAML, sandbox/identity_center.py) and prints the process credentials JSON (Version 1, with an Expiration,
so botocore signs in again before the session ends). Profiles also carry `region` and `endpoint_url`
(botocore reads both from a profile: "Service-specific endpoints", AWS SDKs and Tools reference guide).

The `management` profile holds the management account's root keys, for administration; nobody's work is
done with it.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from accounts import naming
from accounts.config import OrgConfig
from sandbox.accounts import MANAGEMENT_CREDENTIALS

MANAGEMENT_PROFILE = "management"
CONFIG_FILE = Path(".modelops") / "sandbox" / "aws-config"


@dataclass(frozen=True)
class Profile:
    """One person in one role: the profile's name, the person's email, and where they sign in."""

    name: str
    email: str
    account: str
    permission_set: str


def people_profiles(config: OrgConfig) -> list[Profile]:
    """Every approver (once, whatever their groups), data scientist and platform engineer of accounts.yaml:
    approvers and platform engineers in shared services, data scientists in data science."""
    shared, data_science = config.accounts.shared_services, config.accounts.data_science
    approvers = sorted({member for group in config.approver_groups.values() for member in group.members})
    return [
        *(Profile(f"approver-{email}", email, shared, naming.APPROVER_PERMISSION_SET) for email in approvers),
        *(
            Profile(f"data-scientist-{email}", email, data_science, naming.DATA_SCIENTIST_PERMISSION_SET)
            for email in config.people.data_scientists
        ),
        *(
            Profile(f"platform-{email}", email, shared, naming.PLATFORM_PERMISSION_SET)
            for email in config.people.platform_engineers
        ),
    ]


def credential_command(profile: Profile, *, endpoint_url: str, region: str) -> str:
    """The `credential_process` line: this interpreter running `modelops sandbox credentials` for the person."""
    return shlex.join(
        [
            sys.executable, "-m", "cli", "sandbox", "credentials",
            "--email", profile.email, "--account", profile.account, "--permission-set", profile.permission_set,
            "--endpoint", endpoint_url, "--region", region,
        ]
    )  # fmt: skip


def aws_config(profiles: list[Profile], *, endpoint_url: str, region: str) -> str:
    """The shared config file's text: the management profile, then one profile per person."""
    sections = [
        "# Written by `modelops sandbox up`: profiles for the sandbox at "
        f"{endpoint_url}; AWS_PROFILE=<name> acts as that person.",
        f"[profile {MANAGEMENT_PROFILE}]\n"
        "# the management account's root user: administration only\n"
        f"region = {region}\nendpoint_url = {endpoint_url}\n"
        f"aws_access_key_id = {MANAGEMENT_CREDENTIALS['aws_access_key_id']}\n"
        f"aws_secret_access_key = {MANAGEMENT_CREDENTIALS['aws_secret_access_key']}",
    ]
    for profile in profiles:
        command = credential_command(profile, endpoint_url=endpoint_url, region=region)
        sections.append(
            f"[profile {profile.name}]\n"
            f"# {profile.email} as {profile.permission_set} in {profile.account}\n"
            f"region = {region}\nendpoint_url = {endpoint_url}\ncredential_process = {command}"
        )
    return "\n\n".join(sections) + "\n"


def write_aws_config(path: Path, config: OrgConfig, *, endpoint_url: str) -> list[Profile]:
    """Write the profiles of `config`'s people to `path` (its folders created); return the people's profiles."""
    profiles = people_profiles(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(aws_config(profiles, endpoint_url=endpoint_url, region=config.region), encoding="utf-8")
    return profiles
