"""`lineage MODEL VERSION`: the chain from each environment's live endpoint back to the version, its training
run, its data and its code, read from the live records and the ledger (what runs, who deployed it), git (the
manifest that pins it, and the commit that pinned it) and the registry (what was registered, and from what).

Read through the verifier role, which reads the registry, the live records and the ledger and writes nothing.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import AwsContext, calling
from promotion.errors import ModelOpsError
from promotion.evaluation import SELF_REPORTED
from promotion.ledger import HistoryAction, Ledger
from promotion.live_records import LiveRecords
from promotion.metadata import EVALUATION_SHA256_KEY
from promotion.registry import PackageInfo, describe_package
from workloads.manifest import load_manifest, manifest_path

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class EnvironmentLink:
    """Where the version stands in one environment: live or not, who deployed it, what git pins."""

    env: str
    live: bool
    live_version: str
    endpoint: str
    deployed: str
    pinned: str


@dataclass(frozen=True)
class LineageChain:
    """The whole chain, environment by environment down to the code."""

    arn: str
    environments: list[EnvironmentLink]
    version: list[tuple[str, str]]
    training: list[tuple[str, str]]
    code: list[tuple[str, str]]

    def as_dict(self) -> dict[str, Any]:
        """The chain as plain data (`--json`)."""
        return {
            "arn": self.arn,
            "environments": [link.__dict__ for link in self.environments],
            "version": dict(self.version),
            "training": dict(self.training),
            "code": dict(self.code),
        }

    def lines(self) -> list[str]:
        """The chain as a person reads it, from the endpoints down."""
        lines = [self.arn]
        for link in self.environments:
            where = (
                f"live on {link.endpoint}, {link.deployed}" if link.live else f"not live (live: {link.live_version})"
            )
            lines.append(f"  {link.env}: {where}; git pins {link.pinned}")
        for title, rows in (("version", self.version), ("training", self.training), ("code", self.code)):
            lines.append(f"  {title}:")
            lines += [f"    {label}: {value}" for label, value in rows]
        return lines


def _git_commit(path: Path) -> str | None:
    """`<short hash> <subject>` of the last commit that changed `path`, or None outside git or uncommitted."""
    try:
        # No shell; the arguments are this module's own and a path.
        result = subprocess.run(  # noqa: S603
            ["git", "-C", str(path.parent), "log", "-1", "--format=%h %s", "--", path.name],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return result.stdout.strip() or None


def _pinned(config: OrgConfig, workloads_root: Path, env: str, model: str, arn: str) -> str:
    path = manifest_path(workloads_root, env, model)
    if not path.is_file():
        return f"nothing ({path} does not exist)"
    pinned = load_manifest(path, config).model_package_arn
    label = "this version" if pinned == arn else f"v{naming.parse_model_package_arn(pinned).version}"
    commit = _git_commit(path)
    return f"{label} in {path}" + (f" (commit {commit})" if commit else " (not committed)")


def _metrics(package: PackageInfo) -> str:
    values = ", ".join(f"{name} {value:g}" for name, value in sorted(package.metrics.items())) or "none"
    return values if package.lineage.evaluation_report else f"{values} ({SELF_REPORTED})"


def lineage_chain(aws: AwsContext, config: OrgConfig, workloads_root: Path, model: str, version: int) -> LineageChain:
    """The chain of `model` version `version`; ModelOpsError when the registry has no such version."""
    config.model(model)
    arn = naming.model_package_arn(config, model, version)
    role = naming.verifier_role_arn(config)
    session = aws.verifier()
    with calling("the SageMaker registry", role=role):
        package = describe_package(session.client("sagemaker", region_name=config.region), arn)
    if package is None:
        raise ModelOpsError(f"{arn} does not exist in the registry")
    with calling(f"Parameter Store in the shared-services account {config.accounts.shared_services}", role=role):
        live = LiveRecords(session.client("ssm", region_name=config.region)).get_many(
            (model, env) for env in config.chain
        )
    with calling(f"the ledger in the shared-services account {config.accounts.shared_services}", role=role):
        ledger = Ledger(session.client("dynamodb", region_name=config.region), model)
        deploys = ledger.read_streams([naming.deploys_stream(model, env) for env in config.chain])
    environments = []
    for env in config.chain:
        here = live.get((model, env))
        records = [
            r
            for r in deploys.get(naming.deploys_stream(model, env), [])
            if r.arn == arn and r.action == HistoryAction.DEPLOYED
        ]
        deployed = f"deployed by {records[-1].who} at {records[-1].when}" if records else "no deploy record"
        environments.append(
            EnvironmentLink(
                env=env,
                live=here == arn,
                live_version=f"v{naming.parse_model_package_arn(here).version}" if here else "nothing",
                endpoint=f"{naming.endpoint_name(model)} in {config.environment(env).account}",
                deployed=deployed,
                pinned=_pinned(config, workloads_root, env, model, arn),
            )
        )
    lineage = package.lineage
    content = package.content
    return LineageChain(
        arn=arn,
        environments=environments,
        version=[
            ("status", package.status),
            *((f"decision for {env}", record.summary()) for env, record in sorted(package.decisions.items())),
            ("registered by", lineage.registered_by or NOT_RECORDED),
            ("metrics", _metrics(package)),
        ],
        training=[
            ("training job or pipeline execution", lineage.training_job or NOT_RECORDED),
            ("data", f"{lineage.data.location} ({lineage.data.version})" if lineage.data else NOT_RECORDED),
            ("evaluation report", _report(package)),
        ],
        code=[
            ("source commit", lineage.source_commit or NOT_RECORDED),
            ("source repository", lineage.source_repository or NOT_RECORDED),
            ("artifact", _artifact(package)),
            ("image", content.image if content else lineage.image or NOT_RECORDED),
        ],
    )  # fmt: skip


def _artifact(package: PackageInfo) -> str:
    content = package.content
    if content is None:
        return package.lineage.artifact or NOT_RECORDED
    return f"{content.artifact} (S3 version {content.artifact_version}, SHA-256 {content.artifact_sha256})"


def _report(package: PackageInfo) -> str:
    uri = package.lineage.evaluation_report
    if uri is None:
        return NOT_RECORDED
    sha256 = package.metadata.get(EVALUATION_SHA256_KEY)
    return f"{uri} (SHA-256 {sha256})" if sha256 else uri
