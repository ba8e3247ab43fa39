"""`card`: a version's model card as readable sections (or JSON), and its approval through the decision service."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import output
from cli.errors import handled
from cli.settings import settings
from promotion.card_review import card_lines, card_view, describe_version
from promotion.decision_client import request_card_approval


@handled
def card_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[int, typer.Argument(help="The version number.")],
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve the card, as a member of the card approver group.")
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (with --approve); audited.", show_default=False)] = "",
    json: Annotated[bool, typer.Option("--json", help="Print the card as JSON.")] = False,
) -> None:
    """Print a version's model card; with --approve, approve it through the decision service."""
    s = settings(ctx)
    if approve:
        recorded = request_card_approval(s.aws().base, s.config, model=model, version=version, reason=reason)
        output.say(f"approved the model card of {model} v{version}: {recorded.approver}: {recorded.reason}")
        return
    package = describe_version(s.aws(), s.config, model, version)
    if json:
        output.emit_json(card_view(package))
        return
    for line in card_lines(package):
        output.say(line)


COMMANDS = [("card", card_command)]
