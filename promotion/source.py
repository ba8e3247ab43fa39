"""A registration's lineage: the commit the model was trained from, and the repository that holds it.

By default both come from the git checkout of the current folder, where the data scientist trains: its HEAD
and its remote (`origin`, or its only remote). The modelops checkout itself is refused as that checkout (its
HEAD says nothing about the model), and so is a checkout without a remote (its commit id would name nothing
anyone else can find). `--source-commit` and `--source-repository` say it explicitly instead.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from accounts.validation import InputError

COMMIT_ID = re.compile(r"^[0-9a-f]{7,40}$")
# SageMaker's MetadataProperties.Repository: at most 1024 characters.
MAX_REPOSITORY = 1024
EXPLICIT = "pass --source-commit and --source-repository"


@dataclass(frozen=True)
class Source:
    """The commit a version was trained from, and the repository it is in (None when not said)."""

    commit: str
    repository: str | None


def _git(folder: Path, *args: str) -> str | None:
    """`git -C folder args` stdout, stripped; None when git is missing or fails (not a checkout)."""
    try:
        # No shell; the arguments are this module's own and a folder path.
        result = subprocess.run(  # noqa: S603
            ["git", "-C", str(folder), *args],  # noqa: S607 (git from PATH, as a developer runs it)
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _common_dir(folder: Path) -> str | None:
    """The repository's shared git directory: the same for every worktree of one repository."""
    return _git(folder, "rev-parse", "--path-format=absolute", "--git-common-dir")


def without_credentials(url: str) -> str:
    """`url` without a user or password (`https://user:token@host/x` → `https://host/x`): the lineage is read
    by every approver. A scp-like address (`git@host:org/x.git`) names a user, not a secret, and is kept."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _remote(top: str) -> str:
    names = (_git(Path(top), "remote") or "").split()
    name = "origin" if "origin" in names else names[0] if len(names) == 1 else None
    if name is None:
        found = f"has the remotes {', '.join(names)} but no origin" if names else "has no remote to name it by"
        raise InputError(f"--source-commit: not given, and the repository of the current folder ({top}) {found}; "
                         f"add one (git remote add origin URL), or {EXPLICIT}")  # fmt: skip
    return without_credentials(_git(Path(top), "remote", "get-url", name) or "")


def checkout_source(folder: Path, modelops_file: Path | None = None) -> Source:
    """HEAD and remote of the git checkout holding `folder`; InputError when there is none, when it is the
    repository of `modelops_file` (the organisation file: the modelops checkout), or when it has no remote."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None:
        raise InputError("--source-commit: not given, and the current folder is not a git checkout")
    if modelops_file is not None and _common_dir(folder) == _common_dir(modelops_file.parent):
        raise InputError(
            f"--source-commit: not given, and the current folder is in the modelops checkout ({top}), not the "
            f"repository the model was trained from; run register from the training repository, or {EXPLICIT}"
        )
    commit = _git(folder, "rev-parse", "HEAD")
    if commit is None:
        raise InputError(f"--source-commit: not given, and the repository of the current folder ({top}) has no commit")
    return Source(commit=commit, repository=_remote(top))


def source(commit: str | None, repository: str | None, *, folder: Path, modelops_file: Path | None = None) -> Source:
    """The lineage to record: as given, or the checkout of `folder` (`checkout_source`); InputError naming the
    option that is wrong."""
    if commit is None:
        if repository is not None:
            raise InputError(
                "--source-repository: only with --source-commit (without both, the current folder's HEAD and "
                "remote are recorded)"
            )
        found = checkout_source(folder, modelops_file)
    else:
        found = Source(commit=commit, repository=repository)
    if not COMMIT_ID.fullmatch(found.commit):
        raise InputError(f"--source-commit: {found.commit!r} is not a git commit id (7 to 40 lowercase hex digits)")
    if found.repository is not None:
        if not found.repository or len(found.repository) > MAX_REPOSITORY or any(c.isspace() for c in found.repository):
            raise InputError(
                f"--source-repository: {found.repository!r} is not a repository address; expected a URL of at most "
                f"{MAX_REPOSITORY} characters without spaces"
            )
        if without_credentials(found.repository) != found.repository:
            raise InputError(
                f"--source-repository: {found.repository!r} holds credentials; give the address without them "
                f"({without_credentials(found.repository)})"
            )
    return found
