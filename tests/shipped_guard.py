"""The guard that keeps tests off the shipped organisation (a pytest plugin, listed in tests/conftest.py).

The shipped accounts/accounts.yaml, the shipped workloads/<env>/<model>.yaml and the files generated from them
(.github/workflows/deploy.yml, .github/CODEOWNERS, policies/rendered/, policies/access.yaml and ACCESS.md)
belong to whoever forked the project: a platform team rewrites them all. Only tests/test_shipped_organisation.py,
whose tests hold for any valid organisation, may read them; every other test builds its organisation from
tests/orgs/ (`load_org`, `workloads_root`) and passes paths explicitly.

How: an audit hook (sys.addaudithook) refuses to open those files while any other test module is collected or
runs a test (setup, call and teardown), so the default path of `load_config()`, the default root of
`load_all()`/`load_environment()`/`build_app()` (WORKLOADS_ROOT), the CLI's default `--config`, and plain reads
through REPO_ROOT all fail with ShippedOrganisationRead naming the file. A refusal that the code under test
catches still fails the test. Subprocesses (zizmor, checkov, cfn-lint) are not watched: give them test files.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_TESTS = "test_shipped_organisation.py"
SHIPPED_FILES = frozenset(
    str(REPO_ROOT / relative)
    for relative in (
        "accounts/accounts.yaml",
        ".github/workflows/deploy.yml",
        ".github/CODEOWNERS",
        "policies/access.yaml",
        "policies/ACCESS.md",
    )
)
# Folders whose files with these endings are shipped: the manifests (not the workloads package's modules),
# and every rendered policy.
SHIPPED_TREES = (
    (str(REPO_ROOT / "workloads") + os.sep, (".yaml", ".yml")),
    (str(REPO_ROOT / "policies" / "rendered") + os.sep, ("",)),
)


class ShippedOrganisationRead(Exception):
    """A test outside tests/test_shipped_organisation.py opened a file of the shipped organisation."""


_guarding = False
_refused: list[str] = []


def is_shipped(path: str) -> bool:
    """Whether `path` (absolute) is a file of the shipped organisation or generated from it."""
    return path in SHIPPED_FILES or any(
        path.startswith(folder) and path.endswith(suffixes) for folder, suffixes in SHIPPED_TREES
    )


def refusal(path: str) -> str:
    return (
        f"{path} belongs to the shipped organisation, which a fork rewrites; only tests/{SHIPPED_TESTS} may read "
        "it. Use a test organisation from tests/orgs (load_org, workloads_root) and pass its paths explicitly."
    )


def _refuse_shipped_files(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _guarding or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.abspath(os.fsdecode(args[0]))
    if is_shipped(path):
        _refused.append(path)
        raise ShippedOrganisationRead(refusal(path))


sys.addaudithook(_refuse_shipped_files)


@contextlib.contextmanager
def _guarded(path: Path) -> Iterator[None]:
    """Refuse shipped files while code of the test module at `path` runs (unless it is the shipped tests').
    A test phase fails on a refusal even if the code under test caught it."""
    global _guarding
    previous, _guarding = _guarding, path.name != SHIPPED_TESTS
    _refused.clear()
    try:
        yield
    except BaseException as error:
        if _refused:
            raise ShippedOrganisationRead(refusal(_refused[0])) from error
        raise
    finally:
        _guarding = previous
    if _refused:
        raise ShippedOrganisationRead(refusal(_refused[0]) + " (the code under test caught the refusal)")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Importing a test module (module-level code) is guarded too; a refusal is its collection error."""
    global _guarding
    previous, _guarding = _guarding, collector.path.name != SHIPPED_TESTS
    try:
        return (yield)
    finally:
        _guarding = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _guarded(item.path):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _guarded(item.path):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    with _guarded(item.path):
        return (yield)
