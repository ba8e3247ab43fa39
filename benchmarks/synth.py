"""Benchmark: wall time of a full synth (Node/jsii start-up included), as `make synth` runs it.

Two organisations: the sample one (tests/orgs/two_env, as shipped), and 50 models x 2 environments (100
endpoints) built from it.
Each is synthesized in a fresh process, three times; the median is printed.
"""

from __future__ import annotations

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
SYNTH = """
import os, sys
from pathlib import Path
from accounts.config import load_config
from deployment.cdk_app import build_app
build_app(load_config(sys.argv[1]), workloads_root=Path(sys.argv[2]), outdir=sys.argv[3]).synth()
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


def time_synth(config: Path, workloads: Path, workdir: Path) -> float:
    """Median wall seconds of a synth in a fresh Python process."""
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    samples = []
    for run in range(RUNS):
        outdir = workdir / f"cdk.out-{run}"
        started = time.perf_counter()
        subprocess.run(  # noqa: S603  (our own interpreter and script)
            [sys.executable, "-c", SYNTH, str(config), str(workloads), str(outdir)],
            cwd=workdir,
            env=env,
            check=True,
            capture_output=True,
        )
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / ".github" / "workflows").mkdir(parents=True)
        sandbox = time_synth(config_path("two_env"), workloads_root("two_env"), folder)
        config, workloads = large_organisation(folder / "large", 50)
        large = time_synth(config, workloads, folder)
    print(f"synth, sandbox organisation (1 model x 2 environments): {sandbox:.1f} s (median of {RUNS})")
    print(f"synth, 50 models x 2 environments (100 endpoints):      {large:.1f} s (median of {RUNS})")


if __name__ == "__main__":
    main()
