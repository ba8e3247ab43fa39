"""accounts.yaml: an organisation loads and answers chain and model lookups, and every broken variant is
refused with one line naming the file, the field and the rule. Variants are built from the two_env test
organisation (tests/orgs/two_env, the sample qa -> prod chain)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from accounts import naming
from accounts.config import MAX_MODEL_NAME, load_config, parse_config
from accounts.validation import InputError
from tests.orgs import load_org, org_data


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def error_of(tmp_path: Path, data: Any) -> str:
    path = write(tmp_path, data)
    with pytest.raises(InputError) as raised:
        load_config(path)
    return str(raised.value).replace(str(path), "accounts.yaml")


def test_two_env_organisation_loads_with_its_fake_ids_and_the_qa_prod_chain() -> None:
    config = load_org("two_env")
    assert config.organization.id == "o-sandbox0001"
    assert config.region == "eu-west-1"
    assert config.accounts.shared_services == "111111111111"
    assert config.accounts.data_science == "222222222222"
    assert config.accounts.deployment == "333333333333"
    assert config.chain == ["qa", "prod"]
    assert [env.account for env in config.environments] == ["444444444444", "555555555555"]
    assert [env.requires_review for env in config.environments] == [False, True]
    assert config.pipeline.engine == "github-actions"
    assert [model.name for model in config.models] == ["churn-model"]


def test_chain_navigation_follows_promotion_order() -> None:
    config = load_org("two_env")
    assert config.previous_environment("qa") is None
    assert config.previous_environment("prod") == config.environment("qa")
    assert config.next_environment("qa") == config.environment("prod")
    assert config.next_environment("prod") is None
    assert config.approvers("prod").members == ["prod.approver@example.com", "risk.officer@example.com"]


def test_unknown_environment_lookup_names_the_chain() -> None:
    with pytest.raises(InputError, match=r"^unknown environment 'staging'; expected one of \['qa', 'prod'\]$"):
        load_org("two_env").environment("staging")


def test_a_longer_chain_navigates_in_promotion_order_and_environments_may_share_an_approver_group() -> None:
    config = load_org("four_env")
    assert config.chain == ["dev", "test", "uat", "prod"]
    assert [getattr(config.previous_environment(name), "name", None) for name in config.chain] == [
        None,
        "dev",
        "test",
        "uat",
    ]
    assert [getattr(config.next_environment(name), "name", None) for name in config.chain] == [
        "test",
        "uat",
        "prod",
        None,
    ]
    assert [config.approvers(name).github_team for name in config.chain] == [
        "@example-org/ml-leads",
        "@example-org/ml-leads",
        "@example-org/model-risk",
        "@example-org/model-risk",
    ]


def test_models_are_found_by_name_and_an_unknown_one_is_refused_naming_every_model() -> None:
    config = load_org("several_models")
    assert [model.name for model in config.models] == ["churn-model", "fraud-model", "pricing-model"]
    assert (sorted(config.model("fraud-model").gates), config.model("pricing-model").gates) == (["prod", "qa"], {})
    with pytest.raises(
        InputError,
        match=r"^unknown model 'credit-model'; expected one of \['churn-model', 'fraud-model', 'pricing-model'\]$",
    ):
        config.model("credit-model")


def test_account_id_that_is_not_12_digits_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["accounts"]["data_science"] = "22222222222"
    assert error_of(tmp_path, data) == (
        "accounts.yaml: accounts.data_science: must be a 12-digit AWS account id, got '22222222222'"
    )


def test_unquoted_account_id_is_refused_because_yaml_would_drop_leading_zeros(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][0]["account"] = 444444444444
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[0].account: must be a 12-digit AWS account id in quotes, "
        "got the number 444444444444"
    )


def test_account_id_that_appears_twice_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][1]["account"] = "444444444444"
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[1].account: account id 444444444444 appears twice "
        "(also at environments[0].account)"
    )


def test_environment_sharing_the_shared_services_account_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][0]["account"] = "111111111111"
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[0].account: environment 'qa' shares account 111111111111 with "
        "shared_services; each environment needs its own workload account"
    )


def test_duplicate_environment_name_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][1]["name"] = "qa"
    assert error_of(tmp_path, data) == "accounts.yaml: environments[1].name: duplicate environment name 'qa'"


def test_unknown_pipeline_engine_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["pipeline"]["engine"] = "jenkins"
    assert error_of(tmp_path, data) == (
        "accounts.yaml: pipeline.engine: Input should be 'github-actions' or 'codepipeline'"
    )


def test_model_name_that_is_not_a_model_package_group_name_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["models"][0]["name"] = "churn_model"
    assert error_of(tmp_path, data) == (
        "accounts.yaml: models[0].name: 'churn_model' is not a valid model package group name "
        "(letters, digits and single hyphens, starting with a letter or digit)"
    )


def test_unknown_key_is_refused_so_a_typo_never_passes_silently(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][0]["requires_reveiw"] = True
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[0].requires_reveiw: unknown key (check the spelling; unknown keys are rejected)"
    )


def test_empty_chain_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"] = []
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments: the chain is empty; list at least one environment in promotion order"
    )


def test_malformed_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "accounts.yaml"
    path.write_text("organization:\n  id: o-sandbox0001\n  region: [eu-west-1\n")
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert str(raised.value) == (
        f"{path}: malformed YAML (line 4, column 1): expected ',' or ']', but got '<stream end>'"
    )


def test_gate_for_an_unknown_environment_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["models"][0]["gates"]["staging"] = {"metrics": {}}
    assert error_of(tmp_path, data) == (
        "accounts.yaml: models[0].gates.staging: unknown environment; expected one of ['qa', 'prod']"
    )


def test_environment_naming_an_unknown_approver_group_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][1]["approver_group"] = "ml-risk-uat"
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[1].approver_group: unknown group 'ml-risk-uat'; "
        "expected one of ['ml-risk-prod', 'ml-risk-qa']"
    )


def test_a_quorum_larger_than_the_approver_group_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][1]["approvals_required"] = 3
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[1].approvals_required: 3 approvals need at least 3 members in ml-risk-prod, "
        "which has 2"
    )


def test_a_quorum_outside_one_to_five_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["environments"][0]["approvals_required"] = 0
    assert error_of(tmp_path, data) == (
        "accounts.yaml: environments[0].approvals_required: Input should be greater than or equal to 1"
    )


def test_an_approver_listed_twice_is_refused_since_a_quorum_counts_people(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["approver_groups"]["ml-risk-prod"]["members"].append("prod.approver@example.com")
    assert error_of(tmp_path, data) == (
        "accounts.yaml: approver_groups.ml-risk-prod: prod.approver@example.com is listed twice in members; "
        "a quorum counts distinct people"
    )


def test_an_approver_that_is_no_identity_center_user_name_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["approver_groups"]["ml-risk-qa"]["members"] = ["Jane Doe <jane@example.com>"]
    assert error_of(tmp_path, data) == (
        "accounts.yaml: approver_groups.ml-risk-qa.members[0]: 'Jane Doe <jane@example.com>' is not an Identity "
        "Center user name; expected an email address of letters, digits and ._+- (at most 64 characters)"
    )


def test_codepipeline_engine_is_refused_with_or_without_a_connection(tmp_path: Path) -> None:
    """The engine is refused until it is complete (tests/test_config_first_run.py says why); this used to
    test that it needs codestar_connection_arn, a check no accounts.yaml can reach while the engine is refused."""
    data = org_data("two_env")
    data["pipeline"]["engine"] = "codepipeline"
    del data["pipeline"]["codestar_connection_arn"]
    assert error_of(tmp_path, data).startswith(
        "accounts.yaml: pipeline.engine: the codepipeline engine is not complete"
    )


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_config(tmp_path / "nope.yaml")
    assert str(raised.value) == f"{tmp_path / 'nope.yaml'}: file not found"


# -- approvals: review links and sign-in ------------------------------------------------------------------


def test_review_links_live_a_day_unless_the_organisation_says_otherwise(tmp_path: Path) -> None:
    data = org_data("two_env")
    del data["approvals"]["link_hours"]
    assert load_config(write(tmp_path, data)).approvals.link_hours == 24
    assert load_org("four_env").approvals.link_hours == 48


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (0, "must be a whole number of hours from 1 to 168 (a week), got 0"),
        (169, "must be a whole number of hours from 1 to 168 (a week), got 169"),
        (True, "Input should be a valid integer"),
        ("24", "Input should be a valid integer"),
    ],
    ids=["zero", "over-a-week", "boolean", "string"],
)
def test_a_link_lifetime_that_is_not_one_hour_to_a_week_is_refused(tmp_path: Path, hours: object, message: str) -> None:
    data = org_data("two_env")
    data["approvals"]["link_hours"] = hours
    assert error_of(tmp_path, data) == f"accounts.yaml: approvals.link_hours: {message}"


def test_the_approval_functions_reserve_no_concurrency_unless_the_organisation_says_so(tmp_path: Path) -> None:
    """Reserving fails in an account whose limit leaves fewer than 100 units unreserved, as new accounts' 10
    do: https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"""
    data = org_data("two_env")
    default = load_config(write(tmp_path, data)).approvals.reserved_concurrency
    assert [default.units(purpose) for purpose in ("notify", "review", "dispatch")] == [None, None, None]
    data["approvals"]["reserved_concurrency"] = {"review": 5, "dispatch": 2}
    configured = load_config(write(tmp_path, data)).approvals.reserved_concurrency
    assert [configured.units(purpose) for purpose in ("notify", "review", "dispatch")] == [None, 5, 2]


@pytest.mark.parametrize(
    ("reserved", "message"),
    [
        ({"review": 0}, "review: must be a whole number of concurrent executions of at least 1, got 0"),
        ({"review": -3}, "review: must be a whole number of concurrent executions of at least 1, got -3"),
        ({"review": "5"}, "review: Input should be a valid integer"),
        ({"reviews": 5}, "reviews: unknown key (check the spelling; unknown keys are rejected)"),
    ],
    ids=["zero", "negative", "string", "unknown-function"],
)
def test_reserved_concurrency_of_less_than_one_or_for_an_unknown_function_is_refused(
    tmp_path: Path, reserved: dict[str, object], message: str
) -> None:
    data = org_data("two_env")
    data["approvals"]["reserved_concurrency"] = reserved
    assert error_of(tmp_path, data) == f"accounts.yaml: approvals.reserved_concurrency.{message}"


# -- artifacts: Object Lock retention -----------------------------------------------------------------------


def test_artifacts_are_kept_seven_years_unless_the_organisation_says_otherwise(tmp_path: Path) -> None:
    data = org_data("two_env")
    data.pop("artifacts", None)
    assert load_config(write(tmp_path, data)).artifacts.retention_days == 2557
    data["artifacts"] = {"retention_days": 3650}
    assert load_config(write(tmp_path, data)).artifacts.retention_days == 3650


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "must be a whole number of days from 1 to 36500 (100 years), got 0"),
        (36501, "must be a whole number of days from 1 to 36500 (100 years), got 36501"),
        (True, "Input should be a valid integer"),
        ("2557", "Input should be a valid integer"),
    ],
    ids=["zero", "over-a-century", "boolean", "string"],
)
def test_a_retention_that_is_not_one_day_to_a_century_is_refused(tmp_path: Path, days: object, message: str) -> None:
    data = org_data("two_env")
    data["artifacts"] = {"retention_days": days}
    assert error_of(tmp_path, data) == f"accounts.yaml: artifacts.retention_days: {message}"


def test_an_unknown_artifacts_setting_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["artifacts"] = {"retention_years": 7}
    assert error_of(tmp_path, data) == (
        "accounts.yaml: artifacts.retention_years: unknown key (check the spelling; unknown keys are rejected)"
    )


def test_the_identity_provider_is_read_with_its_discovery_document_names() -> None:
    sign_in = load_org("two_env").approvals.sign_in
    assert (sign_in.issuer, sign_in.authorization_endpoint, sign_in.token_endpoint, sign_in.client_id) == (
        "https://signin.sandbox.modelops.invalid",
        "https://signin.sandbox.modelops.invalid/oauth2/authorize",
        "https://signin.sandbox.modelops.invalid/oauth2/token",
        "modelops-review",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "token_endpoint",
            "http://signin.example/oauth2/token",
            "must be an https URL without a fragment, got 'http://signin.example/oauth2/token'",
        ),
        (
            "authorization_endpoint",
            "https://signin.example/authorize#x",
            "must be an https URL without a fragment, got 'https://signin.example/authorize#x'",
        ),
        (
            "issuer",
            "https://signin.example/?tenant=1",
            "must be an https URL without a query or fragment, got 'https://signin.example/?tenant=1'",
        ),
        ("issuer", "signin.example", "must be an https URL without a query or fragment, got 'signin.example'"),
        ("client_id", "modelops review", "String should match pattern '^[!-~]{1,255}$'"),
    ],
    ids=["http-token-endpoint", "fragment", "issuer-query", "no-scheme", "client-id-space"],
)
def test_sign_in_settings_that_are_not_https_urls_or_a_client_id_are_refused(
    tmp_path: Path, field: str, value: str, message: str
) -> None:
    data = org_data("two_env")
    data["approvals"]["sign_in"][field] = value
    assert error_of(tmp_path, data) == f"accounts.yaml: approvals.sign_in.{field}: {message}"


def test_an_authorization_endpoint_may_carry_a_query_as_oauth_allows() -> None:
    data = org_data("two_env")
    data["approvals"]["sign_in"]["authorization_endpoint"] = "https://signin.example/authorize?tenant=bank"
    assert parse_config(data, "accounts.yaml").approvals.sign_in.authorization_endpoint.endswith("?tenant=bank")


def test_an_organisation_without_an_identity_provider_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    del data["approvals"]["sign_in"]
    assert error_of(tmp_path, data) == "accounts.yaml: approvals.sign_in: Field required"


def test_the_longest_model_name_gives_an_endpoint_name_within_sagemakers_63_characters() -> None:
    """Endpoints are `modelops-<model>` so that the operator's `endpoint/modelops-*` reaches no other team's."""
    data = org_data("two_env")
    data["models"][0]["name"] = "m" * MAX_MODEL_NAME
    model = parse_config(data, "accounts.yaml").models[0].name
    assert (naming.endpoint_name(model), len(naming.endpoint_name(model))) == (f"modelops-{'m' * 37}", 46)
    assert naming.rollback_alarm_name(model, "model-latency") == f"modelops-{'m' * 37}-model-latency"


def test_a_model_name_one_character_longer_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["models"][0]["name"] = "m" * (MAX_MODEL_NAME + 1)
    assert error_of(tmp_path, data) == (
        f"accounts.yaml: models[0].name: '{'m' * 38}' is longer than 37 characters (derived IAM role names must fit)"
    )
