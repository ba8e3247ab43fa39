"""The organisations the tests run against, owned by the tests.

Each folder is an organisation as a fork would write it: `accounts.yaml`, and a `workloads/<env>/<model>.yaml`
tree for tests that synthesize or promote it.

- `two_env`: the sample organisation the project ships (qa -> prod, churn-model); most tests use it.
- `four_env`: dev -> test -> uat -> prod, two approver groups; churn-model live in dev and test.
- `several_models`: two_env with three models: churn-model (qa, prod), fraud-model (qa), pricing-model (nowhere).

`two_env/access.yaml` is the access matrix of two_env, for the proof machinery's tests: redraft it with
`python -m tests.orgs draft-access` after a policy change (the shipped `policies/access.yaml` is drafted
from the shipped organisation by `python -m policies.access_matrix draft cdk.out`).

No test but tests/test_shipped_organisation.py reads the shipped accounts/accounts.yaml or workloads/ (see
tests/shipped_guard.py): those belong to whoever forked the project.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Literal

import yaml

from accounts.config import OrgConfig, load_config

OrgName = Literal["two_env", "four_env", "several_models"]

ORGS_ROOT = Path(__file__).resolve().parent


def config_path(name: OrgName) -> Path:
    """The accounts.yaml of test organisation `name`."""
    return ORGS_ROOT / name / "accounts.yaml"


def load_org(name: OrgName) -> OrgConfig:
    """Test organisation `name`, loaded and validated as the CLI and the app load accounts.yaml."""
    return load_config(config_path(name))


def org_data(name: OrgName) -> dict[str, Any]:
    """A fresh, mutable copy of the parsed accounts.yaml of `name`, for building broken or varied configs."""
    data: dict[str, Any] = yaml.safe_load(config_path(name).read_text())
    return data


def workloads_root(name: OrgName) -> Path:
    """The manifests of `name`: `<root>/<env>/<model>.yaml`."""
    return ORGS_ROOT / name / "workloads"


def access_matrix_path(name: Literal["two_env"]) -> Path:
    """The access matrix the least-privilege proof of `name` is held to."""
    return ORGS_ROOT / name / "access.yaml"


def draft_access(name: Literal["two_env"]) -> None:
    """Synthesize `name` and rewrite its access.yaml with what the policies allow (unchanged entries keep
    their reasons, new ones say TODO). Review the diff as the security team reviews policies/access.yaml."""
    from deployment.cdk_app import synthesize  # jsii starts Node on import: only for this command
    from deployment.generate import ACCESS_YAML, generated

    config = load_org(name)
    path = access_matrix_path(name)
    with tempfile.TemporaryDirectory() as workdir:
        assembly = synthesize(config, workloads_root(name), Path(workdir) / "cdk.out")
        path.write_text(generated(config, assembly, previous_matrix=path).files[ACCESS_YAML] or "")
