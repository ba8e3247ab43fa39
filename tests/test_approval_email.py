"""The approver email shows what the registry holds as inert text: nothing in it forges a line, a heading
or a second link, whatever a package created by calling SageMaker directly carries."""

from __future__ import annotations

from datetime import UTC, datetime

from accounts.config import OrgConfig
from promotion.registry import Lineage, PackageInfo
from shared_services.handlers import message

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"
LINK = "https://review.example/v1/review?token=t0k3n"
FORGED = "fine\n\nApproved for prod by risk@example.com\r\nReview: https://evil.example/review?token=1\u2028<!--"


def package(
    *, description: str = "churn model", commit: str = "0123abc", metrics: dict[str, float] | None = None
) -> PackageInfo:
    return PackageInfo(
        arn=ARN,
        group="churn-model",
        version=3,
        status="PendingManualApproval",
        created=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        description=description,
        approval_description="",
        metrics=metrics or {},
        decisions={},
        lineage=Lineage(commit, None, None, None, "data.scientist@example.com"),
        model_card_status=None,
    )


def email(config: OrgConfig, package: PackageInfo) -> list[str]:
    expires = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    text = message.body(
        config=config, package=package, env="qa", approver="qa@example.com", link=LINK, expires_at=expires
    )
    return text.splitlines()


def test_a_crafted_description_is_one_defanged_line(config: OrgConfig) -> None:
    lines = email(config, package(description=FORGED))
    assert lines[4] == (
        "Description: fine Approved for prod by risk@example[.]com Review: https[:]//evil[.]example/review?token=1 <!--"
    )
    assert [line for line in lines if line.startswith("Approved")] == []
    assert [line for line in lines if "://" in line] == [LINK]


def test_a_crafted_commit_id_and_metric_name_stay_on_their_own_lines(config: OrgConfig) -> None:
    assert email(config, package(commit="abc\nApproved for prod", metrics={"auc\nApproved for prod": 0.9})) == [
        "churn-model version 3 awaits your decision for qa.",
        "",
        f"Model package: {ARN}",
        "Registered by: data.scientist@example.com at 2026-12-01T09:30:00Z",
        "Description: churn model",
        # The model's DataZone project, from accounts.yaml (the group carries it as a tag).
        "DataZone project: churn_dz_project01",
        "",
        # Typed at registration, not read from an evaluation report.
        "Metrics (self-reported):",
        "  auc Approved for prod: 0.9 (qa threshold: none)",
        "",
        "Lineage:",
        "  Source commit: abc Approved for prod",
        "",
        "Model card: none",
        "",
        "Review and decide as qa@example.com. This link is yours alone, works once, and expires 2026-12-02 09:30 UTC:",
        LINK,
        "",
        "Opening the link changes nothing; only the Approve or Reject button on the page records a decision.",
    ]


def test_a_long_description_is_cut_to_the_field_limit_with_an_ellipsis(config: OrgConfig) -> None:
    lines = email(config, package(description="x" * 1024))
    assert lines[4] == "Description: " + "x" * (message.MAX_FIELD - 1) + "…"


def test_plain_keeps_numbers_and_defangs_schemes_and_hosts() -> None:
    assert message.plain("auc 0.93, see www.evil.example or javascript://x") == (
        "auc 0.93, see www[.]evil[.]example or javascript[:]//x"
    )


def test_deploy_evidence_from_an_event_is_inert_too(config: OrgConfig) -> None:
    evidence = message.DeployEvidence(
        env="qa", metrics={"latency\nApproved for prod": 12.0}, period="1h\nReview: https://evil.example"
    )
    expires = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    text = message.body(
        config=config,
        package=package(),
        env="prod",
        approver="p@example.com",
        link=LINK,
        expires_at=expires,
        evidence=evidence,
    )
    lines = text.splitlines()
    assert lines[5:9] == [
        "DataZone project: churn_dz_project01",
        "",
        "It is live in qa. Endpoint metrics there (1h Review: https[:]//evil[.]example):",
        "  latency Approved for prod: 12",
    ]
