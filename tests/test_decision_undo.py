"""The decision's writes to the registry stay within AWS's limits: no empty CustomerMetadataProperties map (an
update that only removes keys sends CustomerMetadataPropertiesToRemove alone), and a reason of 800 non-ASCII
characters fits every record that stores it.

AWS's limits, from the API references:
- UpdateModelPackage, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html:
  CustomerMetadataProperties "Minimum number of 1 item. Maximum number of 50 items"; ApprovalDescription
  "Maximum length of 1024", pattern `.*`.
- CreateModelPackage, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html:
  the same CustomerMetadataProperties map, 1 to 50 entries.
- ModelLifeCycle, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelLifeCycle.html:
  StageDescription up to 1,024 characters.
- DynamoDB service quotas, item size 400 KB (the ledger), and SSM Parameter Store, Standard tier 4 KB (the
  approved record): https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html,
  https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html (the
  4 KB in words: PutParameter, Tier, "Standard parameters have a content size limit of 4 KB",
  https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html)

AWS documents these constraints, not the messages for breaking them: the ValidationException messages asserted
here are the request-validation form AWS services return ("1 validation error detected: Value ... at ...
failed to satisfy constraint: ..."), which no AWS page documents; the sandbox copies the form.

The "undo" issue 11 names, an UpdateModelPackage sending CustomerMetadataProperties={} to drop a decision's
keys, is gone since issue 10 (decisions are final; no caller removes keys), but `Registry.record_decision`
still takes `remove`: these tests hold it to sending no empty map.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from promotion.decisions import MAX_DESCRIPTION, TRUNCATED, decide, fitted, utf16_length
from promotion.live_records import ApprovedRecords
from promotion.metadata import Decision
from promotion.registry import ApprovalStatus, Registry, Stage
from tests.promotion_support import QA_APPROVER, LocalAws
from tests.sandbox_fixtures import EmptyAws

SHARED, REGION = "111111111111", "eu-west-1"
V1 = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
WHEN = "2026-11-22T10:00:00Z"
EMPTY_MAP = (
    "ValidationException",
    "1 validation error detected: Value '{}' at 'customerMetadataProperties' failed to satisfy constraint: "
    "Member must have length greater than or equal to 1",
)
# 800 characters, none of them ASCII: accented Latin letters (one UTF-16 code unit each, two UTF-8 bytes),
# and mathematical letters outside the Basic Multilingual Plane (two UTF-16 code units each, four UTF-8 bytes).
ACCENTED = "é" * 800
OUTSIDE_BMP = "\U0001d538" * 800  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A, a letter


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def _group_and_version(empty_aws: EmptyAws) -> tuple[Any, str]:
    sagemaker = empty_aws.session(SHARED).client("sagemaker", region_name=REGION)
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-model")
    arn = sagemaker.create_model_package(
        ModelPackageGroupName="churn-model",
        InferenceSpecification={
            "Containers": [{"Image": f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/modelops-models:churn-model-1"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        CustomerMetadataProperties={"source_commit": "abc123", "approval:qa:decision": "Approved"},
    )["ModelPackageArn"]
    return sagemaker, str(arn)


# -- no empty map, on either call ------------------------------------------------------------------------------


def test_the_sandbox_refuses_an_empty_customer_metadata_map_on_create(empty_aws: EmptyAws) -> None:
    """CreateModelPackage: CustomerMetadataProperties, when sent, has at least one entry."""
    sagemaker = empty_aws.session(SHARED).client("sagemaker", region_name=REGION)
    sagemaker.create_model_package_group(ModelPackageGroupName="churn-model")

    with pytest.raises(ClientError) as refused:
        sagemaker.create_model_package(
            ModelPackageGroupName="churn-model",
            InferenceSpecification={
                "Containers": [{"Image": f"{SHARED}.dkr.ecr.{REGION}.amazonaws.com/modelops-models:churn-model-1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            CustomerMetadataProperties={},
        )

    assert _error(refused) == EMPTY_MAP
    assert sagemaker.list_model_packages(ModelPackageGroupName="churn-model")["ModelPackageSummaryList"] == []


def test_the_sandbox_refuses_an_empty_customer_metadata_map_on_update(empty_aws: EmptyAws) -> None:
    """UpdateModelPackage: the same minimum; the package keeps its keys."""
    sagemaker, arn = _group_and_version(empty_aws)

    with pytest.raises(ClientError) as refused:
        sagemaker.update_model_package(
            ModelPackageArn=arn,
            CustomerMetadataProperties={},
            CustomerMetadataPropertiesToRemove=["approval:qa:decision"],
        )

    assert _error(refused) == EMPTY_MAP
    kept = sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"]
    assert kept == {"source_commit": "abc123", "approval:qa:decision": "Approved"}


class Recording:
    """A SageMaker client that records the UpdateModelPackage arguments it is given."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update_model_package(self, **arguments: Any) -> dict[str, Any]:
        self.updates.append(arguments)
        return {"ModelPackageArn": arguments["ModelPackageArn"]}


