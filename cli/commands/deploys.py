"""`deploy` and `record-deploy`: the pipeline's deploy of one environment, and its post-deploy step."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from accounts.config import OrgConfig
from accounts.validation import InputError
from cli import output
from cli.errors import handled
from cli.settings import settings
from promotion import deploy, post_deploy
from promotion.deploy_record import AlreadyRecorded
from promotion.gates import version_label

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


SmokeBodyOption = Annotated[
    Path | None, typer.Option("--smoke-body", help="File sent to each endpoint as the smoke test.")
]
SmokeContentTypeOption = Annotated[
    str, typer.Option("--smoke-content-type", help="Content type of the smoke test request.")
]


@handled
def deploy_command(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="The environment to deploy.")],
    smoke_body: SmokeBodyOption = None,
    smoke_content_type: SmokeContentTypeOption = post_deploy.DEFAULT_SMOKE_CONTENT_TYPE,
) -> None:
    """Deploy ENV: gates, synth, CloudFormation with its roles, smoke test, live record, next review."""
    s = settings(ctx)
    body = _smoke_body(smoke_body)
    with output.progress(f"deploying {env}", log_lines=True) as update:
        result = deploy.deploy(
            s.aws(),
            s.config,
            s.workloads,
            env,
            synthesize=synthesize_app,
            smoke_body=body,
            smoke_content_type=smoke_content_type,
            progress=update,
        )
    # Only the stacks that changed are named: a stage has a stack per model, most of them unchanged.
    updated = ", ".join(name for name in result.stacks if name not in result.unchanged)
    stacks = updated or ("no stack updated" if result.deleted else "no changes")
    unchanged = f"; {len(result.unchanged)} of {len(result.stacks)} stacks unchanged" if result.unchanged else ""
    deleted = f"; deleted {', '.join(result.deleted)}" if result.deleted else ""
    output.say(f"deployed {env} (account {result.account}): {stacks}{unchanged}{deleted}")
    if result.models or not result.already:
        _report_recorded(env, result.next_env, result.models)
    _report_already(env, result.next_env, result.already, alone=not result.models)


@handled
def record_deploy_command(
    ctx: typer.Context,
    env: Annotated[str, typer.Argument(help="The environment whose stack the pipeline just deployed.")],
    smoke_body: SmokeBodyOption = None,
    smoke_content_type: SmokeContentTypeOption = post_deploy.DEFAULT_SMOKE_CONTENT_TYPE,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="When the deploy began (ISO 8601 with its zone), the start of the metrics window "
            "(default: an hour ago).",
        ),
    ] = None,
    ask_again: Annotated[
        bool,
        typer.Option(
            "--ask-again",
            help="Ask the next environment's approvers even where this deploy is already recorded "
            "(after a failed request).",
        ),
    ] = False,
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help="Only this model's endpoint (repeatable); the deploy workflow names the models of its batch.",
        ),
    ] = None,
) -> None:
    """The pipeline's post-deploy step: smoke test, read back, record the live ARN, notify the next
    environment's approvers. A deploy already recorded is verified, not recorded or announced again."""
    s = settings(ctx)
    body = _smoke_body(smoke_body)
    started = _since(since)
    with output.progress(f"recording the deploy of {env}", log_lines=True) as update:
        result = post_deploy.after_deploy(
            s.aws(),
            s.config,
            s.workloads,
            env,
            smoke_body=body,
            smoke_content_type=smoke_content_type,
            started=started,
            progress=update,
            ask_again=ask_again,
            models=model or (),
        )
    if result.models or not result.already:
        # With --ask-again, the models asked may all have been recorded before.
        fresh = {m.model for m in result.models} - {item.model for item in result.already}
        output.say(f"verified{' and recorded' if fresh or not result.models else ''} {env} (account {result.account})")
        _report_recorded(env, result.next_env, result.models)
    _report_already(env, result.next_env, result.already, alone=not result.models)


def synthesize_app(config: OrgConfig, workloads_root: Path, outdir: Path) -> Path:
    """The CDK app's synth for `deploy`; imported here because jsii starts Node on import (seconds)."""
    from deployment.cdk_app import synthesize

    return synthesize(config, workloads_root, outdir)


def _smoke_body(path: Path | None) -> bytes:
    if path is None:
        return post_deploy.DEFAULT_SMOKE_BODY
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"--smoke-body: {path}: {exc.strerror}") from None


def _since(value: str | None) -> datetime | None:
    """--since as an aware UTC time; a time without its zone would be read in the runner's zone."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InputError(f"--since {value}: expected an ISO 8601 time with its zone, e.g. 2026-11-22T10:15:00Z")
    if moment > datetime.now(UTC):
        raise InputError(f"--since {value}: is in the future; expected when the deploy began")
    return moment.astimezone(UTC)


def _report_recorded(env: str, next_env: str | None, models: list[post_deploy.DeployedModel]) -> None:
    """Whom the post-deploy step asked to review next, then what each endpoint runs (the last line)."""
    if next_env is None:
        output.say(f"  {env} is the last environment: nobody is asked to review next")
    else:
        for model in models:
            output.say(
                f"  asked the approvers of {next_env} to review {model.model} {version_label(model.arn)} "
                f"(event {model.review_event})"
            )
    for model in models:
        output.say(f"  {model.endpoint} runs {model.arn} (smoke test passed, live record written)")


def _report_already(env: str, next_env: str | None, already: list[AlreadyRecorded], *, alone: bool) -> None:
    """What an earlier run had recorded: one line when that is all, else a line per model after the rest."""
    if not already:
        return
    again = f" (--ask-again asks the approvers of {next_env} again)" if next_env is not None else ""
    if alone:
        found = "; ".join(item.summary() for item in already)
        output.say(f"{env} is already recorded: {found}; nothing recorded, nobody asked again{again}")
        return
    for item in already:
        output.say(f"  {item.summary()}: already recorded, not recorded again")


COMMANDS = [("deploy", deploy_command), ("record-deploy", record_deploy_command)]
