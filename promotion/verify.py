"""`verify`: the CI gate. Every manifest (or those changed since a git ref) passes every promotion gate.

A manifest is held to the gates `promote` applies (its content block included: the manifest's digests, the
version's record and the artifact's current S3 version must agree), with one difference: a version already live in the
environment, or live there before (a rollback), satisfies the chain-order gate and has nothing to soak. A held
environment's manifests must pin the version it is held at (the hold gate), until a person releases the hold.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion import gates, holds, soak
from promotion.aws import AwsContext, calling
from promotion.content import ArtifactState, artifact_state
from promotion.errors import GateFailed
from promotion.ledger import Ledger
from promotion.live_records import LiveRecords
from promotion.promote import display_path
from promotion.registry import PackageInfo, Registry
from promotion.report_metrics import with_report_metrics
from workloads.manifest import Manifest, load_manifest

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_ssm import SSMClient

    from promotion.deploy_roles import EnvironmentRoles
    from workloads.manifest import EnvironmentManifest

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Failure:
    """One broken rule in one manifest."""

    path: str
    arn: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.arn or '(no ARN)'}: {self.rule}: {self.message}"


def _invalid_manifest(path: Path, exc: InputError) -> Failure:
    """A manifest that does not load; its error names the file already, the failure line names it once."""
    shown = display_path(path)
    message = str(exc)
    for prefix in (f"{path}: ", f"{shown}: "):
        message = message.removeprefix(prefix)
    return Failure(shown, _raw_arn(path), "manifest", message)


def changed_manifests(workloads_root: Path, ref: str) -> list[Path]:
    """Manifests under `workloads_root` changed since git `ref` that still exist (deleted ones pin none)."""
    command = ["git", "-C", str(workloads_root), "diff", "--name-only", "--relative", ref, "--", "."]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 (fixed argv)
    except FileNotFoundError:
        raise InputError("--changed-from needs git, which is not installed") from None
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise InputError(f"--changed-from {ref}: git diff failed: {detail}")
    paths = [workloads_root / line.strip() for line in result.stdout.splitlines() if line.strip()]
    return sorted(path for path in paths if path.suffix == ".yaml" and path.is_file())


def _raw_arn(path: Path) -> str | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    value = data.get("model_package_arn") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def manifest_files(config: OrgConfig, workloads_root: Path) -> tuple[list[Path], list[Failure]]:
    """Every `<env>/<model>.yaml`; a folder that names no environment is a failure of its own."""
    files: list[Path] = []
    failures: list[Failure] = []
    for folder in sorted(p for p in workloads_root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        yaml_files = sorted(folder.glob("*.yaml"))
        if folder.name not in config.chain:
            if yaml_files:
                failures.append(
                    Failure(
                        display_path(folder),
                        None,
                        "environment",
                        f"not an environment of accounts.yaml; expected one of {config.chain}",
                    )
                )
            continue
        files += yaml_files
    return files, failures


class Verifier:
    """Checks manifests against the registry, the live records and the ledger's deploy records, through the read-only
    verifier role (assumed from the ambient credentials, or chained from role `via`)."""

    def __init__(
        self,
        aws: AwsContext,
        config: OrgConfig,
        *,
        via: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.aws = aws
        self.config = config
        self.via = via
        self.progress = progress or (lambda _message: None)
        self.role = naming.verifier_role_arn(config)
        self._deployed: dict[str, list[str]] = {}
        self._holds: dict[str, dict[str, gates.Hold]] = {}

    def _sagemaker(self) -> SageMakerClient:
        return self.aws.verifier(via=self.via).client("sagemaker", region_name=self.config.region)

    def _ssm(self) -> SSMClient:
        return self.aws.verifier(via=self.via).client("ssm", region_name=self.config.region)

    def _was_live(self, model: str, env: str) -> list[str]:
        """ARNs live in `env` before: only `<model>/deploys/<env>`, which only `env`'s own post-deploy step
        (its recorder role) can write."""
        key = f"{model}/{env}"
        if key not in self._deployed:
            dynamodb = self.aws.verifier(via=self.via).client("dynamodb", region_name=self.config.region)
            self._deployed[key] = Ledger(dynamodb, model).deployed_arns(env)
        return self._deployed[key]

    def _dynamodb(self) -> DynamoDBClient:
        return self.aws.verifier(via=self.via).client("dynamodb", region_name=self.config.region)

    def _hold(self, model: str, env: str, arn: str) -> list[gates.GateFailure]:
        """The hold gate: each model's holds read once (its promotions and releases streams)."""
        if model not in self._holds:
            self._holds[model] = holds.read_holds(self._dynamodb(), self.config, model)
        return gates.hold_failures(model, env, arn, self._holds[model].get(env))

    def _soak(self, model: str, env: str, arn: str, live_here: str | None) -> list[gates.GateFailure]:
        """The soak gate, unless the version is live in `env` already or was live there before (a rollback)."""
        if self.config.environment(env).soak_hours == 0 or gates.soak_exempt(arn, live_here=live_here):
            return []
        # Only now read the deploy records: was it live here before (a rollback)?
        if gates.soak_exempt(arn, live_here=live_here, was_live_here=self._was_live(model, env)):
            return []
        evidence = soak.soak_evidence(
            self.aws,
            self.config,
            model=model,
            env=env,
            arn=arn,
            dynamodb=self._dynamodb(),
            reader=self.role,
            via=self.via,
        )
        return soak.soak_failures(self.config, model, env, arn, evidence)

    @staticmethod
    def _content(
        manifest: Manifest, package: PackageInfo | None, states: dict[str, ArtifactState]
    ) -> list[gates.GateFailure]:
        """The content gate of one manifest (nothing to check when the version does not exist)."""
        if package is None:
            return []
        current = states.get(package.content.artifact) if package.content is not None else None
        return gates.content_gate(package, gates.pinned_content(manifest.content), current)

    def _artifact_states(self, packages: dict[str, PackageInfo | None]) -> dict[str, ArtifactState]:
        """The current S3 version of each artifact the versions recorded, one HeadObject each."""
        states: dict[str, ArtifactState] = {}
        with calling("the artifact bucket", role=self.role):
            s3 = self.aws.verifier(via=self.via).client("s3", region_name=self.config.region)
            for package in packages.values():
                if package is not None and package.content is not None and package.content.artifact not in states:
                    states[package.content.artifact] = artifact_state(s3, package.content.artifact)
        return states

    def _with_report_metrics(self, packages: dict[str, PackageInfo | None]) -> dict[str, list[gates.GateFailure]]:
        """Replace each trained version's metrics by its registered evaluation report's (in `packages`);
        return the failures of reports that cannot be read as registered, by ARN."""
        failures: dict[str, list[gates.GateFailure]] = {}
        trained = {arn: p for arn, p in packages.items() if p is not None and p.lineage.evaluation_report}
        if not trained:
            return failures
        with calling("the artifact bucket", role=self.role):
            s3 = self.aws.verifier(via=self.via).client("s3", region_name=self.config.region)
            for arn, package in trained.items():
                packages[arn], failures[arn] = with_report_metrics(s3, package)
        return failures

    def verify(self, paths: Iterable[Path]) -> list[Failure]:
        """Every broken rule of every manifest in `paths`, in path order."""
        failures: list[Failure] = []
        loaded: list[tuple[Path, str, Manifest]] = []
        for path in paths:
            env = path.parent.name
            try:
                loaded.append((path, env, load_manifest(path, self.config)))
            except InputError as exc:
                failures.append(_invalid_manifest(path, exc))
        if not loaded:
            return failures

        with calling("the SageMaker registry", role=self.role):
            registry = Registry(self._sagemaker(), self.config)
            packages: dict[str, PackageInfo | None] = {}
            for _path, _env, manifest in loaded:
                if manifest.model_package_arn not in packages:
                    self.progress(f"checking {manifest.model_package_arn}")
                    packages[manifest.model_package_arn] = registry.describe(manifest.model_package_arn)

        states = self._artifact_states(packages)
        report_failures = self._with_report_metrics(packages)

        pairs: set[tuple[str, str]] = set()
        for _path, env, manifest in loaded:
            pairs.add((manifest.model, env))
            previous = self.config.previous_environment(env)
            if previous is not None:
                pairs.add((manifest.model, previous.name))
        shared = f"Parameter Store and the ledger in the shared-services account {self.config.accounts.shared_services}"
        with calling(shared, role=self.role):
            live = LiveRecords(self._ssm()).get_many(sorted(pairs))
            for path, env, manifest in loaded:
                arn = manifest.model_package_arn
                found = report_failures.get(arn, []) + gates.package_failures(
                    self.config, manifest.model, env, arn, packages[arn]
                )
                found += self._content(manifest, packages[arn], states)
                previous = self.config.previous_environment(env)
                previous_live = live.get((manifest.model, previous.name)) if previous is not None else None
                chain = gates.chain_failures(
                    self.config,
                    env,
                    arn,
                    previous_live=previous_live,
                    live_here=live.get((manifest.model, env)),
                )
                if chain:
                    # Only now read the deploy records: is this a rollback to a version live here before?
                    chain = gates.chain_failures(
                        self.config,
                        env,
                        arn,
                        previous_live=previous_live,
                        live_here=live.get((manifest.model, env)),
                        was_live_here=self._was_live(manifest.model, env),
                    )
                found += chain
                found += self._hold(manifest.model, env, arn)
                found += self._soak(manifest.model, env, arn, live.get((manifest.model, env)))
                failures += [Failure(display_path(path), arn, f.rule, f.message) for f in found]
        return sorted(failures, key=lambda failure: failure.path)


