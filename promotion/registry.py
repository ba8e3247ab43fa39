"""Reads and writes of the shared SageMaker Model Registry, in the shape the rest of the engine uses.

What a version carries in CustomerMetadataProperties (metrics and each environment's decisions) is
described in `promotion.metadata`. Lineage uses AWS's MetadataProperties (CommitId, GeneratedBy = training
job ARN); who registered it is AWS's `CreatedBy`; where it stands is AWS's `ModelLifeCycle` (Stage is the
environment last decided, StageStatus its outcome, StageDescription who decided and why).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from accounts import naming
from accounts.config import OrgConfig
from promotion.card import parse_card
from promotion.content import Content, Serving, recorded_content
from promotion.evaluation import REPORT_CONTENT_TYPE, SELF_REPORTED, DataLineage
from promotion.metadata import (
    DATA_KEY,
    DATA_VERSION_KEY,
    METRIC_PREFIX,
    EnvironmentDecisions,
    check_registration_keys,
    decisions_of,
    metrics_of,
    registrant,
)

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


class ApprovalStatus(StrEnum):
    """A version's ModelApprovalStatus in the registry (SageMaker's own values)."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING = "PendingManualApproval"


# AWS's limit on CustomerMetadataProperties entries; metrics share it with lineage and approvals.
MAX_METADATA_ENTRIES = 50
# Sizes of one ListModelPackages page; AWS allows up to 100.
MAX_PAGE = 100
MAX_CARD_SUMMARY = 300


@dataclass(frozen=True)
class Lineage:
    """Where a version came from, as registered."""

    source_commit: str | None
    training_job: str | None
    artifact: str | None
    image: str | None
    registered_by: str | None
    source_repository: str | None = None  # registered before it was recorded: unknown
    # Recorded for versions a training run registered (`modelops train`, the pipeline's register step).
    data: DataLineage | None = None
    evaluation_report: str | None = None

    def entries(self) -> list[tuple[str, str | None]]:
        """The lineage as (label, value) pairs in the order every view shows them; None where unknown. The
        training data and evaluation report rows appear only for versions that recorded them."""
        trained = [("training data", f"{self.data.location} ({self.data.version})")] if self.data else []
        if self.evaluation_report:
            trained.append(("evaluation report", self.evaluation_report))
        return [
            ("source commit", self.source_commit),
            ("source repository", self.source_repository),
            ("training job", self.training_job),
            *trained,
            ("artifact", self.artifact),
            ("image", self.image),
        ]


@dataclass(frozen=True)
class Stage:
    """A version's ModelLifeCycle, as SageMaker Studio shows it."""

    stage: str
    status: str
    description: str = ""

    def to_api(self) -> dict[str, str]:
        """The ModelLifeCycle structure of Create/UpdateModelPackage."""
        shape = {"Stage": self.stage, "StageStatus": self.status}
        if self.description:
            shape["StageDescription"] = self.description
        return shape


@dataclass(frozen=True)
class PackageInfo:
    """One model package version as DescribeModelPackage reports it."""

    arn: str
    group: str
    version: int
    status: str
    created: datetime | None
    description: str
    approval_description: str
    metrics: dict[str, float]
    decisions: dict[str, EnvironmentDecisions]
    lineage: Lineage
    model_card_status: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    model_card_summary: str | None = None
    stage: Stage | None = None
    # What registration recorded (None when it recorded nothing), and what the package points at now.
    content: Content | None = None
    serving: Serving = field(default_factory=lambda: Serving(artifact=None, image=None))
    model_card_content: str | None = None  # the card's content as the registry holds it (promotion.card)

    @property
    def label(self) -> str:
        return f"{self.group} v{self.version}"

    @property
    def metrics_source(self) -> str:
        """Where the metrics come from, as every view says it: the evaluation report registered with the version
        (ModelMetrics), or `self-reported` (typed at registration with `--metric`)."""
        report = self.lineage.evaluation_report
        return f"from the evaluation report {report}" if report else SELF_REPORTED

    def decided(self, env: str) -> EnvironmentDecisions:
        """`env`'s decisions so far (an empty record when nobody decided)."""
        return self.decisions.get(env) or EnvironmentDecisions(env=env, status="", decisions=())


@dataclass(frozen=True)
class VersionSummary:
    """One row of ListModelPackages."""

    arn: str
    version: int
    status: str
    created: datetime | None
    stage: Stage | None = None

    def label(self) -> str:
        """`v3 Approved`, or with the stage where it says more: `v3 Approved, prod PendingApproval`."""
        text = f"v{self.version} {self.status}"
        if self.stage is not None and (self.stage.status, self.status) != ("PendingApproval", "PendingManualApproval"):
            text += f", {self.stage.stage} {self.stage.status}"
        return text


