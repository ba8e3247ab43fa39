"""Benchmark: wall time of a full synth (Node/jsii start-up included), as `make synth` runs it.

    python -m benchmarks.synth [--large]

Each app is synthesized in a fresh process, three times, and the median is printed:
- a trivial CDK app (one stack, one bucket), the floor that Node/jsii start-up sets on this machine;
- the sample organisation (tests/orgs/two_env, as shipped), and its ratio to the trivial app;
- 50 models x 2 environments (100 endpoints) built from it, and the added synth cost per endpoint: the slope
  between the sample's 2 endpoints and these 100;
- with `--large`, 500 models x 4 environments (2,000 endpoints), once: it takes minutes; and the synth of one
  model's stacks in it (`modelops:models`), what a promotion of that model needs.

Our app is synthesized as `make synth` and `modelops deploy` synthesize it: without CDK's built-in CloudFormation
validation, which `make test` runs; the trivial app is measured with CDK's defaults and without validation.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from tests.orgs import config_path, org_data, workloads_root

RUNS = 3
# As `make synth`, the generate step and `modelops deploy` synthesize: without CDK's built-in CloudFormation
# validation, which `make test` runs on the sample and generated organisations; argv[4], when given, is the
# `modelops:models` selection of a promotion.
SYNTH = """
import os, sys
from pathlib import Path
from accounts.config import load_config
from deployment.cdk_app import build_app
models = sys.argv[4].split(",") if len(sys.argv) > 4 else None
config, workloads, outdir = load_config(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
build_app(config, workloads_root=workloads, outdir=outdir, models=models, validate=False).synth()
"""
# The floor: the same interpreter, aws-cdk-lib and Node start-up, and one stack with one bucket.
TRIVIAL = """
import sys
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3
app = cdk.App(outdir=sys.argv[3])
stack = cdk.Stack(app, "Trivial")
s3.Bucket(stack, "Bucket")
app.synth()
"""


# The environments of a generated organisation with 1 to 4 of them, in promotion order, and their accounts.
GENERATED_ENVIRONMENTS = {
    1: ("prod",),
    2: ("qa", "prod"),
    3: ("qa", "staging", "prod"),
    4: ("dev", "qa", "staging", "prod"),
}
GENERATED_ACCOUNTS = ("444444444444", "555555555555", "666666666666", "777777777777")


def large_organisation(folder: Path, models: int, envs: int = 2) -> tuple[Path, Path]:
    """accounts.yaml with `models` models in `envs` environments (1-4), and a workloads root pinning each model
    in every environment.

    Built from the two_env organisation: prod keeps its approver group, gates and manifest, and every earlier
    environment takes qa's; 2 environments are two_env's own qa and prod.
    """
    if envs not in GENERATED_ENVIRONMENTS:
        raise ValueError(f"envs={envs}: expected 1 to {len(GENERATED_ENVIRONMENTS)} environments")
    names = GENERATED_ENVIRONMENTS[envs]
    data = org_data("two_env")
    shipped_envs = {env["name"]: env for env in data["environments"]}
    if envs != 2:  # two_env's own qa and prod otherwise
        data["environments"] = [
            {**shipped_envs["prod" if name == "prod" else "qa"], "name": name, "account": account}
            for name, account in zip(names, GENERATED_ACCOUNTS[-envs:], strict=True)
        ]
    template = data["models"][0]
    gates = {name: template["gates"]["prod" if name == "prod" else "qa"] for name in names}
    data["models"] = [{**template, "name": f"model-{index:03d}", "gates": gates} for index in range(models)]
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "accounts.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    root = folder / "workloads"
    for env in names:
        source = workloads_root("two_env") / ("prod" if env == "prod" else "qa") / "churn-model.yaml"
        shipped = yaml.safe_load(source.read_text())
        (root / env).mkdir(parents=True)
        for index in range(models):
            name = f"model-{index:03d}"
            manifest = {
                **shipped,
                "model": name,
                "model_package_arn": shipped["model_package_arn"].replace("churn-model", name),
            }
            (root / env / f"{name}.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return config, root


def time_synth(
    config: Path,
    workloads: Path,
    workdir: Path,
    *,
    script: str = SYNTH,
    runs: int = RUNS,
    extra: tuple[str, ...] = (),
    validation: bool = True,
) -> float:
    """Median wall seconds of a synth in a fresh Python process; `validation` False sets CDK_VALIDATION=false (for
    the trivial app; ours turns it off itself)."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    if not validation:
        env["CDK_VALIDATION"] = "false"
    samples = []
    for run in range(runs):
        outdir = workdir / f"cdk.out-{run}"
        started = time.perf_counter()
        subprocess.run(  # noqa: S603  (our own interpreter and script)
            [sys.executable, "-c", script, str(config), str(workloads), str(outdir), *extra],
            cwd=workdir,
            env=env,
            check=True,
            capture_output=True,
        )
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


SAMPLE_ENDPOINTS = 2  # two_env: 1 model x 2 environments
LARGE_MODELS = 50


def main(argv: list[str] | None = None) -> None:
    """Print each synth's median, the sample's ratio to the trivial app and the cost per endpoint."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 500 models x 4 environments, once")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / ".github" / "workflows").mkdir(parents=True)
        trivial = time_synth(config_path("two_env"), workloads_root("two_env"), folder, script=TRIVIAL)
        bare = time_synth(config_path("two_env"), workloads_root("two_env"), folder, script=TRIVIAL, validation=False)
        sandbox = time_synth(config_path("two_env"), workloads_root("two_env"), folder)
        config, workloads = large_organisation(folder / "large", LARGE_MODELS)
        large = time_synth(config, workloads, folder)
        huge = promotion = None
        if args.large:
            config, workloads = large_organisation(folder / "huge", 500, 4)
            huge = time_synth(config, workloads, folder, runs=1)
            promotion = time_synth(config, workloads, folder, extra=("model-000",))
    endpoints = LARGE_MODELS * 2
    per_endpoint = (large - sandbox) / (endpoints - SAMPLE_ENDPOINTS)
    print(f"synth, trivial app (one bucket), CDK's defaults:       {trivial:.1f} s (median of {RUNS})")
    print(f"synth, trivial app without CDK's built-in validation:  {bare:.1f} s (median of {RUNS})")
    print(
        f"synth, sandbox organisation (1 model x 2 environments): {sandbox:.1f} s (median of {RUNS}), "
        f"{sandbox / trivial:.2f} x the trivial app ({sandbox / bare:.2f} x without validation in both)"
    )
    print(f"synth, {LARGE_MODELS} models x 2 environments ({endpoints} endpoints): {large:.1f} s (median of {RUNS})")
    print(f"added synth cost per endpoint: {per_endpoint * 1000:.0f} ms")
    if huge is not None and promotion is not None:
        print(f"synth, 500 models x 4 environments (2,000 endpoints): {huge:.1f} s (one run)")
        print(f"synth a one-model promotion needs, 500 x 4 (modelops:models=model-000): {promotion:.1f} s (median)")


if __name__ == "__main__":
    main()
