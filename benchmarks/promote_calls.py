"""AWS API calls per `modelops promote`, against the sandbox, as a model's group grows.

The promotion engine must not list a group: it asks for one page of one (newest Approved first) and
describes the two versions it compares. The count is taken with a botocore `before-call` hook on every
session the command opens, so STS calls count too.

    python -m benchmarks.promote_calls
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from benchmarks.sandbox import start_sandbox_server
from promotion.aws import AwsContext, new_session
from promotion.content import Content, pin_image, record_artifact, upload_artifact
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.live_records import LiveRecords
from promotion.metadata import OUTCOME, approval_key
from promotion.promote import promote
from promotion.sessions import assume_role
from sandbox.images import push_image
from sandbox.server import SandboxServer
from tests.orgs import load_org, workloads_root
from tests.promotion_support import create_ledger_table

# The sample organisation (tests/orgs/two_env) pins v1, so the smallest group that makes a real promotion holds
# two versions.
GROUP_SIZES = (2, 10, 100)
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0"


def admin(config: OrgConfig, account: str) -> Any:
    base = new_session(region=config.region, access_key="AKIAIOSFODNN7EXAMPLE", secret_key="bench")  # noqa: S106 (sandbox)
    return assume_role(naming.role_arn(account, "modelops-bench-admin"), session_name="bench", base=base)


def populate(server: SandboxServer, config: OrgConfig, versions: int) -> None:
    """A group of `versions` Approved versions, the newest live in qa (so prod can be promoted to)."""
    server.reset()
    shared = admin(config, config.accounts.shared_services)
    sagemaker = shared.client("sagemaker", region_name=config.region)
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-model")
    s3 = shared.client("s3", region_name=config.region)
    bucket = naming.artifact_bucket(config)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    push_image(shared, IMAGE)
    image = pin_image(shared.client("ecr", region_name=config.region), IMAGE)
    # Every environment approved by its quorum, as the decision service records it.
    decisions = {
        key: value
        for env in config.chain
        for key, value in {
            approval_key(env, OUTCOME): "Approved",
            **{
                approval_key(env, str(n)): f"Approved {member} 2026-01-01T00:00:00Z"
                for n, member in enumerate(
                    config.approvers(env).members[: config.environment(env).approvals_required], start=1
                )
            },
        }.items()
    }
    for number in range(1, versions + 1):
        artifact = f"s3://{bucket}/{naming.artifact_prefix('churn-model')}v{number}/model.tar.gz"
        upload_artifact(s3, artifact, f"v{number}".encode())
        version, sha256, _etag = record_artifact(s3, artifact)
        content = Content(artifact=artifact, artifact_version=version, artifact_sha256=sha256, image=image)
        arn = sagemaker.create_model_package(
            ModelPackageGroupName="churn-model",
            InferenceSpecification={
                "Containers": [{"Image": image, "ModelDataUrl": artifact}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "PendingReview"},
            CustomerMetadataProperties={
                "metric:auc": "0.9",
                "metric:false_positive_rate": "0.05",
                **content.metadata(),
            },
        )["ModelPackageArn"]
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
        sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataProperties=decisions)
    ssm = shared.client("ssm", region_name=config.region)
    newest = naming.model_package_arn(config, "churn-model", versions)
    LiveRecords(ssm).put("churn-model", "qa", newest)
    dynamodb = shared.client("dynamodb", region_name=config.region)
    create_ledger_table(dynamodb)
    Ledger(dynamodb, "churn-model").append(
        naming.deploys_stream("churn-model", "qa"),
        HistoryRecord("bench", "2026-01-01T00:00:00Z", HistoryAction.DEPLOYED, "bench", newest, "444444444444", "qa"),
    )


def count_promote(config: OrgConfig, workloads: Path, env: str, version: int | None) -> Counter[str]:
    calls: Counter[str] = Counter()

    def hook(session: Any) -> None:
        session.events.register("before-call", lambda model, **_: calls.update([model.name]))

    with tempfile.TemporaryDirectory() as out:
        promote(
            AwsContext(config, on_session=hook),
            config,
            workloads,
            model="churn-model",
            env=env,
            version=version,
            pr_body_file=Path(out) / "pr.md",
        )
    return calls


def main() -> None:
    config = load_org("two_env")
    server = start_sandbox_server()
    rows = []
    try:
        for size in GROUP_SIZES:
            populate(server, config, size)
            for env, version, label in (("qa", None, "qa, newest Approved"), ("prod", size, "prod, --version N")):
                with tempfile.TemporaryDirectory() as tmp:
                    workloads = Path(tmp) / "workloads"
                    shutil.copytree(workloads_root("two_env"), workloads)
                    calls = count_promote(config, workloads, env, version)
                rows.append((size, label, sum(calls.values()), ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))))
    finally:
        server.stop()
    print("AWS API calls per `modelops promote` (sandbox): manifests pin v1, the newest version is promoted")
    print(f"{'versions in group':>17} | {'promotion':<20} | {'calls':>5} | by operation")
    for size, label, total, detail in rows:
        print(f"{size:>17} | {label:<20} | {total:>5} | {detail}")


if __name__ == "__main__":
    main()
