"""`make generate`: every committed file derived from accounts.yaml and the manifests, in one step.

Synth writes only into its outdir. This step synthesizes the app into `cdk.out` (or reads an assembly
already there, with `--assembly`), then brings the repository's generated files up to date:

- `.github/workflows/deploy.yml`: the secured workflow of the GitHub engine (none under CodePipeline);
- `.github/CODEOWNERS`: reviews follow the organisation's approver groups and teams;
- `policies/rendered/`: every policy document as deployed, for the security team's review, and under
  `permission-sets/` the Identity Center permission sets' documents the proofs assume
  (policies/permission_sets.py);
- `policies/access.yaml`: the access matrix, redrafted: unchanged entries keep their reasons, new ones
  say `TODO` until the security team (who own `policies/` in CODEOWNERS) write why;
- `policies/ACCESS.md`: the matrix, readable.

`--check` writes nothing: it lists each stale file and exits 1, naming the command to run. The PR checks
and the deploy workflow's synth job run it, so what deploys is what was generated and reviewed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from accounts.config import DEFAULT_CONFIG_PATH, OrgConfig, load_config
from accounts.validation import InputError
from deployment import entry_point
from deployment.codeowners import render_codeowners
from deployment.github_pipeline import ASSEMBLY_WORKFLOW, WORKFLOW_FILE
from policies import access_matrix, render
from policies.cloud_assembly import AssemblyError
from policies.iam.cloudformation.reader import load_deployment
from policies.permission_sets import rendered_permission_sets
from policies.proof.results import ProofResult, run_proof
from policies.proof.universe import Universe, build_universe
from workloads.manifest import WORKLOADS_ROOT, load_all

REPO_ROOT = Path(__file__).resolve().parents[1]
CODEOWNERS_FILE = Path(".github/CODEOWNERS")
RENDERED_DIR = Path("policies/rendered")
ACCESS_YAML = Path("policies/access.yaml")
ACCESS_MD = Path("policies/ACCESS.md")
COMMAND = "make generate"


@dataclass(frozen=True)
class Generated:
    """What the repository should hold: file contents (None: must not exist) and the rendered policy tree."""

    files: dict[Path, str | None]
    rendered: dict[str, str]


def generated(
    config: OrgConfig,
    assembly: Path,
    *,
    previous_matrix: Path,
    proof: tuple[Universe, ProofResult] | None = None,
) -> Generated:
    """Everything the generate step writes, computed from `config` and the synthesized `assembly`.

    `previous_matrix` is the committed access.yaml, whose reasons the redraft keeps. `proof` is the
    least-privilege sweep of that assembly when the caller already ran it (it takes seconds).
    """
    workflow_source = assembly / ASSEMBLY_WORKFLOW
    workflow = workflow_source.read_text() if config.pipeline.engine == "github-actions" else None
    if config.pipeline.engine == "github-actions" and not workflow_source.is_file():
        raise InputError(f"{assembly}: no generated workflow at {ASSEMBLY_WORKFLOW}; synthesize the app first")
    if proof is None:
        universe = build_universe(config, load_deployment(assembly))
        proof = (universe, run_proof(universe))
    previous = access_matrix.expand(access_matrix.load_matrix(previous_matrix)) if previous_matrix.exists() else {}
    matrix = access_matrix.draft(*proof, previous)
    return Generated(
        files={
            WORKFLOW_FILE: workflow,
            CODEOWNERS_FILE: render_codeowners(config),
            ACCESS_YAML: matrix,
            ACCESS_MD: access_matrix.render_markdown(yaml.safe_load(matrix)),
        },
        rendered={**render.render_assembly(assembly), **rendered_permission_sets(config)},
    )


def differences(expected: Generated, root: Path) -> list[tuple[Path, str]]:
    """Each generated file under `root` that differs from `expected` (relative path), with what is wrong."""
    found: list[tuple[Path, str]] = []
    for relative, content in expected.files.items():
        path = root / relative
        if content is None:
            if path.exists():
                found.append((relative, "should not exist under this pipeline engine"))
        elif not path.is_file():
            found.append((relative, "missing"))
        elif path.read_text() != content:
            found.append((relative, "differs from what the configuration generates"))
    directory = root / RENDERED_DIR
    present = (
        {str(path.relative_to(directory)): path for path in directory.rglob("*") if path.is_file()}
        if directory.is_dir()
        else {}
    )
    for name in sorted(set(present) | set(expected.rendered)):
        if name not in present:
            found.append((RENDERED_DIR / name, "missing"))
        elif name not in expected.rendered:
            found.append((RENDERED_DIR / name, "no longer generated"))
        elif present[name].read_text() != expected.rendered[name]:
            found.append((RENDERED_DIR / name, "differs from what the configuration generates"))
    return found


def stale(expected: Generated, root: Path) -> list[str]:
    """The generated files under `root` that differ from `expected`, each as `path: what is wrong`."""
    return [f"{path}: {problem}" for path, problem in differences(expected, root)]


def write(expected: Generated, root: Path) -> list[Path]:
    """Bring the files under `root` up to date; returns the paths it changed (relative to `root`)."""
    changed = [path for path, _problem in differences(expected, root)]
    for relative in changed:
        if relative in expected.files:
            content = expected.files[relative]
            if content is None:
                (root / relative).unlink(missing_ok=True)
            else:
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_text(content)
    if any(path.is_relative_to(RENDERED_DIR) for path in changed):
        render.write_rendered(expected.rendered, root / RENDERED_DIR)
    return changed


Synthesize = Callable[[OrgConfig, Path, Path], Path]


def _synthesize_app(config: OrgConfig, workloads_root: Path, outdir: Path) -> Path:
    from deployment.cdk_app import synthesize  # jsii starts Node on import: only when synthesizing

    return synthesize(config, workloads_root, outdir)


def run(
    *,
    config_path: Path,
    workloads_root: Path,
    root: Path,
    assembly: Path | None,
    check: bool,
    synthesize: Synthesize | None = None,
    out: Callable[[str], None] = print,
) -> int:
    """The generate step; returns the exit code (0 done or current, 1 stale under --check)."""
    config = load_config(config_path)
    load_all(config, workloads_root)  # manifests that no longer match the organisation stop here, one line
    if assembly is None:
        assembly = (synthesize or _synthesize_app)(config, workloads_root, root / "cdk.out")
    expected = generated(config, assembly, previous_matrix=root / ACCESS_YAML)
    if check:
        problems = stale(expected, root)
        for problem in problems:
            out(f"stale: {problem}")
        if problems:
            out(f"run `{COMMAND}` and commit the result")
            return 1
        out("generated files are current")
        return 0
    changed = write(expected, root)
    for path in changed:
        out(f"wrote {path}")
    out(f"{len(changed)} generated file(s) changed" if changed else "generated files were already current")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m deployment.generate [--check] [--assembly DIR]`; errors are one line, exit 2."""
    parser = argparse.ArgumentParser(prog="python -m deployment.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a generated file is stale")
    parser.add_argument("--assembly", type=Path, help="read this synthesized cloud assembly instead of synthesizing")
    args = parser.parse_args(argv)
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    config_path = Path(os.environ.get("MODELOPS_CONFIG", DEFAULT_CONFIG_PATH))
    try:
        return run(
            config_path=config_path,
            workloads_root=WORKLOADS_ROOT,
            root=REPO_ROOT,
            assembly=args.assembly,
            check=args.check,
        )
    except (InputError, access_matrix.MatrixError, render.RenderError, AssemblyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    entry_point.run(main)  # Ctrl-C: `error: interrupted`, exit 130
