"""The gates read a trained version's metrics from its registered evaluation report, not from metadata.

A version registered with an evaluation report (ModelMetrics.ModelQuality.Statistics) recorded the report's
S3 version and SHA-256 (`lineage:evaluation-*`). The gates read exactly that S3 version, check its SHA-256,
and take the metrics from it: metric values written into the metadata by hand (someone calling
CreateModelPackage directly) count for nothing. A version without a report keeps its typed metrics, which
every view calls self-reported.

The reader is the gate's own role (the promoter, the verifier): the artifact key's policy lets them decrypt
evaluation reports only, each encrypted under its own object's context (promotion/content.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from accounts.validation import InputError
from promotion.content import split_s3_uri
from promotion.evaluation import report_metrics
from promotion.gates import GateFailure
from promotion.metadata import EVALUATION_SHA256_KEY, EVALUATION_VERSION_KEY
from promotion.registry import PackageInfo

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RULE = "evaluation-report"


def with_report_metrics(s3: S3Client, package: PackageInfo) -> tuple[PackageInfo, list[GateFailure]]:
    """`package` with the metrics of its registered evaluation report (unchanged without one), and the
    failures when the report cannot be read as registered (then the version has no metrics at all)."""
    uri = package.lineage.evaluation_report
    if uri is None:
        return package, []
    version = package.metadata.get(EVALUATION_VERSION_KEY)
    sha256 = package.metadata.get(EVALUATION_SHA256_KEY)
    unread = replace(package, metrics={})
    if not version or not sha256:
        return unread, [GateFailure(RULE, f"{package.label} names the evaluation report {uri} but records no "
                                          "S3 version and SHA-256 of it; its metrics cannot be trusted")]  # fmt: skip
    bucket, key = split_s3_uri(uri)
    try:
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        return unread, [GateFailure(RULE, f"{package.label}: its evaluation report {uri} (S3 version {version}) "
                                          f"cannot be read: {code}")]  # fmt: skip
    if hashlib.sha256(body).hexdigest() != sha256:
        return unread, [GateFailure(RULE, f"{package.label}: its evaluation report {uri} (S3 version {version}) "
                                          f"is not the one registered (SHA-256 {sha256})")]  # fmt: skip
    try:
        values = report_metrics(body.decode("utf-8", errors="replace"), uri)
    except InputError as exc:
        return unread, [GateFailure(RULE, f"{package.label}: {exc}")]
    return replace(package, metrics=values), []
