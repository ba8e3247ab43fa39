"""The data-science stack's training pipeline: one AWS::SageMaker::Pipeline per model that configures training,
its definition (the documented pipeline-definition JSON), its least-privilege execution role, and the notice
of failed executions to data science."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from data_science.pipeline import definition
from data_science.stack import DataScienceStack
from tests.conftest import Synth, config_with
from tests.orgs import org_data

KEY = "arn:aws:kms:eu-west-1:111111111111:alias/modelops-artifacts"
DATA_SCIENCE_ROLE = "arn:aws:iam::222222222222:role/modelops-data-science"
GROUP = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/churn-model"
SCRATCH = "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/training/*/*"
JSON_GET = {
    "Std:JsonGet": {
        "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
        "Path": "binary_classification_metrics.auc.value",
    }
}


@pytest.fixture(scope="module")
def template(synth: Synth) -> Template:
    return synth.template("ModelOps-DataScience")


@pytest.fixture(scope="module")
def pipeline_template(synth: Synth) -> Template:
    """churn-model's own training stack: its pipeline alone, so no stack grows with the number of models."""
    return synth.template("ModelOps-Training-churn-model")


@pytest.fixture(scope="module")
def deployed(pipeline_template: Template) -> dict[str, Any]:
    """The deployed definition of churn-model's pipeline, as CloudFormation passes it to SageMaker."""
    [pipeline] = pipeline_template.find_resources("AWS::SageMaker::Pipeline").values()
    properties: dict[str, Any] = pipeline["Properties"]
    assert properties["PipelineName"] == "modelops-train-churn-model"
    body: dict[str, Any] = json.loads(properties["PipelineDefinition"]["PipelineDefinitionBody"])
    return body


