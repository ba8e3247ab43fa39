"""The promotion gates of DESIGN.md, as rules over what the registry and the live records report."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from accounts.config import OrgConfig
from accounts.validation import InputError
from promotion import gates
from promotion.gates import GateFailure
from promotion.metadata import Decision, EnvironmentDecisions
from promotion.registry import Lineage, PackageInfo

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"


def package(
    version: int = 3,
    *,
    status: str = "Approved",
    metrics: dict[str, float] | None = None,
    card: str | None = "PendingReview",
    description: str = "",
    decisions: Mapping[str, tuple[str, ...]] | None = None,
    registered_by: str | None = "data.scientist@example.com",
) -> PackageInfo:
    """A version as the registry reports it; `decisions` maps an environment to (outcome, *deciders):
    each decider approved, except that the last of a Rejected outcome rejected."""
    arn = ARN.format(version)

    def record(env: str, outcome: str, deciders: tuple[str, ...]) -> EnvironmentDecisions:
        verdicts = ["Approved"] * len(deciders)
        if outcome == "Rejected":
            verdicts[-1] = "Rejected"
        made = tuple(
            Decision(arn, env, verdict, who, f"2026-11-22T10:0{n}:00Z")
            for n, (verdict, who) in enumerate(zip(verdicts, deciders, strict=True))
        )
        return EnvironmentDecisions(env=env, status=outcome, decisions=made)

    return PackageInfo(
        arn=arn,
        group="churn-model",
        version=version,
        status=status,
        created=None,
        description="",
        approval_description=description,
        metrics={"auc": 0.9, "false_positive_rate": 0.05} if metrics is None else metrics,
        decisions={env: record(env, entry[0], entry[1:]) for env, entry in (decisions or {}).items()},
        lineage=Lineage(None, None, None, None, registered_by),
        model_card_status=card,
    )


# -- the ARN: well formed, shared-services account and region, the model's group ----------------------


def test_a_well_formed_arn_of_the_models_group_in_shared_services_passes(config: OrgConfig) -> None:
    assert gates.arn_failures(config, "churn-model", ARN.format(3)) == []


def test_a_malformed_arn_is_refused_with_the_expected_shape(config: OrgConfig) -> None:
    assert gates.arn_failures(config, "churn-model", "arn:aws:sagemaker:eu-west-1:111111111111:churn-model/3") == [
        GateFailure(
            "arn-format",
            "malformed ModelPackage ARN 'arn:aws:sagemaker:eu-west-1:111111111111:churn-model/3'; expected "
            "arn:aws:sagemaker:<region>:<12-digit account>:model-package/<group>/<version>",
        )
    ]


def test_an_arn_of_another_account_names_the_shared_services_account(config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:444444444444:model-package/churn-model/3"
    assert gates.arn_failures(config, "churn-model", arn) == [
        GateFailure(
            "registry-account",
            f"{arn} is in account 444444444444; expected the shared-services account 111111111111",
        )
    ]


def test_an_arn_of_another_region_names_the_configured_region(config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-model/3"
    assert gates.arn_failures(config, "churn-model", arn) == [
        GateFailure("registry-account", f"{arn} is in region us-east-1; expected eu-west-1")
    ]


def test_an_arn_of_another_models_group_is_refused(config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-model/3"
    assert gates.arn_failures(config, "churn-model", arn) == [
        GateFailure("model-group", f"{arn} is in group 'fraud-model'; expected the group of model 'churn-model'")
    ]


def test_require_arn_turns_the_first_shape_failure_into_input_error_naming_the_option(
    config: OrgConfig,
) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:444444444444:model-package/churn-model/3"
    with pytest.raises(InputError) as raised:
        gates.require_arn(config, "churn-model", arn)
    assert str(raised.value) == (
        f"--arn: {arn} is in account 444444444444; expected the shared-services account 111111111111"
    )


# -- the version exists and is Approved -----------------------------------------------------------------


def test_a_missing_version_fails_the_version_exists_rule() -> None:
    assert gates.registry_failures(ARN.format(9), None) == [
        GateFailure("version-exists", f"{ARN.format(9)} does not exist in the registry")
    ]


def test_a_pending_version_is_refused_pointing_at_modelops_approve() -> None:
    assert gates.registry_failures(ARN.format(3), package(status="PendingManualApproval")) == [
        GateFailure(
            "approved",
            "churn-model v3 is PendingManualApproval; only Approved versions can be promoted "
            "(an approver decides with `modelops approve`)",
        )
    ]


def test_a_rejected_version_is_refused_quoting_the_decision() -> None:
    rejected = package(status="Rejected", description="qa.approver@example.com: leaks the label")
    assert gates.registry_failures(ARN.format(3), rejected) == [
        GateFailure(
            "approved",
            "churn-model v3 is Rejected (qa.approver@example.com: leaks the label); "
            "only Approved versions can be promoted",
        )
    ]


def test_an_approved_version_passes() -> None:
    assert gates.registry_failures(ARN.format(3), package()) == []


# -- no skipping: live in the previous environment ---------------------------------------------------


def test_the_first_environment_has_no_chain_order_gate(config: OrgConfig) -> None:
    assert gates.chain_failures(config, "qa", ARN.format(3), previous_live=None) == []


def test_a_version_live_in_the_previous_environment_passes(config: OrgConfig) -> None:
    assert gates.chain_failures(config, "prod", ARN.format(3), previous_live=ARN.format(3)) == []


def test_skipping_an_environment_is_refused_naming_what_is_live_there(config: OrgConfig) -> None:
    assert gates.chain_failures(config, "prod", ARN.format(3), previous_live=ARN.format(2)) == [
        GateFailure(
            "chain-order",
            "v3 is not live in qa, the environment before prod (live there: v2); promote and deploy it to qa first",
        )
    ]


def test_nothing_live_in_the_previous_environment_says_so(config: OrgConfig) -> None:
    assert gates.chain_failures(config, "prod", ARN.format(3), previous_live=None)[0].message.startswith(
        "v3 is not live in qa, the environment before prod (live there: nothing);"
    )


def test_a_version_already_live_here_passes_even_after_the_previous_environment_moved_on(
    config: OrgConfig,
) -> None:
    assert (
        gates.chain_failures(config, "prod", ARN.format(1), previous_live=ARN.format(3), live_here=ARN.format(1)) == []
    )


def test_a_rollback_to_a_version_live_here_before_passes(config: OrgConfig) -> None:
    assert (
        gates.chain_failures(
            config,
            "prod",
            ARN.format(1),
            previous_live=ARN.format(3),
            live_here=ARN.format(3),
            was_live_here=[ARN.format(1), ARN.format(3)],
        )
        == []
    )


# -- the environment's thresholds and model card ---------------------------------------------------


def test_metrics_within_the_thresholds_with_a_card_pass(config: OrgConfig) -> None:
    assert gates.threshold_failures(config, "churn-model", "prod", package()) == []


def test_a_metric_below_the_minimum_is_refused(config: OrgConfig) -> None:
    low = package(metrics={"auc": 0.82, "false_positive_rate": 0.05})
    assert gates.threshold_failures(config, "churn-model", "prod", low) == [
        GateFailure("metric-threshold", "churn-model v3: auc 0.82 is below prod's minimum 0.85")
    ]


def test_a_metric_above_the_maximum_is_refused(config: OrgConfig) -> None:
    high = package(metrics={"auc": 0.9, "false_positive_rate": 0.15})
    assert gates.threshold_failures(config, "churn-model", "prod", high) == [
        GateFailure("metric-threshold", "churn-model v3: false_positive_rate 0.15 is above prod's maximum 0.1")
    ]


def test_a_missing_metric_is_refused_naming_the_bound(config: OrgConfig) -> None:
    assert gates.threshold_failures(config, "churn-model", "qa", package(metrics={"auc": 0.9})) == [
        GateFailure("metric-threshold", "churn-model v3 has no metric 'false_positive_rate'; qa requires max 0.2")
    ]


def test_prod_requires_a_model_card_and_qa_does_not(config: OrgConfig) -> None:
    without = package(card=None)
    assert gates.threshold_failures(config, "churn-model", "qa", without) == []
    assert gates.threshold_failures(config, "churn-model", "prod", without) == [
        GateFailure("model-card", "churn-model v3 has no model card; prod requires one")
    ]


def test_version_labels_name_versions_and_nothing() -> None:
    assert [gates.version_label(ARN.format(7)), gates.version_label(None), gates.version_label("x")] == [
        "v7",
        "nothing",
        "x",
    ]


# -- decisions are per environment ----------------------------------------------------------------------------

Decided = dict[str, tuple[str, ...]]
QA_OK: Decided = {"qa": ("Approved", "qa.approver@example.com")}
PROD_QUORUM: Decided = {"prod": ("Approved", "prod.approver@example.com", "risk.officer@example.com")}


def test_a_version_approved_for_qa_alone_cannot_enter_prod(config: OrgConfig) -> None:
    assert gates.environment_failures(config, "qa", package(decisions=QA_OK)) == []
    assert gates.environment_failures(config, "prod", package(decisions=QA_OK)) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3 is not approved for prod; an approver of ml-risk-prod decides with "
            "`modelops approve churn-model 3 --env prod`",
        )
    ]


def test_an_approval_for_prod_by_the_quorum_of_the_prod_group_passes(config: OrgConfig) -> None:
    assert gates.environment_failures(config, "prod", package(decisions=QA_OK | PROD_QUORUM)) == []


def test_one_approval_of_a_quorum_of_two_does_not_open_prod(config: OrgConfig) -> None:
    halfway = QA_OK | {"prod": ("PendingApproval", "prod.approver@example.com")}
    assert gates.environment_failures(config, "prod", package(decisions=halfway)) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3 is not approved for prod (1 of 2 approvals so far); an approver of ml-risk-prod "
            "decides with `modelops approve churn-model 3 --env prod`",
        )
    ]


def test_an_approved_outcome_with_fewer_distinct_approvers_than_the_quorum_is_refused(config: OrgConfig) -> None:
    forged = QA_OK | {"prod": ("Approved", "prod.approver@example.com", "prod.approver@example.com")}
    assert gates.environment_failures(config, "prod", package(decisions=forged)) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3's approval for prod has 1 distinct approvers; prod requires 2",
        )
    ]


def test_an_approval_that_includes_the_registrant_is_refused(config: OrgConfig) -> None:
    own = package(decisions=QA_OK | PROD_QUORUM, registered_by="risk.officer@example.com")
    assert gates.environment_failures(config, "prod", own) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3's approval for prod includes risk.officer@example.com, who registered it; nobody "
            "approves their own version",
        )
    ]


def test_a_reject_for_prod_blocks_prod_and_leaves_qa_alone(config: OrgConfig) -> None:
    rejected = QA_OK | {"prod": ("Rejected", "prod.approver@example.com")}
    assert gates.environment_failures(config, "qa", package(decisions=rejected)) == []
    assert gates.environment_failures(config, "prod", package(decisions=rejected)) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3 was Rejected by prod.approver@example.com at 2026-11-22T10:00:00Z for prod; a version "
            "rejected for prod enters neither prod nor any environment after it",
        )
    ]


def test_a_reject_for_qa_blocks_every_later_environment_even_with_an_approval_there(config: OrgConfig) -> None:
    rejected = {"qa": ("Rejected", "qa.approver@example.com")} | PROD_QUORUM
    assert [f.message for f in gates.environment_failures(config, "prod", package(decisions=rejected))] == [
        "churn-model v3 was Rejected by qa.approver@example.com at 2026-11-22T10:00:00Z for qa; a version "
        "rejected for qa enters neither qa nor any environment after it"
    ]


def test_an_approval_recorded_in_the_name_of_someone_outside_the_group_is_refused(config: OrgConfig) -> None:
    forged = QA_OK | {"prod": ("Approved", "qa.approver@example.com", "prod.approver@example.com")}
    assert gates.environment_failures(config, "prod", package(decisions=forged)) == [
        GateFailure(
            "approved-for-environment",
            "churn-model v3's approval for prod names qa.approver@example.com, who is not a member of "
            "ml-risk-prod, the approver group of prod",
        )
    ]


def test_a_pending_version_reports_its_status_once_not_once_per_rule(config: OrgConfig) -> None:
    failures = gates.package_failures(
        config, "churn-model", "prod", ARN.format(3), package(status="PendingManualApproval")
    )
    assert [f.rule for f in failures] == ["approved"]