def test_a_decision_write_that_only_removes_keys_sends_no_metadata_map(local_aws: LocalAws) -> None:
    client = Recording()
    stage = Stage(stage="qa", status="PendingApproval", description="undone")

    Registry(client, local_aws.config).record_decision(  # type: ignore[arg-type]
        V1,
        status=ApprovalStatus.PENDING,
        approval_description="undone",
        metadata={},
        stage=stage,
        remove=["approval:qa:decision", "approval:qa:1"],
    )

    assert client.updates == [
        {
            "ModelPackageArn": V1,
            "ModelApprovalStatus": "PendingManualApproval",
            "ApprovalDescription": "undone",
            "ModelLifeCycle": {"Stage": "qa", "StageStatus": "PendingApproval", "StageDescription": "undone"},
            "CustomerMetadataPropertiesToRemove": ["approval:qa:decision", "approval:qa:1"],
        }
    ]


def test_the_sandbox_accepts_a_removal_alone_and_drops_the_keys(empty_aws: EmptyAws) -> None:
    sagemaker, arn = _group_and_version(empty_aws)

    sagemaker.update_model_package(ModelPackageArn=arn, CustomerMetadataPropertiesToRemove=["approval:qa:decision"])

    assert sagemaker.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"] == {
        "source_commit": "abc123"
    }


# -- ApprovalDescription and StageDescription: 1,024 characters ------------------------------------------------


def test_the_sandbox_refuses_an_approval_description_over_1024_characters(empty_aws: EmptyAws) -> None:
    sagemaker, arn = _group_and_version(empty_aws)
    description = "a" * 1025

    with pytest.raises(ClientError) as refused:
        sagemaker.update_model_package(
            ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription=description
        )

    assert _error(refused) == (
        "ValidationException",
        f"1 validation error detected: Value '{description}' at 'approvalDescription' failed to satisfy "
        "constraint: Member must have length less than or equal to 1024",
    )
    sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="a" * 1024)


def test_a_description_that_fits_is_kept_whole() -> None:
    """The longest approver (64 characters) with an 800-character accented reason: 866 code units."""
    text = f"{'a' * 40}@{'b' * 23}: {ACCENTED}"

    assert fitted(text) == text
    assert utf16_length(text) == 866


def test_a_description_over_1024_utf16_code_units_is_cut_at_a_character_with_a_marker() -> None:
    """800 characters outside the BMP are 1,600 UTF-16 code units: cut so that it fits however AWS counts."""
    text = f"qa.approver@example.com: {OUTSIDE_BMP}"

    shortened = fitted(text)

    assert shortened.endswith(TRUNCATED)
    assert shortened.startswith("qa.approver@example.com: \U0001d538")
    assert utf16_length(shortened) <= MAX_DESCRIPTION
    assert utf16_length(shortened) >= MAX_DESCRIPTION - 1  # one code unit may be left: a character needs two
    assert set(shortened.removeprefix("qa.approver@example.com: ").removesuffix(TRUNCATED)) == {"\U0001d538"}


@pytest.mark.parametrize("reason", [ACCENTED, OUTSIDE_BMP], ids=["accented", "outside-bmp"])
def test_an_800_character_non_ascii_reason_is_recorded_within_every_limit(local_aws: LocalAws, reason: str) -> None:
    """Approving with the longest reason allowed: the ledger keeps it whole, ApprovalDescription and
    StageDescription hold it whole when it fits 1,024 UTF-16 code units and cut with the marker when not, and
    the approved record (SSM, 4 KB) holds the version's ARN, never the reason."""
    local_aws.register()
    session = local_aws.admin(SHARED)
    registry = Registry(session.client("sagemaker", region_name=REGION), local_aws.config)
    approved = ApprovedRecords(session.client("ssm", region_name=REGION))

    decision = decide(
        config=local_aws.config,
        registry=registry,
        ledger=local_aws.ledger(),
        model="churn-model",
        version=1,
        verdict="approve",
        approver=QA_APPROVER,
        reason=reason,
        approved=approved,
        now=WHEN,
    )

    assert decision == Decision(arn=V1, env="qa", status="Approved", approver=QA_APPROVER, when=WHEN, reason=reason)
    package = local_aws.sagemaker().describe_model_package(ModelPackageName=V1)
    expected = fitted(f"{QA_APPROVER}: {reason}")
    assert package["ApprovalDescription"] == expected
    assert package["ModelLifeCycle"]["StageDescription"] == expected
    assert (expected == f"{QA_APPROVER}: {reason}") is (reason == ACCENTED)
    assert [json.loads(value)["reason"] for value in local_aws.history_values()] == [reason]
    assert approved.get("churn-model", "qa") == V1
