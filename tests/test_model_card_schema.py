"""The card inside a model package follows the model *package* card schema.

AWS: ModelCard.ModelCardContent on CreateModelPackage and UpdateModelPackage follows the model package card
schema, whose `model_overview` holds only `model_creator` and `model_artifact` and which has no
`model_package_details`; intended uses, risk rating, business details, evaluation details and additional
information follow the model card JSON schema (SageMaker Developer Guide, "Model package model card schema",
a section of "View and update the details of a model version",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-details.html#model-card-schema; "Model card JSON
schema", https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards-json-schema.html; aws-facts.md, "The model
card inside a package"). The API reference says the first part in words: "The ModelPackageModelCard schema does
not include model_package_details, and model_overview is composed of the model_creator and model_artifact
properties" (ModelPackageModelCard,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelPackageModelCard.html).

AWS documents the schema but not the wording of its refusal: the ValidationException messages asserted here
are the sandbox's own (sandbox/moto_compat/registry.py), the error code is AWS's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import pytest
from botocore.exceptions import ClientError
from typer.testing import CliRunner

import cli.main
from accounts.validation import InputError
from promotion.registry import card_summary, model_card_text
from tests.orgs import config_path
from tests.sandbox_fixtures import EmptyAws

SHARED = "111111111111"
REGION: Literal["eu-west-1"] = "eu-west-1"
GROUP = "churn-model"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{SHARED}:model-package-group/{GROUP}"
IMAGE = f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/churn-model:1.0"
INFERENCE = {
    "Containers": [{"Image": IMAGE, "ModelDataUrl": "s3://bucket/artifacts/churn-model/v1/model.tar.gz"}],
    "SupportedContentTypes": ["text/csv"],
    "SupportedResponseMIMETypes": ["text/csv"],
}
PACKAGE_CARD = {
    "model_overview": {"model_creator": "Data Science", "model_artifact": ["s3://bucket/model.tar.gz"]},
    "intended_uses": {"purpose_of_model": "Predicts 90-day churn", "risk_rating": "Low"},
}
SCHEMA = "ModelCardContent does not follow the model package card schema"


def _registry(aws: EmptyAws) -> Any:
    sagemaker = aws.session(SHARED).client("sagemaker")
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    return sagemaker


def _card(content: dict[str, Any]) -> dict[str, str]:
    return {"ModelCardContent": json.dumps(content), "ModelCardStatus": "Draft"}


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# -- the sandbox holds callers to the schema ---------------------------------------------------------------------


def test_a_package_card_with_only_model_creator_and_model_artifact_in_its_overview_is_kept(
    empty_aws: EmptyAws,
) -> None:
    sagemaker = _registry(empty_aws)

    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE, ModelCard=_card(PACKAGE_CARD)
    )["ModelPackageArn"]

    assert sagemaker.describe_model_package(ModelPackageName=arn)["ModelCard"] == _card(PACKAGE_CARD)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {"model_overview": {"model_description": "Predicts churn"}},
            f"{SCHEMA}: model_overview holds only model_artifact and model_creator, not model_description",
        ),
        (
            {"model_overview": {"model_creator": "Data Science", "model_owner": "x", "problem_type": "y"}},
            f"{SCHEMA}: model_overview holds only model_artifact and model_creator, not model_owner, problem_type",
        ),
        (
            {"model_package_details": {"model_package_name": "churn"}},
            f"{SCHEMA}: it has no model_package_details section",
        ),
        ({"model_overview": "Predicts churn"}, f"{SCHEMA}: model_overview must be an object"),
    ],
)
def test_create_model_package_refuses_a_card_outside_the_package_card_schema_and_creates_nothing(
    empty_aws: EmptyAws, content: dict[str, Any], message: str
) -> None:
    sagemaker = _registry(empty_aws)

    with pytest.raises(ClientError) as refused:
        sagemaker.create_model_package(
            ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE, ModelCard=_card(content)
        )

    assert _error(refused) == ("ValidationException", message)
    assert sagemaker.list_model_packages(ModelPackageGroupName=GROUP)["ModelPackageSummaryList"] == []


def test_update_model_package_refuses_a_card_outside_the_package_card_schema_and_keeps_the_card(
    empty_aws: EmptyAws,
) -> None:
    sagemaker = _registry(empty_aws)
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=GROUP_ARN, InferenceSpecification=INFERENCE, ModelCard=_card(PACKAGE_CARD)
    )["ModelPackageArn"]

    with pytest.raises(ClientError) as refused:
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            ModelApprovalStatus="Approved",
            ModelCard=_card({"model_overview": {"model_description": "Predicts churn"}}),
        )

    assert _error(refused) == (
        "ValidationException",
        f"{SCHEMA}: model_overview holds only model_artifact and model_creator, not model_description",
    )
    described = sagemaker.describe_model_package(ModelPackageName=arn)
    assert (described["ModelCard"], described["ModelApprovalStatus"]) == (_card(PACKAGE_CARD), "PendingManualApproval")


# -- `modelops register` checks the card file before any AWS call ---------------------------------------------------


def test_register_refuses_a_card_file_whose_overview_has_a_model_description_before_calling_aws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one-line error names the file and the field; nothing reaches AWS (its endpoint here is a closed port,
    so any call would fail with a connection error instead)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    card = tmp_path / "card.json"
    card.write_text('{"model_overview": {"model_creator": "Data Science", "model_description": "Predicts churn"}}')

    result = CliRunner().invoke(
        cli.main.app,
        [
            "--config", str(config_path("two_env")),
            "register", "churn-model",
            "--artifact", "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v7/model.tar.gz",
            "--image", IMAGE,
            "--metric", "auc=0.91",
            "--source-commit", "abcdef1",
            "--model-card", str(card),
        ],
    )  # fmt: skip

    assert (result.exit_code, result.stdout, result.stderr) == (
        2,
        "",
        f"error: {card}: model_overview.model_description is not part of the model package card schema; "
        "model_overview holds only model_creator and model_artifact "
        "(put the purpose in intended_uses.purpose_of_model)\n",
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"model_overview": {"model_owner": "Data Science"}},
            "card.json: model_overview.model_owner is not part of the model package card schema; "
            "model_overview holds only model_creator and model_artifact",
        ),
        (
            {"model_package_details": {}},
            "card.json: model_package_details is not part of the model package card schema",
        ),
        (
            {"model_overview": ["Data Science"]},
            "card.json: model_overview must be a JSON object holding only model_creator and model_artifact",
        ),
    ],
)
def test_a_card_file_outside_the_package_card_schema_is_refused_naming_the_field(
    document: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as refused:
        model_card_text(json.dumps(document), "card.json")
    assert str(refused.value) == message


def test_a_schema_valid_card_is_kept_and_its_summary_leads_with_the_purpose() -> None:
    """The review page and the PR show the card's summary: with the purpose in intended_uses.purpose_of_model
    (stored with sorted keys), it reads first."""
    content = model_card_text(json.dumps(PACKAGE_CARD), "card.json")

    assert json.loads(content) == PACKAGE_CARD
    assert card_summary(content) == (
        "intended_uses.purpose_of_model: Predicts 90-day churn; intended_uses.risk_rating: Low; "
        "model_overview.model_creator: Data Science"
    )
