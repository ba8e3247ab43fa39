"""What the wheel ships: the application packages, never the sandbox, the tests, the benchmarks or demo output.

setuptools reads pyproject.toml's `[tool.setuptools.packages.find]` here as it does when it builds the wheel, without
building one (a build needs an isolated environment with a newer setuptools, and takes seconds). `modelops sandbox`
imports sandbox/ lazily: the Makefile's venv rule puts the checkout on the venv's sys.path for it.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from setuptools.config.pyprojecttoml import apply_configuration
from setuptools.dist import Distribution

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED = {"accounts", "cli", "data_science", "deployment", "policies", "promotion", "shared_services", "workloads"}
NOT_SHIPPED = {"sandbox", "tests", "benchmarks", "demo", "demo-output", "cdk.out", "build"}


@pytest.fixture(scope="module")
def dist() -> Distribution:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the venv's setuptools calls `[tool.setuptools]` beta
        return apply_configuration(Distribution(), REPO_ROOT / "pyproject.toml")


def top_level(dist: Distribution) -> set[str]:
    return {package.partition(".")[0] for package in dist.packages or []}


def test_the_wheel_ships_the_application_packages(dist: Distribution) -> None:
    assert top_level(dist) == SHIPPED


def test_the_wheel_ships_no_sandbox_tests_benchmarks_or_demo(dist: Distribution) -> None:
    assert top_level(dist) & NOT_SHIPPED == set()
    assert not dist.py_modules  # no top-level modules such as app.py either


def test_every_shipped_package_is_a_python_package_with_an_importable_name(dist: Distribution) -> None:
    """Not data folders taken as namespace packages (workloads/qa, policies/rendered/ModelOps-qa__Environment)."""
    packages = dist.packages or []
    assert [name for name in packages if not all(part.isidentifier() for part in name.split("."))] == []
    assert [name for name in packages if not (REPO_ROOT / name.replace(".", "/") / "__init__.py").is_file()] == []
    python_packages = {
        ".".join(init.parent.relative_to(REPO_ROOT).parts)
        for top in SHIPPED
        for init in (REPO_ROOT / top).rglob("__init__.py")
    }
    assert sorted(packages) == sorted(python_packages)


def test_the_console_script_lives_in_a_shipped_package(dist: Distribution) -> None:
    scripts = dist.entry_points["console_scripts"]
    assert [script.partition("=")[2].strip().partition(".")[0] for script in scripts] == ["cli"]


def test_every_package_that_holds_python_is_shipped_or_deliberately_not() -> None:
    folders = [path for path in REPO_ROOT.iterdir() if path.is_dir() and not path.name.startswith(".")]
    holding_python = {folder.name for folder in folders if next(folder.glob("**/*.py"), None)}
    assert holding_python - SHIPPED - NOT_SHIPPED == set()


@pytest.mark.slow  # a subprocess
def test_the_venv_finds_the_sandbox_from_any_folder(tmp_path: Path) -> None:
    """What `.venv/bin/modelops sandbox up` needs: sandbox/ importable without the checkout as the working folder."""
    code = "import importlib.util; print(importlib.util.find_spec('sandbox').origin)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert Path(completed.stdout.strip()).parts[-2:] == ("sandbox", "__init__.py")
