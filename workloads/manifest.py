"""The schema of `workloads/<env>/<model>.yaml`, the GitOps source of truth for what runs where."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from accounts.config import OrgConfig, StrictModel
from accounts.naming import parse_model_package_arn
from accounts.validation import InputError, parse_model, read_yaml

WORKLOADS_ROOT = Path(__file__).parent


# Launching the green fleet and passing health checks; large images on big instances can take this long.
# The endpoint stack's execution timeout and the deploy's wait (promotion/deploy_wait.py) both count it.
PROVISIONING_ALLOWANCE_SECONDS = 30 * 60


class Rollout(StrictModel):
    """Blue/green traffic shifting. All-at-once is deliberately not offered."""

    strategy: Literal["canary", "linear"]
    # canary: share of capacity that takes traffic first; linear: share added per step.
    step_percent: Annotated[int, Field(ge=1, le=50)] = 10
    wait_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    termination_wait_minutes: Annotated[int, Field(ge=0, le=60)] = 10

    @model_validator(mode="after")
    def _linear_step_within_sagemaker_limits(self) -> Rollout:
        # SageMaker's LinearStepSize must be 10-50% of the fleet; a canary may be as small as 1%.
        if self.strategy == "linear" and self.step_percent < 10:
            raise ValueError(
                f"step_percent must be 10 to 50 for a linear rollout (SageMaker's LinearStepSize limit); "
                f"got {self.step_percent}"
            )
        return self


class Alarms(StrictModel):
    """Thresholds of the CloudWatch alarms that roll a deployment back."""

    max_5xx_errors: Annotated[int, Field(ge=0)] = 0
    max_model_latency_ms: Annotated[int, Field(ge=1)] = 1000


class DataCapture(StrictModel):
    sampling_percent: Annotated[int, Field(ge=1, le=100)]


class Autoscaling(StrictModel):
    min_instances: Annotated[int, Field(ge=1)]
    max_instances: Annotated[int, Field(ge=1)]
    invocations_per_instance: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _ordered(self) -> Autoscaling:
        if self.max_instances < self.min_instances:
            raise ValueError("max_instances must be at least min_instances")
        return self


class ContentPin(StrictModel):
    """The bytes the pinned version was registered with, beside its ARN: `modelops promote` copies them from
    the version's record, and the gates refuse any difference from the registry and S3 (promotion.content)."""

    artifact: Annotated[str, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$")]
    # S3 version ids are opaque; AWS documents no format beyond a string of at most 1,024 bytes.
    artifact_version: Annotated[str, Field(min_length=1, max_length=1024)]
    artifact_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    image: Annotated[str, Field(pattern=r"^[^@\s]+@sha256:[0-9a-f]{64}$")]


class Manifest(StrictModel):
    """One model pinned in one environment."""

    model: str
    model_package_arn: str
    content: ContentPin | None = None
    instance_type: Annotated[str, Field(pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$")] = "ml.m5.large"
    instance_count: Annotated[int, Field(ge=1)] = 1
    rollout: Rollout = Rollout(strategy="canary")
    alarms: Alarms = Alarms()
    data_capture: DataCapture | None = None
    autoscaling: Autoscaling | None = None

    @field_validator("model_package_arn")
    @classmethod
    def _arn_in_registry(cls, arn: str, info: ValidationInfo) -> str:
        try:
            ref = parse_model_package_arn(arn)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        config: OrgConfig | None = (info.context or {}).get("config")
        if config is not None:
            if ref.account != config.accounts.shared_services:
                raise ValueError(
                    f"{arn} is in account {ref.account}; expected the shared-services account "
                    f"{config.accounts.shared_services}"
                )
            if ref.region != config.region:
                raise ValueError(f"{arn} is in region {ref.region}; expected {config.region}")
        model = info.data.get("model")
        if model is not None and ref.group != model:
            raise ValueError(f"{arn} is in group {ref.group!r}; expected the manifest's model {model!r}")
        return arn

    @property
    def version(self) -> int:
        return parse_model_package_arn(self.model_package_arn).version


@dataclass(frozen=True)
class EnvironmentManifest:
    """A validated manifest and the environment and file it came from."""

    env: str
    path: Path
    manifest: Manifest


def parse_manifest(data: Any, path: Path, config: OrgConfig, env: str) -> Manifest:
    """Validate parsed YAML as the manifest of `path` in `env`; InputError on any problem."""
    manifest = parse_model(Manifest, data, path, context={"config": config})
    if manifest.model != path.stem:
        raise InputError(f"{path}: model: {manifest.model!r} does not match the file name {path.stem!r}")
    known = [m.name for m in config.models]
    if manifest.model not in known:
        raise InputError(f"{path}: model: unknown model {manifest.model!r}; expected one of {known}")
    if env not in config.chain:
        raise InputError(f"{path}: {env!r} is not an environment of accounts.yaml; expected one of {config.chain}")
    return manifest


def load_manifest(path: Path, config: OrgConfig) -> Manifest:
    """Load `workloads/<env>/<model>.yaml`."""
    return parse_manifest(read_yaml(path), path, config, path.parent.name)


def manifest_path(root: Path, env: str, model: str) -> Path:
    return root / env / f"{model}.yaml"


def load_environment(config: OrgConfig, env: str, root: Path = WORKLOADS_ROOT) -> list[EnvironmentManifest]:
    """Every manifest of one environment, sorted by model; an empty or missing folder gives []."""
    folder = root / env
    if not folder.is_dir():
        return []
    return [
        EnvironmentManifest(env=env, path=path, manifest=load_manifest(path, config))
        for path in sorted(folder.glob("*.yaml"))
    ]


def load_all(config: OrgConfig, root: Path = WORKLOADS_ROOT) -> dict[str, list[EnvironmentManifest]]:
    """Manifests of every environment in chain order; a folder that names no environment is an error."""
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        if folder.name not in config.chain:
            raise InputError(f"{folder}: not an environment of accounts.yaml; expected one of {config.chain}")
    return {env: load_environment(config, env, root) for env in config.chain}
