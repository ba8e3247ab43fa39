"""Turns YAML files into validated models, with one-line errors a person can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError


class InputError(ValueError):
    """Bad input: the message names the file, the field and the rule, on one line."""


ModelT = TypeVar("ModelT", bound=BaseModel)


def field_path(location: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as `environments[1].account`."""
    rendered = ""
    for part in location:
        if isinstance(part, int):
            rendered += f"[{part}]"
        else:
            rendered += f".{part}" if rendered else str(part)
    return rendered or "(top level)"


def describe_validation_error(source: Path | str, error: ValidationError) -> str:
    """The first error of a pydantic ValidationError as `file: field: rule`."""
    first = error.errors(include_url=False)[0]
    location = tuple(part for part in first["loc"] if not _is_union_tag(part))
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; unknown keys are rejected)"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if not location:  # model-level rules name their own field in the message
        return f"{source}: {message}"
    return f"{source}: {field_path(location)}: {message}"


def _is_union_tag(part: int | str) -> bool:
    # pydantic adds the type name of a union/function validator to the location
    return isinstance(part, str) and (part.startswith("function-") or "[" in part)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, raising InputError that names the file and line on a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: file not found") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}: malformed YAML{where}: {problem}") from exc


def parse_model(model: type[ModelT], data: Any, source: Path | str, context: Any = None) -> ModelT:
    """Validate `data` as `model`, raising InputError with the first problem on one line."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: (top level): expected a mapping, got {type(data).__name__}")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputError(describe_validation_error(source, exc)) from exc
