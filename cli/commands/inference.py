"""`batch-inference`: the example batch-inference job of a workload account, then the next review."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import output
from cli.errors import handled
from cli.settings import settings
from promotion import batch_inference
from promotion.gates import version_label


@handled
def batch_inference_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model whose live version runs.")],
    env: Annotated[str, typer.Option("--env", help="The environment whose live version runs.")],
    source: Annotated[
        str,
        typer.Option(
            "--input",
            help="A CSV file (uploaded to the batch bucket first) or s3://modelops-batch-<account>-<region>/"
            "<model>/input/...; one record per line.",
        ),
    ],
) -> None:
    """Run a transform job of the version live in ENV (its workload account's live record), then ask the
    next environment's approvers to promote it, with the job's figures."""
    s = settings(ctx)
    with output.progress(f"batch inference of {model} in {env}", log_lines=True) as update:
        result = batch_inference.batch_inference(s.aws(), s.config, model, env, source, progress=update)
    figures, label = result.figures, f"{model} {version_label(result.arn)}"
    account = s.config.environment(env).account
    output.say(f"batch inference of {model} in {env} (account {account}): transform job {figures.job} {figures.status}")
    output.say(f"  ran {label} ({result.arn}), live in {env}, in {figures.seconds:g} s")
    output.say(f"  input: {figures.records_in} records in {figures.objects_in} object(s)")
    output.say(f"  output: {figures.records_out} records in {figures.objects_out} object(s) at {result.output}")
    if result.next_env is None:
        output.say(f"  {env} is the last environment: nobody is asked to review next")
    else:
        output.say(f"  asked the approvers of {result.next_env} to review {label} (event {result.review_event})")


COMMANDS = [("batch-inference", batch_inference_command)]
