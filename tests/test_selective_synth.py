"""The synth a promotion needs: only the promoted models' own stacks beside every constant stack, with exactly the
templates a full synth writes (deployment/cdk_app.py, `modelops:models`)."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from accounts.config import OrgConfig, load_config
from accounts.validation import InputError
from deployment.cdk_app import MODELS_CONTEXT, build_app, selected_models
from policies.cloud_assembly import load_assembly
from tests.conftest import Synth

CONSTANT_STACKS = [
    "ModelOps-DataScience",
    "ModelOps-DeploymentRoles",
    "ModelOps-SharedServices/SharedServices",
    "ModelOps-prod/Environment",
    "ModelOps-qa/Environment",
]


def templates(outdir: Path) -> dict[str, object]:
    return {stack.path: json.loads(stack.template_file.read_text()) for stack in load_assembly(outdir)}


@pytest.fixture(scope="module")
def selective(large_synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """large_synth's organisation (20 models) synthesized for model-007 alone."""
    organisation = large_synth.workdir.parent / "org"
    config = load_config(organisation / "accounts.yaml")
    outdir = tmp_path_factory.mktemp("selective") / "cdk.out"
    build_app(config, workloads_root=organisation / "workloads", outdir=str(outdir), models=["model-007"]).synth()
    return outdir


def test_a_promotion_synth_builds_the_models_own_stacks_and_every_constant_one(selective: Path) -> None:
    assert sorted(templates(selective)) == sorted(
        [
            *CONSTANT_STACKS,
            "ModelOps-SharedServices/Model-model-007",
            "ModelOps-Training-model-007",
            "ModelOps-prod/Endpoint-model-007",
            "ModelOps-qa/Endpoint-model-007",
        ]
    )


def test_each_stack_it_builds_is_the_template_the_full_synth_writes(selective: Path, large_synth: Synth) -> None:
    full, part = templates(large_synth.outdir), templates(selective)

    assert {path: template == full[path] for path, template in part.items()} == dict.fromkeys(part, True)


def test_the_models_context_selects_and_names_a_model_accounts_yaml_lacks(config: OrgConfig) -> None:
    assert selected_models(cdk.App(context={MODELS_CONTEXT: "churn-model"}), config) == ["churn-model"]
    assert selected_models(cdk.App(), config) is None
    with pytest.raises(InputError) as raised:
        selected_models(cdk.App(context={MODELS_CONTEXT: "churn-model, fraud"}), config)
    assert str(raised.value) == (
        "context modelops:models: 'fraud' is not a model of accounts.yaml; expected some of ['churn-model']"
    )
