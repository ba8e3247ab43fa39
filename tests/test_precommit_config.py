"""The pre-commit hooks run only what .venv already has, so the config cannot rot unnoticed.

Each hook is local (`language: system`): no hook environment is downloaded. Its command is a program in .venv/bin
(installed from requirements.lock) or `.venv/bin/python -m/-c`.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pre_commit.clientlib import load_config

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / ".pre-commit-config.yaml"
HOOK_IDS = {"ruff-check", "ruff-format", "mypy", "check-yaml", "zizmor", "import-linter"}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    load_config(str(CONFIG))  # pre-commit's own schema check; it also renames `system` to `unsupported`
    raw: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return raw


@pytest.fixture(scope="module")
def hooks(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}


def test_every_hook_is_there(hooks: dict[str, dict[str, Any]]) -> None:
    assert set(hooks) == HOOK_IDS


def test_every_hook_is_local_and_downloads_nothing(config: dict[str, Any], hooks: dict[str, dict[str, Any]]) -> None:
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    assert {hook_id: hook["language"] for hook_id, hook in hooks.items()} == dict.fromkeys(HOOK_IDS, "system")
    assert all("additional_dependencies" not in hook for hook in hooks.values())


@pytest.mark.parametrize("hook_id", sorted(HOOK_IDS))
def test_every_entry_is_a_program_in_the_venv(hooks: dict[str, dict[str, Any]], hook_id: str) -> None:
    program, *args = shlex.split(hooks[hook_id]["entry"])
    assert program.startswith(".venv/bin/"), program
    assert os.access(REPO_ROOT / program, os.X_OK), f"{program} is not an executable in .venv/bin"
    if Path(program).name.startswith("python"):
        assert args[0] in ("-m", "-c"), args
        if args[0] == "-m":
            assert importlib.util.find_spec(args[1]) is not None, f"no module {args[1]}"


def test_check_yaml_loads_every_yaml_file_of_the_repository(hooks: dict[str, dict[str, Any]]) -> None:
    _, flag, code = shlex.split(hooks["check-yaml"]["entry"])
    assert flag == "-c"
    files = sorted(str(p) for p in REPO_ROOT.glob("**/*.y*ml") if not {".venv", ".tools", "cdk.out"} & set(p.parts))
    assert files
    # As pre-commit runs it: its own process, which reads the shipped files too (syntax only).
    result = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")


def test_check_yaml_fails_on_a_broken_file(
    hooks: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: [unclosed\n")
    _, _, code = shlex.split(hooks["check-yaml"]["entry"])
    monkeypatch.setattr(sys, "argv", ["-c", str(broken)])
    with pytest.raises(Exception, match="expected ',' or ']'"):
        exec(compile(code, "check-yaml", "exec"), {})  # noqa: S102
