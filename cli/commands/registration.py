"""`register`: a data scientist registers a version."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import output
from cli.errors import handled
from cli.settings import settings
from promotion import registration
from promotion.gates import version_label

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@handled
def register(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model (its model package group).")],
    artifact: Annotated[str, typer.Option(help="s3:// URI of the model artifact under artifacts/<model>/.")],
    image: Annotated[str, typer.Option(help="ECR URI of the inference image.")],
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="A metric as name=value; repeat for more.")
    ] = None,
    description: Annotated[str, typer.Option(help="What this version is.")] = "",
    source_commit: Annotated[
        str | None,
        typer.Option(
            help="Commit the model was trained from (default: HEAD of the git checkout of the current folder, "
            "the training repository, recorded with its remote; never the modelops checkout)."
        ),
    ] = None,
    source_repository: Annotated[
        str | None,
        typer.Option(help="With --source-commit: the repository holding it (its URL, without credentials)."),
    ] = None,
    training_job: Annotated[str | None, typer.Option(help="ARN of the SageMaker training job.")] = None,
    model_card: Annotated[Path | None, typer.Option(help="Model card content, a JSON file.")] = None,
    upload: Annotated[
        Path | None,
        typer.Option(help="A local file to put at --artifact first (create-only: an existing key is refused)."),
    ] = None,
    evaluation: Annotated[
        Path | None,
        typer.Option(
            help="The evaluation report (evaluation.json): put create-only beside --artifact, recorded as the "
            "version's ModelMetrics, and its metrics are the version's (instead of --metric)."
        ),
    ] = None,
) -> None:
    """Register a version (PendingManualApproval) as the data-science account; print its ARN."""
    s = settings(ctx)
    arn = registration.register(
        s.aws(),
        s.config,
        model=model,
        artifact=artifact,
        image=image,
        metrics=metric or [],
        description=description,
        source_commit=source_commit,
        source_repository=source_repository,
        training_job=training_job,
        model_card=model_card,
        upload=upload,
        modelops_file=s.config_path,
        evaluation=evaluation,
    )
    output.note(f"registered {model} {version_label(arn)} as PendingManualApproval")
    output.say(arn)


COMMANDS = [("register", register)]
