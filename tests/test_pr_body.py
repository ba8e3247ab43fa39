"""The promotion PR's body shows what the registrant sent, and nothing they send can forge a line of it."""

from __future__ import annotations

from promotion.pr_body import code, lineage_lines
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
