"""A registration's lineage names the training repository: by default the HEAD and remote of the current
folder's git checkout, never the modelops checkout's own HEAD (issue 12)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli.main
from accounts.validation import InputError
from promotion.source import Source, source, without_credentials
from tests.orgs import config_path
from tests.promotion_support import LocalAws

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
REMOTE = "https://github.com/example-bank/churn-training.git"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def checkout(folder: Path, *remotes: tuple[str, str]) -> str:
    """A git repository at `folder` with one commit and `remotes` (name, url); returns its HEAD."""
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "-q")
    git(folder, "commit", "-q", "--allow-empty", "-m", "train")
    for name, url in remotes:
        git(folder, "remote", "add", name, url)
    return git(folder, "rev-parse", "HEAD")


def modelops_checkout(root: Path) -> Path:
    """A modelops checkout at `root` with its organisation file; returns the file."""
    checkout(root, ("origin", "https://github.com/example-bank/modelops.git"))
    organisation = root / "accounts" / "accounts.yaml"
    organisation.parent.mkdir()
    organisation.write_text("organization: {}\n")
    return organisation


def refused(message: str, **kwargs: object) -> None:
    with pytest.raises(InputError) as caught:
        source(**kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_by_default_the_lineage_is_the_head_and_origin_of_the_current_folders_checkout(tmp_path: Path) -> None:
    training = tmp_path / "training"
    head = checkout(training, ("mirror", "https://mirror.example.com/x.git"), ("origin", REMOTE))
    (training / "src").mkdir()
    organisation = modelops_checkout(tmp_path / "modelops")
    found = source(None, None, folder=training / "src", modelops_file=organisation)
    assert found == Source(commit=head, repository=REMOTE)


def test_a_checkout_with_one_remote_not_called_origin_is_named_by_it(tmp_path: Path) -> None:
    head = checkout(tmp_path, ("upstream", "git@github.com:example-bank/churn-training.git"))
    assert source(None, None, folder=tmp_path) == Source(head, "git@github.com:example-bank/churn-training.git")


def test_credentials_in_the_remote_are_never_recorded(tmp_path: Path) -> None:
    head = checkout(tmp_path, ("origin", "https://ds:ghp_secret@github.com/example-bank/churn-training.git"))
    assert source(None, None, folder=tmp_path) == Source(head, REMOTE)
    assert without_credentials("git@github.com:example-bank/x.git") == "git@github.com:example-bank/x.git"


def test_the_modelops_checkout_and_its_worktrees_are_refused_as_the_training_repository(tmp_path: Path) -> None:
    organisation = modelops_checkout(tmp_path / "modelops")
    message = (
        "--source-commit: not given, and the current folder is in the modelops checkout ({}), not the repository "
        "the model was trained from; run register from the training repository, or pass --source-commit and "
        "--source-repository"
    )
    refused(message.format(tmp_path / "modelops"), commit=None, repository=None, folder=organisation.parent,
            modelops_file=organisation)  # fmt: skip
    git(tmp_path / "modelops", "worktree", "add", "-q", str(tmp_path / "wt"))
    refused(message.format(tmp_path / "wt"), commit=None, repository=None, folder=tmp_path / "wt",
            modelops_file=organisation)  # fmt: skip


def test_a_folder_outside_git_is_refused(tmp_path: Path) -> None:
    refused(
        "--source-commit: not given, and the current folder is not a git checkout",
        commit=None,
        repository=None,
        folder=tmp_path,
    )


@pytest.mark.parametrize(
    ("remotes", "found"),
    [
        ((), "has no remote to name it by"),
        (
            (("a", "https://a.example.com/x.git"), ("b", "https://b.example.com/x.git")),
            "has the remotes a, b but no origin",
        ),
    ],
)
def test_a_checkout_without_a_remote_that_names_it_is_refused(
    tmp_path: Path, remotes: tuple[tuple[str, str], ...], found: str
) -> None:
    checkout(tmp_path, *remotes)
    refused(
        f"--source-commit: not given, and the repository of the current folder ({tmp_path}) {found}; add one "
        "(git remote add origin URL), or pass --source-commit and --source-repository",
        commit=None,
        repository=None,
        folder=tmp_path,
    )


@pytest.mark.parametrize(
    ("commit", "repository", "message"),
    [
        (None, REMOTE, "--source-repository: only with --source-commit (without both, the current folder's HEAD "
         "and remote are recorded)"),
        ("main", None, "--source-commit: 'main' is not a git commit id (7 to 40 lowercase hex digits)"),
        ("abcdef1", "https://u:p@github.com/x.git", "--source-repository: 'https://u:p@github.com/x.git' holds "
         "credentials; give the address without them (https://github.com/x.git)"),
        ("abcdef1", "a b", "--source-repository: 'a b' is not a repository address; expected a URL of at most 1024 "
         "characters without spaces"),
    ],
)  # fmt: skip
def test_explicit_lineage_is_checked(tmp_path: Path, commit: str | None, repository: str, message: str) -> None:
    refused(message, commit=commit, repository=repository, folder=tmp_path)


def test_explicit_lineage_is_recorded_as_given_wherever_register_runs(tmp_path: Path) -> None:
    assert source("abcdef1", None, folder=tmp_path) == Source("abcdef1", None)
    assert source("abcdef1", REMOTE, folder=tmp_path) == Source("abcdef1", REMOTE)


def test_register_from_the_training_checkout_records_its_head_and_remote(
    local_aws: LocalAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = checkout(tmp_path / "training", ("origin", REMOTE))
    monkeypatch.chdir(tmp_path / "training")
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    weights = tmp_path / "model.tar.gz"
    weights.write_bytes(b"churn-model lineage weights")
    result = CliRunner().invoke(
        cli.main.app,
        [
            "--config", str(config_path("two_env")),
            "register", "churn-model",
            "--artifact", "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/l/model.tar.gz",
            "--upload", str(weights),
            "--image", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0",
        ],
    )  # fmt: skip
    assert (result.exit_code, result.stdout) == (0, f"{ARN}\n"), result.output
    described = local_aws.sagemaker().describe_model_package(ModelPackageName=ARN)
    assert described["MetadataProperties"] == {"CommitId": head, "Repository": REMOTE}
