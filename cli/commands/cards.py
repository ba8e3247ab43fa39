"""`card`: a version's model card as readable sections (or JSON), and its approval through the decision service."""

from __future__ import annotations

from typing import Annotated

import typer

from accounts.validation import InputError
from cli import output
from cli.errors import handled
from cli.settings import settings
from promotion.card_review import card_lines, card_view, describe_version
from promotion.decision_client import request_card_approval, request_card_submission


@handled
def card_command(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="The model.")],
    version: Annotated[int, typer.Argument(help="The version number.")],
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve the card, as a member of the card approver group.")
    ] = False,
    submit: Annotated[
        bool, typer.Option("--submit", help="Submit the Draft card for review, as the version's registrant.")
    ] = False,
    reason: Annotated[
        str, typer.Option("--reason", help="Why (with --approve or --submit); audited.", show_default=False)
    ] = "",
    json: Annotated[bool, typer.Option("--json", help="Print the card as JSON.")] = False,
) -> None:
    """Print a version's model card; with --submit (its registrant) or --approve (the card approver group),
    move it on through the decision service: Draft -> PendingReview -> Approved."""
    s = settings(ctx)
    if approve and submit:
        raise InputError("--approve and --submit: give one; the registrant submits, the card approver group approves")
    if submit:
        submitted = request_card_submission(s.aws().base, s.config, model=model, version=version, reason=reason)
        output.say(
            f"submitted the model card of {model} v{version} for review: {submitted.submitter}: {submitted.reason}"
        )
        return
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
