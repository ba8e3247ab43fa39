"""`register`: a new version enters the shared registry as PendingManualApproval, acting as data science.

The inputs are checked before anything is sent: the artifact must lie under the model's own prefix of
the shared bucket (the only place its endpoint's execution role can read), the image must be in ECR,
metrics are named numbers (typed, "self-reported", or read from an evaluation report), lineage is a commit
id and, when given, a training job or pipeline execution ARN and the training data.

Registration fixes the bytes (`promotion.content`): with `upload`, the file is put create-only under the
artifact's key first; then the artifact's current S3 version and SHA-256 are read, the image is resolved to
its digest, and the version records them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion.aws import AwsContext, calling
from promotion.content import ECR_IMAGE, Content, pin_image, record_artifact, split_s3_uri, upload_artifact
from promotion.evaluation import REPORT_FILE, DataLineage, report_metrics
from promotion.metadata import (
    DATA_KEY,
    DATA_VERSION_KEY,
    EVALUATION_SHA256_KEY,
    EVALUATION_VERSION_KEY,
    StageStatus,
    metadata_budget,
)
from promotion.registry import MAX_METADATA_ENTRIES, Registry, Stage, model_card_text
from promotion.source import source

METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
TRAINING_JOB_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:(training-job/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
    r"|pipeline/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}/execution/[0-9a-z]{1,256})$"
)
# CustomerMetadataProperties values: AWS's character set, at most 256 characters.
METADATA_VALUE = re.compile(r"^[\w\s.:/=+\-@]{1,256}$")
MAX_DESCRIPTION = 1024


def parse_metrics(pairs: Iterable[str], *, max_metrics: int) -> dict[str, float]:
    """`["auc=0.91", ...]` as `{"auc": 0.91}`; InputError naming the first bad pair."""
    metrics: dict[str, float] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not METRIC_NAME.fullmatch(name):
            raise InputError(f"--metric {pair!r}: expected name=value with a name of letters, digits, _ . -")
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"--metric {pair!r}: {raw!r} is not a number") from None
        if not math.isfinite(value):
            raise InputError(f"--metric {pair!r}: the value must be a finite number")
        if name in metrics:
            raise InputError(f"--metric {pair!r}: {name} is given twice")
        metrics[name] = value
    if len(metrics) > max_metrics:
        raise InputError(f"--metric: at most {max_metrics} metrics fit in the registry's metadata, got {len(metrics)}")
    return metrics


def check_artifact(config: OrgConfig, model: str, artifact: str) -> None:
    prefix = f"s3://{naming.artifact_bucket(config)}/{naming.artifact_prefix(model)}"
    if not artifact.startswith(prefix) or len(artifact) == len(prefix) or ".." in artifact.split("/"):
        raise InputError(f"--artifact: {artifact} is not under {model}'s artifact prefix; expected {prefix}<key>")


def register(
    aws: AwsContext,
    config: OrgConfig,
    *,
    model: str,
    artifact: str,
    image: str,
    metrics: Iterable[str] = (),
    description: str = "",
    source_commit: str | None = None,
    source_repository: str | None = None,
    training_job: str | None = None,
    model_card: Path | None = None,
    upload: Path | None = None,
    folder: Path | None = None,
    modelops_file: Path | None = None,
    evaluation: Path | None = None,
    data: DataLineage | None = None,
) -> str:
    """Register a version of `model` (PendingManualApproval) as data science; returns its ARN.

    `upload`: a local file put at `artifact` first (create-only, with S3's SHA-256). Without `source_commit`,
    the lineage is the HEAD and remote of the git checkout of `folder` (default: the current folder), which
    must not be the checkout of `modelops_file`, the organisation file (promotion/source.py).

    `evaluation`: the run's evaluation report (promotion/evaluation.py), put create-only beside the artifact;
    the version's metrics are the report's (not `metrics`, refused with it) and ModelMetrics names it.
    `data`: the training data's location and version, recorded as lineage."""
    config.model(model)
    check_artifact(config, model, artifact)
    if not ECR_IMAGE.fullmatch(image):
        raise InputError(
            f"--image: {image!r} is not an ECR image; expected "
            "<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag> or @sha256:<digest>"
        )
    # Metrics share the version's 50 metadata entries with every environment's decisions.
    max_metrics = MAX_METADATA_ENTRIES - metadata_budget(config)
    parsed = parse_metrics(metrics, max_metrics=max_metrics)
    report = read_report(evaluation, typed=bool(parsed), max_metrics=max_metrics)
    if report is not None:
        parsed = report.metrics
    lineage_metadata = data_metadata(data)
    lineage = source(source_commit, source_repository, folder=folder or Path.cwd(), modelops_file=modelops_file)
    if training_job is not None and not TRAINING_JOB_ARN.fullmatch(training_job):
        raise InputError(
            f"--training-job: {training_job!r} is not a training job ARN; expected "
            "arn:aws:sagemaker:<region>:<account>:training-job/<name> or .../pipeline/<name>/execution/<id>"
        )
    if len(description) > MAX_DESCRIPTION:
        raise InputError(f"--description: at most {MAX_DESCRIPTION} characters, got {len(description)}")
    card: str | None = None
    if model_card is not None:
        try:
            card = model_card_text(model_card.read_text(encoding="utf-8"), str(model_card))
        except OSError as exc:
            raise InputError(f"--model-card: {model_card}: {exc.strerror}") from None
    body: bytes | None = None
    if upload is not None:
        try:
            body = upload.read_bytes()
        except OSError as exc:
            raise InputError(f"--upload: {upload}: {exc.strerror}") from None

    first = config.chain[0]
    role = naming.data_science_role_arn(config)
    session = aws.data_science()
    with calling("the artifact bucket", role=role):
        s3 = session.client("s3", region_name=config.region)
        if body is not None:
            upload_artifact(s3, artifact, body)
        version, sha256, etag = record_artifact(s3, artifact)
        report_uri = store_report(s3, artifact, report, lineage_metadata)
    image_region = image.split(".dkr.ecr.", 1)[1].split(".", 1)[0]
    with calling("ECR", role=role):
        pinned_image = pin_image(session.client("ecr", region_name=image_region), image)
    content = Content(artifact=artifact, artifact_version=version, artifact_sha256=sha256, image=pinned_image)
    with calling("the SageMaker registry", role=role):
        registry = Registry(session.client("sagemaker", region_name=config.region), config)
        return registry.register(
            model=model,
            content=content,
            artifact_etag=etag,
            metrics=parsed,
            description=description,
            source_commit=lineage.commit,
            source_repository=lineage.repository,
            training_job=training_job,
            model_card=card,
            lineage_metadata=lineage_metadata,
            evaluation_report=report_uri,
            stage=Stage(
                stage=first,
                status=StageStatus.PENDING,
                description=f"registered; awaiting approval by {config.environment(first).approver_group} for {first}",
            ),
        )


@dataclass(frozen=True)
class Report:
    """An evaluation report to register: its bytes and the metrics it holds."""

    body: bytes
    metrics: dict[str, float]


def read_report(evaluation: Path | None, *, typed: bool, max_metrics: int) -> Report | None:
    """The report at `evaluation` (None for none); InputError when metrics were typed too, or it is no report."""
    if evaluation is None:
        return None
    if typed:
        raise InputError(
            "--metric: a version registered with an evaluation report takes its metrics from the report; drop --metric"
        )
    try:
        body = evaluation.read_bytes()
    except OSError as exc:
        raise InputError(f"--evaluation: {evaluation}: {exc.strerror}") from None
    values = report_metrics(body.decode("utf-8", errors="replace"), str(evaluation))
    if len(values) > max_metrics:
        raise InputError(
            f"{evaluation}: at most {max_metrics} metrics fit in the registry's metadata, got {len(values)}"
        )
    for name in values:
        if not METRIC_NAME.fullmatch(name):
            raise InputError(f"{evaluation}: metric name {name!r} is not letters, digits, _ . -")
    return Report(body=body, metrics=values)


def data_metadata(data: DataLineage | None) -> dict[str, str]:
    """The `lineage:data` keys for `data` (none for None); InputError when a value does not fit the registry."""
    if data is None:
        return {}
    for field, value in (("location", data.location), ("version", data.version)):
        if not METADATA_VALUE.fullmatch(value):
            raise InputError(
                f"training data {field} {value!r}: the registry keeps at most 256 letters, digits, spaces and _.:/=+-@"
            )
    return {DATA_KEY: data.location, DATA_VERSION_KEY: data.version}


def store_report(s3: Any, artifact: str, report: Report | None, lineage_metadata: dict[str, str]) -> str | None:
    """Put `report` create-only beside `artifact` and add its S3 version and SHA-256 to `lineage_metadata`;
    return its URI (None without a report)."""
    if report is None:
        return None
    uri = f"{artifact.rsplit('/', 1)[0]}/{REPORT_FILE}"
    # Encrypted with the artifact's own key, under the report's own encryption context: the gates' readers may
    # decrypt evaluation reports and nothing else of the bucket (shared_services/key_policy.py).
    bucket, key = split_s3_uri(artifact)
    key_arn = s3.head_object(Bucket=bucket, Key=key).get("SSEKMSKeyId")
    upload_artifact(s3, uri, report.body, own_context_key=key_arn)
    version, sha256, _ = record_artifact(s3, uri)
    lineage_metadata[EVALUATION_VERSION_KEY] = version
    lineage_metadata[EVALUATION_SHA256_KEY] = sha256
    return uri
