"""The app's global options (`--config`, `--workloads`), shared by every command module.

It is its own module so that command modules (`cli/sandbox.py`) and the app (`cli/main.py`) both import
it at top level; neither needs the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from accounts.config import OrgConfig, load_config
from promotion.aws import AwsContext

DEFAULT_CONFIG = Path("accounts/accounts.yaml")
DEFAULT_WORKLOADS = Path("workloads")
# What `--config` and `--workloads` default to when set; app.py and `make generate` read the same names.
CONFIG_VARIABLE = "MODELOPS_CONFIG"
WORKLOADS_VARIABLE = "MODELOPS_WORKLOADS"


@dataclass
class Settings:
    """The global options, and what is built from them on first use."""

    config_path: Path
    workloads: Path
    # The app passes its own factory (cli.main.make_aws), the seam tests replace to stub AWS.
    make_aws: Callable[[OrgConfig], AwsContext] = AwsContext
    _config: OrgConfig | None = None

    @property
    def config(self) -> OrgConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def aws(self) -> AwsContext:
        return self.make_aws(self.config)


def settings(ctx: typer.Context) -> Settings:
    """The global options of the running command."""
    obj = ctx.find_object(Settings)
    if obj is None:  # a command invoked without the app's callback (never from the console script)
        obj = Settings(DEFAULT_CONFIG, DEFAULT_WORKLOADS)
    return obj
