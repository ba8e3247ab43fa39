"""The demo follows the configured organisation: its model, chain, people, image and gates (demo/cast.py,
demo/metrics.py), and says in one line what accounts.yaml lacks for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from accounts.config import OrgConfig, parse_config
from demo import lifecycle
from demo.cast import Cast, MissingInConfig, cast
from demo.metrics import passing, rejected
from tests.orgs import load_org, org_data, workloads_root


def org(data: dict[str, Any]) -> OrgConfig:
    return parse_config(data, "accounts.yaml")


def cast_of(data: dict[str, Any]) -> Cast:
    return cast(org(data), "accounts.yaml")


def test_the_sample_chains_cast_is_its_first_model_people_quorums_and_shared_services_image() -> None:
    players = cast(load_org("two_env"), "accounts.yaml")
    assert (players.model.name, players.chain, players.data_scientist, players.platform_engineer) == (
        "churn-model",
        ("qa", "prod"),
        "data.scientist@example.com",
        "platform.engineer@example.com",
    )
    assert players.approvers == {
        "qa": ("qa.approver@example.com",),
        "prod": ("prod.approver@example.com", "risk.officer@example.com"),
    }
    assert players.image == "111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelops-models:churn-model-2.4.0"
    assert (players.reviewer, players.outsider()) == ("qa.approver@example.com", ("qa.approver@example.com", "prod"))


def test_a_longer_chain_refuses_the_first_approver_in_the_latest_environment_outside_their_group() -> None:
    players = cast(load_org("four_env"), "accounts.yaml")
    assert players.chain == ("dev", "test", "uat", "prod")
    assert players.approvers == {
        "dev": ("lead@example.com",),
        "test": ("lead@example.com",),
        "uat": ("risk@example.com",),
        "prod": ("risk@example.com",),
    }
    assert players.outsider() == ("lead@example.com", "prod")


def test_with_one_approver_group_for_every_environment_there_is_no_cross_environment_refusal() -> None:
    data = org_data("four_env")
    for env in data["environments"]:
        env["approver_group"] = "ml-leads"
    assert cast_of(data).outsider() is None


def test_the_second_step_names_the_refusal_the_quorums_and_the_rest_of_the_chain() -> None:
    assert lifecycle.second_step_title(cast(load_org("two_env"), "accounts.yaml")) == (
        "a qa approver may not decide for prod; two prod approvers meet prod's quorum; v1 goes to prod"
    )
    assert lifecycle.second_step_title(cast(load_org("four_env"), "accounts.yaml")) == (
        "a dev approver may not decide for prod; v1 goes to test, uat, then prod"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("models", [], "accounts.yaml: models: empty; the demo follows the first configured model"),
        (
            "people",
            {"platform_engineers": ["platform.engineer@example.com"]},
            "accounts.yaml: people.data_scientists: empty; the demo registers versions as its first member",
        ),
        (
            "people",
            {"data_scientists": ["data.scientist@example.com"]},
            "accounts.yaml: people.platform_engineers: empty; the demo promotes and rolls back as its first member",
        ),
        (
            "people",
            {"data_scientists": ["risk.officer@example.com"], "platform_engineers": ["platform.engineer@example.com"]},
            "accounts.yaml: approver_groups.ml-risk-prod.members: prod needs 2 approver(s) other than the data "
            "scientist risk.officer@example.com; it has 1",
        ),
    ],
)
def test_what_the_demo_needs_and_accounts_yaml_lacks_is_named_by_its_field(
    field: str, value: Any, message: str
) -> None:
    data = org_data("two_env")
    data[field] = value
    with pytest.raises(MissingInConfig) as missing:
        cast_of(data)
    assert str(missing.value) == message


def test_gates_no_version_can_meet_are_named_by_the_model_and_metric() -> None:
    data = org_data("two_env")
    data["models"][0]["gates"]["qa"]["metrics"]["auc"] = {"max": 0.7}
    with pytest.raises(MissingInConfig) as missing:
        cast_of(data)
    assert str(missing.value) == (
        "accounts.yaml: models[0].gates.auc: no value meets every environment's gate of churn-model "
        "(min 0.85 in one, max 0.7 in another)"
    )


def test_good_versions_meet_every_gate_and_the_rejected_one_misses_the_first_environments() -> None:
    model = load_org("two_env").models[0]
    assert [passing(model, version) for version in (1, 3, 5)] == [
        {"auc": "0.91", "false_positive_rate": "0.06"},
        {"auc": "0.93", "false_positive_rate": "0.04"},
        {"auc": "0.92", "false_positive_rate": "0.05"},
    ]
    assert rejected(model, "qa", 2) == (
        {"auc": "0.78", "false_positive_rate": "0.06"},
        "AUC 0.78 is below the qa gate's minimum 0.8",
    )


def test_a_rate_whose_minimum_cannot_be_missed_is_rejected_on_its_maximum() -> None:
    data = org_data("two_env")
    data["models"][0]["gates"] = {"qa": {"metrics": {"recall": {"min": 0.0}, "false_positive_rate": {"max": 0.2}}}}
    model = org(data).models[0]
    assert rejected(model, "qa", 2) == (
        {"false_positive_rate": "0.22", "recall": "0.4"},
        "FPR 0.22 is above the qa gate's maximum 0.2",
    )


def test_values_keep_the_decimals_that_keep_them_inside_a_narrow_gate() -> None:
    data = org_data("two_env")
    data["models"][0]["gates"] = {"prod": {"metrics": {"precision": {"min": 0.901, "max": 0.905}}}}
    assert passing(org(data).models[0], 1) == {"precision": "0.903"}


def test_a_model_without_gates_reports_an_auc_and_its_rejection_misses_no_gate() -> None:
    data = org_data("two_env")
    data["models"][0]["gates"] = {}
    model = org(data).models[0]
    assert passing(model, 1) == {"auc": "0.88"}
    assert rejected(model, "qa", 2) == ({"auc": "0.88"}, None)


def test_the_demo_copies_only_its_models_manifests_and_says_which_environments_have_none(tmp_path: Path) -> None:
    data = org_data("several_models")
    data["environments"].append({**data["environments"][1], "name": "dr", "account": "666666666666"})
    config = org(data)
    lines = lifecycle.copy_manifests(config, cast(config, "accounts.yaml"), workloads_root("several_models"), tmp_path)
    assert lines == [
        "the repository's manifests of churn-model pin v1 in qa and v1 in prod",
        "churn-model has no manifest in dr: its first promotion there writes one on the schema's defaults, for that "
        "environment's approvers to review in the PR",
    ]
    assert sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*.yaml")) == [
        "prod/churn-model.yaml",
        "qa/churn-model.yaml",
    ]


def test_the_demo_exits_2_naming_the_field_it_lacks_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = org_data("two_env")
    data["people"]["data_scientists"] = []
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(lifecycle, "DEFAULT_CONFIG_PATH", path)
    assert lifecycle.main() == 2
    assert capsys.readouterr().err == (
        f"error: {path}: people.data_scientists: empty; the demo registers versions as its first member\n"
    )


def test_the_demo_exits_2_on_an_invalid_accounts_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = org_data("two_env")
    data["organization"]["region"] = "eu-west-9"
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data))
    monkeypatch.setattr(lifecycle, "DEFAULT_CONFIG_PATH", path)
    assert lifecycle.main() == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: {path}: organization.region: 'eu-west-9' is not an AWS region")
