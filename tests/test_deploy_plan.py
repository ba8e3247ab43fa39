"""The deploy plan (deployment/plan.py) on small synthetic cloud assemblies: a merge plans exactly the stacks
it changed, in batches GitHub's 256-job matrix can run; a removed stack is reported, never deployed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from accounts.config import load_config
from deployment import plan
from deployment.plan import MATRIX_LIMIT, PlannedStack, batches, compute, read_assembly
from tests.conftest import Synth, synthesize
from tests.orgs import config_path, workloads_root

TARGETS = [("shared-services", "ModelOps-SharedServices"), ("qa", "ModelOps-qa"), ("prod", "ModelOps-prod")]
TARGET_ARGS = [f"--target={target}={stage}" for target, stage in TARGETS]
MODELS = ["churn-model", "fraud-model"]


def stack(resources: dict[str, Any], assets: list[str] | None = None) -> dict[str, Any]:
    return {"template": {"Resources": resources}, "assets": assets or []}


def organisation(pins: dict[str, dict[str, int]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Stages as STK splits them: shared services with a stack per model, each environment with its base and an
    endpoint stack per pinned model (`pins`: env -> model -> version)."""
    shared = {"SharedServices": stack({"Key": {"Type": "AWS::KMS::Key"}}, ["lambda-code-1"])}
    shared |= {f"Model-{model}": stack({"Group": {"Type": "AWS::SageMaker::ModelPackageGroup"}}) for model in MODELS}
    stages = {"ModelOps-SharedServices": shared}
    for env in ("qa", "prod"):
        stacks = {"Environment": stack({"Role": {"Type": "AWS::IAM::Role"}})}
        for model, version in pins.get(env, {}).items():
            stacks[f"Endpoint-{model}"] = stack({"Model": {"Type": "AWS::SageMaker::Model", "Version": version}})
        stages[f"ModelOps-{env}"] = stacks
    return stages


