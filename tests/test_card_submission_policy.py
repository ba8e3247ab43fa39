"""The card submission's IAM statement, judged alone by the IAM evaluator: it admits an UpdateModelPackage that
carries nothing IAM can see (the ModelCard has no condition key), and refuses the same request once it carries
the card approval, a stage, an approval status, a removal or any reserved key: a submission can never carry an
approval, even were the card approval statement beside it gone."""

from __future__ import annotations

import pytest

from accounts import naming
from accounts.config import OrgConfig
from policies.iam import Context, Policy, PolicyKind, Principal, Request, Resource, evaluate
from promotion.metadata import reserved_keys
from shared_services.decision_roles import card_submission_statement

SUBMISSION: dict[str, str | list[str]] = {}


def allowed(config: OrgConfig, carried: dict[str, str | list[str]]) -> bool:
    document = {"Version": "2012-10-17", "Statement": [card_submission_statement(config).to_statement_json()]}
    role = naming.decision_role_arn(config, config.card_environment().name)
    principal = Principal.role(
        role,
        session="data.scientist@example.com",
        identity_policies=[Policy("RecordModelCardSubmissions", document, PolicyKind.IDENTITY)],
    )
    arn = naming.model_package_arn(config, "churn-model", 3)
    package = Resource(arn, config.accounts.shared_services)
    return evaluate(Request(principal, "sagemaker:UpdateModelPackage", package, Context(carried))).allowed


def test_the_submission_statement_admits_an_update_carrying_nothing_iam_can_see(config: OrgConfig) -> None:
    assert allowed(config, SUBMISSION) is True


@pytest.mark.parametrize(
    "carried",
    [
        {"sagemaker:CustomerMetadataProperties/card:approval": "0" * 64 + " qa.approver@example.com now"},
        {"sagemaker:ModelLifeCycle:stage": "prod", "sagemaker:ModelLifeCycle:stageStatus": "Approved"},
        {"sagemaker:ModelApprovalStatus": "Approved"},
        {"sagemaker:CustomerMetadataPropertiesToRemove": ["card:approval"]},
    ],
    ids=["card-approval", "stage", "approval-status", "removal"],
)
def test_the_submission_statement_refuses_an_update_carrying_an_approval_or_a_decision(
    config: OrgConfig, carried: dict[str, str | list[str]]
) -> None:
    assert allowed(config, carried) is False


def test_the_submission_statement_refuses_every_reserved_key(config: OrgConfig) -> None:
    admitted = [
        key
        for key in reserved_keys(config)
        if allowed(config, {f"sagemaker:CustomerMetadataProperties/{key}": "forged"})
    ]
    # qa's and prod's outcome and five approval slots each (12), 3 content keys, 4 lineage keys, the card approval.
    assert (admitted, len(reserved_keys(config))) == ([], 20)
