"""The CodePipeline engine deploys the same stages in the same order, from the GitHub connection, with a
manual approval before every environment that requires review."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Synth, codepipeline_config, synthesize
from tests.orgs import workloads_root

CONNECTION = "arn:aws:codeconnections:eu-west-1:333333333333:connection/00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def codepipeline(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    # accounts.yaml refuses the engine until it is complete; the stack module is tested from code.
    config = codepipeline_config(CONNECTION)
    return synthesize(config, tmp_path_factory.mktemp("synth-codepipeline"), workloads_root("two_env"))


@pytest.fixture(scope="module")
def pipeline(codepipeline: Synth) -> dict[str, Any]:
    resources = codepipeline.template_json("ModelOps-Pipeline")["Resources"]
    assert isinstance(resources, dict)
    (props,) = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::CodePipeline::Pipeline"]
    assert isinstance(props, dict)
    return props


def test_pipeline_lives_in_the_deployment_account(codepipeline: Synth) -> None:
    stack = codepipeline.stacks["ModelOps-Pipeline"]
    assert (stack.account, stack.region) == ("333333333333", "eu-west-1")


def test_stages_run_source_synth_then_shared_services_then_the_chain(pipeline: dict[str, Any]) -> None:
    assert [stage["Name"] for stage in pipeline["Stages"]] == [
        "Source",
        "Build",
        "UpdatePipeline",
        "Assets",  # the approval workflow's Lambda code, published before any stage deploys
        "ModelOps-SharedServices",
        "ModelOps-qa",
        "ModelOps-prod",
    ]


def test_only_prod_which_requires_review_waits_for_a_manual_approval_first(pipeline: dict[str, Any]) -> None:
    approvals = {
        stage["Name"]: [
            (action["Name"], action["RunOrder"])
            for action in stage["Actions"]
            if action["ActionTypeId"]["Category"] == "Approval"
        ]
        for stage in pipeline["Stages"]
    }
    assert approvals == {
        "Source": [],
        "Build": [],
        "UpdatePipeline": [],
        "Assets": [],
        "ModelOps-SharedServices": [],
        "ModelOps-qa": [],
        "ModelOps-prod": [("Approve-prod", 1)],
    }
    (prod,) = [stage for stage in pipeline["Stages"] if stage["Name"] == "ModelOps-prod"]
    deploys = [action["RunOrder"] for action in prod["Actions"] if action["ActionTypeId"]["Category"] == "Deploy"]
    assert min(deploys) > 1


def test_source_is_the_configured_repository_and_branch_through_the_connection(
    pipeline: dict[str, Any],
) -> None:
    (source,) = pipeline["Stages"][0]["Actions"]
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert {k: source["Configuration"][k] for k in ("ConnectionArn", "FullRepositoryId", "BranchName")} == {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "example-org/modelops",
        "BranchName": "main",
    }


def test_artifacts_are_encrypted_with_a_key_the_target_accounts_can_use(pipeline: dict[str, Any]) -> None:
    store = pipeline["ArtifactStore"]
    assert store["EncryptionKey"]["Type"] == "KMS"


def test_synth_and_self_mutation_use_the_pinned_cdk_cli(codepipeline: Synth) -> None:
    resources = codepipeline.template_json("ModelOps-Pipeline")["Resources"]
    assert isinstance(resources, dict)
    specs = {
        str(r["Properties"]["Description"]).rsplit("/", 1)[-1]: json.loads(r["Properties"]["Source"]["BuildSpec"])
        for r in resources.values()
        if r["Type"] == "AWS::CodeBuild::Project"
    }
    assert specs["Synth"]["phases"]["install"]["commands"][-1] == "npm install --global aws-cdk@2.1148.1"
    assert specs["Synth"]["phases"]["build"]["commands"] == ["cdk synth"]
    assert specs["SelfMutate"]["phases"]["install"]["commands"] == ["npm install -g aws-cdk@2.1148.1"]


def test_codepipeline_engine_writes_no_github_workflow(codepipeline: Synth) -> None:
    assert not Path(codepipeline.workflow_path).exists()
    assert "ModelOps-DeploymentRoles" not in codepipeline.stacks
