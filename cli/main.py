"""`modelops`: one console script for every human and CI action of the model lifecycle.

Credentials come from the environment as for any AWS tool (SSO, profile, OIDC in CI); each command
assumes the role the role model gives its purpose. `AWS_ENDPOINT_URL` points every call at the sandbox.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from accounts.config import OrgConfig
from accounts.validation import InputError
from cli import output
from cli.errors import EXIT_FAILED, fail, handled
from cli.sandbox import sandbox_app
from cli.settings import DEFAULT_CONFIG, DEFAULT_WORKLOADS, Settings, settings
from promotion import audit, deploy, drift, post_deploy, registration, status, verify
from promotion.aws import AwsContext
from promotion.decisions import Verdict, decide_as_caller
from promotion.gates import version_label
from promotion.promote import DEFAULT_PR_BODY_FILE, Outcome, promote, rollback

app = typer.Typer(
    name="modelops",
    help="GitOps for SageMaker models across AWS accounts, with a human decision behind every step.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(sandbox_app)


def make_aws(config: OrgConfig) -> AwsContext:
    """The credentials of one command; a seam for tests that stub AWS responses."""
    return AwsContext(config)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path, typer.Option("--config", help="The organisation file.", show_default=True)
    ] = DEFAULT_CONFIG,
    workloads: Annotated[
        Path, typer.Option("--workloads", help="The manifests folder (workloads/<env>/<model>.yaml).")
    ] = DEFAULT_WORKLOADS,
) -> None:
    """GitOps for SageMaker models across AWS accounts, with a human decision behind every step."""
    ctx.obj = Settings(config_path=config, workloads=workloads, make_aws=make_aws)


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


# -- register, approve, reject ----------------------------------------------------------------------


@app.command()
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
        str | None, typer.Option(help="Commit the model was trained from (default: git HEAD here).")
    ] = None,
    training_job: Annotated[str | None, typer.Option(help="ARN of the SageMaker training job.")] = None,
    model_card: Annotated[Path | None, typer.Option(help="Model card content, a JSON file.")] = None,
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
        training_job=training_job,
        model_card=model_card,
    )
    output.note(f"registered {model} {version_label(arn)} as PendingManualApproval")
    output.say(arn)


def _decide(ctx: typer.Context, model: str, version: int, verdict: Verdict, reason: str, env: str | None) -> None:
    s = settings(ctx)
    decision = decide_as_caller(
        s.aws(), s.config, model=model, version=version, verdict=verdict, reason=reason, env=env
    )
    verdict_text = f"{decision.status.lower()} {model} v{version} for {decision.env}"
    output.say(f"{verdict_text}: {decision.approver}: {decision.reason}")


ReasonOption = Annotated[str, typer.Option("--reason", help="Why; recorded in the registry and the history.")]
EnvOption = Annotated[
    str | None, typer.Option("--env", help="The environment decided for (default: the first of the chain).")
]


@app.command()
@handled
def approve(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[int, typer.Argument(help="The version number.")],
    reason: ReasonOption,
    env: EnvOption = None,
) -> None:
    """Approve a version, as the signed-in identity, who must be in the environment's approver group."""
    _decide(ctx, model, version, "approve", reason, env)


@app.command()
@handled
def reject(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[int, typer.Argument(help="The version number.")],
    reason: ReasonOption = "",
    env: EnvOption = None,
) -> None:
    """Reject a version, with a reason; a rejected version can never be approved."""
    _decide(ctx, model, version, "reject", reason, env)


# -- promote, rollback, verify ----------------------------------------------------------------------


PrBodyOption = Annotated[
    Path, typer.Option("--pr-body-file", help="Where to write the PR body (its first line is the title).")
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check the gates and print the diff; write nothing.")]


def _report(outcome: Outcome, dry_run: bool) -> None:
    plan = outcome.plan
    if plan.unchanged:
        output.say(f"{plan.display} already pins {version_label(plan.arn)}; nothing to change")
        return
    if dry_run:
        output.say(plan.diff.rstrip("\n"))
        output.say(f"PR title: {plan.pull_request.title}")
        output.say("dry run: nothing was written")
        return
    output.say(f"{plan.pull_request.title}: {plan.display} now pins {plan.arn}")
    output.say(f"PR title and body: {outcome.pr_body_file}")


@app.command(name="promote")
@handled
def promote_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    to: Annotated[str, typer.Option("--to", help="The environment to promote into.")],
    version: Annotated[int | None, typer.Option("--version", help="The version (default: newest Approved).")] = None,
    arn: Annotated[str | None, typer.Option("--arn", help="The ModelPackage ARN, instead of --version.")] = None,
    dry_run: DryRunOption = False,
    pr_body_file: PrBodyOption = DEFAULT_PR_BODY_FILE,
) -> None:
    """Check the gates, pin a version in workloads/ENV/MODEL.yaml, write the PR title and body."""
    s = settings(ctx)
    with output.progress(f"promoting {model} to {to}") as update:
        outcome = promote(
            s.aws(),
            s.config,
            s.workloads,
            model=model,
            env=to,
            version=version,
            arn=arn,
            dry_run=dry_run,
            pr_body_file=pr_body_file,
            progress=update,
        )
    _report(outcome, dry_run)


