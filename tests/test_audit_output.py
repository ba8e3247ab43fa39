"""`history`, `status` and `drift` never drop or cut a value: a table only on a terminal wide enough for it
whole, otherwise a block per item, wrapped at the terminal's width, one line per field in a pipe (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

import cli.main
from cli.layout import Block, block_lines, fits
from cli.output import history_blocks
from promotion.ledger import HistoryAction, HistoryRecord, LedgerRecord
from tests.orgs import config_path
from tests.promotion_support import LocalAws
from tests.terminal_support import terminal, unstyled
from tests.test_status import serve

CONFIG = str(config_path("two_env"))  # the `local_aws` fixture's organisation
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/{}"
APPROVER = "model.risk.committee.delegate@compliance-and-risk.example.com"
REASON = (
    "holds on the November holdout: auc 0.91, false positive rate 0.04; the fairness review MRM-2041 signed "
    "off by the model risk committee on 2026-11-20"
)


def modelops(workloads: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main.app, ["--config", CONFIG, "--workloads", str(workloads), *args])
    return result.exit_code, result.stdout


def decided(local_aws: LocalAws) -> None:
    """churn-model v1 approved for qa by an approver with a long address and a long reason."""
    local_aws.ledger().append(
        "churn-model/decisions",
        HistoryRecord(APPROVER, "2026-11-22T10:15:00.250000Z", HistoryAction.APPROVED, REASON, ARN.format(1),
                      "111111111111", "qa"),
    )  # fmt: skip
    local_aws.ledger().append(
        "churn-model/deploys/qa",
        HistoryRecord("modelops-4242-1", "2026-11-22T10:15:00.750000Z", HistoryAction.DEPLOYED, "deployed v1 to qa",
                      ARN.format(1), "444444444444", "qa"),
    )  # fmt: skip


# -- history ------------------------------------------------------------------------------------------------


def test_history_piped_prints_a_block_per_record_with_every_field_on_one_whole_line(
    local_aws: LocalAws, workloads: Path
) -> None:
    decided(local_aws)
    assert modelops(workloads, "history", "churn-model") == (
        0,
        "\n".join(
            [
                "history of churn-model",
                "",
                "2026-11-22T10:15:00.250000Z  decisions 1  approved",
                f"  who: {APPROVER}",
                "  env: qa",
                "  account: 111111111111",
                f"  arn: {ARN.format(1)}",
                f"  why: {REASON}",
                "",
                "2026-11-22T10:15:00.750000Z  deploys/qa 1  deployed",
                "  who: modelops-4242-1",
                "  env: qa",
                "  account: 444444444444",
                f"  arn: {ARN.format(1)}",
                "  why: deployed v1 to qa",
                "",
            ]
        ),
    )


def test_history_at_80_columns_is_a_block_per_record_with_the_reason_wrapped_under_its_label(
    local_aws: LocalAws, workloads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided(local_aws)
    terminal(monkeypatch, 80)
    code, stdout = modelops(workloads, "history", "churn-model")
    assert code == 0
    assert stdout.splitlines()[:9] == [
        "history of churn-model",
        "",
        "2026-11-22T10:15:00.250000Z  decisions 1  approved",
        f"  who: {APPROVER}",
        "  env: qa",
        "  account: 111111111111",
        f"  arn: {ARN.format(1)}",
        "  why: holds on the November holdout: auc 0.91, false positive rate 0.04; the",
        "       fairness review MRM-2041 signed off by the model risk committee on",
    ]
    assert stdout.splitlines()[9] == "       2026-11-20"
    assert max(len(line) for line in stdout.splitlines()) <= 80


def test_history_on_a_terminal_wide_enough_is_a_table_with_who_and_why_whole(
    local_aws: LocalAws, workloads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decided(local_aws)
    terminal(monkeypatch, 320)
    code, stdout = modelops(workloads, "history", "churn-model")
    assert code == 0
    [approval] = [line for line in unstyled(stdout).splitlines() if "decisions 1" in line]
    cells = [cell.strip() for cell in approval.strip("|│ ").split("│")]
    assert cells == ["2026-11-22T10:15:00.250000Z", "decisions 1", "approved", APPROVER, "qa", "v1",
                     "111111111111", REASON]  # fmt: skip


def test_a_table_fits_only_on_a_terminal_as_wide_as_its_natural_width() -> None:
    table = Table()
    table.add_column("why")
    table.add_row("a reason of thirty characters.")
    assert fits(Console(width=34, force_terminal=True), table)  # the text, its padding and two borders
    assert not fits(Console(width=33, force_terminal=True), table)  # rich would wrap or cut it
    assert not fits(Console(width=500, force_terminal=False), table)  # a pipe gets blocks, whatever its width


def test_a_block_field_longer_than_the_width_wraps_with_a_hanging_indent_and_an_unlabelled_one_under_itself() -> None:
    blocks = [Block("head", [("why", "one two three four"), ("", "five six seven eight")])]
    assert block_lines("title", blocks, 14) == [
        "title",
        "",
        "head",
        "  why: one two",
        "       three",
        "       four",
        "  five six",
        "  seven eight",
    ]


def test_a_word_longer_than_the_width_stays_whole_on_a_line_of_its_own() -> None:
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/1"
    blocks = [Block("head", [("who", "ci"), ("why", f"rolled back to {arn} after alarms")])]
    assert block_lines("title", blocks, 40) == [
        "title",
        "",
        "head",
        "  who: ci",
        "  why: rolled back to",
        f"       {arn}",
        "       after alarms",
    ]
    assert block_lines("title", blocks, None)[-1] == f"  why: rolled back to {arn} after alarms"


# -- status and drift ---------------------------------------------------------------------------------------


def test_status_at_80_columns_lists_every_status_whole(
    local_aws: LocalAws, workloads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_aws.approved(n=1)
    local_aws.register(n=2)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    terminal(monkeypatch, 80)
    assert modelops(workloads, "status") == (
        0,
        "\n".join(
            [
                "promotion board",
                "",
                "churn-model",
                "  v2 PendingManualApproval",
                "  v1 Approved",
                "  qa: pinned v1, live v1",
                "  prod: pinned v1, live nothing  DRIFT",
                "",
            ]
        ),
    )


def test_status_piped_is_the_same_blocks(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    local_aws.mark_deployed("churn-model", "qa", ARN.format(1))
    assert modelops(workloads, "status")[1].splitlines() == [
        "promotion board",
        "",
        "churn-model",
        "  v1 Approved",
        "  qa: pinned v1, live v1",
        "  prod: pinned v1, live nothing  DRIFT",
    ]


def test_drift_piped_prints_each_endpoint_and_its_whole_finding(local_aws: LocalAws, workloads: Path) -> None:
    local_aws.approved(n=1)
    local_aws.approved(n=2)
    serve(local_aws, "444444444444", ARN.format(1), "A")
    serve(local_aws, "555555555555", ARN.format(2), "B")
    assert modelops(workloads, "drift") == (
        1,
        "\n".join(
            [
                "live endpoints against git",
                "",
                "qa  churn-model  pinned v1  live v1",
                "  finding: runs v1, as pinned",
                "",
                "prod  churn-model  pinned v1  live v2  DRIFT",
                "  finding: the endpoint runs v2 but git pins v1",
                "1 drifting endpoint(s)",
                "",
            ]
        ),
    )


def test_a_record_without_a_reason_says_none_was_given_rather_than_printing_an_empty_why() -> None:
    record = LedgerRecord(
        stream="churn-model/registrations", seq=1, model="churn-model", action=HistoryAction.REGISTERED,
        who="data.scientist@example.com", when="2026-11-22T10:14:00.000000Z", reason="", arn=ARN.format(1),
        account="111111111111", env=None, prev="", hash="",
    )  # fmt: skip
    [block] = history_blocks("churn-model", [record])
    assert list(block.fields) == [
        ("who", "data.scientist@example.com"),
        ("env", "none"),
        ("account", "111111111111"),
        ("arn", ARN.format(1)),
        ("why", "none given"),
    ]
