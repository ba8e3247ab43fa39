"""The approval Lambdas' code: one bundle, built locally (no Docker), shared by the three functions.

The bundle holds the handler package, the repository packages it imports (copied whole) and the pinned
third-party packages it needs, vendored from the locked virtualenv. Powertools is vendored rather than taken
from AWS's public layer so that the function runs exactly the versions the tests ran, needs no layer in
another account, and deploys the same way in the sandbox. Compiled wheels (pydantic-core, PyYAML) are
accepted only when built for Lambda's python3.11 x86_64 (manylinux, glibc <= 2.26); anything else stops the
synth with a one-line error.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import shutil
import tempfile
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from accounts.config import OrgConfig

REPO_ROOT = Path(__file__).resolve().parents[1]
HANDLERS_DIR = Path(__file__).resolve().parent / "handlers"
CONFIG_FILE_NAME = "modelops_config.json"

# Repository packages the handlers import (directly or through the promotion engine), copied whole.
BUNDLED_PACKAGES = ("accounts", "workloads", "promotion")
# Third-party distributions vendored into the bundle. boto3 and its dependencies come with the runtime.
VENDORED_DISTRIBUTIONS = (
    "aws-lambda-powertools",
    "jmespath",
    "typing-extensions",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-inspection",
    "PyYAML",
)
# Lambda's python3.11 runtime runs on Amazon Linux 2 (glibc 2.26), x86_64.
RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.X86_64
_COMPATIBLE_TAG = re.compile(r"^(py3-none-any|cp311-cp311-manylinux(2014|_2_(1[0-9]|2[0-6]))_x86_64)$")


def _not_source(directory: str, names: list[str]) -> set[str]:
    """What a package copy leaves out: anything but Python modules and sub-packages (no data, no caches)."""
    here = Path(directory)
    return {name for name in names if not (name.endswith(".py") or ((here / name) / "__init__.py").is_file())}


class BundleError(RuntimeError):
    """The Lambda bundle cannot be built on this machine; the message says why."""


def _compatible(distribution: importlib.metadata.Distribution) -> bool:
    wheel = distribution.read_text("WHEEL") or ""
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    return any(_COMPATIBLE_TAG.match(tag) for tag in tags)


def _copy_distribution(name: str, output: Path) -> None:
    distribution = importlib.metadata.distribution(name)
    if not _compatible(distribution):
        raise BundleError(
            f"cannot bundle {name} {distribution.version} for the Lambda runtime: the installed wheel is not "
            "built for python3.11 manylinux x86_64; synthesize on Linux x86_64 (as CI does)"
        )
    for file in distribution.files or []:
        relative = Path(str(file))
        if relative.parts[0] == ".." or "__pycache__" in relative.parts or relative.suffix == ".pyc":
            continue
        source = Path(str(distribution.locate_file(file)))
        target = output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def build_bundle(config: OrgConfig, output: Path) -> None:
    """Write the Lambda code into `output`: handlers, repository modules, vendored packages and the config."""
    for package in BUNDLED_PACKAGES:
        source = REPO_ROOT / package
        if not (source / "__init__.py").is_file():
            raise BundleError(f"cannot bundle the approval Lambdas: the package {package} does not exist")
        shutil.copytree(source, output / package, ignore=_not_source, dirs_exist_ok=True)
    (output / "shared_services").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "shared_services" / "__init__.py", output / "shared_services" / "__init__.py")
    shutil.copytree(
        HANDLERS_DIR,
        output / "shared_services" / "handlers",
        ignore=_not_source,
        dirs_exist_ok=True,
    )
    for name in VENDORED_DISTRIBUTIONS:
        _copy_distribution(name, output)
    # The handlers validate this with the same OrgConfig model as the CLI.
    (output / CONFIG_FILE_NAME).write_text(
        json.dumps(config.model_dump(mode="json", exclude_none=True), indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )


# One bundle per organisation per process, in a temporary directory removed at exit: every synth of a process
# (the tests synthesize dozens of apps) reuses it, and CDK stages it as a plain asset directory, silently
# (its local bundling printed "Bundling asset ..." on every synth).
_BUNDLES: dict[str, tempfile.TemporaryDirectory[str]] = {}


def bundle_directory(config: OrgConfig) -> Path:
    """The Lambda bundle for `config`, built on first use in this process and kept until it exits."""
    key = config.model_dump_json()
    if key not in _BUNDLES:
        directory = tempfile.TemporaryDirectory(prefix="modelops-lambda-bundle-")
        build_bundle(config, Path(directory.name))
        _BUNDLES[key] = directory
    return Path(_BUNDLES[key].name)


def lambda_code(config: OrgConfig) -> lambda_.Code:
    """The approval Lambdas' code asset; its hash is the bundle's content, so config changes redeploy."""
    return lambda_.Code.from_asset(str(bundle_directory(config)), exclude=["__pycache__", "*.pyc"])
