"""Manifests `workloads/<env>/<model>.yaml`: each bad one gets a single line naming file, field and rule.

The two_env test organisation's registry lives in shared services 111111111111, eu-west-1, and knows one
model, churn-model; each test writes its manifest under tmp_path/qa/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.config import OrgConfig
from accounts.validation import InputError
from tests.orgs import load_org, workloads_root
from workloads.manifest import (
    Alarms,
    EnvironmentManifest,
    Manifest,
    Rollout,
    load_all,
    load_manifest,
)

ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3"


def write(tmp_path: Path, text: str, *, env: str = "qa", name: str = "churn-model") -> Path:
    folder = tmp_path / env
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def error_of(path: Path, config: OrgConfig) -> str:
    with pytest.raises(InputError) as caught:
        load_manifest(path, config)
    return str(caught.value)


def test_a_minimal_manifest_loads_with_safe_defaults(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\n")
    manifest = load_manifest(path, config)
    assert manifest == Manifest(
        model="churn-model",
        model_package_arn=ARN,
        instance_type="ml.m5.large",
        instance_count=1,
        rollout=Rollout(strategy="canary", step_percent=10, wait_minutes=5, termination_wait_minutes=10),
        alarms=Alarms(max_5xx_errors=0, max_model_latency_ms=1000),
        data_capture=None,
        autoscaling=None,
    )
    assert manifest.version == 3


def test_an_organisations_manifests_load_for_every_environment_in_chain_order(config: OrgConfig) -> None:
    loaded = load_all(config, workloads_root("two_env"))
    assert list(loaded) == ["qa", "prod"]
    for env, manifests in loaded.items():
        assert [(item.env, item.path.name, item.manifest.model) for item in manifests] == [
            (env, "churn-model.yaml", "churn-model")
        ]
        assert all(isinstance(item, EnvironmentManifest) for item in manifests)


def test_an_environment_lists_a_manifest_for_each_model_it_runs_sorted_by_model() -> None:
    loaded = load_all(load_org("several_models"), workloads_root("several_models"))
    assert {
        env: [(item.env, item.manifest.model, item.manifest.version) for item in items] for env, items in loaded.items()
    } == {
        "qa": [("qa", "churn-model", 1), ("qa", "fraud-model", 4)],
        "prod": [("prod", "churn-model", 1)],
    }


def test_an_unknown_field_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\ninstance_typ: ml.m5.large\n")
    assert error_of(path, config) == (
        f"{path}: instance_typ: unknown key (check the spelling; unknown keys are rejected)"
    )


def test_an_unknown_nested_field_is_rejected_with_its_path(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\nrollout:\n  strategy: linear\n  step: 20\n")
    assert error_of(path, config) == (
        f"{path}: rollout.step: unknown key (check the spelling; unknown keys are rejected)"
    )


def test_a_malformed_arn_is_rejected_with_the_expected_shape(tmp_path: Path, config: OrgConfig) -> None:
    group_arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-model"
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {group_arn}\n")
    assert error_of(path, config) == (
        f"{path}: model_package_arn: malformed ModelPackage ARN '{group_arn}'; expected "
        "arn:aws:sagemaker:<region>:<12-digit account>:model-package/<group>/<version>"
    )


def test_an_arn_of_another_account_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:999999999999:model-package/churn-model/3"
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {arn}\n")
    assert error_of(path, config) == (
        f"{path}: model_package_arn: {arn} is in account 999999999999; "
        "expected the shared-services account 111111111111"
    )


def test_an_arn_of_another_region_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:us-east-1:111111111111:model-package/churn-model/3"
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {arn}\n")
    assert error_of(path, config) == f"{path}: model_package_arn: {arn} is in region us-east-1; expected eu-west-1"


def test_an_arn_in_a_group_other_than_the_model_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-model/3"
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {arn}\n")
    assert error_of(path, config) == (
        f"{path}: model_package_arn: {arn} is in group 'fraud-model'; expected the manifest's model 'churn-model'"
    )


def test_an_instance_count_below_one_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\ninstance_count: 0\n")
    assert error_of(path, config) == f"{path}: instance_count: Input should be greater than or equal to 1"


def test_an_unknown_rollout_strategy_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\nrollout:\n  strategy: all-at-once\n")
    assert error_of(path, config) == f"{path}: rollout.strategy: Input should be 'canary' or 'linear'"


def test_a_linear_step_below_sagemakers_ten_percent_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(
        tmp_path,
        f"model: churn-model\nmodel_package_arn: {ARN}\nrollout:\n  strategy: linear\n  step_percent: 5\n",
    )
    assert error_of(path, config) == (
        f"{path}: rollout: step_percent must be 10 to 50 for a linear rollout (SageMaker's LinearStepSize limit); got 5"
    )


def test_a_model_that_does_not_match_the_file_name_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\n", name="churn")
    assert error_of(path, config) == f"{path}: model: 'churn-model' does not match the file name 'churn'"


def test_a_model_missing_from_accounts_yaml_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/fraud-model/1"
    path = write(tmp_path, f"model: fraud-model\nmodel_package_arn: {arn}\n", name="fraud-model")
    assert error_of(path, config) == f"{path}: model: unknown model 'fraud-model'; expected one of ['churn-model']"


def test_a_manifest_outside_every_environment_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\n", env="staging")
    assert error_of(path, config) == (
        f"{path}: 'staging' is not an environment of accounts.yaml; expected one of ['qa', 'prod']"
    )


def test_malformed_yaml_is_rejected_with_its_line(tmp_path: Path, config: OrgConfig) -> None:
    path = write(tmp_path, "model: churn-model\nmodel_package_arn: [unclosed\n")
    assert error_of(path, config) == (
        f"{path}: malformed YAML (line 3, column 1): expected ',' or ']', but got '<stream end>'"
    )


# -- content: the registered bytes beside the ARN ----------------------------------------------------------

CONTENT = {
    "artifact": "s3://modelops-artifacts-111111111111-eu-west-1/artifacts/churn-model/v3/model.tar.gz",
    "artifact_version": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    "artifact_sha256": "a" * 64,
    "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-model@sha256:" + "b" * 64,
}


def with_content(tmp_path: Path, **changes: str) -> Path:
    block = "".join(f"  {key}: '{value}'\n" for key, value in {**CONTENT, **changes}.items())
    return write(tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\ncontent:\n{block}")


def test_the_content_block_loads_beside_the_arn(tmp_path: Path, config: OrgConfig) -> None:
    manifest = load_manifest(with_content(tmp_path), config)
    assert manifest.content is not None
    assert manifest.content.model_dump() == CONTENT


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "artifact",
            "https://example.com/model.tar.gz",
            "String should match pattern '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$'",
        ),
        ("artifact_version", "", "String should have at least 1 character"),
        ("artifact_sha256", "A" * 64, "String should match pattern '^[0-9a-f]{64}$'"),
        (
            "image",
            "111111111111.dkr.ecr.eu-west-1.amazonaws.com/churn-model:1.0",
            "String should match pattern '^[^@\\s]+@sha256:[0-9a-f]{64}$'",
        ),
    ],
    ids=["not-s3", "empty-version", "upper-case-sha", "tag-not-digest"],
)
def test_a_content_field_of_the_wrong_form_is_rejected(
    tmp_path: Path, config: OrgConfig, field: str, value: str, message: str
) -> None:
    path = with_content(tmp_path, **{field: value})
    assert error_of(path, config) == f"{path}: content.{field}: {message}"


def test_a_content_block_missing_a_field_is_rejected(tmp_path: Path, config: OrgConfig) -> None:
    path = write(
        tmp_path, f"model: churn-model\nmodel_package_arn: {ARN}\ncontent:\n  artifact: '{CONTENT['artifact']}'\n"
    )
    assert error_of(path, config) == f"{path}: content.artifact_version: Field required"
