"""The deploy workflow does not grow with the organisation: a generated organisation of 20 models gets the very
same deploy.yml as the sample one (jobs are per deploy target; the stacks of a merge are the plan's, read at
run time), well under the 500 KB past which GitHub starts no run. That every matrix stays within GitHub's 256
jobs holds by construction: tests/test_deploy_plan.py batches 300 and 2,500 changed stacks."""

from __future__ import annotations

from tests.conftest import Synth
from tests.test_workflow_lint import load_workflow

# GitHub: "workflow files larger than 512 KB are not run" (the figure: 500 KB).
WORKFLOW_LIMIT = 500 * 1024


def test_twenty_models_get_the_same_workflow_as_one(synth: Synth, large_synth: Synth) -> None:
    sample, generated = synth.workflow_path.read_text(), large_synth.workflow_path.read_text()

    assert list(load_workflow(generated)["jobs"]) == [
        "Build-Synth",
        "ModelOps-SharedServices-SharedServices-Deploy",
        "ModelOps-SharedServices-Models-Deploy",
        "ModelOps-qa-Environment-Deploy",
        "ModelOps-qa-Models-Deploy",
        "ModelOps-prod-Environment-Deploy",
        "ModelOps-prod-Models-Deploy",
    ]
    assert generated == sample


def test_the_workflow_is_far_below_the_size_github_runs(large_synth: Synth) -> None:
    size = len(large_synth.workflow_path.read_bytes())
    assert size < WORKFLOW_LIMIT, f"deploy.yml is {size} bytes; GitHub runs none over {WORKFLOW_LIMIT}"
    assert size < 30_000  # two jobs per deploy target of a few dozen lines each, whatever the number of models
