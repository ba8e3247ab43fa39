"""What the sandbox changes in moto, observed in a fresh interpreter: `python -m tests.moto_compat_probe`.

Prints JSON: the moto attributes changed by importing every sandbox module (`import`), by installing each
registry entry alone, in order (`patches`, by name), and by `moto_compat.apply()` after them (`apply`).
An attribute is a module's or a class's (classes of the moto module that defines them); the compat layer's
emulated CloudFormation types count as attributes named by their type. This module imports nothing of the
sandbox or moto at top level: the first snapshot must be taken before any patch could have run.
"""

from __future__ import annotations

import ast
import functools
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
_MISSING = object()

State = dict[str, object]


def _import_moto_as_the_sandbox_does() -> None:
    """Import each moto module the sandbox's source names (`from moto.x import y` may name module x.y)."""
    names: set[str] = set()
    for path in (REPO_ROOT / "sandbox").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "moto":
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names if alias.name.split(".")[0] == "moto")
    for name in sorted(names):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:  # `y` was a class or function of module x
            continue


def _state(modules: set[str], emulated: dict[str, object]) -> State:
    """Each attribute of `modules` and of the classes they define, by dotted path; and the emulated types."""
    state: State = dict(emulated)
    for module_name in modules:
        for name, value in list(vars(sys.modules[module_name]).items()):
            state[f"{module_name}.{name}"] = value
            if isinstance(value, type) and value.__module__ == module_name:
                for attribute, member in list(vars(value).items()):
                    state[f"{module_name}.{name}.{attribute}"] = member
    return state


def _changed(before: State, after: State) -> list[str]:
    return sorted(
        key for key in before.keys() | after.keys() if before.get(key, _MISSING) is not after.get(key, _MISSING)
    )


def probe() -> dict[str, object]:
    """The changes, as described in the module docstring."""
    _import_moto_as_the_sandbox_does()
    moto_modules = {name for name, module in sys.modules.items() if module is not None and name.split(".")[0] == "moto"}
    no_types: dict[str, object] = {}
    pristine = _state(moto_modules, no_types)

    sandbox = importlib.import_module("sandbox")
    for module in pkgutil.walk_packages(sandbox.__path__, "sandbox."):
        importlib.import_module(module.name)
    lookup = importlib.import_module("sandbox.moto_compat.cfn_resources.lookup")
    patches = importlib.import_module("sandbox.moto_compat.patches")
    moto_compat = importlib.import_module("sandbox.moto_compat")

    def snapshot() -> State:
        return _state(moto_modules, lookup.EMULATED)

    def changes(action: Callable[[], None]) -> list[str]:
        before = snapshot()
        action()
        return _changed(before, snapshot())

    imported = _changed(pristine, snapshot())
    installed = {patch.name: changes(functools.partial(patches.install, [patch])) for patch in patches.PATCHES}
    applied = changes(moto_compat.apply)
    return {"import": imported, "patches": installed, "apply": applied}


if __name__ == "__main__":
    json.dump(probe(), sys.stdout)
