"""sandbox/moto_compat/patches.py is the one registry of moto patches: each entry is proven by a test that
exists and cites AWS's documentation, and installing changes in moto exactly what the entries declare."""

from __future__ import annotations

import ast
import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sandbox.moto_compat.patches import PATCHES, Patch

REPO_ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _test_node_ids() -> frozenset[str]:
    """pytest node ids of every test function in tests/ (module level, or in a Test class)."""
    ids: set[str] = set()
    for path in sorted((REPO_ROOT / "tests").glob("test_*.py")):
        module = path.relative_to(REPO_ROOT).as_posix()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                ids.add(f"{module}::{node.name}")
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                ids.update(
                    f"{module}::{node.name}::{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test_")
                )
    return frozenset(ids)


def test_patch_names_are_unique() -> None:
    names = [patch.name for patch in PATCHES]

    assert sorted(name for name in set(names) if names.count(name) > 1) == []


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.name)
def test_each_patch_names_a_test_that_exists(patch: Patch) -> None:
    assert patch.test in _test_node_ids()


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.name)
def test_each_patch_says_what_it_replaces_follows_and_awaits(patch: Patch) -> None:
    """Every field is filled, and `follows` cites AWS's documentation by URL."""
    assert patch.replaces
    assert patch.removable_when
    assert patch.targets
    assert "https://docs.aws.amazon.com/" in patch.follows


@pytest.fixture(scope="module")
def observed() -> dict[str, Any]:
    """What tests/moto_compat_probe.py saw, in an interpreter where nothing was patched before it looked."""
    result = subprocess.run(
        [sys.executable, "-m", "tests.moto_compat_probe"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    observations: dict[str, Any] = json.loads(result.stdout)
    return observations


def test_importing_the_sandbox_patches_nothing(observed: dict[str, Any]) -> None:
    assert observed["import"] == []


@pytest.mark.parametrize("patch", PATCHES, ids=lambda patch: patch.name)
def test_installing_a_patch_changes_exactly_its_targets(observed: dict[str, Any], patch: Patch) -> None:
    assert observed["patches"][patch.name] == sorted(patch.targets)


def test_apply_installs_nothing_beyond_the_registry(observed: dict[str, Any]) -> None:
    """Once every entry is installed, `moto_compat.apply()` changes nothing more in moto."""
    assert observed["apply"] == []