def write_assembly(root: Path, stages: dict[str, dict[str, dict[str, Any]]]) -> Path:
    """A cloud assembly as `cdk synth` writes it: a nested assembly per stage, a template and an asset manifest
    (the template's own entry and the stack's other assets) per stack."""
    artifacts: dict[str, Any] = {}
    for stage, stacks in stages.items():
        folder = root / f"assembly-{stage}"
        folder.mkdir(parents=True)
        artifacts[f"assembly-{stage}"] = {
            "type": "cdk:cloud-assembly",
            "properties": {"directoryName": f"assembly-{stage}", "displayName": stage},
        }
        nested: dict[str, Any] = {}
        for stack_id, body in stacks.items():
            artifact = f"{stage}{stack_id}".replace("-", "")
            (folder / f"{artifact}.template.json").write_text(json.dumps(body["template"]))
            files = {"template-hash": {"source": {"path": f"{artifact}.template.json", "packaging": "file"}}}
            files |= {asset: {"source": {"path": f"../asset.{asset}", "packaging": "zip"}} for asset in body["assets"]}
            (folder / f"{artifact}.assets.json").write_text(json.dumps({"files": files, "dockerImages": {}}))
            nested[f"{artifact}.assets"] = {
                "type": "cdk:asset-manifest",
                "properties": {"file": f"{artifact}.assets.json"},
            }
            nested[artifact] = {
                "type": "aws:cloudformation:stack",
                "properties": {"templateFile": f"{artifact}.template.json", "stackName": f"{stage}-{stack_id}"},
                "dependencies": [f"{artifact}.assets"],
                "displayName": f"{stage}/{stack_id}",
            }
        (folder / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": nested}))
    (root / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
    return root


def planned(before: Path | None, after: Path) -> dict[str, Any]:
    return compute(read_assembly(before) if before else None, read_assembly(after), TARGETS).to_json()


NOTHING: dict[str, Any] = {"base": None, "batches": []}
CHURN_PROD = {"path": "ModelOps-prod/Endpoint-churn-model", "model": "churn-model"}
PINS = {"qa": {"churn-model": 3}, "prod": {"churn-model": 2}}


def test_a_promotion_pinning_one_model_in_one_environment_plans_exactly_its_endpoint_stack(tmp_path: Path) -> None:
    before = write_assembly(tmp_path / "before", organisation(PINS))
    after = write_assembly(tmp_path / "after", organisation({**PINS, "prod": {"churn-model": 3}}))

    assert planned(before, after) == {
        "everything": False,
        "targets": {
            "shared-services": NOTHING,
            "qa": NOTHING,
            "prod": {
                "base": None,
                "batches": [[{"path": "ModelOps-prod/Endpoint-churn-model", "model": "churn-model"}]],
            },
        },
        "removed": [],
    }


def test_an_asset_hash_change_plans_its_stack_though_the_template_is_the_same(tmp_path: Path) -> None:
    before = write_assembly(tmp_path / "before", organisation(PINS))
    changed = organisation(PINS)
    changed["ModelOps-SharedServices"]["SharedServices"]["assets"] = ["lambda-code-2"]
    after = write_assembly(tmp_path / "after", changed)

    assert planned(before, after)["targets"] == {
        "shared-services": {"base": "ModelOps-SharedServices/SharedServices", "batches": []},
        "qa": NOTHING,
        "prod": NOTHING,
    }


def test_a_new_stack_is_planned_and_a_removed_one_reported_not_deployed(tmp_path: Path) -> None:
    before = write_assembly(tmp_path / "before", organisation(PINS))
    after = write_assembly(tmp_path / "after", organisation({"qa": {"churn-model": 3, "fraud-model": 1}}))

    assert planned(before, after) == {
        "everything": False,
        "targets": {
            "shared-services": NOTHING,
            "qa": {"base": None, "batches": [[{"path": "ModelOps-qa/Endpoint-fraud-model", "model": "fraud-model"}]]},
            "prod": NOTHING,
        },
        "removed": ["ModelOps-prod/Endpoint-churn-model"],
    }


def test_without_a_previous_assembly_every_stack_is_planned_base_first(tmp_path: Path) -> None:
    after = write_assembly(tmp_path / "after", organisation(PINS))

    result = planned(None, after)

    assert result["everything"] is True
    assert {target: (entry["base"], entry["batches"]) for target, entry in result["targets"].items()} == {
        "shared-services": (
            "ModelOps-SharedServices/SharedServices",
            [
                [{"path": "ModelOps-SharedServices/Model-churn-model", "model": "churn-model"}],
                [{"path": "ModelOps-SharedServices/Model-fraud-model", "model": "fraud-model"}],
            ],
        ),
        "qa": ("ModelOps-qa/Environment", [[{"path": "ModelOps-qa/Endpoint-churn-model", "model": "churn-model"}]]),
        "prod": (
            "ModelOps-prod/Environment",
            [[{"path": "ModelOps-prod/Endpoint-churn-model", "model": "churn-model"}]],
        ),
    }


def test_formatting_alone_is_no_change(tmp_path: Path) -> None:
    before = write_assembly(tmp_path / "before", organisation(PINS))
    after = write_assembly(tmp_path / "after", organisation(PINS))
    template = next((after / "assembly-ModelOps-qa").glob("*Endpointchurnmodel.template.json"))
    template.write_text(json.dumps(json.loads(template.read_text()), indent=4))

    assert planned(before, after)["targets"] == {"shared-services": NOTHING, "qa": NOTHING, "prod": NOTHING}


@pytest.mark.parametrize(("changed", "count", "size"), [(1, 1, 1), (256, 256, 1), (300, 150, 2), (2500, 250, 10)])
def test_any_number_of_changed_stacks_fits_a_256_job_matrix(changed: int, count: int, size: int) -> None:
    stacks = [PlannedStack(f"ModelOps-qa/Endpoint-model-{index:04d}", f"model-{index:04d}") for index in range(changed)]

    result = batches(stacks)

    assert (len(result), {len(batch) for batch in result[:-1]} | {len(result[-1])}) == (count, {size})
    assert [stack for batch in result for stack in batch] == stacks
    assert len(result) <= MATRIX_LIMIT


def test_2500_changed_stacks_share_the_runs_256_matrix_jobs_with_the_other_targets(tmp_path: Path) -> None:
    """GitHub: "A matrix will generate a maximum of 256 jobs per workflow run", read as the run's total: with 3
    targets each gets 85 batches, 2,500 stacks in 84 batches of 30 (the last of 10)."""
    pins = {"qa": {f"model-{index:04d}": 1 for index in range(2500)}}
    after = write_assembly(tmp_path / "after", organisation(pins))

    plan = compute(None, read_assembly(after), TARGETS)

    assert plan.github_output()["qa"] == {"base": True, "batches": list(range(84))}
    assert [len(batch) for batch in plan.targets[1].batches] == [30] * 83 + [10]
    assert sum(len(target.batches) for target in plan.targets) <= MATRIX_LIMIT


def test_the_cli_writes_the_plan_file_and_the_workflow_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = write_assembly(tmp_path / "before", organisation(PINS))
    after = write_assembly(tmp_path / "after", organisation({"qa": {"churn-model": 4}}))
    output, github = tmp_path / "plan.json", tmp_path / "github-output"

    code = plan.main([str(before), str(after), *TARGET_ARGS, f"--output={output}", f"--github-output={github}"])

    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        "shared-services: nothing to deploy",
        "qa: 1 per-model stack(s) in 1 batch(es) of 1: ModelOps-qa/Endpoint-churn-model",
        "prod: nothing to deploy",
        "removed, not deployed (delete it with `cdk destroy` if intended): ModelOps-prod/Endpoint-churn-model",
        "::warning::ModelOps-prod/Endpoint-churn-model is no longer in the app; it was not deleted "
        "(`cdk destroy` it if intended)",
    ]
    assert github.read_text() == (
        'plan={"shared-services":{"base":false,"batches":[]},"qa":{"base":false,"batches":[0]},'
        '"prod":{"base":false,"batches":[]}}\n'
    )
    assert json.loads(output.read_text())["targets"]["qa"]["batches"] == [
        [{"path": "ModelOps-qa/Endpoint-churn-model", "model": "churn-model"}]
    ]


def test_the_cli_plans_everything_with_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = write_assembly(tmp_path / "after", organisation({"qa": {"churn-model": 4}}))

    assert plan.main(["--all", str(after), *TARGET_ARGS]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "shared-services: base and 2 per-model stack(s) in 2 batch(es) of 1: ModelOps-SharedServices/SharedServices, "
        "ModelOps-SharedServices/Model-churn-model, ModelOps-SharedServices/Model-fraud-model",
        "qa: base and 1 per-model stack(s) in 1 batch(es) of 1: ModelOps-qa/Environment, "
        "ModelOps-qa/Endpoint-churn-model",
        "prod: base stack only: ModelOps-prod/Environment",
    ]


def test_a_missing_assembly_folder_is_one_line_naming_it_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after = write_assembly(tmp_path / "after", organisation(PINS))

    assert plan.main([str(tmp_path / "nowhere"), str(after), *TARGET_ARGS]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path}/nowhere/manifest.json: cloud assembly manifest not found; "
        "synthesize the app (`cdk synth`) into that folder\n"
    )


