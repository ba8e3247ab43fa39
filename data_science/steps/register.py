"""Register step: put the trained model and its evaluation report create-only under the model's artifact
prefix and register the version PendingManualApproval, through `promotion.registration.register`, the
path `modelops register` takes. The pipeline's ConditionStep runs this step only when the evaluation met
the model's training condition; the step checks the condition again, so a run outside the pipeline
(`modelops train`) cannot register a model that missed it.

In the pipeline it runs as a processing job whose role is the data-science role (data_science/pipeline.py),
so its ambient credentials are that role's: `JobContext` uses them as they are.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import boto3

from accounts import naming
from accounts.config import OrgConfig, load_config
from promotion import registration
from promotion.aws import AwsContext
from promotion.evaluation import DataLineage, report_metrics, require_condition

MODEL_FILE = "model.tar.gz"


@dataclass(frozen=True)
class TrainedVersion:
    """What one training run hands to registration."""

    model: str
    model_tar: Path
    evaluation: Path
    image: str
    data: DataLineage
    run: str  # names the run's folder under the model's prefix: the pipeline execution id, or a timestamp
    source_commit: str | None = None
    source_repository: str | None = None
    generated_by: str | None = None  # the pipeline execution ARN
    model_card: Path | None = None
    description: str = ""


def artifact_uri(config: OrgConfig, model: str, run: str) -> str:
    """Where a run's model.tar.gz goes: `s3://<bucket>/artifacts/<model>/<run>/model.tar.gz`."""
    return f"s3://{naming.artifact_bucket(config)}/{naming.artifact_prefix(model)}{run}/{MODEL_FILE}"


def register_trained(
    aws: AwsContext,
    config: OrgConfig,
    trained: TrainedVersion,
    *,
    folder: Path | None = None,
    modelops_file: Path | None = None,
) -> str:
    """Check the training condition on the report, then register; returns the version's ARN."""
    spec = config.model(trained.model)
    values = report_metrics(trained.evaluation.read_text(encoding="utf-8"), str(trained.evaluation))
    require_condition(spec, values)
    return registration.register(
        aws,
        config,
        model=trained.model,
        artifact=artifact_uri(config, trained.model, trained.run),
        upload=trained.model_tar,
        image=trained.image,
        description=trained.description,
        source_commit=trained.source_commit,
        source_repository=trained.source_repository,
        training_job=trained.generated_by,
        model_card=trained.model_card,
        folder=folder,
        modelops_file=modelops_file,
        evaluation=trained.evaluation,
        data=trained.data,
    )


class JobContext(AwsContext):
    """A SageMaker job's credentials: the job already runs as the data-science role."""

    def data_science(self) -> boto3.Session:
        return self.base


def main(argv: list[str] | None = None) -> None:
    """Entry point of the register processing job."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--group", required=True, help="The model's group ARN in the shared registry.")
    parser.add_argument("--model-tar", type=Path, default=Path(f"/opt/ml/processing/model/{MODEL_FILE}"))
    parser.add_argument("--evaluation", type=Path, default=Path("/opt/ml/processing/evaluation/evaluation.json"))
    parser.add_argument("--data", type=Path, default=Path("/opt/ml/processing/data/data.txt"))
    parser.add_argument("--image", required=True)
    parser.add_argument("--commit", required=True)
    parser.add_argument("--repository")
    parser.add_argument("--execution", required=True, help="The pipeline execution ARN.")
    parser.add_argument("--model-card", type=Path)
    args = parser.parse_args(argv)
    config = load_config(args.config)
    expected = naming.model_package_group_arn(config, args.model)
    if args.group != expected:  # the pipeline was defined from another accounts.yaml than the code it runs
        raise SystemExit(f"--group: {args.group} is not {args.model}'s group in {args.config}; expected {expected}")
    location, version = args.data.read_text(encoding="utf-8").split()
    trained = TrainedVersion(
        model=args.model,
        model_tar=args.model_tar,
        evaluation=args.evaluation,
        image=args.image,
        data=DataLineage(location=location, version=version),
        run=args.execution.rsplit("/", 1)[1],
        source_commit=args.commit,
        source_repository=args.repository,
        generated_by=args.execution,
        model_card=args.model_card if args.model_card and args.model_card.is_file() else None,
    )
    print(json.dumps({"registered": register_trained(JobContext(config), config, trained)}))


if __name__ == "__main__":
    main()
