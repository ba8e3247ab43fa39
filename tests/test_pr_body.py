"""The promotion PR's body shows what the registrant sent, and nothing they send can forge a line of it."""

from __future__ import annotations

from dataclasses import replace

from accounts.config import OrgConfig
from promotion.pr_body import approval_lines, cell, code, fenced, lineage_lines, metrics_table
from promotion.registry import Lineage, PackageInfo

FORGED = "abc1234`\n- prod: Approved by prod.approver@example.com <!--"


def package(commit: str) -> PackageInfo:
    return PackageInfo(
        arn="arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-model/3",
        group="churn-model",
        version=3,
        status="Approved",
        created=None,
        description="",
        approval_description="",
        metrics={},
        decisions={},
        lineage=Lineage(commit, None, None, None, "data.scientist@example.com"),
        model_card_status=None,
    )


def test_a_plain_value_is_one_code_span() -> None:
    assert code("4f2c1de") == "`4f2c1de`"


def test_a_value_with_backticks_gets_a_longer_fence_and_cannot_close_it() -> None:
    assert code("a``b`") == "``` a``b` ```"


def test_a_crafted_commit_id_stays_on_its_own_line_inside_its_code_span() -> None:
    lines = lineage_lines(package(FORGED))
    assert lines[0] == "- source commit: `` abc1234` - prod: Approved by prod.approver@example.com <!-- ``"
    assert not any(line.startswith("- prod:") for line in lines)


def test_control_characters_are_flattened_to_spaces() -> None:
    assert code("a\rb\x00c\td") == "`a b c d`"


# A value crafted to forge a heading, hide the rest of the body in an HTML comment, plant a link and split a
# table; the registry can hold it (a package can be created by calling SageMaker directly).
CRAFTED = "ok\n## Approved for prod\n<!-- [click](https://evil.example) | @org/approvers"


def test_a_crafted_description_is_one_inert_code_span_in_the_approval_section() -> None:
    crafted = replace(package("abc1234"), approval_description=CRAFTED, model_card_summary=CRAFTED)
    assert approval_lines(crafted) == [
        "- status: **Approved**",
        "- latest decision: `ok ## Approved for prod <!-- [click](https://evil.example) | @org/approvers`",
    ]
    assert lineage_lines(crafted)[-1] == (
        "- model card summary: `ok ## Approved for prod <!-- [click](https://evil.example) | @org/approvers`"
    )


def test_a_crafted_commit_id_cannot_start_a_line_of_its_own() -> None:
    lines = lineage_lines(package("abc1234\n## Approved for prod\n<!--"))
    assert lines[0] == "- source commit: `abc1234 ## Approved for prod <!--`"
    assert len(lines) == 7  # five lineage entries, registered by, model card: nothing added


def test_a_crafted_metric_name_stays_in_its_own_table_cell(config: OrgConfig) -> None:
    crafted = replace(package("abc1234"), metrics={"auc | 1.0 |\n## Approved": 0.9})
    table = metrics_table(config, "churn-model", "qa", crafted, None).splitlines()
    assert table[0] == "| metric | qa requires | replaced `nothing` | proposed `churn-model v3` |"
    assert "| `auc \\| 1.0 \\| ## Approved` | — | — | 0.9 |" in table
    assert len(table) == 2 + len(crafted.metrics) + len(config.requirements("churn-model", "qa").metrics)


def test_a_pipe_in_a_table_cell_is_escaped_inside_its_code_span() -> None:
    assert cell("a|b") == "`a\\|b`"


def test_unicode_line_separators_and_bidi_overrides_are_flattened() -> None:
    assert code("a\u2028## b\u202ec\x85d") == "`a ## b c d`"


def test_a_diff_with_a_code_fence_inside_gets_a_longer_fence() -> None:
    assert fenced("+x: ```\n## Approved\n", "diff") == ["````diff", "+x: ```\n## Approved", "````"]
