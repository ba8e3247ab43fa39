"""The deploy plan: which stacks of which deploy target a merge changed, batched for GitHub's matrix.

`python -m deployment.plan BEFORE AFTER --target shared-services=ModelOps-SharedServices --target qa=ModelOps-qa ...`
compares two synthesized cloud assemblies (the previous tip's and the pushed commit's); `--all AFTER` plans
every stack (first run, force-push, or a deploy asked for by hand). The deploy workflow's synth job runs it
and its deploy jobs read the result (`--output`, kept in the uploaded assembly), so that a merge deploys,
and asks approvers about, only what it changed.

A stack changed when it is new, when its template differs (parsed JSON, so formatting does not count), or
when any of its file or Docker asset hashes differ (its `*.assets.json`): a Lambda's code changes the asset,
not always the template. A stack in BEFORE and not in AFTER is reported, never deleted: removing a model's
endpoint is a decision a person takes with `cdk destroy`, not a side effect of a merge.

Each target is a stage of the app, in deployment order (shared services, then the chain). The stage's
stack whose id is `SharedServices` or `Environment` is its base, deployed first, alone; every other stack
is per model (`Model-<model>`, `Endpoint-<model>`: the model is the id after the first `-`) and deploys in
a matrix job. GitHub: "A matrix will generate a maximum of 256 jobs per workflow run". Read strictly, every
matrix of a run shares those 256, so each target's per-model stacks go in at most 256 // targets batches
(51 with 5 targets) of equal size: 2,000 changed endpoint stacks over 4 environments make 51 batches of 10
per environment, deployed side by side in each job.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from accounts import naming
from accounts.validation import InputError
from deployment import entry_point

BASE_STACK_IDS = (naming.SHARED_SERVICES_STACK_ID, naming.ENVIRONMENT_STACK_ID)  # each stage's constant stack
# GitHub's limit (docs: "A matrix will generate a maximum of 256 jobs per workflow run"), shared by the run's matrices.
MATRIX_LIMIT = 256
# Where the synth job leaves the plan, inside the assembly it uploads, for the deploy jobs to read.
PLAN_FILE = "deploy-plan.json"
STACK_TYPE = "aws:cloudformation:stack"
NESTED_TYPE = "cdk:cloud-assembly"
T = TypeVar("T")


@dataclass(frozen=True)
class StackState:
    """What decides whether a stack changed: its template and its assets' hashes (the template's own aside)."""

    path: str
    template: Any
    assets: frozenset[str]


@dataclass(frozen=True)
class PlannedStack:
    """A stack to deploy: its construct path (what `cdk deploy` selects) and its model, if it is per model."""

    path: str
    model: str | None


@dataclass(frozen=True)
class TargetPlan:
    """One deploy target's changed stacks: its base stack (if changed), then the per-model ones."""

    target: str
    base: PlannedStack | None
    stacks: list[PlannedStack]
    limit: int = MATRIX_LIMIT  # this target's share of the run's matrix jobs

    @property
    def batches(self) -> list[list[PlannedStack]]:
        """The per-model stacks in at most `limit` batches of equal size (the last may be shorter)."""
        return batches(self.stacks, self.limit)


@dataclass(frozen=True)
class Plan:
    """The targets in deployment order, and the stacks that disappeared (reported, not deployed)."""

    targets: list[TargetPlan]
    removed: list[str] = field(default_factory=list)
    everything: bool = False

    def to_json(self) -> dict[str, Any]:
        """The plan file the deploy jobs read: each target's base and batches, by target name."""
        return {
            "everything": self.everything,
            "targets": {
                plan.target: {
                    "base": plan.base.path if plan.base else None,
                    "batches": [[_stack_json(stack) for stack in batch] for batch in plan.batches],
                }
                for plan in self.targets
            },
            "removed": self.removed,
        }

    def github_output(self) -> dict[str, Any]:
        """What the workflow's `if:` and `matrix:` read: per target, whether its base deploys and the batch
        indexes. Indexes only, so the output stays small (GitHub allows 1 MB per job) at any size."""
        return {
            plan.target: {"base": plan.base is not None, "batches": list(range(len(plan.batches)))}
            for plan in self.targets
        }


