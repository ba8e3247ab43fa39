"""The training pipeline of a model: a SageMaker pipeline definition (the documented pipeline-definition
JSON, schema version 2020-12-01), built here rather than with the SageMaker Python SDK, which is not a
dependency of modelops (it is not pinned in requirements.lock and brings many packages of its own).

The steps, in order, run the scripts of data_science/steps in SageMaker's scikit-learn container, with the
modelops source as their code (`CodeUri`, on PYTHONPATH):
1. `Preprocess` (processing): split the input data; record its location and SHA-256;
2. `Train` (training): fit the model; the output is encrypted with the shared artifact key;
3. `Evaluate` (processing): score the held-out rows; write evaluation.json (the `EvaluationReport` property file);
4. `CheckTrainingCondition` (condition): the model's `training.condition` of accounts.yaml on the report;
5. `RegisterModel` (processing): put the model and the report create-only under the model's artifact prefix
   and register the version into the shared registry's group, by ARN, PendingManualApproval, with the report
   as ModelMetrics and the card attached when the code carries `cards/<model>.json`, through
   `promotion.registration` (data_science/steps/register.py). It is a processing step, not the native
   RegisterModel step, because registration must record what it registered (the artifact's S3 version and
   SHA-256, the image digest), and IAM refuses a version without that record (shared_services/registry.py).
   Else: `ConditionNotMet` (fail), so the execution fails with the reason; the data-science stack's rule
   sends every failed execution of a modelops pipeline to data science's topic.

Every job runs as the data-science role (SageMaker jobs of the data-science account may assume it); the
pipeline's own execution role only creates those jobs (data_science/stack.py). Outputs between steps go to
`training/<model>/<execution id>/` of the artifact bucket: SageMaker writes them with plain PutObject, which
the bucket refuses under `artifacts/` (create-only), so only the register step writes there.
"""

from __future__ import annotations

from typing import Any

from accounts import naming
from accounts.config import ModelSpec, OrgConfig
from promotion.evaluation import REPORT_FILE, json_path

SCHEMA_VERSION = "2020-12-01"
PIPELINE_PREFIX = f"{naming.PREFIX}-train-"
TRAINING_ROOT = naming.TRAINING_ROOT
INSTANCE_TYPE = "ml.m5.large"
VOLUME_GB = 30
MAX_RUNTIME_SECONDS = 3600
REPORT_PROPERTY_FILE = "EvaluationReport"
EVALUATE_STEP = "Evaluate"
# SageMaker's scikit-learn container (framework 1.2-1) per region: "Docker Registry Paths and Example Code",
# https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html.
# In another region `StepImage` has no default and is given when the execution starts.
SKLEARN_IMAGE_ACCOUNTS = {
    "eu-central-1": "492215442770",
    "eu-west-1": "141502667606",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-2": "246618743249",
}
SKLEARN_IMAGE_TAG = "sagemaker-scikit-learn:1.2-1-cpu-py3"
CODE_PATH = "/opt/ml/processing/input/code"
COMPARISONS = {"min": "GreaterThanOrEqualTo", "max": "LessThanOrEqualTo"}


def pipeline_name(model: str) -> str:
    """`modelops-train-<model>`: the pipeline's name (at most 256 characters; model names are at most 37)."""
    return f"{PIPELINE_PREFIX}{model}"


def pipeline_arn_pattern(config: OrgConfig) -> str:
    """Every modelops training pipeline of the data-science account (the execution role's trust names them)."""
    account = config.accounts.data_science
    return f"arn:aws:sagemaker:{config.region}:{account}:pipeline/{PIPELINE_PREFIX}*"


def artifact_key_alias_arn(config: OrgConfig) -> str:
    """The shared artifact key, by its alias in shared services (its id is known only once deployed)."""
    return f"arn:aws:kms:{config.region}:{config.accounts.shared_services}:{naming.ARTIFACT_KEY_ALIAS}"


def _get(path: str) -> dict[str, str]:
    return {"Get": path}


def _join(*values: object) -> dict[str, Any]:
    return {"Std:Join": {"On": "", "Values": list(values)}}


def _scratch(config: OrgConfig, model: str, name: str) -> dict[str, Any]:
    """`s3://<bucket>/training/<model>/<execution id>/<name>`: where one execution's step outputs go."""
    prefix = f"s3://{naming.artifact_bucket(config)}/{TRAINING_ROOT}/{model}/"
    return _join(prefix, _get("Execution.PipelineExecutionId"), f"/{name}")


