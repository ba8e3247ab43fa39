"""Set-up the flow benchmarks share: set-up credentials, and approved versions registered as `register` and the
decision service would leave them (content recorded, every environment approved by its quorum)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import new_session
from promotion.content import Content, record_artifact, upload_artifact
from promotion.metadata import OUTCOME, approval_key
from promotion.sessions import assume_role


def admin(config: OrgConfig, account: str) -> Any:
    """Set-up credentials in `account` (the sandbox's IAM judges them without refusing)."""
    base = new_session(region=config.region, access_key="AKIAIOSFODNN7EXAMPLE", secret_key="bench")  # noqa: S106 (sandbox)
    return assume_role(naming.role_arn(account, "modelops-bench-admin"), session_name="bench", base=base)


def quorum_approvals(config: OrgConfig) -> dict[str, str]:
    """Every environment approved by its quorum, as the decision service records it."""
    found: dict[str, str] = {}
    for env in config.chain:
        found[approval_key(env, OUTCOME)] = "Approved"
        quorum = config.approvers(env).members[: config.environment(env).approvals_required]
        for n, member in enumerate(quorum, start=1):
            found[approval_key(env, str(n))] = f"Approved {member} 2026-01-01T00:00:00Z"
    return found


def register_approved(
    sagemaker: Any,
    s3: Any,
    *,
    group: str,
    artifact: str,
    body: bytes,
    image: str,
    metrics: Mapping[str, str],
    card_status: str,
    approvals: Mapping[str, str],
) -> str:
    """Upload `body` to `artifact` create-only, register it in `group` with its content recorded, approve it and
    record `approvals`; returns the version's ARN."""
    upload_artifact(s3, artifact, body)
    version, sha256, _etag = record_artifact(s3, artifact)
    content = Content(artifact=artifact, artifact_version=version, artifact_sha256=sha256, image=image)
    arn = str(
        sagemaker.create_model_package(
            ModelPackageGroupName=group,
            InferenceSpecification={
                "Containers": [{"Image": image, "ModelDataUrl": artifact}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelCard={"ModelCardContent": "{}", "ModelCardStatus": card_status},
            CustomerMetadataProperties={**metrics, **content.metadata()},
        )["ModelPackageArn"]
    )
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties=dict(approvals))
    return arn