def batches(items: Sequence[T], limit: int = MATRIX_LIMIT) -> list[list[T]]:
    """`items` in order, in at most `limit` batches of ceil(len / limit) items each."""
    size = max(1, math.ceil(len(items) / limit))
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def read_assembly(root: Path) -> dict[str, dict[str, StackState]]:
    """The stacks of each stage (nested assembly) of the cloud assembly at `root`, by stage id and path.

    Top-level stacks are not in any stage, and the workflow deploys none of them (they are set up once by
    hand: `modelops bootstrap`), so they are not read.
    """
    manifest = _load_json(root / "manifest.json", "cloud assembly manifest")
    stages: dict[str, dict[str, StackState]] = {}
    for artifact_id, artifact in _artifacts(root / "manifest.json", manifest).items():
        if artifact.get("type") != NESTED_TYPE:
            continue
        directory = _field(root / "manifest.json", artifact, f"artifacts.{artifact_id}.properties.directoryName")
        stage = artifact.get("properties", {}).get("displayName", artifact_id)
        stages[stage] = _read_stage(root / directory)
    return stages


def _read_stage(folder: Path) -> dict[str, StackState]:
    manifest_path = folder / "manifest.json"
    artifacts = _artifacts(manifest_path, _load_json(manifest_path, "cloud assembly manifest"))
    stacks: dict[str, StackState] = {}
    for artifact_id, artifact in artifacts.items():
        if artifact.get("type") != STACK_TYPE:
            continue
        path = str(artifact.get("displayName", artifact_id))
        template_file = _field(manifest_path, artifact, f"artifacts.{artifact_id}.properties.templateFile")
        assets: set[str] = set()
        for dependency in artifact.get("dependencies", []):
            file = artifacts.get(dependency, {}).get("properties", {}).get("file")
            if artifacts.get(dependency, {}).get("type") == "cdk:asset-manifest" and file:
                assets |= _asset_hashes(folder / file, template_file)
        template = _load_json(folder / template_file, "stack template")
        stacks[path] = StackState(path=path, template=template, assets=frozenset(assets))
    return stacks


def _asset_hashes(path: Path, template_file: str) -> set[str]:
    """The hashes of the file and Docker assets in the asset manifest at `path`, but the template's own."""
    manifest = _load_json(path, "asset manifest")
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: expected an asset manifest object, found {type(manifest).__name__}")
    hashes = {f"docker:{key}" for key in manifest.get("dockerImages", {})}
    for key, entry in manifest.get("files", {}).items():
        if entry.get("source", {}).get("path") != template_file:
            hashes.add(f"file:{key}")
    return hashes


def compute(
    before: dict[str, dict[str, StackState]] | None,
    after: dict[str, dict[str, StackState]],
    targets: Sequence[tuple[str, str]],
    models: Collection[str] | None = None,
) -> Plan:
    """The plan from the stages `before` to `after` (None: plan every stack); `targets` are (target, stage id)
    pairs in deployment order, and every stage of `after` must be one of them.

    `models`: the push changed only these models' manifests, and BEFORE was synthesized for them alone
    (`modelops:models`, deployment/cdk_app.py): only their per-model stacks and the constant stacks are compared;
    every other model's stacks are neither planned nor reported removed."""
    if models is not None:
        before = _only(before, models) if before is not None else None
        after = _only(after, models)
    stage_ids = [stage for _, stage in targets]
    unknown = sorted(set(after) - set(stage_ids))
    if unknown:
        raise InputError(f"stage {unknown[0]}: no deploy target deploys it; expected one of {', '.join(stage_ids)}")
    plans: list[TargetPlan] = []
    share = MATRIX_LIMIT // max(1, len(targets))  # every target's matrix job runs in the same workflow run
    for target, stage in targets:
        if stage not in after:
            raise InputError(f"--target {target}={stage}: the assembly has no stage {stage}")
        previous = before.get(stage, {}) if before is not None else None
        changed = [path for path, state in after[stage].items() if previous is None or _changed(previous, state)]
        base = [path for path in changed if _stack_id(path) in BASE_STACK_IDS]
        plans.append(
            TargetPlan(
                target=target,
                base=PlannedStack(base[0], None) if base else None,
                stacks=[PlannedStack(path, _model(path)) for path in sorted(changed) if path not in base],
                limit=share,
            )
        )
    removed = (
        sorted(path for stage, stacks in before.items() for path in stacks if path not in after.get(stage, {}))
        if before is not None
        else []
    )
    return Plan(targets=plans, removed=removed, everything=before is None)


def _only(stages: dict[str, dict[str, StackState]], models: Collection[str]) -> dict[str, dict[str, StackState]]:
    """The constant stacks and the per-model stacks of `models`."""
    return {
        stage: {
            path: state for path, state in stacks.items() if _stack_id(path) in BASE_STACK_IDS or _model(path) in models
        }
        for stage, stacks in stages.items()
    }