@app.command(name="rollback")
@handled
def rollback_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    env: Annotated[str, typer.Option("--env", help="The environment to roll back.")],
    to_version: Annotated[
        int | None,
        typer.Option("--to-version", help="A version live there before (default: the previous one)."),
    ] = None,
    dry_run: DryRunOption = False,
    pr_body_file: PrBodyOption = DEFAULT_PR_BODY_FILE,
) -> None:
    """Pin the version live in ENV before (from the history); every gate but chain order applies."""
    s = settings(ctx)
    with output.progress(f"rolling back {model} in {env}") as update:
        outcome = rollback(
            s.aws(),
            s.config,
            s.workloads,
            model=model,
            env=env,
            to_version=to_version,
            dry_run=dry_run,
            pr_body_file=pr_body_file,
            progress=update,
        )
    _report(outcome, dry_run)


@app.command(name="verify")
@handled
def verify_command(
    ctx: typer.Context,
    changed_from: Annotated[
        str | None, typer.Option("--changed-from", help="Check only manifests changed since this git ref.")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """The CI gate: every manifest, or those changed since REF, passes every promotion gate."""
    s = settings(ctx)
    with output.progress("verifying manifests") as update:
        files, failures = verify.verify(s.aws(), s.config, s.workloads, changed_from=changed_from, progress=update)
    if json:
        output.emit_json({"checked": [str(path) for path in files], "failures": output.failures_json(failures)})
    elif not failures:
        output.say(f"{len(files)} manifest(s) pass every gate")
    if failures:
        if not json:
            for failure in failures:
                typer.echo(f"error: {failure}", err=True)
        raise typer.Exit(EXIT_FAILED)


# -- deploy, record-deploy ---------------------------------------------------------------------------

SmokeBodyOption = Annotated[
    Path | None, typer.Option("--smoke-body", help="File sent to each endpoint as the smoke test.")
]
SmokeContentTypeOption = Annotated[
    str, typer.Option("--smoke-content-type", help="Content type of the smoke test request.")
]


@app.command(name="deploy")
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
    stacks = ", ".join(result.stacks)
    output.say(f"deployed {env} (account {result.account}): {stacks}{'' if result.changed else ' (no changes)'}")
    _report_recorded(env, result.next_env, result.models)


@app.command(name="record-deploy")
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
) -> None:
    """The pipeline's post-deploy step: smoke test, read back, record the live ARN, notify the next
    environment's approvers."""
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
        )
    output.say(f"verified and recorded {env} (account {result.account})")
    _report_recorded(env, result.next_env, result.models)


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


# -- status, drift, history -------------------------------------------------------------------------


@app.command(name="status")
@handled
def status_command(
    ctx: typer.Context,
    model: Annotated[str | None, typer.Argument(help="One model (default: all).")] = None,
    versions: Annotated[
        int, typer.Option("--versions", min=1, max=100, help="Newest versions to list per model.")
    ] = status.DEFAULT_VERSIONS,
    json: JsonFlag = False,
) -> None:
    """The promotion board: versions and their status; pinned and live per environment, drift marked."""
    s = settings(ctx)
    with output.progress("reading the registry") as update:
        rows = status.board(s.aws(), s.config, s.workloads, model=model, versions=versions, progress=update)
    if json:
        output.emit_json(output.board_json(rows))
    else:
        output.stdout().print(output.board_table(rows, s.config.chain))


@app.command(name="drift")
@handled
def drift_command(ctx: typer.Context, json: JsonFlag = False) -> None:
    """Exit 1 listing every live endpoint that differs from git."""
    s = settings(ctx)
    with output.progress("reading the live endpoints") as update:
        checks = drift.check_drift(s.aws(), s.config, s.workloads, progress=update)
    drifting = [check for check in checks if check.drift]
    if json:
        output.emit_json(output.drift_json(checks))
    else:
        output.stdout().print(output.drift_table(checks))
        output.say(f"{len(drifting)} drifting endpoint(s)" if drifting else "no drift: every endpoint runs its pin")
    if drifting:
        raise typer.Exit(EXIT_FAILED)


@app.command(name="history")
@handled
def history_command(
    ctx: typer.Context, model: Annotated[str, typer.Argument(help="The model.")], json: JsonFlag = False
) -> None:
    """The audit trail: registrations, decisions, promotions, deploys (who, when, why, ARN, account)."""
    s = settings(ctx)
    with output.progress(f"reading the history of {model}"):
        records = audit.audit_trail(s.aws(), s.config, model)
    if json:
        output.emit_json([record.as_dict() for record in records])
    else:
        output.stdout().print(output.history_table(model, records))


def main() -> None:
    """The console script: run the app; anything that escaped a command still ends as one line."""
    try:
        app()
    except Exception as exc:  # the last line of defence against a traceback
        raise SystemExit(fail(f"unexpected failure: {type(exc).__name__}: {exc}", EXIT_FAILED).exit_code) from None