def steps(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step by name, the condition's branches included."""
    found: dict[str, dict[str, Any]] = {}
    for step in document["Steps"]:
        found[step["Name"]] = step
        for branch in ("IfSteps", "ElseSteps"):
            found.update({inner["Name"]: inner for inner in step["Arguments"].get(branch, [])})
    return found


def test_the_steps_are_preprocess_train_evaluate_condition_then_register_or_fail(deployed: dict[str, Any]) -> None:
    assert [(step["Name"], step["Type"]) for step in deployed["Steps"]] == [
        ("Preprocess", "Processing"),
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("CheckTrainingCondition", "Condition"),
    ]
    check = deployed["Steps"][3]["Arguments"]
    assert [(s["Name"], s["Type"]) for s in check["IfSteps"]] == [("RegisterModel", "Processing")]
    assert [(s["Name"], s["Type"]) for s in check["ElseSteps"]] == [("ConditionNotMet", "Fail")]
    assert check["ElseSteps"][0]["Arguments"]["ErrorMessage"] == (
        "evaluation below the condition: churn-model's training condition is auc min 0.8; not registered "
        "(the evaluation report is in the Evaluate step's output)"
    )


def test_the_condition_is_the_models_configured_threshold_on_the_evaluation_report(deployed: dict[str, Any]) -> None:
    assert deployed["Steps"][3]["Arguments"]["Conditions"] == [
        {"Type": "GreaterThanOrEqualTo", "LeftValue": JSON_GET, "RightValue": 0.8}
    ]
    assert steps(deployed)["Evaluate"]["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]


def test_a_max_bound_is_a_less_than_or_equal_condition() -> None:
    data = org_data("two_env")
    data["models"][0]["training"] = {"condition": {"auc": {"min": 0.8}, "false_positive_rate": {"max": 0.1}}}
    config = config_with(models=data["models"])
    conditions = steps(definition(config, config.model("churn-model")))["CheckTrainingCondition"]["Arguments"]
    fpr = {
        "Std:JsonGet": {**JSON_GET["Std:JsonGet"], "Path": "binary_classification_metrics.false_positive_rate.value"}
    }
    assert conditions["Conditions"] == [
        {"Type": "GreaterThanOrEqualTo", "LeftValue": JSON_GET, "RightValue": 0.8},
        {"Type": "LessThanOrEqualTo", "LeftValue": fpr, "RightValue": 0.1},
    ]


def test_training_output_and_step_outputs_are_encrypted_with_the_shared_artifact_key(deployed: dict[str, Any]) -> None:
    found = steps(deployed)
    assert found["Train"]["Arguments"]["OutputDataConfig"]["KmsKeyId"] == KEY
    assert found["Train"]["Arguments"]["EnableNetworkIsolation"] is True
    for name in ("Preprocess", "Evaluate"):
        assert found[name]["Arguments"]["ProcessingOutputConfig"]["KmsKeyId"] == KEY


def test_every_job_runs_as_the_data_science_role(deployed: dict[str, Any]) -> None:
    found = steps(deployed)
    assert {name: step["Arguments"].get("RoleArn") for name, step in found.items()} == {
        "Preprocess": DATA_SCIENCE_ROLE,
        "Train": DATA_SCIENCE_ROLE,
        "Evaluate": DATA_SCIENCE_ROLE,
        "CheckTrainingCondition": None,
        "RegisterModel": DATA_SCIENCE_ROLE,
        "ConditionNotMet": None,
    }


def test_registration_targets_the_shared_registrys_group_by_arn_pending_approval(deployed: dict[str, Any]) -> None:
    register = steps(deployed)["RegisterModel"]["Arguments"]
    arguments = register["AppSpecification"]["ContainerArguments"]
    assert register["AppSpecification"]["ContainerEntrypoint"] == ["python3", "-m", "data_science.steps.register"]
    assert arguments[arguments.index("--group") + 1] == GROUP
    assert arguments[arguments.index("--execution") + 1] == {"Get": "Execution.PipelineExecutionArn"}
    assert register["Environment"]["MODELOPS_APPROVAL_STATUS"] == "PendingManualApproval"
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in register["ProcessingInputs"]}
    assert inputs["evaluation"] == {"Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"}
    assert inputs["model"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}


def test_the_pipeline_role_creates_jobs_passes_only_the_data_science_role_and_reads_step_outputs(
    template: Template, pipeline_template: Template
) -> None:
    roles = {r["Properties"]["RoleName"]: r["Properties"] for r in template.find_resources("AWS::IAM::Role").values()}
    role = roles["modelops-training-pipeline"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Sid": "SageMakerPipelinesOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "222222222222"},
                "ArnLike": {"aws:SourceArn": "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/modelops-train-*"},
            },
        }
    ]
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert sorted(statements) == [
        "DecryptStepOutputsThroughS3", "PassTheDataScienceRoleToJobs", "ReadStepOutputs", "RunPipelineJobs",
    ]  # fmt: skip
    assert statements["PassTheDataScienceRoleToJobs"]["Resource"] == DATA_SCIENCE_ROLE
    assert statements["PassTheDataScienceRoleToJobs"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
    }
    assert statements["RunPipelineJobs"]["Condition"] == {"StringEqualsIfExists": {"sagemaker:OutputKmsKey": KEY}}
    assert statements["ReadStepOutputs"]["Resource"] == SCRATCH
    assert template.find_resources("AWS::SageMaker::Pipeline") == {}
    [pipeline] = pipeline_template.find_resources("AWS::SageMaker::Pipeline").values()
    # Named, not imported: the training stack shares no export with ModelOps-DataScience.
    assert pipeline["Properties"]["RoleArn"] == "arn:aws:iam::222222222222:role/modelops-training-pipeline"


def test_a_failed_execution_notifies_data_science(template: Template) -> None:
    [rule] = template.find_resources("AWS::Events::Rule").values()
    assert rule["Properties"]["EventPattern"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Building Pipeline Execution Status Change"],
        "detail": {
            "currentPipelineExecutionStatus": ["Failed"],
            "pipelineArn": [{"prefix": "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/modelops-train-"}],
        },
    }
    [topic] = template.find_resources("AWS::SNS::Topic").values()
    assert topic["Properties"]["TopicName"] == "modelops-training-failures"


def test_without_a_model_that_trains_the_stack_holds_no_pipeline_and_no_scratch_grant() -> None:
    data = org_data("two_env")
    del data["models"][0]["training"]
    stack = DataScienceStack(cdk.App(), "DataScience", config=config_with(models=data["models"]))
    template = Template.from_stack(stack)
    assert sorted({r["Type"] for r in template.to_json()["Resources"].values()}) == ["AWS::IAM::Role"]
    [role] = template.find_resources("AWS::IAM::Role").values()
    statements = {s["Sid"]: s for s in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}
    assert (
        statements["WriteArtifacts"]["Resource"]
        == "arn:aws:s3:::modelops-artifacts-111111111111-eu-west-1/artifacts/*/*"
    )
