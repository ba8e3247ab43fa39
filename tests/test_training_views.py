"""Where metrics come from, and the DataZone project, as the PR body and the review page show them: a version
trained and evaluated says its evaluation report; one registered with `--metric` says self-reported."""

from __future__ import annotations

from dataclasses import replace

from accounts.config import OrgConfig
from promotion.evaluation import DataLineage
from promotion.pr_body import build
from promotion.registry import Lineage, PackageInfo
from shared_services.handlers import page

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"
REPORT = "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/train-1/evaluation.json"
TYPED = PackageInfo(
    arn=ARN,
    group="churn-model",
    version=3,
    status="Approved",
    created=None,
    description="",
    approval_description="",
    metrics={"auc": 0.91},
    decisions={},
    lineage=Lineage("abc1234", None, None, None, "data.scientist@example.com"),
    model_card_status=None,
)
TRAINED = replace(
    TYPED,
    lineage=replace(
        TYPED.lineage,
        data=DataLineage(location="scikit-learn:breast_cancer", version="sha256:" + "a" * 64),
        evaluation_report=REPORT,
    ),
)


def body(config: OrgConfig, package: PackageInfo) -> list[str]:
    pull = build(
        config=config, model="churn-model", env="qa", proposed=package, replaced_arn=None, replaced=None,
        previous_env=None, previous_live=None, diff="", rollback=False,
    )  # fmt: skip
    return pull.body.splitlines()


def test_the_pr_body_says_typed_metrics_are_self_reported(config: OrgConfig) -> None:
    assert "The proposed version's metrics are `self-reported`." in body(config, TYPED)


def test_the_pr_body_names_the_evaluation_report_the_training_data_and_the_datazone_project(
    config: OrgConfig,
) -> None:
    lines = body(config, TRAINED)
    assert f"The proposed version's metrics are `from the evaluation report {REPORT}`." in lines
    lineage = lines[lines.index("### Lineage") + 1 : lines.index("### Live in the previous environment") - 1]
    assert lineage == [
        "- source commit: `abc1234`",
        "- source repository: none",
        "- training job: none",
        f"- training data: `scikit-learn:breast_cancer (sha256:{'a' * 64})`",
        f"- evaluation report: `{REPORT}`",
        "- artifact: none",
        "- image: none",
        "- registered by: `data.scientist@example.com`",
        "- model card: none",
        "- DataZone project: `churn_dz_project01`",
    ]


def test_the_review_page_shows_the_datazone_project_and_where_the_metrics_come_from() -> None:
    view = page.ReviewView(
        model="churn-model", version=3, arn=ARN, env="qa", approver="qa.approver@example.com",
        status="PendingManualApproval", registered_by="ds@example.com", created="2026-11-22 10:00 UTC",
        description="v3", expires_at=1795600800, token="payload.mac",
        metrics=[page.MetricRow(name="auc", candidate="0.91")], metrics_source="self-reported",
        datazone_project="churn_dz_project01",
    )  # fmt: skip
    html = page.review_page(view)
    assert "<dt>DataZone project</dt><dd>churn_dz_project01</dd>" in html
    assert "against the version live in qa (unknown); metrics self-reported</caption>" in html
