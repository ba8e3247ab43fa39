"""`promote`, `rollback`, `release` and `verify`: pinning a version in git, holds, and the gates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli import output
from cli.errors import EXIT_FAILED, handled
from cli.settings import settings
from promotion import holds, verify
from promotion.gates import version_label
from promotion.promote import DEFAULT_PR_BODY_FILE, Outcome, promote, rollback

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


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
    if plan.rollback:
        output.say(
            f"hold: {plan.env} is held at {version_label(plan.arn)}; nothing else is promoted there until "
            f"`modelops release {plan.model} --env {plan.env} --reason ...`"
        )
    output.say(f"PR title and body: {outcome.pr_body_file}")


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
    reason: Annotated[
        str, typer.Option("--reason", help="Why (kept with the hold the rollback places; default: the PR title).")
    ] = "",
) -> None:
    """Pin the version live in ENV before (from the history) and hold ENV there; every gate but chain order
    and soak applies."""
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
            reason=reason,
            progress=update,
        )
    if outcome.plan.soak_note is not None:
        output.say(outcome.plan.soak_note)
    _report(outcome, dry_run)


@handled
def release_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    env: Annotated[str, typer.Option("--env", help="The held environment.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the hold may end (kept in the ledger).")] = "",
) -> None:
    """End the hold a rollback placed on ENV, as yourself, with a reason (platform engineers only)."""
    s = settings(ctx)
    with output.progress(f"releasing {model} in {env}"):
        record = holds.release(s.aws(), s.config, model=model, env=env, reason=reason)
    output.say(holds.release_summary(model, record))


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


COMMANDS = [
    ("promote", promote_command),
    ("rollback", rollback_command),
    ("release", release_command),
    ("verify", verify_command),
]
