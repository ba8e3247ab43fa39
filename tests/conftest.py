"""Shared fixtures. The CDK app is synthesized once per session and shared by every test.

Tests run against the organisations of tests/orgs/ (`config` and `synth` are `two_env`, the sample
organisation), never the shipped accounts/accounts.yaml and workloads/, which a fork rewrites:
tests/shipped_guard.py makes any other test module that opens those (or the files generated from them)
fail, naming the file. tests/test_shipped_organisation.py alone checks the shipped organisation.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from accounts.config import DEFAULT_CONFIG_PATH, OrgConfig, load_config, parse_config
from accounts.validation import InputError
from deployment.cdk_app import build_app
from deployment.github_pipeline import ASSEMBLY_WORKFLOW
from sandbox.server import share_botocore_data
from tests.orgs import ORGS_ROOT, load_org, org_data, workloads_root
from workloads.manifest import WORKLOADS_ROOT, load_all

REPO_ROOT = Path(__file__).resolve().parents[1]
pytest_plugins = ["tests.shipped_guard", "tests.sandbox_fixtures", "tests.promotion_support"]


def first_config_error() -> str | None:
    """The first config or manifest error, as its one line, of the shipped organisation then each test
    organisation (tests/orgs); None when every one loads."""
    organisations = [(DEFAULT_CONFIG_PATH, WORKLOADS_ROOT)] + [
        (folder / "accounts.yaml", folder / "workloads") for folder in sorted(ORGS_ROOT.iterdir()) if folder.is_dir()
    ]
    for accounts, workloads in organisations:
        if not accounts.is_file():
            continue
        try:
            config = load_config(accounts)
            if workloads.is_dir():
                load_all(config, workloads)
        except InputError as error:
            return str(error).replace(f"{REPO_ROOT}{os.sep}", "")
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Stop at the first config or manifest error, printed once as `error: <file>: <field>: ...` (exit 2):
    otherwise every test that loads that organisation fails with its own traceback (16,203 lines for one typo).

    Checked before collection and before any xdist worker starts (a worker finds it valid too). The process
    ends with os._exit: pytest.exit would print `Exit: ` before the line, and nothing has started yet that
    needs ending (no test, no worker, no coverage data worth saving)."""
    # Every process of the session shares one botocore data loader from the start, as the sandbox's server does
    # once started (sandbox/server.py): otherwise each boto3 session of the in-process moto tests parses
    # botocore's endpoint data and service models again (about a third of test_approval_handlers' time).
    share_botocore_data()
    if hasattr(config, "workerinput"):  # an xdist worker: the controller checked before starting it
        return
    problem = first_config_error()
    if problem is not None:
        sys.stderr.write(f"error: {problem}\n")
        sys.stderr.flush()
        os._exit(2)


@dataclass
class Synth:
    """One synthesized app: its stacks by path (e.g. `ModelOps-qa/Endpoint-churn-model`), templates and workflow."""

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
        """Where synth left the GitHub engine's workflow: inside the cloud assembly, like everything it writes."""
        return self.outdir / ASSEMBLY_WORKFLOW


def synthesize(config: OrgConfig, workdir: Path, workloads: Path) -> Synth:
    """Synthesize the app for `config` and the manifests under `workloads` into `workdir/cdk.out`; synth
    writes nothing outside it."""
    workdir.mkdir(parents=True, exist_ok=True)
    # With CDK's built-in CloudFormation validation, which the deploy path leaves to these tests (cdk_app.synthesize).
    app = build_app(config, workloads_root=workloads, outdir=str(workdir / "cdk.out"), validate=True)
    app.synth()
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


def codepipeline_config(connection_arn: str) -> OrgConfig:
    """The two_env test organisation under the CodePipeline engine, built in code.

    accounts.yaml refuses `engine: codepipeline` until that engine is complete (accounts/config.py,
    `_engine_complete`); the engine's stack module is still built by deployment/cdk_app.py, so its tests build
    the configuration past validation (`model_copy`) instead of losing their coverage.
    """
    config = load_org("two_env")
    pipeline = config.pipeline.model_copy(
        update={
            "engine": "codepipeline",
            "repository": "example-org/modelops",
            "branch": "main",
            "codestar_connection_arn": connection_arn,
        }
    )
    return config.model_copy(update={"pipeline": pipeline})


@pytest.fixture(scope="session")
def config() -> OrgConfig:
    """The two_env test organisation: the sample qa -> prod chain with churn-model (tests/orgs/two_env)."""
    return load_org("two_env")


@pytest.fixture(scope="session")
def synth(config: OrgConfig, tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """The two_env test organisation and its manifests (GitHub Actions engine, qa -> prod)."""
    return synthesize(config, tmp_path_factory.mktemp("synth-default"), workloads_root("two_env"))


@pytest.fixture(scope="session")
def large_synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """A generated organisation (benchmarks/synth.py) of 20 models pinned in qa and prod, synthesized once per
    session for the tests that prove nothing grows with the number of models."""
    from benchmarks.synth import large_organisation

    folder = tmp_path_factory.mktemp("large-organisation")
    config, workloads = large_organisation(folder / "org", 20, envs=2)
    return synthesize(load_config(config), folder / "synth", workloads)


@pytest.fixture(scope="session")
def sandbox_config_data() -> Callable[[], dict[str, Any]]:
    """A fresh, mutable copy of the two_env test organisation's accounts.yaml data for each call."""
    return lambda: org_data("two_env")


# Test tiers: `make test-fast` runs `-m "not slow"`, `make test` runs everything. A test is marked `slow` when it
# needs one of SLOW_FIXTURES (item.fixturenames lists the fixtures a test uses directly or through other fixtures,
# so `sandbox`, `sandbox_organization`, `empty_aws` and `local_aws` count through `sandbox_server`), when its
# module is in SLOW_MODULES, or when it carries `@pytest.mark.slow` itself (one subprocess in an otherwise fast module).
SLOW_FIXTURES = frozenset(
    {
        "synth",  # synthesizes the whole CDK app (jsii + node)
        "large_synth",  # synthesizes a generated organisation of 20 models
        "sandbox_server",  # starts the moto server of the local sandbox
    }
)
SLOW_MODULES = frozenset(
    {
        "test_approval_e2e_browser",  # drives Chromium
        "test_approval_handlers",  # provisions the approval workflow in moto (in process) for every test
        "test_checkov",  # runs checkov
        "test_custom_checkov_checks",  # runs checkov
        "test_cfn_lint",  # runs cfn-lint
        "test_workflow_lint",  # runs zizmor and other subprocesses
        "test_approval_workflow_stack",  # builds its own CDK app, runs a subprocess
        "test_chain_variants",  # synthesizes variants of the app
        "test_codepipeline",  # synthesizes the app with the CodePipeline engine
        "test_endpoint_stack",  # builds its own CDK app
        "test_shared_services_stack",  # builds its own CDK app
        "test_shipped_organisation",  # synthesizes the shipped organisation and sweeps its policies
        "test_moto_compat_patches",  # probes moto in a fresh interpreter
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if isinstance(item, pytest.Function) else ""
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
