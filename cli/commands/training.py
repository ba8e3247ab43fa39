"""`train`: a data scientist runs the training pipeline's steps locally and registers what passes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from cli import output
from cli.errors import handled
from cli.settings import settings
from data_science import local_run
from data_science.steps.register import TrainedVersion, register_trained
from data_science.steps.train import ALL_FEATURES, Hyperparameters
from promotion.gates import version_label
from promotion.lineage import lineage_chain


@handled
def train(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model (its training condition is in accounts.yaml).")],
    image: Annotated[str, typer.Option(help="ECR URI of the inference image.")],
    data: Annotated[
        Path | None,
        typer.Option(help="Training data: a CSV with a header, label last (default: scikit-learn's breast cancer)."),
    ] = None,
    data_location: Annotated[
        str | None, typer.Option(help="With --data: where it came from, e.g. its S3 URI and version id.")
    ] = None,
    features: Annotated[str, typer.Option(help="Feature columns, comma-separated, or 'all'.")] = ALL_FEATURES,
    c: Annotated[float, typer.Option("--c", help="Inverse regularisation strength of the logistic regression.")] = 1.0,
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    source_commit: Annotated[
        str | None, typer.Option(help="Commit of the training code (default: HEAD of the current folder's checkout).")
    ] = None,
    source_repository: Annotated[str | None, typer.Option(help="With --source-commit: its repository.")] = None,
    model_card: Annotated[Path | None, typer.Option(help="Model card content, a JSON file.")] = None,
) -> None:
    """Preprocess, train, evaluate on held-out data, and register (PendingManualApproval) as the data-science
    account only when the evaluation meets the model's training condition; print the metrics and the ARN."""
    s = settings(ctx)
    s.config.model(model)
    with tempfile.TemporaryDirectory(prefix="modelops-train-") as workdir:
        run = local_run.run_steps(
            Path(workdir), Hyperparameters(features=features, c=c), source=data, location=data_location
        )
        output.say("evaluation on held-out data: " + ", ".join(f"{k} {v:g}" for k, v in run.metrics.items()))
        trained = TrainedVersion(
            model=model,
            model_tar=run.model_tar,
            evaluation=run.evaluation,
            image=image,
            data=run.data,
            run=run.run,
            source_commit=source_commit,
            source_repository=source_repository,
            model_card=model_card,
            description=description,
        )
        arn = register_trained(s.aws(), s.config, trained, modelops_file=s.config_path)
    output.note(f"registered {model} {version_label(arn)} as PendingManualApproval")
    output.say(arn)


@handled
def lineage(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[int, typer.Argument(min=1, help="The version number.")],
    json: Annotated[bool, typer.Option("--json", help="Print JSON instead of lines.")] = False,
) -> None:
    """The chain from each environment's live endpoint back to the version, its training run, data and code."""
    s = settings(ctx)
    chain = lineage_chain(s.aws(), s.config, s.workloads, model, version)
    if json:
        output.emit_json(chain.as_dict())
    else:
        for line in chain.lines():
            output.say(line)


COMMANDS = [("train", train), ("lineage", lineage)]
