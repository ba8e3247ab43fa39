"""accounts.yaml refuses, on the first run and before anything deploys, what would otherwise fail on AWS or
leave a role with nothing to run as: model names that are not lower case, and the unfinished CodePipeline
engine. A model's description is kept out of the model package group, whose description AWS cannot change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Template

from accounts.config import OrgConfig, load_config
from accounts.validation import InputError
from shared_services.registry import ModelRegistry
from tests.orgs import load_org, org_data


def _error_of(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError) as raised:
        load_config(path)
    return str(raised.value).replace(str(path), "accounts.yaml")


@pytest.mark.parametrize("name", ["Churn-Model", "churn-Model", "CHURN"])
def test_a_model_name_that_is_not_lower_case_is_refused_naming_the_field(tmp_path: Path, name: str) -> None:
    """SageMaker lower-cases endpoint names in endpoint ARNs (shared/notes/aws-facts.md, "Hosting"; the
    sandbox does the same, tests/test_sandbox_quotas.py::test_an_endpoint_arn_names_the_endpoint_in_lower_case),
    and the model's name names its endpoints: a policy naming `endpoint/Churn-Model` would match nothing."""
    data = org_data("two_env")
    data["models"][0]["name"] = name

    assert _error_of(tmp_path, data) == (
        f"accounts.yaml: models[0].name: {name!r} must be lower case (SageMaker lower-cases endpoint names in "
        f"ARNs, so policies naming its endpoints would not match); use {name.lower()!r}"
    )


def test_a_lower_case_model_name_of_letters_digits_and_hyphens_is_accepted(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["models"][0]["name"] = "churn-model-2"
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    assert [model.name for model in load_config(path).models] == ["churn-model-2"]


def test_the_codepipeline_engine_is_refused_until_it_is_complete(tmp_path: Path) -> None:
    """Under the CodePipeline engine each workload operator role trusts the GitHub deploy role of its
    environment, which that engine never creates (README, "Not yet built"): refused with one line naming the
    field. The engine's stack module is still built and tested from code (tests/test_codepipeline.py, through
    tests/conftest.py's `codepipeline_config`)."""
    data = org_data("two_env")
    data["pipeline"]["engine"] = "codepipeline"

    assert _error_of(tmp_path, data) == (
        "accounts.yaml: pipeline.engine: the codepipeline engine is not complete (its workload operator roles "
        "trust a GitHub deploy role it never creates, so no post-deploy step can run); use github-actions"
    )


def _group_properties(config: OrgConfig) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "Registry", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    ModelRegistry(stack, "Registry", config=config, model=config.models[0])
    (group,) = Template.from_stack(stack).find_resources("AWS::SageMaker::ModelPackageGroup").values()
    properties: dict[str, Any] = group["Properties"]
    return properties


def test_editing_a_models_description_changes_nothing_of_its_model_package_group() -> None:
    """AWS::SageMaker::ModelPackageGroup's ModelPackageGroupDescription is "Update requires: Replacement"
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sagemaker-modelpackagegroup.html),
    and a replacement of the named group fails the update ("CloudFormation cannot update a stack when a
    custom-named resource requires replacing"; the sandbox too,
    tests/test_sandbox_quotas.py::test_changing_a_groups_description_fails_the_update_and_rolls_back). So the
    description is documentation in accounts.yaml only: editing it leaves the group's template unchanged."""
    config = load_org("two_env")
    (model,) = config.models
    edited = config.model_copy(update={"models": [model.model_copy(update={"description": "Retrained monthly."})]})

    before, after = _group_properties(config), _group_properties(edited)

    assert before == after
    assert "ModelPackageGroupDescription" not in before


def test_people_list_the_data_scientists_and_platform_engineers_by_identity_center_user_name(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["people"] = {"data_scientists": ["ds@bank.example"], "platform_engineers": ["ops@bank.example"]}
    path = tmp_path / "accounts.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    people = load_config(path).people
    assert (people.data_scientists, people.platform_engineers) == (["ds@bank.example"], ["ops@bank.example"])


def test_a_person_who_is_not_an_identity_center_user_name_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["people"] = {"data_scientists": ["Data Scientist"]}

    assert _error_of(tmp_path, data) == (
        "accounts.yaml: people.data_scientists[0]: 'Data Scientist' is not an Identity Center user name; expected "
        "an email address of letters, digits and ._+- (at most 64 characters)"
    )


def test_a_person_listed_twice_is_refused(tmp_path: Path) -> None:
    data = org_data("two_env")
    data["people"] = {"platform_engineers": ["ops@bank.example", "ops@bank.example"]}

    assert _error_of(tmp_path, data) == "accounts.yaml: people: ops@bank.example is listed twice in platform_engineers"