def verify(
    aws: AwsContext,
    config: OrgConfig,
    workloads_root: Path,
    *,
    changed_from: str | None = None,
    envs: Iterable[str] | None = None,
    via: str | None = None,
    progress: Progress | None = None,
) -> tuple[list[Path], list[Failure]]:
    """Check the manifests (all, those changed since `changed_from`, or those of `envs`).

    AWS is read as the verifier role, chained from role `via` when given (a deploy job's role).
    """
    if not workloads_root.is_dir():
        raise InputError(f"{workloads_root}: workloads folder not found")
    files, failures = manifest_files(config, workloads_root)
    if changed_from is not None:
        changed = {path.resolve() for path in changed_manifests(workloads_root, changed_from)}
        files = [path for path in files if path.resolve() in changed]
        failures = []
    if envs is not None:
        wanted = set(envs)
        files = [path for path in files if path.parent.name in wanted]
    verifier = Verifier(aws, config, via=via, progress=progress)
    return files, sorted(failures + verifier.verify(files), key=lambda failure: failure.path)


def require_gates(roles: EnvironmentRoles, workloads_root: Path, manifests: list[EnvironmentManifest]) -> None:
    """Every gate of the environment's manifests, read through its deploy role; GateFailed lists each failure."""
    roles.progress(f"checking the gates of {len(manifests)} manifest(s) in {roles.env.name}")
    _files, failures = verify(
        roles.aws,
        roles.config,
        workloads_root,
        envs=[roles.env.name],
        via=roles.via,
        progress=roles.progress,
    )
    if failures:
        raise GateFailed([str(failure) for failure in failures])