def _input(name: str, uri: object, path: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "S3Input": {"S3Uri": uri, "LocalPath": path, "S3DataType": "S3Prefix", "S3InputMode": "File"},
    }


def _output(config: OrgConfig, model: str, name: str, path: str) -> dict[str, Any]:
    return {
        "OutputName": name,
        "S3Output": {"S3Uri": _scratch(config, model, name), "LocalPath": path, "S3UploadMode": "EndOfJob"},
    }


def _output_uri(step: str, name: str) -> dict[str, str]:
    return _get(f"Steps.{step}.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri")


def _processing(
    config: OrgConfig, name: str, module: str, arguments: list[object], inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
) -> dict[str, Any]:  # fmt: skip
    code = _input("code", _get("Parameters.CodeUri"), CODE_PATH)
    shape: dict[str, Any] = {
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": INSTANCE_TYPE, "VolumeSizeInGB": VOLUME_GB}
        },
        "AppSpecification": {
            "ImageUri": _get("Parameters.StepImage"),
            "ContainerEntrypoint": ["python3", "-m", f"data_science.steps.{module}"],
            "ContainerArguments": arguments,
        },
        "Environment": {"PYTHONPATH": CODE_PATH},
        "RoleArn": naming.data_science_role_arn(config),
        "ProcessingInputs": [code, *inputs],
        "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
    }
    if outputs:
        shape["ProcessingOutputConfig"] = {"Outputs": outputs, "KmsKeyId": artifact_key_alias_arn(config)}
    return {"Name": name, "Type": "Processing", "Arguments": shape}


def parameters(config: OrgConfig, model: str) -> list[dict[str, str]]:
    """What an execution is started with: the data, the code, the images and the commit of the code."""
    scratch = f"s3://{naming.artifact_bucket(config)}/{TRAINING_ROOT}/{model}"
    step_image: dict[str, str] = {"Name": "StepImage", "Type": "String"}
    account = SKLEARN_IMAGE_ACCOUNTS.get(config.region)
    if account is not None:
        step_image["DefaultValue"] = f"{account}.dkr.ecr.{config.region}.amazonaws.com/{SKLEARN_IMAGE_TAG}"
    return [
        {"Name": "InputData", "Type": "String", "DefaultValue": f"{scratch}/input/"},
        {"Name": "CodeUri", "Type": "String", "DefaultValue": f"{scratch}/code/"},
        step_image,
        {"Name": "InferenceImage", "Type": "String"},
        {"Name": "SourceCommit", "Type": "String"},
        {"Name": "Features", "Type": "String", "DefaultValue": "all"},
        {"Name": "RegularisationC", "Type": "String", "DefaultValue": "1.0"},
    ]


def condition(model: ModelSpec) -> list[dict[str, Any]]:
    """The ConditionStep's conditions (all must hold): each bound of the model's training condition, read from
    the evaluation report with JsonGet."""
    conditions = []
    for metric, threshold in sorted((model.training.condition if model.training else {}).items()):
        value = {
            "Std:JsonGet": {
                "PropertyFile": _get(f"Steps.{EVALUATE_STEP}.PropertyFiles.{REPORT_PROPERTY_FILE}"),
                "Path": json_path(metric),
            }
        }
        for bound, right in (("min", threshold.min), ("max", threshold.max)):
            if right is not None:
                conditions.append({"Type": COMPARISONS[bound], "LeftValue": value, "RightValue": right})
    return conditions