def test_a_malformed_manifest_is_one_line_naming_it_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = write_assembly(tmp_path / "before", organisation(PINS))
    after = write_assembly(tmp_path / "after", organisation(PINS))
    (after / "assembly-ModelOps-qa" / "manifest.json").write_text('{"artifacts": ')

    assert plan.main([str(before), str(after), *TARGET_ARGS]) == 2
    assert capsys.readouterr().err == (
        f"error: {after}/assembly-ModelOps-qa/manifest.json: cloud assembly manifest is not valid JSON "
        "(line 1: Expecting value)\n"
    )


def test_a_stage_no_target_deploys_is_refused_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = write_assembly(tmp_path / "after", organisation(PINS))

    assert (
        plan.main(["--all", str(after), "--target=shared-services=ModelOps-SharedServices", "--target=qa=ModelOps-qa"])
        == 2
    )
    assert capsys.readouterr().err == (
        "error: stage ModelOps-prod: no deploy target deploys it; "
        "expected one of ModelOps-SharedServices, ModelOps-qa\n"
    )


def test_on_the_app_itself_a_prod_promotion_plans_only_that_models_prod_stack(synth: Synth, tmp_path: Path) -> None:
    """The two_env app, synthesized again after a promotion PR pins churn-model v2 in prod: the plan of the two
    real assemblies deploys churn-model's prod endpoint stack, and nothing else: not prod's Environment, not
    shared services, not qa."""
    workloads = tmp_path / "workloads"
    shutil.copytree(workloads_root("two_env"), workloads)
    manifest = workloads / "prod" / "churn-model.yaml"
    manifest.write_text(manifest.read_text().replace("model-package/churn-model/1", "model-package/churn-model/2"))
    promoted = synthesize(load_config(config_path("two_env")), tmp_path / "promoted", workloads)

    result = compute(read_assembly(synth.outdir), read_assembly(promoted.outdir), TARGETS).to_json()

    assert result == {
        "everything": False,
        "targets": {
            "shared-services": NOTHING,
            "qa": NOTHING,
            "prod": {"base": None, "batches": [[CHURN_PROD]]},
        },
        "removed": [],
    }


def only(stages: dict[str, dict[str, dict[str, Any]]], model: str) -> dict[str, dict[str, dict[str, Any]]]:
    """`stages` as a synth for `model` alone writes them: the constant stacks and that model's."""
    return {
        stage: {
            stack_id: body
            for stack_id, body in stacks.items()
            if stack_id in ("SharedServices", "Environment") or stack_id.endswith(f"-{model}")
        }
        for stage, stacks in stages.items()
    }


def test_a_promotions_plan_compares_only_the_promoted_models_stacks(tmp_path: Path) -> None:
    """The previous tip synthesized for churn-model alone (`modelops:models`) against the whole pushed commit:
    fraud-model's stacks, absent before, are neither planned nor reported removed."""
    pins = {"qa": {"churn-model": 3, "fraud-model": 1}, "prod": {"churn-model": 2, "fraud-model": 1}}
    before = write_assembly(tmp_path / "before", only(organisation(pins), "churn-model"))
    promoted = {"qa": pins["qa"], "prod": {**pins["prod"], "churn-model": 3}}
    after = write_assembly(tmp_path / "after", organisation(promoted))

    plan = compute(read_assembly(before), read_assembly(after), TARGETS, models=["churn-model"]).to_json()

    assert plan == {
        "everything": False,
        "targets": {"shared-services": NOTHING, "qa": NOTHING, "prod": {"base": None, "batches": [[CHURN_PROD]]}},
        "removed": [],
    }
