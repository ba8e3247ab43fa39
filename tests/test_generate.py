"""deployment/generate.py: the one step that writes every committed generated file, and its check."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from accounts.config import OrgConfig
from accounts.validation import InputError
from deployment import generate
from deployment.generate import Generated, stale, write
from policies.permission_sets import rendered_permission_sets

WORKFLOW = Path(".github/workflows/deploy.yml")
CODEOWNERS = Path(".github/CODEOWNERS")


def expected(workflow: str | None = "name: deploy\n") -> Generated:
    return Generated(
        files={WORKFLOW: workflow, CODEOWNERS: "* @org/platform\n"},
        rendered={"INDEX.md": "# index\n", "Stack/Role.trust-policy.json": "{}\n"},
    )


def test_an_empty_repository_lists_every_file_as_missing(tmp_path: Path) -> None:
    assert stale(expected(), tmp_path) == [
        ".github/workflows/deploy.yml: missing",
        ".github/CODEOWNERS: missing",
        "policies/rendered/INDEX.md: missing",
        "policies/rendered/Stack/Role.trust-policy.json: missing",
    ]


def test_writing_makes_the_repository_current_and_reports_what_changed(tmp_path: Path) -> None:
    changed = write(expected(), tmp_path)
    assert changed == [
        WORKFLOW,
        CODEOWNERS,
        Path("policies/rendered/INDEX.md"),
        Path("policies/rendered/Stack/Role.trust-policy.json"),
    ]
    assert stale(expected(), tmp_path) == []
    assert (tmp_path / WORKFLOW).read_text() == "name: deploy\n"
    assert write(expected(), tmp_path) == []


def test_an_edited_file_and_a_leftover_rendered_policy_are_stale(tmp_path: Path) -> None:
    write(expected(), tmp_path)
    (tmp_path / CODEOWNERS).write_text("* @someone\n")
    (tmp_path / "policies/rendered/Old.key-policy.json").write_text("{}\n")
    assert stale(expected(), tmp_path) == [
        ".github/CODEOWNERS: differs from what the configuration generates",
        "policies/rendered/Old.key-policy.json: no longer generated",
    ]
    write(expected(), tmp_path)
    assert not (tmp_path / "policies/rendered/Old.key-policy.json").exists()
    assert stale(expected(), tmp_path) == []


def test_under_codepipeline_a_committed_github_workflow_is_stale_and_removed(tmp_path: Path) -> None:
    write(expected(), tmp_path)
    assert stale(expected(workflow=None), tmp_path) == [
        ".github/workflows/deploy.yml: should not exist under this pipeline engine"
    ]
    write(expected(workflow=None), tmp_path)
    assert not (tmp_path / WORKFLOW).exists()


def test_a_manifest_that_no_longer_matches_the_organisation_stops_the_step_before_synth(
    tmp_path: Path, sandbox_config_data: Callable[[], dict[str, Any]]
) -> None:
    workloads = tmp_path / "workloads"
    (workloads / "staging").mkdir(parents=True)
    (workloads / "staging" / "churn-model.yaml").write_text("model: churn-model\n")
    config = tmp_path / "accounts.yaml"
    config.write_text(yaml.safe_dump(sandbox_config_data()))

    def never(*_args: object) -> Path:
        raise AssertionError("synthesized despite a manifest that does not match the organisation")

    with pytest.raises(InputError) as raised:
        generate.run(
            config_path=config, workloads_root=workloads, root=tmp_path, assembly=None, check=True, synthesize=never
        )
    assert (
        str(raised.value)
        == f"{workloads / 'staging'}: not an environment of accounts.yaml; expected one of ['qa', 'prod']"
    )
    assert sorted(tmp_path.iterdir()) == sorted([workloads, config])


def test_the_permission_sets_render_under_policies_rendered_with_their_account_and_exact_document(
    config: OrgConfig,
) -> None:
    rendered = rendered_permission_sets(config)
    approver = json.loads(rendered["permission-sets/ModelOpsApprover.json"])
    assert (sorted(rendered), approver) == (
        [
            "permission-sets/DataScientist.json",
            "permission-sets/ModelOpsApprover.json",
            "permission-sets/ModelOpsPlatform.json",
        ],
        {
            "_generated": "by `make generate` from accounts/accounts.yaml (policies/permission_sets.py); do not edit",
            "permission_set": "ModelOpsApprover",
            "account": "111111111111",
            "purpose": "approvers: decide through the decision service, read through the verifier",
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DecideThroughTheDecisionService",
                        "Effect": "Allow",
                        "Action": ["execute-api:Invoke"],
                        "Resource": ["arn:aws:execute-api:eu-west-1:111111111111:*/*/POST/decisions"],
                    },
                    {
                        "Sid": "FindTheDecisionService",
                        "Effect": "Allow",
                        "Action": ["ssm:GetParameter"],
                        "Resource": ["arn:aws:ssm:eu-west-1:111111111111:parameter/modelops/shared/approval-api-url"],
                    },
                    {
                        "Sid": "ReadThroughTheVerifier",
                        "Effect": "Allow",
                        "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
                        "Resource": ["arn:aws:iam::111111111111:role/modelops-verifier"],
                    },
                ],
            },
        },
    )
