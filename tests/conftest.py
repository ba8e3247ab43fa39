"""Shared fixtures. The CDK app is synthesized once per session and shared by every test.

Tests run against the organisations of tests/orgs/ (`config` and `synth` are `two_env`, the sample
organisation), never the shipped accounts/accounts.yaml and workloads/, which a fork rewrites:
tests/shipped_guard.py makes any other test module that opens those (or the files generated from them)
fail, naming the file. tests/test_shipped_organisation.py alone checks the shipped organisation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from accounts.config import OrgConfig, parse_config
from deployment.cdk_app import build_app
from tests.orgs import load_org, org_data, workloads_root

REPO_ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.shipped_guard", "tests.sandbox_fixtures", "tests.promotion_support"]


@dataclass
class Synth:
    """One synthesized app: its stacks by path (e.g. `ModelOps-qa/Endpoints`), templates and workflow."""

    app: cdk.App
    outdir: Path
    workdir: Path
    stacks: dict[str, cdk.Stack]
    _templates: dict[str, Template] = field(default_factory=dict)

    def template(self, path: str) -> Template:
        if path not in self._templates:
            self._templates[path] = Template.from_stack(self.stacks[path])
        return self._templates[path]

    def template_json(self, path: str) -> Mapping[str, Any]:
        return self.template(path).to_json()

    @property
    def workflow_path(self) -> Path:
        return self.workdir / ".github" / "workflows" / "deploy.yml"


def synthesize(config: OrgConfig, workdir: Path, workloads: Path) -> Synth:
    """Synthesize the app for `config` and the manifests under `workloads` inside `workdir` (the generated
    workflow and CODEOWNERS land there too)."""
    workdir.mkdir(parents=True, exist_ok=True)
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        app = build_app(config, workloads_root=workloads, outdir=str(workdir / "cdk.out"))
        app.synth()
    finally:
        os.chdir(previous)
    stacks = {
        stack.node.path: stack
        for stack in app.node.find_all()
        if isinstance(stack, cdk.Stack) and not isinstance(stack, cdk.NestedStack)
    }
    return Synth(app=app, outdir=workdir / "cdk.out", workdir=workdir, stacks=stacks)


def config_with(**overrides: object) -> OrgConfig:
    """The two_env test organisation with top-level keys replaced; for building variants in tests."""
    data = org_data("two_env")
    data.update(overrides)
    return parse_config(data, "test-variant.yaml")


@pytest.fixture(scope="session")
def config() -> OrgConfig:
    """The two_env test organisation: the sample qa -> prod chain with churn-model (tests/orgs/two_env)."""
    return load_org("two_env")


@pytest.fixture(scope="session")
def synth(config: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The two_env test organisation and its manifests (GitHub Actions engine, qa -> prod)."""
    return synthesize(config, tmp_path_factory.mktemp("synth-default"), workloads_root("two_env"))


@pytest.fixture(scope="session")
def sandbox_config_data() -> Callable[[], dict[str, Any]]:
    """A fresh, mutable copy of the two_env test organisation's accounts.yaml data for each call."""
    return lambda: org_data("two_env")
