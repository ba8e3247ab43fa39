"""One rendering per concept, shared by the email, the review page, the PR body and the gates."""

from __future__ import annotations

import json

import pytest

from accounts.config import Threshold
from promotion.registry import card_summary, package_from_description

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"
PACKAGE_CARD = {
    "model_overview": {"model_creator": "Data Science", "model_artifact": ["s3://bucket/model.tar.gz"]},
    "intended_uses": {"purpose_of_model": "churn", "risk_rating": "low"},
}


def test_a_card_summary_lists_its_text_fields_in_order_for_any_card_schema() -> None:
    assert card_summary(json.dumps(PACKAGE_CARD)) == (
        "model_overview.model_creator: Data Science; intended_uses.purpose_of_model: churn; "
        "intended_uses.risk_rating: low"
    )


@pytest.mark.parametrize(
    ("content", "summary"),
    [
        (None, None),
        ("", None),
        ("{}", None),
        ("not json  at\nall", "not json at all"),
        ('{"a": ' + '"x"' + "}", "a: x"),
    ],
)
def test_a_card_summary_says_nothing_it_cannot_read(content: str | None, summary: str | None) -> None:
    assert card_summary(content) == summary


def test_a_long_card_summary_is_shortened_to_300_characters_with_an_ellipsis() -> None:
    summary = card_summary(json.dumps({"a": "x" * 400}))
    assert summary is not None
    assert (len(summary), summary[-1]) == (300, "…")


def test_the_package_carries_the_same_summary_every_view_shows() -> None:
    described = {
        "ModelPackageArn": ARN,
        "ModelCard": {"ModelCardContent": json.dumps(PACKAGE_CARD), "ModelCardStatus": "Draft"},
    }
    package = package_from_description(described)
    assert (package.model_card_status, package.model_card_summary) == ("Draft", card_summary(json.dumps(PACKAGE_CARD)))


def test_lineage_entries_come_in_one_order_with_unknowns_as_none() -> None:
    package = package_from_description(
        {
            "ModelPackageArn": ARN,
            "MetadataProperties": {"CommitId": "abc123"},
            "InferenceSpecification": {"Containers": [{"Image": "img@sha256:00", "ModelDataUrl": "s3://b/m.tar.gz"}]},
        }
    )
    assert package.lineage.entries() == [
        ("source commit", "abc123"),
        ("source repository", None),
        ("training job", None),
        ("artifact", "s3://b/m.tar.gz"),
        ("image", "img@sha256:00"),
    ]


@pytest.mark.parametrize(
    ("threshold", "text"),
    [
        (Threshold(min=0.8), "min 0.8"),
        (Threshold(max=0.2), "max 0.2"),
        (Threshold(min=0.5, max=0.95), "min 0.5, max 0.95"),
    ],
)
def test_a_threshold_reads_the_same_in_the_gates_the_email_the_page_and_the_pr(threshold: Threshold, text: str) -> None:
    assert threshold.text() == text


def test_the_source_repository_follows_the_commit_it_holds() -> None:
    package = package_from_description(
        {
            "ModelPackageArn": ARN,
            "MetadataProperties": {"CommitId": "abc123", "Repository": "https://github.com/example-bank/train.git"},
        }
    )
    assert package.lineage.entries()[:2] == [
        ("source commit", "abc123"),
        ("source repository", "https://github.com/example-bank/train.git"),
    ]
