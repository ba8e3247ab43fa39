"""AWS API calls per `modelops promote`, against the sandbox, as a model's group grows.

The promotion engine must not list a group: it asks for one page of one (newest Approved first) and
describes the two versions it compares. The count is taken with a botocore `before-call` hook on every
session the command opens, so STS calls count too.

    python -m benchmarks.promote_calls
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from accounts import naming
from accounts.config import OrgConfig
from promotion.aws import AwsContext, new_session
from promotion.ledger import HistoryAction, HistoryRecord, Ledger
from promotion.live_records import LiveRecords
from promotion.promote import promote
from promotion.sessions import assume_role
from sandbox.server import SandboxServer, start_server
from tests.orgs import load_org, workloads_root
from tests.promotion_support import create_ledger_table

# The sample organisation (tests/orgs/two_env) pins v1, so the smallest group that makes a real promotion holds
# two versions.
GROUP_SIZES = (2, 10, 100)


def admin(config: OrgConfig, account: str) -> Any:
    base = new_session(region=config.region, access_key="AKIAIOSFODNN7EXAMPLE", secret_key="bench")  # noqa: S106 (sandbox)
    return assume_role(naming.role_arn(account, "modelops-bench-admin"), session_name="bench", base=base)


def populate(server: SandboxServer, config: OrgConfig, versions: int) -> None:
    """A group of `versions` Approved versions, the newest live in qa (so prod can be promoted to)."""
    server.reset()
    shared = admin(config, config.accounts.shared_services)
    sagemaker = shared.client("sagemaker", region_name=config.region)
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-model")
    for _ in range(versions):
        arn = sagemaker.create_model_package(
            ModelPackageGroupName="churn-model",
            InferenceSpecification={
                "Containers": [{"Image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelCard={"ModelCardContent": "{}", "ModelCardStatus": "PendingReview"},
            CustomerMetadataProperties={"metric:auc": "0.9", "metric:false_positive_rate": "0.05"},
        )["ModelPackageArn"]
        sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
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
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    config = load_org("two_env")
    server = start_server(port=0)
    os.environ["AWS_ENDPOINT_URL"] = server.endpoint_url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
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
