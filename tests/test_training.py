"""The training pipeline's steps run locally (`modelops train`): a real model trained on scikit-learn's bundled
breast-cancer data, evaluated on held-out rows, registered with its evaluation report and lineage only when the
evaluation meets the model's training condition; a weak model is refused and nothing is registered."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import cli.main
from accounts.config import OrgConfig, parse_config
from accounts.validation import InputError
from data_science.local_run import pack, run_steps
from data_science.steps import evaluate, preprocess, train
from data_science.steps import register as register_step
from data_science.steps.train import Hyperparameters
from promotion.evaluation import condition_failures, report_metrics
from promotion.registry import describe_package
from tests.orgs import config_path, org_data
from tests.promotion_support import ARTIFACT_BUCKET, IMAGE, LocalAws

CONFIG = config_path("two_env")
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
BUNDLED_SHA256 = "275eb74633b4cfc7136297a1d1d7ad8b1fe9dd11568f1e3f39cc50c4a41f1977"
# The metrics of the scaled logistic regression on every feature, on the fixed held-out quarter (143 rows).
GOOD = {"auc": 0.9985, "accuracy": 0.979, "precision": 0.9888, "recall": 0.9778, "f1": 0.9832,
        "false_positive_rate": 0.0189}  # fmt: skip
WEAK = ("--features", "symmetry error", "--c", "0.01")


def modelops(*args: str) -> Result:
    return CliRunner().invoke(cli.main.app, ["--config", str(CONFIG), *args])


def test_the_steps_train_a_real_model_and_evaluate_it_on_held_out_rows(tmp_path: Path) -> None:
    run = run_steps(tmp_path, Hyperparameters())
    assert run.metrics == GOOD
    assert (run.data.location, run.data.version) == ("scikit-learn:breast_cancer", f"sha256:{BUNDLED_SHA256}")
    report = json.loads(run.evaluation.read_text())
    assert report["binary_classification_metrics"]["auc"] == {"value": 0.9985, "standard_deviation": "NaN"}
    assert report["test_rows"] == 143


def test_the_training_condition_names_the_metric_the_value_and_the_bound(config: OrgConfig) -> None:
    model = config.model("churn-model")
    assert condition_failures(model, {"auc": 0.81}) == []
    assert condition_failures(model, {"auc": 0.5852}) == [
        "auc 0.5852 is below churn-model's training condition min 0.8"
    ]
    assert condition_failures(model, {"f1": 0.9}) == [
        "the evaluation report has no auc; churn-model's training condition requires min 0.8"
    ]


def test_a_report_that_is_not_an_evaluation_report_is_refused_naming_it() -> None:
    with pytest.raises(InputError) as not_one:
        report_metrics('{"metrics": {}}', "run/evaluation.json")
    with pytest.raises(InputError) as not_a_number:
        report_metrics('{"binary_classification_metrics": {"auc": {"value": "high"}}}', "run/evaluation.json")
    assert (
        str(not_one.value)
        == "run/evaluation.json: not an evaluation report; expected a binary_classification_metrics object"
    )
    assert str(not_a_number.value) == "run/evaluation.json: binary_classification_metrics.auc.value is not a number"


def test_train_registers_the_model_with_its_evaluation_report_and_lineage(local_aws: LocalAws) -> None:
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    result = modelops("train", "churn-model", "--image", IMAGE, "--source-commit", "abcdef1")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "evaluation on held-out data: auc 0.9985, accuracy 0.979, precision 0.9888, recall 0.9778, f1 0.9832, "
        f"false_positive_rate 0.0189\n{ARN}\n",
        "registered churn-model v1 as PendingManualApproval\n",
    )
    described = local_aws.sagemaker().describe_model_package(ModelPackageName=ARN)
    report_uri = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    run_folder = report_uri.rsplit("/", 1)[0]
    assert described["ModelMetrics"] == {
        "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": report_uri}}
    }
    assert run_folder.startswith(f"s3://{ARTIFACT_BUCKET}/artifacts/churn-model/train-")
    assert described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == f"{run_folder}/model.tar.gz"
    s3 = local_aws.admin("111111111111").client("s3", region_name="eu-west-1")
    stored = s3.get_object(Bucket=ARTIFACT_BUCKET, Key=report_uri.split("/", 3)[3])
    body = stored["Body"].read()
    metadata = described["CustomerMetadataProperties"]
    # The metrics are the report's, and the report is the locked object the metadata names.
    assert {k: v for k, v in metadata.items() if k.startswith("metric:")} == {
        f"metric:{name}": repr(value) for name, value in GOOD.items()
    }
    assert report_metrics(body.decode(), report_uri) == GOOD
    assert {k: v for k, v in metadata.items() if k.startswith("lineage:")} == {
        "lineage:data": "scikit-learn:breast_cancer",
        "lineage:data-version": f"sha256:{BUNDLED_SHA256}",
        "lineage:evaluation-version": stored["VersionId"],
        "lineage:evaluation-sha256": hashlib.sha256(body).hexdigest(),
    }
    package = describe_package(local_aws.sagemaker(), ARN)
    assert package is not None
    assert package.lineage.entries()[3:5] == [
        ("training data", f"scikit-learn:breast_cancer (sha256:{BUNDLED_SHA256})"),
        ("evaluation report", report_uri),
    ]


def test_a_weak_model_fails_the_condition_and_is_not_registered(local_aws: LocalAws) -> None:
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    result = modelops("train", "churn-model", "--image", IMAGE, "--source-commit", "abcdef1", *WEAK)
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "evaluation on held-out data: auc 0.5852, accuracy 0.6294, precision 0.6294, recall 1, f1 0.7725, "
        "false_positive_rate 1\n",
        "error: evaluation below the condition: auc 0.5852 is below churn-model's training condition min 0.8; "
        "not registered\n",
    )
    listed = local_aws.sagemaker().list_model_packages(ModelPackageGroupName="churn-model")
    assert listed["ModelPackageSummaryList"] == []
    s3 = local_aws.admin("111111111111").client("s3", region_name="eu-west-1")
    assert s3.list_objects_v2(Bucket=ARTIFACT_BUCKET, Prefix="artifacts/churn-model/").get("KeyCount") == 0


def test_register_refuses_typed_metrics_beside_an_evaluation_report(local_aws: LocalAws, tmp_path: Path) -> None:
    report = tmp_path / "evaluation.json"
    report.write_text(json.dumps({"binary_classification_metrics": {"auc": {"value": 0.9}}}))
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    result = modelops(
        "register", "churn-model", "--artifact", f"s3://{ARTIFACT_BUCKET}/artifacts/churn-model/v9/model.tar.gz",
        "--image", IMAGE, "--source-commit", "abcdef1", "--metric", "auc=0.99", "--evaluation", str(report),
    )  # fmt: skip
    assert (result.exit_code, result.stderr) == (
        2,
        "error: --metric: a version registered with an evaluation report takes its metrics from the report; "
        "drop --metric\n",
    )


def test_lineage_traces_each_environment_back_to_the_training_data_and_code(
    local_aws: LocalAws, tmp_path: Path
) -> None:
    local_aws.act_as("data.scientist@example.com", account="222222222222", permission_set="DataScientist")
    assert modelops("train", "churn-model", "--image", IMAGE, "--source-commit", "abcdef1").exit_code == 0
    local_aws.mark_deployed("churn-model", "qa", ARN)
    described = local_aws.sagemaker().describe_model_package(ModelPackageName=ARN)
    metadata = described["CustomerMetadataProperties"]
    report = described["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    artifact = described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    local_aws.act_as("platform.engineer@example.com", account="111111111111")
    result = CliRunner().invoke(
        cli.main.app,
        ["--config", str(CONFIG), "--workloads", str(tmp_path), "lineage", "churn-model", "1"],
    )
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        ARN,
        "  qa: live on modelops-churn-model in 444444444444, deployed by ci at 2026-01-01T00:00:00Z; "
        f"git pins nothing ({tmp_path}/qa/churn-model.yaml does not exist)",
        f"  prod: not live (live: nothing); git pins nothing ({tmp_path}/prod/churn-model.yaml does not exist)",
        "  version:",
        "    status: PendingManualApproval",
        "    registered by: data.scientist@example.com",
        "    metrics: accuracy 0.979, auc 0.9985, f1 0.9832, false_positive_rate 0.0189, precision 0.9888, "
        "recall 0.9778",
        "  training:",
        "    training job or pipeline execution: not recorded",
        f"    data: scikit-learn:breast_cancer (sha256:{BUNDLED_SHA256})",
        f"    evaluation report: {report} (SHA-256 {metadata['lineage:evaluation-sha256']})",
        "  code:",
        "    source commit: abcdef1",
        "    source repository: not recorded",
        f"    artifact: {artifact} (S3 version {metadata['content:artifact-version']}, "
        f"SHA-256 {metadata['content:artifact-sha256']})",
        f"    image: {metadata['content:image']}",
    ]


def test_typed_metrics_are_shown_as_self_reported_in_the_lineage(local_aws: LocalAws, tmp_path: Path) -> None:
    arn = local_aws.register()
    local_aws.act_as("platform.engineer@example.com", account="111111111111")
    result = CliRunner().invoke(
        cli.main.app,
        ["--config", str(CONFIG), "--workloads", str(tmp_path), "lineage", "churn-model", "1", "--json"],
    )
    chain = json.loads(result.stdout)
    assert (result.exit_code, chain["arn"], chain["version"]["metrics"]) == (
        0,
        arn,
        "auc 0.9, false_positive_rate 0.05 (self-reported)",
    )
    assert chain["training"] == {
        "training job or pipeline execution": "not recorded",
        "data": "not recorded",
        "evaluation report": "not recorded",
    }


def config_error(data: dict[str, object]) -> str:
    with pytest.raises(InputError) as raised:
        parse_config(data, "accounts.yaml")
    return str(raised.value)


def test_a_datazone_project_that_is_not_an_id_is_refused_naming_the_field() -> None:
    data = org_data("two_env")
    data["models"][0]["datazone_project"] = "Churn project"
    assert config_error(data) == (
        "accounts.yaml: models[0].datazone_project: 'Churn project' is not a DataZone project id; expected 1 to 36 "
        "letters, digits, _ or - (the id DataZone shows for the project, not its name)"
    )


def test_a_training_condition_on_a_rate_outside_zero_to_one_is_refused() -> None:
    data = org_data("two_env")
    data["models"][0]["training"] = {"condition": {"auc": {"min": 80}}}
    assert config_error(data) == (
        "accounts.yaml: models[0].training.condition.auc.min: 80 is outside 0..1 for model 'churn-model'; auc is a rate"
    )


def test_the_step_entry_points_run_as_the_pipelines_jobs_call_them(tmp_path: Path) -> None:
    """Each script's `__main__` with the container paths the pipeline definition gives, here in a folder."""
    out, model_dir, evaluation = tmp_path / "output", tmp_path / "model", tmp_path / "evaluation"
    (tmp_path / "input").mkdir()
    preprocess.main(["--input", str(tmp_path / "input"), "--output", str(out), "--location", "s3://b/input/"])
    train.main(["--train", str(out / "train"), "--model-dir", str(model_dir)])
    model_tar = pack(model_dir, tmp_path / "model.tar.gz")
    evaluate.main(["--model", str(model_tar), "--test", str(out / "test" / "test.csv"), "--output", str(evaluation)])
    # An empty input folder: the bundled data, as the pipeline's default input prefix starts empty.
    assert (out / "record" / "data.txt").read_text() == f"scikit-learn:breast_cancer\nsha256:{BUNDLED_SHA256}\n"
    assert report_metrics((evaluation / "evaluation.json").read_text(), "evaluation.json") == GOOD


def test_the_register_step_refuses_a_group_from_another_organisation(tmp_path: Path) -> None:
    other = "arn:aws:sagemaker:eu-west-1:999999999999:model-package-group/churn-model"
    with pytest.raises(SystemExit) as stopped:
        register_step.main(
            ["--config", str(CONFIG), "--model", "churn-model", "--group", other, "--image", IMAGE,
             "--commit", "abcdef1", "--execution", "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/p/execution/x"]
        )  # fmt: skip
    assert str(stopped.value) == (
        f"--group: {other} is not churn-model's group in {CONFIG}; expected "
        "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-model"
    )
