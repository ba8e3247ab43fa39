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
from benchmarks.registry_setup import admin, quorum_approvals, register_approved
from benchmarks.sandbox import start_sandbox_server
from promotion.aws import AwsContext
from promotion.content import pin_image
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.live_records import LiveRecords
from promotion.promote import promote
from sandbox.images import push_image
from sandbox.server import SandboxServer
from tests.orgs import load_org, workloads_root
from tests.promotion_support import create_ledger_table

# The sample organisation (tests/orgs/two_env) pins v1, so the smallest group that makes a real promotion holds
# two versions.
GROUP_SIZES = (2, 10, 100)
IMAGE = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-1.0"


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
    approvals = quorum_approvals(config)
    for number in range(1, versions + 1):
        register_approved(
            sagemaker,
            s3,
            group="churn-model",
            artifact=f"s3://{bucket}/{naming.artifact_prefix('churn-model')}v{number}/model.tar.gz",
            body=f"v{number}".encode(),
            image=image,
            metrics={"metric:auc": "0.9", "metric:false_positive_rate": "0.05"},
            card_status="PendingReview",
            approvals=approvals,
        )
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