def package_from_description(described: Mapping[str, Any]) -> PackageInfo:
    """Turn a DescribeModelPackage response into a PackageInfo."""
    arn = str(described["ModelPackageArn"])
    ref = naming.parse_model_package_arn(arn)
    metadata = {str(k): str(v) for k, v in (described.get("CustomerMetadataProperties") or {}).items()}
    properties = described.get("MetadataProperties") or {}
    containers = (described.get("InferenceSpecification") or {}).get("Containers") or [{}]
    card = described.get("ModelCard")
    statistics = ((described.get("ModelMetrics") or {}).get("ModelQuality") or {}).get("Statistics") or {}
    return PackageInfo(
        arn=arn,
        group=ref.group,
        version=int(described.get("ModelPackageVersion") or ref.version),
        status=str(described.get("ModelApprovalStatus") or ApprovalStatus.PENDING),
        created=described.get("CreationTime"),
        description=str(described.get("ModelPackageDescription") or ""),
        approval_description=str(described.get("ApprovalDescription") or ""),
        metrics=metrics_of(metadata),
        decisions=decisions_of(arn, metadata),
        lineage=Lineage(
            source_commit=properties.get("CommitId"),
            source_repository=properties.get("Repository"),
            training_job=properties.get("GeneratedBy"),
            artifact=containers[0].get("ModelDataUrl"),
            image=containers[0].get("Image"),
            registered_by=registrant(described),
            data=_data_lineage(metadata),
            evaluation_report=statistics.get("S3Uri"),
        ),
        model_card_status=str(card.get("ModelCardStatus") or "present") if card else None,
        metadata=metadata,
        model_card_summary=card_summary(card.get("ModelCardContent")) if card else None,
        stage=_stage(described.get("ModelLifeCycle")),
        content=recorded_content(containers[0].get("ModelDataUrl"), metadata),
        serving=Serving(
            artifact=containers[0].get("ModelDataUrl"),
            image=containers[0].get("Image"),
            etag=containers[0].get("ModelDataETag"),
        ),
        model_card_content=str(card["ModelCardContent"]) if card and card.get("ModelCardContent") is not None else None,
    )


def _data_lineage(metadata: Mapping[str, str]) -> DataLineage | None:
    location, version = metadata.get(DATA_KEY), metadata.get(DATA_VERSION_KEY)
    return DataLineage(location=location, version=version or "unknown") if location else None


def _stage(lifecycle: Mapping[str, Any] | None) -> Stage | None:
    if not lifecycle or not lifecycle.get("Stage"):
        return None
    return Stage(
        stage=str(lifecycle["Stage"]),
        status=str(lifecycle.get("StageStatus") or ""),
        description=str(lifecycle.get("StageDescription") or ""),
    )


def card_summary(content: object, limit: int = MAX_CARD_SUMMARY) -> str | None:
    """A short plain-text summary of a model card's content: its text fields in order, `path: value`.

    It reads any card schema (the model package card has no model description), and says nothing it
    cannot read: None for no content, the raw text (shortened) when it is not JSON.
    """
    if content is None or not str(content).strip():
        return None
    try:
        document = json.loads(str(content))
    except json.JSONDecodeError:
        return _shortened(str(content), limit)
    leaves: list[str] = []

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key in value:
                walk(value[key], f"{path}.{key}" if path else str(key))
        elif isinstance(value, str | int | float) and not isinstance(value, bool):
            leaves.append(f"{path}: {value}")

    walk(document, "")
    return _shortened("; ".join(leaves), limit) if leaves else None


