"""What every approval Lambda reads from its environment: the organisation config, secrets and the clock."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from aws_lambda_powertools.utilities import parameters

from accounts.config import OrgConfig, load_config, parse_config

# Secrets are re-read at most every five minutes, so a rotated key is picked up without a redeploy.
SECRET_MAX_AGE_SECONDS = 300


class SettingMissing(RuntimeError):
    """A required environment variable is not set (a deployment fault, not a user error)."""


def required(name: str) -> str:
    """The value of environment variable `name`; SettingMissing names it when absent."""
    value = os.environ.get(name, "")
    if not value:
        raise SettingMissing(f"environment variable {name} is not set")
    return value


@lru_cache(maxsize=4)
def _config_at(path: str) -> OrgConfig:
    source = Path(path)
    if source.suffix == ".json":
        return parse_config(json.loads(source.read_text(encoding="utf-8")), source)
    return load_config(source)


def org_config() -> OrgConfig:
    """The organisation config: the JSON the bundle carries (MODELOPS_CONFIG_FILE), else accounts.yaml."""
    path = os.environ.get("MODELOPS_CONFIG_FILE")
    if not path:
        return load_config()
    return _config_at(path)


def secret_bytes(arn_variable: str) -> bytes:
    """The secret whose ARN is in environment variable `arn_variable`, cached for a few minutes."""
    value = parameters.get_secret(required(arn_variable), max_age=SECRET_MAX_AGE_SECONDS)
    return str(value).encode("utf-8")


def now() -> datetime:
    return datetime.now(UTC)


def function_name(default: str) -> str:
    """This Lambda's name; state-table keys start with it (the role may only touch those)."""
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME", default)
