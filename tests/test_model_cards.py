"""Model cards governed: the card as a typed document checked against the model package card schema, its
readable sections, the environment's card rules in accounts.yaml, and the gates they give."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import pytest

from accounts.config import OrgConfig, parse_config
from accounts.validation import InputError
from promotion import gates
from promotion.card import card_sections, content_digest, parse_card, sections_text
from promotion.card_gates import card_failures, required_approvals
from promotion.card_review import status_text
from promotion.decisions import outcome_of
from promotion.gates import GateFailure
from promotion.metadata import CARD_APPROVAL_KEY, Decision, metadata_budget, reserved_keys
from promotion.pr_body import card_lines
from promotion.registry import PackageInfo
from shared_services.handlers.page import ReviewView, card_html
from tests.orgs import org_data
from tests.test_gates import package

CARD = {
    "model_overview": {"model_creator": "Data Science", "model_artifact": ["s3://bucket/churn/model.tar.gz"]},
    "intended_uses": {
        "purpose_of_model": "Predicts 90-day churn",
        "intended_uses": "Retention offers",
        "risk_rating": "Medium",
        "explanations_for_risk_rating": "Offers only; no account is closed",
    },
    "business_details": {"business_problem": "Customers leave", "line_of_business": "Retail"},
    "evaluation_details": [{"name": "holdout", "metric_groups": [{"name": "binary", "metric_data": [
        {"name": "auc", "type": "number", "value": 0.91}]}]}],
    "additional_information": {"caveats_and_recommendations": "Retrain quarterly"},
}  # fmt: skip


def content(**changes: Any) -> str:
    return json.dumps({**CARD, **changes}, separators=(",", ":"), sort_keys=True)


def with_card(
    document: str | None = None, status: str | None = "PendingReview", approval: str | None = None, **kwargs: Any
) -> PackageInfo:
    """A version whose card has `document` (default CARD) and `status`, and `approval` as card:approval."""
    base = package(card=status, **kwargs)
    metadata = {CARD_APPROVAL_KEY: approval} if approval is not None else {}
    text = (document if document is not None else content()) if status is not None else None
    return replace(base, model_card_content=text, metadata=metadata)


def approved(document: str | None = None, approver: str = "prod.approver@example.com") -> PackageInfo:
    """A version whose card the decision service approved for this very content."""
    text = document if document is not None else content()
    digest = hashlib.sha256(text.encode()).hexdigest()
    return with_card(text, "Approved", f"{digest} {approver} 2026-12-05T10:00:00.000000Z")


@pytest.fixture
def card_org() -> OrgConfig:
    """two_env with the sample's card rules: prod requires an Approved card, High adds an approver, Unknown
    never enters prod; ml-risk-prod has a third member for the High quorum."""
    data = org_data("two_env")
    data["approver_groups"]["ml-risk-prod"]["members"].append("model.risk.lead@example.com")
    data["environments"][1]["model_card"] = {
        "status": "Approved",
        "risk": {"high": {"extra_approvals": 1}, "unknown": {"refuse": True}},
    }
    return parse_config(data, "accounts.yaml")


# -- the schema --------------------------------------------------------------------------------------------------


def test_a_card_following_the_package_card_schema_is_kept_as_compact_sorted_json() -> None:
    card = parse_card(json.dumps(CARD, indent=2), "card.json")
    assert (card.content(), card.risk_rating) == (content(), "Medium")
    assert card.digest() == hashlib.sha256(content().encode()).hexdigest()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"intended_uses": {"risk_rating": "severe"}},
            "card.json: intended_uses.risk_rating: 'severe' is not one of High, Medium, Low, Unknown",
        ),
        (
            {"model_details": {}},
            "card.json: unknown section 'model_details'; a model package card has only model_overview, "
            "intended_uses, business_details, training_details, evaluation_details, additional_information",
        ),
        (
            {"intended_uses": {"purpose": "churn"}},
            "card.json: intended_uses.purpose is not part of the model card schema; intended_uses holds "
            "purpose_of_model, intended_uses, factors_affecting_model_efficiency, risk_rating, "
            "explanations_for_risk_rating",
        ),
        (
            {"business_details": {"business_problem": 7}},
            "card.json: business_details.business_problem: expected a string, got a number",
        ),
        (
            {"evaluation_details": {"name": "holdout"}},
            "card.json: evaluation_details: expected a list, got an object",
        ),
        (
            {"evaluation_details": [{"datasets": ["s3://b/holdout.csv"]}]},
            "card.json: evaluation_details[0].name is required",
        ),
        (
            {"training_details": {"training_job_details": {"training_metrics": [{"name": "auc", "value": "high"}]}}},
            "card.json: training_details.training_job_details.training_metrics[0].value: expected a number, "
            "got a string",
        ),
        (
            {"intended_uses": {"purpose_of_model": "x" * 2049}},
            "card.json: intended_uses.purpose_of_model: at most 2048 characters, got 2049",
        ),
        (
            {"model_overview": {"model_description": "Predicts churn"}},
            "card.json: model_overview.model_description is not part of the model package card schema; "
            "model_overview holds only model_creator and model_artifact "
            "(put the purpose in intended_uses.purpose_of_model)",
        ),
    ],
)
def test_a_card_outside_the_schema_is_refused_naming_the_file_and_the_field_path(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as refused:
        parse_card(json.dumps(document), "card.json")
    assert str(refused.value) == message


def test_the_digest_of_registered_content_does_not_depend_on_how_it_is_serialised() -> None:
    assert content_digest(json.dumps(CARD, indent=4)) == content_digest(content())
    assert content_digest(None) is None


# -- the readable sections ---------------------------------------------------------------------------------------


def test_a_card_reads_as_sections_with_status_and_risk_first_and_the_purpose_leading() -> None:
    assert sections_text(card_sections(content(), "PendingReview")) == [
        "Card status",
        "  status: PendingReview",
        "  risk rating: Medium",
        "Model overview",
        "  model artifact: s3://bucket/churn/model.tar.gz",
        "  model creator: Data Science",
        "Intended uses",
        "  purpose of model: Predicts 90-day churn",
        "  intended uses: Retention offers",
        "  risk rating: Medium",
        "  explanations for risk rating: Offers only; no account is closed",
        "Business details",
        "  business problem: Customers leave",
        "  line of business: Retail",
        "Evaluation: holdout",
        "  binary / auc: 0.91",
        "Additional information",
        "  caveats and recommendations: Retrain quarterly",
    ]


def test_a_status_shows_who_approved_the_card_or_that_the_registry_alone_says_approved() -> None:
    assert status_text(approved()) == "Approved by prod.approver@example.com at 2026-12-05T10:00:00.000000Z"
    assert status_text(with_card(status="Approved")) == (
        "Approved in the registry, but without a standing approval of this content by the decision service"
    )


def test_the_review_page_shows_the_card_as_escaped_sections() -> None:
    hostile = content(business_details={"business_problem": "<script>alert(1)</script>"})
    view = ReviewView(
        model="churn-model", version=3, arn="arn", env="prod", approver="a@x.com", status="Approved",
        registered_by="d@x.com", created="now", description="", expires_at=0, token="t",
        card_sections=tuple(card_sections(hostile, "PendingReview")[2:4]),
    )  # fmt: skip
    assert card_html(view) == (
        "<h3>Intended uses</h3><dl><dt>purpose of model</dt><dd>Predicts 90-day churn</dd>"
        "<dt>intended uses</dt><dd>Retention offers</dd><dt>risk rating</dt><dd>Medium</dd>"
        "<dt>explanations for risk rating</dt><dd>Offers only; no account is closed</dd></dl>"
        "<h3>Business details</h3><dl><dt>business problem</dt>"
        "<dd>&lt;script&gt;alert(1)&lt;/script&gt;</dd></dl>"
    )


def test_the_pr_body_shows_the_card_as_sections_with_the_registrants_text_in_inert_code_spans() -> None:
    crafted = content(
        intended_uses={"risk_rating": "Low"},
        evaluation_details=[{"name": "## Approved [x](https://evil.example)", "evaluation_observation": "ok"}],
    )
    assert card_lines(with_card(crafted)) == [
        "**Card status**",
        "- status: `PendingReview`",
        "- risk rating: `Low`",
        "**Model overview**",
        "- model artifact: `s3://bucket/churn/model.tar.gz`",
        "- model creator: `Data Science`",
        "**Intended uses**",
        "- risk rating: `Low`",
        "**Business details**",
        "- business problem: `Customers leave`",
        "- line of business: `Retail`",
        "**`Evaluation: ## Approved [x](https://evil.example)`**",
        "- evaluation observation: `ok`",
        "**Additional information**",
        "- caveats and recommendations: `Retrain quarterly`",
    ]
    assert card_lines(package(card=None)) == ["No model card was registered."]


# -- the environment's card rules in accounts.yaml ----------------------------------------------------------------


def test_the_card_approver_group_is_the_first_environment_requiring_an_approved_card(
    card_org: OrgConfig, config: OrgConfig
) -> None:
    assert (card_org.card_environment().name, config.card_environment().name) == ("prod", "qa")


@pytest.mark.parametrize(
    ("model_card", "message"),
    [
        (
            {"status": "Reviewed"},
            "accounts.yaml: environments[1].model_card.status: Input should be 'Approved'",
        ),
        (
            {"risk": {"severe": {"refuse": True}}},
            "accounts.yaml: environments[1].model_card.risk.severe: Input should be 'high', 'medium', 'low' or "
            "'unknown'",
        ),
        (
            {"risk": {"high": {"extra_approvals": 1}}},
            "accounts.yaml: environments[1].model_card.risk.high.extra_approvals: 3 approvals need at least 3 "
            "members in ml-risk-prod, which has 2",
        ),
    ],
)
def test_card_rules_are_validated_naming_the_field(model_card: dict[str, Any], message: str) -> None:
    data = org_data("two_env")
    data["environments"][1]["model_card"] = model_card
    with pytest.raises(InputError) as refused:
        parse_config(data, "accounts.yaml")
    assert str(refused.value) == message


def test_the_card_approval_is_a_reserved_key_counted_in_the_metadata_budget(card_org: OrgConfig) -> None:
    # qa: outcome + 1 slot; prod: outcome + 3 slots (High adds one); 3 content keys; 4 lineage keys; the card approval.
    assert CARD_APPROVAL_KEY in reserved_keys(card_org)
    assert metadata_budget(card_org) == 2 + 4 + 3 + 4 + 1


# -- the gates ---------------------------------------------------------------------------------------------------


def test_a_card_pending_review_is_refused_for_prod_naming_who_approves_it(card_org: OrgConfig) -> None:
    assert card_failures(card_org, "prod", with_card()) == [
        (
            "model-card-approved",
            "churn-model v3's model card is PendingReview; prod requires Approved (a member of ml-risk-prod "
            "approves it with `modelops card churn-model 3 --approve`)",
        )
    ]
    assert card_failures(card_org, "qa", with_card()) == []


def test_a_draft_card_is_refused_for_prod_naming_the_registrants_submit_step_first(card_org: OrgConfig) -> None:
    assert card_failures(card_org, "prod", with_card(status="Draft")) == [
        (
            "model-card-approved",
            "churn-model v3's model card is Draft; prod requires Approved (its registrant submits it for review "
            "with `modelops card churn-model 3 --submit`, then a member of ml-risk-prod approves it with "
            "`modelops card churn-model 3 --approve`)",
        )
    ]


def test_a_card_approved_in_the_registry_without_the_decision_services_record_is_refused(card_org: OrgConfig) -> None:
    assert card_failures(card_org, "prod", with_card(status="Approved")) == [
        (
            "model-card-approved",
            "churn-model v3's model card says Approved, but the decision service recorded no approval of it; "
            "prod requires a card approved by ml-risk-prod (a member of ml-risk-prod approves it with "
            "`modelops card churn-model 3 --approve`)",
        )
    ]


def test_a_card_whose_content_changed_after_its_approval_is_refused(card_org: OrgConfig) -> None:
    edited = replace(approved(), model_card_content=content(business_details={"business_problem": "edited"}))
    assert card_failures(card_org, "prod", edited) == [
        (
            "model-card-approved",
            "churn-model v3's model card changed after prod.approver@example.com approved it at "
            "2026-12-05T10:00:00.000000Z; prod requires the approved content (a member of ml-risk-prod approves "
            "it with `modelops card churn-model 3 --approve`)",
        )
    ]
    assert card_failures(card_org, "prod", approved()) == []


def test_a_version_without_a_card_is_refused_for_prod_by_both_card_rules(card_org: OrgConfig) -> None:
    assert card_failures(card_org, "prod", package(card=None)) == [
        (
            "model-card-approved",
            "churn-model v3 has no model card; prod requires an Approved one (register a new version with one)",
        ),
        (
            "risk-rating",
            "churn-model v3 has no model card, so its risk counts as Unknown; prod admits no version rated Unknown",
        ),
    ]


def test_a_card_rated_unknown_never_enters_prod_and_a_card_without_a_rating_counts_as_unknown(
    card_org: OrgConfig,
) -> None:
    unknown = approved(content(intended_uses={"risk_rating": "Unknown"}))
    unrated = approved(content(intended_uses={"purpose_of_model": "churn"}))
    assert gates.threshold_failures(card_org, "churn-model", "prod", unknown) == [
        GateFailure("risk-rating", "churn-model v3's card rates its risk Unknown; prod admits no version rated Unknown")
    ]
    assert card_failures(card_org, "prod", unrated) == [
        (
            "risk-rating",
            "churn-model v3's card does not rate its risk, which counts as Unknown; prod admits no version rated "
            "Unknown",
        )
    ]
    assert card_failures(card_org, "qa", unknown) == []


def test_a_high_risk_card_needs_one_more_prod_approver_in_the_decisions_and_in_the_gate(card_org: OrgConfig) -> None:
    high = approved(content(intended_uses={"risk_rating": "High"}))
    two = (
        Decision(high.arn, "prod", "Approved", "prod.approver@example.com", "t1"),
        Decision(high.arn, "prod", "Approved", "risk.officer@example.com", "t2"),
    )
    assert required_approvals(card_org, "prod", high) == 3
    assert required_approvals(card_org, "prod", approved()) == 2
    assert outcome_of(card_org, "prod", two, required_approvals(card_org, "prod", high)) == "PendingApproval"
    decided = replace(
        high,
        decisions=package(
            decisions={
                "qa": ("Approved", "qa.approver@example.com"),
                "prod": ("Approved", "prod.approver@example.com", "risk.officer@example.com"),
            }
        ).decisions,
    )
    assert gates.environment_failures(card_org, "prod", decided) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3's approval for prod has 2 distinct approvers; prod requires 3",
        )
    ]