def _shortened(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _not_found(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    message = str(error.get("Message", "")).lower()
    code = str(error.get("Code", ""))
    return code in {"ResourceNotFound", "ResourceNotFoundException"} or (
        code in {"ValidationException", "ValidationError"} and ("does not exist" in message or "not found" in message)
    )


def describe_package(client: SageMakerClient, arn: str) -> PackageInfo | None:
    """The version at `arn` as DescribeModelPackage reports it, or None when the registry has no such version."""
    try:
        described = client.describe_model_package(ModelPackageName=arn)
    except ClientError as exc:
        if _not_found(exc):
            return None
        raise
    return package_from_description(described)


class Registry:
    """The registry's model package groups, one per configured model, in the shared-services account."""

    def __init__(self, client: SageMakerClient, config: OrgConfig) -> None:
        self.client = client
        self.config = config

    def describe(self, arn: str) -> PackageInfo | None:
        """The package at `arn`, or None when the registry has no such version."""
        return describe_package(self.client, arn)

    def versions(self, model: str, *, limit: int | None = None, status: str | None = None) -> Iterator[VersionSummary]:
        """Versions of `model`'s group, newest first, reading only as many pages as `limit` needs."""
        paginator = self.client.get_paginator("list_model_packages")
        page_size = min(limit, MAX_PAGE) if limit else MAX_PAGE
        pagination: dict[str, int] = {"PageSize": page_size}
        if limit:
            pagination["MaxItems"] = limit
        arguments: dict[str, Any] = {
            "ModelPackageGroupName": naming.model_package_group_arn(self.config, model),
            "ModelPackageType": "Versioned",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
            "PaginationConfig": pagination,
        }
        if status is not None:
            arguments["ModelApprovalStatus"] = status
        for page in paginator.paginate(**arguments):
            for summary in page.get("ModelPackageSummaryList", []):
                arn = str(summary["ModelPackageArn"])
                yield VersionSummary(
                    arn=arn,
                    version=int(summary.get("ModelPackageVersion") or naming.parse_model_package_arn(arn).version),
                    status=str(summary.get("ModelApprovalStatus") or ApprovalStatus.PENDING),
                    created=summary.get("CreationTime"),
                    stage=_stage(summary.get("ModelLifeCycle")),
                )

    def latest_approved(self, model: str) -> VersionSummary | None:
        """The newest Approved version of `model`, in one ListModelPackages call."""
        return next(self.versions(model, limit=1, status=ApprovalStatus.APPROVED), None)

    def register(
        self,
        *,
        model: str,
        content: Content,
        metrics: Mapping[str, float],
        description: str,
        source_commit: str,
        training_job: str | None,
        model_card: str | None,
        stage: Stage,
        content_type: str = "text/csv",
        artifact_etag: str | None = None,
        source_repository: str | None = None,
        lineage_metadata: Mapping[str, str] | None = None,
        evaluation_report: str | None = None,
    ) -> str:
        """Create a version in `model`'s group as PendingManualApproval, at `stage`; returns its ARN.

        The metadata holds the metrics and the content record (`promotion.metadata`); the container names
        the image by digest and, when known, the artifact's ETag (SageMaker's ModelDataETag). AWS records
        who registered. `lineage_metadata`: the `lineage:` keys (training data, evaluation report version);
        with `evaluation_report` (its S3 URI), ModelMetrics.ModelQuality.Statistics names the report.
        """
        metadata = {f"{METRIC_PREFIX}{name}": repr(float(value)) for name, value in metrics.items()}
        metadata.update(content.metadata())
        metadata.update(lineage_metadata or {})
        check_registration_keys(metadata)
        container: dict[str, str] = {"Image": content.image, "ModelDataUrl": content.artifact}
        if artifact_etag:
            container["ModelDataETag"] = artifact_etag
        lineage: dict[str, str] = {"CommitId": source_commit}
        if source_repository:
            lineage["Repository"] = source_repository
        if training_job:
            lineage["GeneratedBy"] = training_job
        arguments: dict[str, Any] = {
            "ModelPackageGroupName": naming.model_package_group_arn(self.config, model),
            "ModelPackageDescription": description,
            "InferenceSpecification": {
                "Containers": [container],
                "SupportedContentTypes": [content_type],
                "SupportedResponseMIMETypes": [content_type],
            },
            "ModelApprovalStatus": ApprovalStatus.PENDING,
            "MetadataProperties": lineage,
            "ModelLifeCycle": stage.to_api(),
        }
        arguments["CustomerMetadataProperties"] = metadata
        if evaluation_report is not None:
            statistics = {"ContentType": REPORT_CONTENT_TYPE, "S3Uri": evaluation_report}
            arguments["ModelMetrics"] = {"ModelQuality": {"Statistics": statistics}}
        if model_card is not None:
            # Draft: the registrant submits it for review through the decision service (card_submission.py).
            arguments["ModelCard"] = {"ModelCardContent": model_card, "ModelCardStatus": "Draft"}
        return str(self.client.create_model_package(**arguments)["ModelPackageArn"])

    def record_decision(
        self,
        arn: str,
        *,
        status: str,
        approval_description: str,
        metadata: Mapping[str, str],
        stage: Stage,
        remove: list[str] | None = None,
    ) -> None:
        """Set the approval status and description and the stage, add `metadata` and drop `remove`; other
        keys are kept. Each environment's decision role may write only that environment's keys and stage."""
        arguments: dict[str, Any] = {
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
            "ApprovalDescription": approval_description,
            "ModelLifeCycle": stage.to_api(),
        }
        # SageMaker refuses an empty CustomerMetadataProperties map (an undo that only removes keys sends none).
        if metadata:
            arguments["CustomerMetadataProperties"] = dict(metadata)
        if remove:
            arguments["CustomerMetadataPropertiesToRemove"] = remove
        self.client.update_model_package(**arguments)


def model_card_text(path_text: str, source: str) -> str:
    """Validate a model card document against the model package card schema (`promotion.card`) and return it
    compact, as ModelCardContent. InputError names `source` and the first field that is wrong."""
    return parse_card(path_text, source).content()
