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


def large_organisation(folder: Path, models: int) -> tuple[Path, Path]:
    """accounts.yaml with `models` models, and a workloads root pinning each in qa and prod."""
    data = org_data("two_env")
    template = data["models"][0]
    data["models"] = [{**template, "name": f"model-{index:03d}"} for index in range(models)]
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "accounts.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    root = folder / "workloads"
    for env in ("qa", "prod"):
        shipped = yaml.safe_load((workloads_root("two_env") / env / "churn-model.yaml").read_text())
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