def _changed(previous: dict[str, StackState], state: StackState) -> bool:
    old = previous.get(state.path)
    return old is None or old.template != state.template or old.assets != state.assets


def _stack_id(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _model(path: str) -> str | None:
    """`churn-model` for `ModelOps-qa/Endpoint-churn-model`; None for a stack that names no model."""
    _, dash, model = _stack_id(path).partition("-")
    return model if dash and model else None


def _stack_json(stack: PlannedStack) -> dict[str, Any]:
    return {"path": stack.path, "model": stack.model}


def summary(plan: Plan) -> list[str]:
    """One line per target, then one per removed stack."""
    lines = []
    for target in plan.targets:
        paths = ([target.base.path] if target.base else []) + [stack.path for stack in target.stacks]
        if not paths:
            lines.append(f"{target.target}: nothing to deploy")
            continue
        shape = f"base {'and ' if target.stacks else ''}" if target.base else ""
        if target.stacks:
            size = len(target.batches[0])
            shape += f"{len(target.stacks)} per-model stack(s) in {len(target.batches)} batch(es) of {size}"
        else:
            shape += "stack only"
        lines.append(f"{target.target}: {shape}: {', '.join(paths)}")
    lines.extend(f"removed, not deployed (delete it with `cdk destroy` if intended): {path}" for path in plan.removed)
    return lines


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found; synthesize the app (`cdk synth`) into that folder") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: {what} is not valid JSON (line {error.lineno}: {error.msg})") from None
    except OSError as error:
        raise InputError(f"{path}: {what} cannot be read ({error.strerror})") from None


def _artifacts(path: Path, manifest: Any) -> dict[str, dict[str, Any]]:
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    if not isinstance(artifacts, dict) or not all(isinstance(value, dict) for value in artifacts.values()):
        raise InputError(f"{path}: artifacts: expected an object of artifact objects")
    return artifacts


def _field(path: Path, artifact: dict[str, Any], name: str) -> str:
    value = artifact.get("properties", {}).get(name.rsplit(".", 1)[-1])
    if not isinstance(value, str) or not value:
        raise InputError(f"{path}: {name}: expected a file name, found {value!r}")
    return value


def _target(value: str) -> tuple[str, str]:
    target, equals, stage = value.partition("=")
    if not equals or not target or not stage:
        raise argparse.ArgumentTypeError(f"{value!r}: expected TARGET=STAGE, e.g. qa=ModelOps-qa")
    return target, stage


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m deployment.plan BEFORE AFTER --target T=STAGE ...` (or `--all AFTER`); errors are one line, exit 2."""
    parser = argparse.ArgumentParser(prog="python -m deployment.plan", description=__doc__.split("\n")[0])
    parser.add_argument(
        "assemblies", nargs="+", type=Path, metavar="ASSEMBLY", help="BEFORE AFTER, or AFTER with --all"
    )
    parser.add_argument("--all", action="store_true", help="plan every stack of AFTER")
    parser.add_argument(
        "--target", type=_target, action="append", required=True, help="TARGET=STAGE, in deployment order"
    )
    parser.add_argument(
        "--models",
        help="MODEL[,MODEL...]: the push changed only these models' manifests; compare only their stacks",
    )
    parser.add_argument("--output", type=Path, help="write the plan file here (the deploy jobs read it)")
    parser.add_argument("--github-output", type=Path, help="append `plan=<json>` for the workflow to this file")
    args = parser.parse_args(argv)
    if len(args.assemblies) != (1 if args.all else 2):
        parser.error("expected BEFORE AFTER, or --all AFTER")
    try:
        after = read_assembly(args.assemblies[-1])
        before = None if args.all else read_assembly(args.assemblies[0])
        models = [name for name in args.models.split(",") if name] if args.models else None
        plan = compute(before, after, args.target, models)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in summary(plan):
        print(line)
    if args.output is not None:
        args.output.write_text(json.dumps(plan.to_json(), indent=1) + "\n")
    if args.github_output is not None:
        with args.github_output.open("a") as out:
            out.write(f"plan={json.dumps(plan.github_output(), separators=(',', ':'))}\n")
        for path in plan.removed:
            print(f"::warning::{path} is no longer in the app; it was not deleted (`cdk destroy` it if intended)")
    return 0


if __name__ == "__main__":
    entry_point.run(main)  # Ctrl-C: `error: interrupted`, exit 130
