"""`approve` and `reject`: an approver asks the decision service to record their decision for one environment."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import output
from cli.errors import handled
from cli.settings import settings
from promotion.decision_client import request_decision
from promotion.decisions import Verdict
from promotion.metadata import StageStatus

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _decide(ctx: typer.Context, model: str, version: int, verdict: Verdict, reason: str, env: str | None) -> None:
    s = settings(ctx)
    recorded = request_decision(
        s.aws().base, s.config, model=model, version=version, verdict=verdict, reason=reason, env=env
    )
    decided = f"{recorded.status.lower()} {model} v{version} for {recorded.env}"
    output.say(f"{decided}: {recorded.approver}: {recorded.reason}")
    if recorded.outcome == StageStatus.PENDING:
        environment = s.config.environment(recorded.env)
        output.say(
            f"{model} v{version} for {recorded.env}: {recorded.approvals} of "
            f"{recorded.required or environment.approvals_required} "
            f"approvals; another member of {environment.approver_group} decides"
        )


# Required for both verdicts: a decision without a reason is not auditable.
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why; recorded in the registry and the history.", show_default=False)
]
EnvOption = Annotated[
    str | None, typer.Option("--env", help="The environment decided for (default: the first of the chain).")
]


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


@handled
def reject(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[int, typer.Argument(help="The version number.")],
    reason: ReasonOption,
    env: EnvOption = None,
) -> None:
    """Reject a version, with a reason; a rejected version can never be approved."""
    _decide(ctx, model, version, "reject", reason, env)


COMMANDS = [("approve", approve), ("reject", reject)]