def definition(config: OrgConfig, model: ModelSpec) -> dict[str, Any]:
    """The pipeline definition of `model` (which configures `training`), as SageMaker's JSON schema has it."""
    name = model.name
    preprocess = _processing(
        config, "Preprocess", "preprocess",
        ["--input", "/opt/ml/processing/input/data", "--output", "/opt/ml/processing/output",
         "--location", _get("Parameters.InputData")],
        [_input("data", _get("Parameters.InputData"), "/opt/ml/processing/input/data")],
        [_output(config, name, n, f"/opt/ml/processing/output/{p}") for n, p in
         (("train", "train"), ("test", "test"), ("data", "record"))],
    )  # fmt: skip
    training = {
        "Name": "Train",
        "Type": "Training",
        "Arguments": {
            "AlgorithmSpecification": {
                "TrainingImage": _get("Parameters.StepImage"),
                "TrainingInputMode": "File",
                "ContainerEntrypoint": ["python3", "-m", "data_science.steps.train"],
                "ContainerArguments": [
                    "--features",
                    _get("Parameters.Features"),
                    "--c",
                    _get("Parameters.RegularisationC"),
                ],
            },
            "Environment": {"PYTHONPATH": "/opt/ml/input/data/code"},
            "RoleArn": naming.data_science_role_arn(config),
            "InputDataConfig": [
                _channel("train", _output_uri("Preprocess", "train")),
                _channel("code", _get("Parameters.CodeUri")),
            ],
            "OutputDataConfig": {
                "S3OutputPath": _scratch(config, name, "model"),
                "KmsKeyId": artifact_key_alias_arn(config),
            },
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": INSTANCE_TYPE, "VolumeSizeInGB": VOLUME_GB},
            "StoppingCondition": {"MaxRuntimeInSeconds": MAX_RUNTIME_SECONDS},
            # Training reads its channels and writes its model: it needs no network.
            "EnableNetworkIsolation": True,
        },
    }
    model_tar = _get("Steps.Train.ModelArtifacts.S3ModelArtifacts")
    evaluate = _processing(
        config, EVALUATE_STEP, "evaluate",
        ["--model", "/opt/ml/processing/model/model.tar.gz", "--test", "/opt/ml/processing/test/test.csv",
         "--output", "/opt/ml/processing/evaluation"],
        [_input("model", model_tar, "/opt/ml/processing/model"),
         _input("test", _output_uri("Preprocess", "test"), "/opt/ml/processing/test")],
        [_output(config, name, "evaluation", "/opt/ml/processing/evaluation")],
    )  # fmt: skip
    evaluate["PropertyFiles"] = [
        {"PropertyFileName": REPORT_PROPERTY_FILE, "OutputName": "evaluation", "FilePath": REPORT_FILE}
    ]
    register = _processing(
        config, "RegisterModel", "register",
        ["--config", f"{CODE_PATH}/accounts/accounts.yaml", "--model", name,
         "--group", naming.model_package_group_arn(config, name),
         "--model-tar", "/opt/ml/processing/model/model.tar.gz",
         "--evaluation", f"/opt/ml/processing/evaluation/{REPORT_FILE}",
         "--data", "/opt/ml/processing/record/data.txt",
         "--model-card", f"{CODE_PATH}/cards/{name}.json",
         "--image", _get("Parameters.InferenceImage"), "--commit", _get("Parameters.SourceCommit"),
         "--execution", _get("Execution.PipelineExecutionArn")],
        [_input("model", model_tar, "/opt/ml/processing/model"),
         _input("evaluation", _output_uri(EVALUATE_STEP, "evaluation"), "/opt/ml/processing/evaluation"),
         _input("record", _output_uri("Preprocess", "data"), "/opt/ml/processing/record")],
        [],
    )  # fmt: skip
    register["Arguments"]["Environment"]["MODELOPS_APPROVAL_STATUS"] = "PendingManualApproval"
    check = {
        "Name": "CheckTrainingCondition",
        "Type": "Condition",
        "Arguments": {"Conditions": condition(model), "IfSteps": [register], "ElseSteps": [fail_step(model)]},
    }
    return {
        "Version": SCHEMA_VERSION,
        "Metadata": {},
        "Parameters": parameters(config, name),
        "PipelineExperimentConfig": {
            "ExperimentName": _get("Execution.PipelineName"),
            "TrialName": _get("Execution.PipelineExecutionId"),
        },
        "Steps": [preprocess, training, evaluate, check],
    }


def _channel(name: str, uri: object) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri, "S3DataDistributionType": "FullyReplicated"}
        },
    }


def fail_step(model: ModelSpec) -> dict[str, Any]:
    """The else branch: the execution fails, saying which condition the evaluation missed."""
    condition_text = "; ".join(
        f"{metric} {threshold.text()}"
        for metric, threshold in sorted((model.training.condition if model.training else {}).items())
    )
    return {
        "Name": "ConditionNotMet",
        "Type": "Fail",
        "Arguments": {
            "ErrorMessage": f"evaluation below the condition: {model.name}'s training condition is {condition_text}; "
            "not registered (the evaluation report is in the Evaluate step's output)"
        },
    }
